//! Expiry, against a stack started with a short EXPIRATION_WINDOW_SECONDS
//! (scripts/test.sh runs this file against its own stack).

use e2e::{eventually, iso_to_unix_ms, listed_ticket, now_ms, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// How late after `expiresAt` the order must be cancelled and the ticket free.
const MAX_LATENESS_MS: i64 = 1_500;

fn window_ms() -> i64 {
    let seconds: i64 = std::env::var("TICKETING_EXPIRATION_WINDOW_SECONDS")
        .expect("TICKETING_EXPIRATION_WINDOW_SECONDS: run with `make test`")
        .parse()
        .expect("a number");
    seconds * 1000
}

#[tokio::test]
async fn an_unpaid_order_expires_on_time_and_frees_the_ticket() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Expiring", json!(30)).await;
    let ticket_id = ticket["id"].as_str().unwrap().to_string();
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(&ticket_id).await;
    let order_path = format!("/api/orders/{}", order["id"].as_str().unwrap());
    let expires_at = iso_to_unix_ms(order["expiresAt"].as_str().unwrap());
    assert_eq!(
        expires_at - iso_to_unix_ms(order["createdAt"].as_str().unwrap()),
        window_ms()
    );

    // Poll the source of truth until the order is cancelled and the ticket free.
    let freed_at = eventually(
        Duration::from_millis((window_ms() + 5_000) as u64),
        "expiry",
        || async {
            let order = buyer.get_json(&order_path).await;
            let ticket = seller.get_json(&format!("/api/tickets/{ticket_id}")).await;
            (order["status"] == "cancelled" && ticket["orderId"].is_null())
                .then(|| (now_ms(), order, ticket))
        },
    )
    .await;
    let (at, expired, freed) = freed_at;
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
    eventually(
        Duration::from_secs(3),
        "the buyer's list to say cancelled",
        || async {
            (buyer.get_json("/api/orders").await[0]["status"] == "cancelled").then_some(())
        },
    )
    .await;
    eventually(
        Duration::from_secs(3),
        "the ticket listed as available",
        || listed_ticket(&seller, "&available=true", &ticket_id),
    )
    .await;

    // Free again: its owner can edit it, and someone else can order it.
    let edited = seller
        .put_json(
            &format!("/api/tickets/{ticket_id}"),
            json!({"title": "Expiring, again", "price": 31}),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let (next_buyer, _) = TestClient::signed_up().await;
    next_buyer.order(&ticket_id).await;
}

#[tokio::test]
async fn a_cancelled_order_does_not_expire_again() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Cancelled first", json!(5)).await;
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(ticket["id"].as_str().unwrap()).await;
    let path = format!("/api/orders/{}", order["id"].as_str().unwrap());
    assert_eq!(buyer.delete(&path).await.status(), StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis((window_ms() + 1_000) as u64)).await;
    let after: Value = buyer.get_json(&path).await;
    assert_eq!(
        (after["cancelReason"].clone(), after["version"].clone()),
        (json!("user"), json!(1))
    );
}

#[tokio::test]
async fn many_orders_expiring_together_all_expire_on_time() {
    let (seller, _) = TestClient::signed_up().await;
    let (buyer, _) = TestClient::signed_up().await;
    let mut orders = Vec::new();
    for n in 0..10 {
        let ticket = seller.create_ticket(&format!("Batch {n}"), json!(1)).await;
        orders.push(buyer.order(ticket["id"].as_str().unwrap()).await);
    }
    let last_deadline = orders
        .iter()
        .map(|o| iso_to_unix_ms(o["expiresAt"].as_str().unwrap()))
        .max()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(
        (last_deadline - now_ms() + MAX_LATENESS_MS).max(0) as u64,
    ))
    .await;
    for order in orders {
        let now = buyer
            .get_json(&format!("/api/orders/{}", order["id"].as_str().unwrap()))
            .await;
        assert_eq!(now["status"], "cancelled", "{now}");
    }
}
