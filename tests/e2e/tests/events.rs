//! Consumers are idempotent and ignore stale versions: duplicated and
//! reordered deliveries through the real queues leave the read models right.
//! Events are built here by hand from the documented schemas (docs/events.md).
//!
//! Stack: api (see scripts/test.sh)

use e2e::{eventually, OrderId, TestClient, TestUser, TicketId, UserId};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

fn ticket_data(id: &TicketId, user: &UserId, title: &str, version: u64) -> Value {
    json!({"id": id.as_str(), "title": title, "priceCents": 1000, "userId": user.as_str(), "version": version,
           "orderId": null, "soldTo": null, "createdAt": 1_795_000_000_000i64})
}

fn order_data(id: &OrderId, user: &UserId, status: &str, version: u64) -> Value {
    let mut data = json!({"id": id.as_str(), "userId": user.as_str(), "status": status,
        "expiresAt": 1_795_000_900_000i64, "createdAt": 1_795_000_000_000i64, "version": version,
        "ticket": {"id": TicketId::unknown().as_str(), "title": "Show", "priceCents": 500}});
    if status == "cancelled" {
        data["cancelReason"] = json!("expired");
    }
    data
}

async fn deliver(client: &TestClient, envelopes: Vec<Value>) {
    let response = client
        .post_json("/api/tickets/_test/events", Value::Array(envelopes))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

/// Delivers a marker ticket event after the others and waits for it, so the
/// ticket events sent before it have been through the consumer too.
async fn settle_tickets(user: &TestUser) {
    let marker = TicketId::unknown();
    let created = ticket_data(&marker, &user.id, "marker", 0);
    deliver(user, vec![envelope("ticket:created", 0, created)]).await;
    eventually("the marker ticket event", || {
        user.listed_ticket("", &marker)
    })
    .await;
}

/// The same for order events. The marker order belongs to a user of its own,
/// so that it does not show in the lists under test.
async fn settle_orders() {
    let observer = TestUser::signed_up().await;
    let marker = OrderId::unknown();
    let created = order_data(&marker, &observer.id, "created", 0);
    deliver(&observer, vec![envelope("order:created", 0, created)]).await;
    eventually("the marker order event", || async {
        let orders = observer.orders().await;
        orders.iter().any(|o| o["id"] == marker).then_some(())
    })
    .await;
}

#[tokio::test]
async fn duplicated_and_stale_ticket_events_do_not_roll_the_read_model_back() {
    let seller = TestUser::signed_up().await;
    let id = seller.create_ticket("Original", json!(10)).await.id;
    eventually("v0 listed", || seller.listed_ticket("", &id)).await;

    let newest = envelope(
        "ticket:updated",
        2,
        ticket_data(&id, &seller.id, "Newest", 2),
    );
    let stale = envelope(
        "ticket:updated",
        1,
        ticket_data(&id, &seller.id, "Stale", 1),
    );
    deliver(&seller, vec![newest.clone(), stale.clone(), newest, stale]).await;
    settle_tickets(&seller).await;

    let listed = seller.listed_ticket("", &id).await.unwrap();
    assert_eq!(
        (listed["title"].clone(), listed["version"].clone()),
        (json!("Newest"), json!(2))
    );
}

#[tokio::test]
async fn events_arriving_newest_first_build_the_newest_state() {
    let seller = TestUser::signed_up().await;
    let id = TicketId::unknown();
    deliver(
        &seller,
        vec![
            envelope(
                "ticket:updated",
                1,
                ticket_data(&id, &seller.id, "Second", 1),
            ),
            envelope(
                "ticket:created",
                0,
                ticket_data(&id, &seller.id, "First", 0),
            ),
        ],
    )
    .await;
    settle_tickets(&seller).await;
    let listed = seller.listed_ticket("", &id).await.expect("listed");
    assert_eq!(
        (listed["title"].clone(), listed["version"].clone()),
        (json!("Second"), json!(1))
    );
}

/// The buyer's order as "My orders" lists it.
async fn listed_order(buyer: &TestUser, id: &OrderId) -> Option<Value> {
    buyer.orders().await.into_iter().find(|o| o["id"] == *id)
}

#[tokio::test]
async fn an_order_created_event_alone_puts_the_order_in_the_buyers_list() {
    // No POST /api/orders: only the event, so only the consumer can list it.
    let buyer = TestUser::signed_up().await;
    let id = OrderId::unknown();
    let created = order_data(&id, &buyer.id, "created", 0);
    deliver(&buyer, vec![envelope("order:created", 0, created)]).await;
    let listed = eventually("the order listed from its event", || {
        listed_order(&buyer, &id)
    })
    .await;
    assert_eq!(
        (listed["status"].clone(), listed["version"].clone()),
        (json!("created"), json!(0))
    );
    assert_eq!(listed["ticket"]["title"], "Show");
}

#[tokio::test]
async fn order_events_out_of_order_and_twice_leave_the_newest_status() {
    let buyer = TestUser::signed_up().await;
    let id = OrderId::unknown();
    let cancelled = envelope(
        "order:cancelled",
        1,
        order_data(&id, &buyer.id, "cancelled", 1),
    );
    let is_final = |o: &Value| {
        o["status"] == "cancelled" && o["cancelReason"] == "expired" && o["version"] == 1
    };
    // The newest first, twice...
    deliver(&buyer, vec![cancelled.clone(), cancelled]).await;
    eventually("the cancelled order listed", || async {
        listed_order(&buyer, &id).await.filter(is_final)
    })
    .await;
    // ...then the older version LAST; once it is through the consumer, the
    // newer status must have survived it.
    let stale = envelope("order:created", 0, order_data(&id, &buyer.id, "created", 0));
    deliver(&buyer, vec![stale]).await;
    settle_orders().await;
    let listed = listed_order(&buyer, &id).await.expect("still listed");
    assert!(is_final(&listed), "rolled back by a stale event: {listed}");
    assert_eq!(buyer.orders().await.len(), 1);
}

#[tokio::test]
async fn the_test_hook_refuses_anything_but_envelopes() {
    let client = TestUser::signed_up().await;
    let response = client
        .post_json("/api/tickets/_test/events", json!([{"subject": "nope"}]))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
