//! Expiry survives a restart of the dev server. scripts/test.sh runs the two
//! halves around a stop and a start on the same state folder; the first
//! hands the order over to the second in TICKETING_RESTART_HANDOFF.

use e2e::{eventually, iso_to_unix_ms, now_ms, TestClient};
use serde_json::{json, Value};
use std::time::Duration;

fn handoff() -> String {
    std::env::var("TICKETING_RESTART_HANDOFF")
        .expect("TICKETING_RESTART_HANDOFF: run with `make test`")
}

#[tokio::test]
async fn an_order_placed_before_a_restart() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Survives restarts", json!(8)).await;
    let (buyer, email) = TestClient::signed_up().await;
    let order = buyer.order(ticket["id"].as_str().unwrap()).await;
    assert!(
        iso_to_unix_ms(order["expiresAt"].as_str().unwrap()) > now_ms(),
        "not expired yet"
    );
    let record = json!({ "email": email, "order": order, "ticketId": ticket["id"] });
    std::fs::write(handoff(), record.to_string()).expect("the handoff file");
}

#[tokio::test]
async fn expires_after_the_restart() {
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(handoff()).expect("the handoff file"))
            .expect("JSON");
    let buyer = TestClient::anonymous();
    assert_eq!(
        buyer
            .signin(record["email"].as_str().unwrap(), e2e::PASSWORD)
            .await
            .status(),
        200
    );
    let order_path = format!("/api/orders/{}", record["order"]["id"].as_str().unwrap());
    assert!(
        iso_to_unix_ms(record["order"]["expiresAt"].as_str().unwrap()) < now_ms(),
        "its deadline passed while the server was down"
    );
    let expired = eventually(
        Duration::from_secs(5),
        "the overdue alarm to fire",
        || async {
            let order = buyer.get_json(&order_path).await;
            (order["status"] == "cancelled").then_some(order)
        },
    )
    .await;
    assert_eq!(expired["cancelReason"], "expired");
    let ticket = buyer
        .get_json(&format!(
            "/api/tickets/{}",
            record["ticketId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ticket["orderId"], Value::Null, "the ticket is free again");
}
