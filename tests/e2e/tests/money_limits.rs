//! The limits that real money needs (docs/security.md): declined payment
//! attempts per buyer, order and client address (card testing), and unpaid
//! holds per client address across accounts (hoarding with free accounts).
//! Each is counted exactly, so concurrent requests cannot pass together.
//!
//! Stack: api (see scripts/test.sh), with the default limits.

use e2e::{assert_limited, unique_address, OrderId, TestClient, TestUser, TicketId};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

const DECLINED: &str = "tok_chargeDeclined";
const TOO_MANY_DECLINES: &str = "Too many declined payment attempts; try again later";

/// `n` declined attempts on `order`, each a 402.
async fn decline(buyer: &TestUser, order: &OrderId, n: usize) {
    for i in 0..n {
        let declined = buyer.pay(order, DECLINED).await;
        assert_eq!(
            declined.status(),
            StatusCode::PAYMENT_REQUIRED,
            "decline {i}"
        );
    }
}

async fn listing() -> TicketId {
    let seller = TestUser::signed_up().await;
    seller.create_ticket("Card test", json!(12)).await.id
}

#[tokio::test]
async fn five_declines_on_an_order_stop_further_attempts_before_the_card_is_tried() {
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&listing().await).await;
    decline(&buyer, &order.id, 5).await;
    let sixth = buyer.pay(&order.id, DECLINED).await;
    assert_limited(sixth, TOO_MANY_DECLINES, 3600, "6th attempt").await;
    // Refused before the provider: a good card is not even tried, and the
    // order is untouched.
    let good = buyer.pay(&order.id, "tok_visa").await;
    assert_limited(good, TOO_MANY_DECLINES, 3600, "a good card after").await;
    let order_now = buyer.order(&order.id).await;
    assert_eq!(order_now["status"], "created");
    // The pay form says so too (429), with the order as it is.
    let attempt = uuid::Uuid::new_v4().to_string();
    let form = buyer
        .http
        .post(buyer.url(&format!("/orders/{}/pay", order.id)))
        .form(&[("token", "tok_visa"), ("attempt", attempt.as_str())])
        .send()
        .await
        .expect("the pay form's post");
    assert_eq!(form.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = form.text().await.unwrap_or_default();
    assert!(
        html.contains(&format!(
            r#"data-testid="payment-error">{TOO_MANY_DECLINES}</p>"#
        )),
        "{html}"
    );
    assert!(buyer.payments(&order.id).await.is_empty());
    // The buyer is stopped on another order too.
    let other = buyer.reserve(&listing().await).await;
    let elsewhere = buyer.pay(&other.id, "tok_visa").await;
    assert_limited(elsewhere, TOO_MANY_DECLINES, 3600, "another order").await;
}

#[tokio::test]
async fn a_payment_that_goes_through_is_not_counted_as_a_decline() {
    let buyer = TestUser::signed_up().await;
    for _ in 0..6 {
        let order = buyer.reserve(&listing().await).await;
        let paid = buyer.pay(&order.id, "tok_visa").await;
        assert_eq!(paid.status(), StatusCode::CREATED);
    }
    // Four declines and a success leave room for one more decline.
    let order = buyer.reserve(&listing().await).await;
    decline(&buyer, &order.id, 4).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn concurrent_declined_attempts_cannot_pass_the_limit_together() {
    let buyer = TestUser::signed_up().await;
    // Ten declined cards on one order, all at once: five 402s, five 429s.
    let order = buyer.reserve(&listing().await).await;
    let attempts = (0..10).map(|_| buyer.pay(&order.id, DECLINED));
    let mut statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [402, 402, 402, 402, 402, 429, 429, 429, 429, 429]);
}

#[tokio::test]
async fn twenty_declines_from_one_address_stop_every_account_there() {
    let address = unique_address();
    let mut buyers = Vec::new();
    for _ in 0..5 {
        buyers.push(TestUser::signed_up_with(TestClient::from_address(&address)).await);
    }
    for buyer in buyers.iter().take(4) {
        let order = buyer.reserve(&listing().await).await;
        decline(buyer, &order.id, 5).await;
    }
    // A fresh account from the same address: the address's 21st attempt.
    let fifth = &buyers[4];
    let order = fifth.reserve(&listing().await).await;
    let refused = fifth.pay(&order.id, DECLINED).await;
    assert_limited(refused, TOO_MANY_DECLINES, 3600, "21st from the address").await;
    // The same account from another address may still pay.
    let elsewhere = TestClient::from_address(&unique_address());
    let signed_in = elsewhere.signin(&fifth.email, e2e::PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::OK);
    let paid = elsewhere.pay(&order.id, "tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
}

const TOO_MANY_FROM_ADDRESS: &str =
    "20 unpaid orders are held from your address already; try again later";

/// `n` fresh accounts, signed up from `address`.
async fn accounts_at(address: &str, n: usize) -> Vec<TestUser> {
    let mut users = Vec::new();
    for _ in 0..n {
        users.push(TestUser::signed_up_with(TestClient::from_address(address)).await);
    }
    users
}

async fn listings(n: usize) -> Vec<TicketId> {
    let seller = TestUser::signed_up().await;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            seller
                .create_ticket(&format!("Hoard {i}"), json!(10))
                .await
                .id,
        );
    }
    ids
}

#[tokio::test]
async fn twenty_unpaid_holds_from_one_address_across_accounts_then_429() {
    let address = unique_address();
    let accounts = accounts_at(&address, 5).await;
    let tickets = listings(21).await;
    let mut held = Vec::new();
    for (i, ticket) in tickets.iter().take(20).enumerate() {
        let buyer = &accounts[i / 5];
        held.push((buyer, buyer.reserve(ticket).await));
    }
    let fifth = &accounts[4];
    let refused = fifth.place_order(&tickets[20]).await;
    // Retry-After: the oldest slot's end (the payment window plus a grace).
    assert_limited(refused, TOO_MANY_FROM_ADDRESS, 1100, "21st hold").await;
    // The same account from another address is not held back.
    let elsewhere = TestClient::from_address(&unique_address());
    assert_eq!(
        elsewhere.signin(&fifth.email, e2e::PASSWORD).await.status(),
        StatusCode::OK
    );
    let other_ticket = listings(1).await;
    assert_eq!(
        elsewhere.place_order(&other_ticket[0]).await.status(),
        StatusCode::CREATED
    );
    // An order that ends (cancelled, or paid) frees its address's slot.
    let (buyer, order) = &held[0];
    assert!(buyer.cancel_order(&order.id).await.status().is_success());
    let (buyer, order) = &held[1];
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    for (i, ticket) in [&tickets[20], &tickets[0]].into_iter().enumerate() {
        e2e::eventually("a freed slot takes a new hold", || async {
            let response = fifth.place_order(ticket).await;
            match response.status() {
                StatusCode::CREATED => Some(()),
                StatusCode::TOO_MANY_REQUESTS | StatusCode::BAD_REQUEST => None,
                other => panic!("hold {i} after the slots were freed: {other}"),
            }
        })
        .await;
    }
}

#[tokio::test]
async fn concurrent_holds_from_one_address_cannot_pass_the_limit_together() {
    let address = unique_address();
    let accounts = accounts_at(&address, 5).await;
    let tickets = listings(25).await;
    let holds = tickets
        .iter()
        .enumerate()
        .map(|(i, ticket)| accounts[i % 5].place_order(ticket));
    let mut statuses: Vec<u16> = join_all(holds)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    statuses.sort_unstable();
    let created = statuses.iter().filter(|s| **s == 201).count();
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((created, limited), (20, 5), "{statuses:?}");
}
