//! Expiry survives a restart of the dev server. scripts/test.sh runs the two
//! halves around a stop and a start on the same state folder; the first
//! hands the order over to the second in TICKETING_RESTART_HANDOFF, and the
//! script waits for the order's `expiresAtMs` in it to pass while the server
//! is down.
//!
//! Stack: restart (see scripts/test.sh)

use e2e::{eventually, now_ms, OrderId, TestClient, TestUser, TicketId, PASSWORD};
use serde_json::{json, Value};

fn handoff() -> String {
    std::env::var("TICKETING_RESTART_HANDOFF")
        .expect("TICKETING_RESTART_HANDOFF: run with `make test`")
}

#[tokio::test]
async fn an_order_placed_before_a_restart() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Survives restarts", json!(8)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    assert!(order.expires_at_ms() > now_ms(), "not expired yet");
    let record = json!({
        "email": buyer.email,
        "orderId": order.id.as_str(),
        "ticketId": ticket.id.as_str(),
        "expiresAtMs": order.expires_at_ms(),
    });
    std::fs::write(handoff(), record.to_string()).expect("the handoff file");
}

#[tokio::test]
async fn expires_after_the_restart() {
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(handoff()).expect("the handoff file"))
            .expect("JSON");
    let field = |name: &str| record[name].as_str().expect(name).to_string();
    let buyer = TestClient::anonymous();
    assert_eq!(buyer.signin(&field("email"), PASSWORD).await.status(), 200);
    assert!(
        record["expiresAtMs"].as_i64().expect("expiresAtMs") < now_ms(),
        "its deadline passed while the server was down"
    );
    let order = OrderId(field("orderId"));
    let expired = eventually("the overdue alarm to fire", || async {
        let now = buyer.order(&order).await;
        (now["status"] == "cancelled").then_some(now)
    })
    .await;
    assert_eq!(expired["cancelReason"], "expired");
    let ticket = buyer.ticket(&TicketId(field("ticketId"))).await;
    assert_eq!(ticket["orderId"], Value::Null, "the ticket is free again");
}
