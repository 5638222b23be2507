//! Abuse limits (docs/security.md): failed sign-ins per email and client
//! address, requests per address, unpaid orders per buyer. Each is counted
//! exactly, so concurrent requests cannot pass a limit together.
//!
//! Stack: api (see scripts/test.sh), with the default limits.

use e2e::{
    assert_limited, eventually, unique_address, unique_email, OrderId, TestClient, TestUser,
    TicketId, PASSWORD,
};
use futures::future::join_all;
use reqwest::{Response, StatusCode};
use serde_json::json;

const WRONG: &str = "not-the-password";

const TOO_MANY_FAILURES: &str = "Too many failed sign-in attempts; try again later";
const TOO_MANY_REQUESTS: &str = "Too many requests from your address; try again shortly";

async fn fail_sign_ins(client: &TestClient, email: &str, n: usize) {
    for i in 0..n {
        let response = client.signin(email, WRONG).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "failure {i}");
    }
}

#[tokio::test]
async fn ten_failures_from_one_address_lock_that_address_out_of_that_email() {
    let owner = TestUser::signed_up().await;
    let attacker = TestClient::from_address(&unique_address());
    fail_sign_ins(&attacker, &owner.email, 10).await;
    let eleventh = attacker.signin(&owner.email, WRONG).await;
    assert_limited(eleventh, TOO_MANY_FAILURES, 900, "11th failure").await;
    // Refused before the password is looked at: the right one is refused too.
    let right = attacker.signin(&owner.email, PASSWORD).await;
    assert_limited(
        right,
        TOO_MANY_FAILURES,
        900,
        "right password, same address",
    )
    .await;
    // The owner, elsewhere, is not locked out.
    let elsewhere = TestClient::from_address(&unique_address());
    let response = elsewhere.signin(&owner.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "another address");
    // Nor is another email from the attacker's address.
    let other = TestUser::signed_up().await;
    let response = attacker.signin(&other.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "another email");
}

#[tokio::test]
async fn concurrent_guesses_cannot_pass_the_limit_together() {
    let owner = TestUser::signed_up().await;
    let attacker = TestClient::from_address(&unique_address());
    let guesses = (0..20).map(|_| attacker.signin(&owner.email, WRONG));
    let statuses: Vec<StatusCode> = join_all(guesses)
        .await
        .iter()
        .map(Response::status)
        .collect();
    let count = |status| statuses.iter().filter(|s| **s == status).count();
    assert_eq!(count(StatusCode::BAD_REQUEST), 10, "{statuses:?}");
    assert_eq!(count(StatusCode::TOO_MANY_REQUESTS), 10, "{statuses:?}");
}

#[tokio::test]
async fn a_successful_sign_in_does_not_count_as_a_failure() {
    let owner = TestUser::signed_up().await;
    let client = TestClient::from_address(&unique_address());
    fail_sign_ins(&client, &owner.email, 9).await;
    for _ in 0..3 {
        let response = client.signin(&owner.email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "the owner signs in");
    }
    // Nine failures so far: one more is still only a wrong password.
    fail_sign_ins(&client, &owner.email, 1).await;
    let response = client.signin(&owner.email, WRONG).await;
    assert_limited(response, TOO_MANY_FAILURES, 900, "the 11th failure").await;
}

#[tokio::test]
async fn fifty_failures_from_all_addresses_lock_the_email_for_everyone() {
    let owner = TestUser::signed_up().await;
    let attackers: Vec<TestClient> = (0..5)
        .map(|_| TestClient::from_address(&unique_address()))
        .collect();
    join_all(
        attackers
            .iter()
            .map(|attacker| fail_sign_ins(attacker, &owner.email, 10)),
    )
    .await;
    for (what, client) in [
        ("a new address", TestClient::from_address(&unique_address())),
        ("no address", TestClient::anonymous()),
    ] {
        let response = client.signin(&owner.email, PASSWORD).await;
        assert_limited(response, TOO_MANY_FAILURES, 900, what).await;
    }
    // The session the owner already has still works: nothing was revoked.
    assert_eq!(owner.current_user().await["email"], owner.email.as_str());
}

#[tokio::test]
async fn sixty_sign_in_or_sign_up_requests_a_minute_per_address() {
    let address = unique_address();
    let client = TestClient::from_address(&address);
    // Requests count whatever their outcome: here, 60 invalid sign-ups and
    // sign-ins (one after another: a minute is long enough).
    for i in 0..60 {
        let path = if i % 2 == 0 {
            "/api/users/signup"
        } else {
            "/api/users/signin"
        };
        let body = json!({ "email": "not-an-email", "password": "x" });
        let response = client.post_json(path, body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "request {i}");
    }
    let email = unique_email();
    let signup = client.signup(&email, PASSWORD).await;
    assert_limited(signup, TOO_MANY_REQUESTS, 60, "61st request: sign-up").await;
    let signin = client.signin(&email, PASSWORD).await;
    assert_limited(signin, TOO_MANY_REQUESTS, 60, "62nd request: sign-in").await;
    // Nothing was created, and other addresses are served.
    let elsewhere = TestClient::from_address(&unique_address());
    let response = elsewhere.signin(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "no such user");
    assert_eq!(
        elsewhere.signup(&email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
    // Reading the current user is not limited.
    assert_eq!(client.current_user().await, serde_json::Value::Null);
}

async fn tickets_for_sale(n: usize) -> Vec<TicketId> {
    let seller = TestUser::signed_up().await;
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            seller
                .create_ticket(&format!("Seat {i}"), json!(10))
                .await
                .id,
        );
    }
    ids
}

const TOO_MANY_ORDERS: &str =
    "You already hold 5 unpaid orders: pay for or cancel one before reserving another ticket";

#[tokio::test]
async fn one_buyer_firing_twenty_orders_at_once_holds_exactly_five() {
    let tickets = tickets_for_sale(20).await;
    let buyer = TestUser::signed_up().await;
    let responses = join_all(tickets.iter().map(|id| buyer.place_order(id))).await;
    let mut placed = Vec::new();
    let mut refused = Vec::new();
    for (ticket, response) in tickets.iter().zip(responses) {
        match response.status() {
            StatusCode::CREATED => placed.push(OrderId::of(&response.json().await.unwrap())),
            _ => {
                assert_limited(response, TOO_MANY_ORDERS, 900 + 120, "over the limit").await;
                refused.push(ticket.clone());
            }
        }
    }
    assert_eq!(placed.len(), 5, "exactly five holds");
    // A refused ticket was never held: someone else can reserve it.
    let other = TestUser::signed_up().await;
    other.reserve(&refused[0]).await;
    // Cancelling one frees a slot at once.
    assert_eq!(
        buyer.cancel_order(&placed[0]).await.status(),
        StatusCode::NO_CONTENT
    );
    buyer.reserve(&refused[1]).await;
    let response = buyer.place_order(&refused[2]).await;
    assert_limited(response, TOO_MANY_ORDERS, 900 + 120, "full again").await;
    // Paying for one frees a slot at once too.
    let response = buyer.pay(&placed[1], "tok_visa").await;
    assert_eq!(response.status(), StatusCode::CREATED, "paid");
    buyer.reserve(&refused[2]).await;
}

#[tokio::test]
async fn a_retried_order_request_at_the_limit_gets_its_order_not_a_429() {
    let tickets = tickets_for_sale(6).await;
    let buyer = TestUser::signed_up().await;
    for id in &tickets[..4] {
        buyer.reserve(id).await;
    }
    let send = || {
        buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", "fifth-order")
            .json(&json!({ "ticketId": tickets[4].as_str() }))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED, "the fifth order");
    let first: serde_json::Value = first.json().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED, "the retry");
    assert_eq!(retry.json::<serde_json::Value>().await.unwrap(), first);
    let sixth = buyer.place_order(&tickets[5]).await;
    assert_limited(sixth, TOO_MANY_ORDERS, 900 + 120, "a sixth order").await;
}

#[tokio::test]
async fn a_normal_journey_never_meets_a_limit() {
    let client = TestClient::from_address(&unique_address());
    let buyer = TestUser::signed_up_with(client).await;
    // A typo, then the right password, a few times over.
    for _ in 0..3 {
        assert_eq!(buyer.signout().await.status(), StatusCode::OK);
        fail_sign_ins(&buyer, &buyer.email, 1).await;
        assert_eq!(
            buyer.signin(&buyer.email, PASSWORD).await.status(),
            StatusCode::OK
        );
    }
    // Buying more tickets than the open-order limit, one after another.
    let tickets = tickets_for_sale(7).await;
    for id in &tickets {
        let order = buyer.reserve(id).await;
        let response = buyer.pay(&order.id, "tok_visa").await;
        assert_eq!(response.status(), StatusCode::CREATED, "paid for {id}");
    }
    eventually("seven complete orders listed", || async {
        let orders = buyer.orders().await;
        let complete = orders.iter().filter(|o| o["status"] == "complete").count();
        (complete == 7).then_some(())
    })
    .await;
}
