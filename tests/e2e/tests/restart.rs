//! Expiry survives a restart of the dev server: alarms are persisted, so an
//! order whose deadline passes while the server is down expires when it
//! comes back. The test owns its stack (short payment window): it places an
//! order, stops the server before the order expires, waits with the server
//! down until the deadline has passed, and starts it again on the same state.
//!
//! Stack: restart (the test starts it with `e2e::stack::Stack`)

use e2e::stack::{Settings, Stack};
use e2e::{eventually, now_ms, TestClient, TestUser, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn an_order_whose_deadline_passes_while_the_server_is_down_expires_after_a_restart() {
    let mut stack = Stack::start(Settings::from_env("restart"), &Stack::log_of("restart"));
    std::env::set_var("TICKETING_BASE_URL", stack.base_url());
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Survives restarts", json!(8)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    let deadline_ms = order.expires_at_ms();

    stack.stop();
    assert!(
        now_ms() < deadline_ms,
        "the order's deadline passed before the server was down, so nothing would be tested"
    );
    while now_ms() <= deadline_ms {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stack.restart();
    std::env::set_var("TICKETING_BASE_URL", stack.base_url());

    let client = TestClient::anonymous();
    assert_eq!(client.signin(&buyer.email, PASSWORD).await.status(), 200);
    let expired = eventually("the overdue alarm to fire", || async {
        let now = client.order(&order.id).await;
        (now["status"] == "cancelled").then_some(now)
    })
    .await;
    assert_eq!(expired["cancelReason"], "expired");
    let ticket = client.ticket(&ticket.id).await;
    assert_eq!(ticket["orderId"], Value::Null, "the ticket is free again");
}
