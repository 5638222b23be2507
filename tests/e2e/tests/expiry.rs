//! Expiry, against a stack started with a short EXPIRATION_WINDOW_SECONDS
//! (scripts/test.sh runs this file against its own stack).
//!
//! Stack: expiry (see scripts/test.sh)

use e2e::{eventually, expiration_window, now_ms, Order, TestUser};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

/// How late after `expiresAt` the order must be cancelled and the ticket free.
const MAX_LATENESS_MS: i64 = 1_500;

#[tokio::test]
async fn an_unpaid_order_expires_on_time_and_frees_the_ticket() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Expiring", json!(30)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    let expires_at = order.expires_at_ms();
    assert_eq!(
        expires_at - order.created_at_ms(),
        expiration_window().as_millis() as i64
    );

    // Poll the source of truth until the order is cancelled and the ticket free.
    let (at, expired, freed) = eventually("the order to expire", || async {
        let now = buyer.order(&order.id).await;
        let ticket = seller.ticket(&ticket.id).await;
        (now["status"] == "cancelled" && ticket["orderId"].is_null())
            .then(|| (now_ms(), now, ticket))
    })
    .await;
    let lateness = at - expires_at;
    println!("expiry lateness: {lateness} ms");
    assert!(lateness >= 0, "not before its deadline ({lateness} ms)");
    assert!(
        lateness <= MAX_LATENESS_MS,
        "expired {lateness} ms after expiresAt"
    );
    assert_eq!(
        (expired["cancelReason"].clone(), expired["version"].clone()),
        (json!("expired"), json!(1))
    );
    assert_eq!(freed["version"], 2);

    // The events reach both read models.
    eventually("the buyer's list to say cancelled", || async {
        let orders = buyer.orders().await;
        (orders.first()?["status"] == "cancelled").then_some(())
    })
    .await;
    eventually("the ticket listed as available", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;

    // Free again: its owner can edit it, and someone else can order it.
    let edited = seller
        .update_ticket(&ticket.id, "Expiring, again", json!(31))
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let next_buyer = TestUser::signed_up().await;
    next_buyer.reserve(&ticket.id).await;
}

#[tokio::test]
async fn a_cancelled_order_does_not_expire_again() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Cancelled first", json!(5)).await;
    let buyer = TestUser::signed_up().await;
    let cancelled = buyer.reserve(&ticket.id).await;
    assert_eq!(
        buyer.cancel_order(&cancelled.id).await.status(),
        StatusCode::NO_CONTENT
    );
    // A second order on the same ticket, placed after the first, expires after
    // the first one's deadline and through the same object's alarm: once it has
    // expired, the first order's deadline has been and gone.
    let later = buyer.reserve(&ticket.id).await;
    assert!(later.expires_at_ms() >= cancelled.expires_at_ms());
    eventually("the later order to expire", || async {
        let now = buyer.order(&later.id).await;
        (now["status"] == "cancelled").then_some(())
    })
    .await;
    let after = buyer.order(&cancelled.id).await;
    assert_eq!(
        (after["cancelReason"].clone(), after["version"].clone()),
        (json!("user"), json!(1))
    );
}

#[tokio::test]
async fn many_orders_expiring_together_all_expire_on_time() {
    let seller = TestUser::signed_up().await;
    // Two buyers, as one may hold only 5 unpaid orders (MAX_OPEN_ORDERS).
    let buyers = [TestUser::signed_up().await, TestUser::signed_up().await];
    let mut orders: Vec<(&TestUser, Order)> = Vec::new();
    for n in 0..10 {
        let ticket = seller.create_ticket(&format!("Batch {n}"), json!(1)).await;
        let buyer = &buyers[n % 2];
        orders.push((buyer, buyer.reserve(&ticket.id).await));
    }
    let last_deadline = orders.iter().map(|(_, o)| o.expires_at_ms()).max().unwrap();
    // When each order was first seen cancelled: all of them by the last
    // deadline plus the allowed lateness.
    let seen_cancelled = join_all(orders.iter().map(|(buyer, order)| {
        eventually("every order to expire", move || async move {
            let now = buyer.order(&order.id).await;
            (now["status"] == "cancelled").then(now_ms)
        })
    }))
    .await;
    for ((_, order), seen) in orders.iter().zip(seen_cancelled) {
        assert!(
            seen - last_deadline <= MAX_LATENESS_MS,
            "order {} seen cancelled {} ms after the last deadline",
            order.id,
            seen - last_deadline
        );
    }
}

#[tokio::test]
async fn expired_orders_free_their_buyers_open_order_slots() {
    let seller = TestUser::signed_up().await;
    let mut tickets = Vec::new();
    for i in 0..6 {
        tickets.push(
            seller
                .create_ticket(&format!("Slot {i}"), json!(5))
                .await
                .id,
        );
    }
    let buyer = TestUser::signed_up().await;
    for id in &tickets[..5] {
        buyer.reserve(id).await;
    }
    let sixth = buyer.place_order(&tickets[5]).await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS, "five held");
    // Once they expire (order:cancelled events), the buyer may reserve again.
    eventually("a slot freed by expiry", || async {
        let response = buyer.place_order(&tickets[5]).await;
        (response.status() == StatusCode::CREATED).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_buyer_who_let_a_hold_expire_waits_before_holding_that_ticket_again() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Held and dropped", json!(30)).await;
    let other = seller.create_ticket("Another one", json!(30)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    eventually("the hold to expire", || async {
        (buyer.order(&order.id).await["status"] == "cancelled").then_some(())
    })
    .await;
    // REHOLD_COOLDOWN_SECONDS, 300 by default: 429 with Retry-After.
    let again = buyer.place_order(&ticket.id).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = again
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("a Retry-After in seconds");
    assert!(
        (290..=300).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(
        e2e::errors(again).await,
        [(
            "Your hold on this ticket expired a moment ago; you can hold it again shortly".into(),
            None
        )]
    );
    // Nothing changed: the ticket is free for anyone else, and the buyer
    // may hold other tickets.
    assert!(seller.ticket(&ticket.id).await["orderId"].is_null());
    assert_eq!(
        buyer.place_order(&other.id).await.status(),
        StatusCode::CREATED
    );
    let someone = TestUser::signed_up().await;
    assert_eq!(
        someone.place_order(&ticket.id).await.status(),
        StatusCode::CREATED
    );
}
