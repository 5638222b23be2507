//! Consumers are idempotent and ignore stale versions: duplicated and
//! reordered deliveries through the real queues leave the read models right.
//! Events are built here by hand from the documented schemas (docs/events.md).

use e2e::{eventually, listed_ticket, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

fn envelope(subject: &str, version: u64, data: Value) -> Value {
    json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "schemaVersion": 1,
        "subject": subject,
        "aggregateVersion": version,
        "occurredAt": "2026-11-25T12:00:00.000Z",
        "data": data,
    })
}

fn ticket_data(id: &str, user_id: &str, title: &str, version: u64) -> Value {
    json!({"id": id, "title": title, "priceCents": 1000, "userId": user_id, "version": version,
           "orderId": null, "soldTo": null, "createdAt": 1_795_000_000_000i64})
}

async fn deliver(client: &TestClient, envelopes: Vec<Value>) {
    let response = client
        .post_json("/api/tickets/_test/events", Value::Array(envelopes))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

/// Delivers a marker event after the others and waits for it, so the events
/// sent before it have been through the consumer too.
async fn settle(client: &TestClient, user_id: &str) {
    let marker = uuid::Uuid::new_v4().to_string();
    deliver(
        client,
        vec![envelope(
            "ticket:created",
            0,
            ticket_data(&marker, user_id, "marker", 0),
        )],
    )
    .await;
    eventually(Duration::from_secs(3), "the marker event", || {
        listed_ticket(client, "", &marker)
    })
    .await;
}

#[tokio::test]
async fn duplicated_and_stale_ticket_events_do_not_roll_the_read_model_back() {
    let (client, _) = TestClient::signed_up().await;
    let user_id = client.current_user().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ticket = client.create_ticket("Original", json!(10)).await;
    let id = ticket["id"].as_str().unwrap().to_string();
    eventually(Duration::from_secs(2), "v0 listed", || {
        listed_ticket(&client, "", &id)
    })
    .await;

    let newest = envelope("ticket:updated", 2, ticket_data(&id, &user_id, "Newest", 2));
    let stale = envelope("ticket:updated", 1, ticket_data(&id, &user_id, "Stale", 1));
    deliver(&client, vec![newest.clone(), stale.clone(), newest, stale]).await;
    settle(&client, &user_id).await;

    let listed = listed_ticket(&client, "", &id).await.unwrap();
    assert_eq!(
        (listed["title"].clone(), listed["version"].clone()),
        (json!("Newest"), json!(2))
    );
}

#[tokio::test]
async fn events_arriving_newest_first_build_the_newest_state() {
    let (client, _) = TestClient::signed_up().await;
    let user_id = client.current_user().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id = uuid::Uuid::new_v4().to_string();
    deliver(
        &client,
        vec![
            envelope("ticket:updated", 1, ticket_data(&id, &user_id, "Second", 1)),
            envelope("ticket:created", 0, ticket_data(&id, &user_id, "First", 0)),
        ],
    )
    .await;
    settle(&client, &user_id).await;
    let listed = listed_ticket(&client, "", &id).await.expect("listed");
    assert_eq!(
        (listed["title"].clone(), listed["version"].clone()),
        (json!("Second"), json!(1))
    );
}

#[tokio::test]
async fn order_events_out_of_order_and_twice_leave_the_newest_status() {
    let (client, _) = TestClient::signed_up().await;
    let user_id = client.current_user().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let order_id = uuid::Uuid::new_v4().to_string();
    let order = |status: &str, version: u64| {
        let mut data = json!({"id": order_id, "userId": user_id, "status": status, "expiresAt": 1_795_000_900_000i64,
            "createdAt": 1_795_000_000_000i64, "version": version,
            "ticket": {"id": uuid::Uuid::new_v4().to_string(), "title": "Show", "priceCents": 500}});
        if status == "cancelled" {
            data["cancelReason"] = json!("expired");
        }
        data
    };
    let cancelled = envelope("order:cancelled", 1, order("cancelled", 1));
    deliver(
        &client,
        vec![
            cancelled.clone(),
            envelope("order:created", 0, order("created", 0)),
            cancelled,
        ],
    )
    .await;
    let is_final = |o: &Value| {
        o["status"] == "cancelled" && o["cancelReason"] == "expired" && o["version"] == 1
    };
    let own_order = || async {
        let list = client.get_json("/api/orders").await;
        list.as_array()?
            .iter()
            .find(|o| o["id"] == order_id.as_str())
            .cloned()
    };
    eventually(
        Duration::from_secs(3),
        "the cancelled order listed",
        || async { own_order().await.filter(is_final) },
    )
    .await;
    // Give the stale order:created (and the duplicate) time to arrive: still cancelled.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(own_order().await.is_some_and(|o| is_final(&o)));
    assert_eq!(
        client
            .get_json("/api/orders")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_test_hook_refuses_anything_but_envelopes() {
    let (client, _) = TestClient::signed_up().await;
    let response = client
        .post_json("/api/tickets/_test/events", json!([{"subject": "nope"}]))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
