//! The orders service's contract, black-box over HTTP.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{errors, eventually, now_ms, OrderId, TestClient, TestUser, TicketId};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A ticket some other user listed.
async fn ticket_for_sale() -> TicketId {
    let seller = TestUser::signed_up().await;
    seller.create_ticket("For sale", json!(25)).await.id
}

#[tokio::test]
async fn orders_need_a_signed_in_user() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Members only", json!(5)).await;
    let client = TestClient::anonymous();
    for (what, response) in [
        ("place", client.place_order(&ticket.id).await),
        ("list", client.get("/api/orders").await),
        ("show", client.get_order(&OrderId::unknown()).await),
        ("cancel", client.cancel_order(&OrderId::unknown()).await),
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{what}");
        assert_eq!(
            errors(response).await,
            [("Not authorized".into(), None)],
            "{what}"
        );
    }
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "not held");
}

#[tokio::test]
async fn requires_a_ticket_id() {
    let buyer = TestUser::signed_up().await;
    for body in [json!({}), json!({"ticketId": ""}), json!({"ticketId": 5})] {
        let response = buyer.post_json("/api/orders", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            errors(response).await,
            [("TicketId must be provided".into(), Some("ticketId".into()))]
        );
    }
}

#[tokio::test]
async fn returns_an_error_if_the_ticket_does_not_exist() {
    let buyer = TestUser::signed_up().await;
    for ticket_id in [TicketId::unknown(), TicketId("not-a-uuid".into())] {
        let response = buyer.place_order(&ticket_id).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{ticket_id}");
        assert_eq!(errors(response).await, [("Not found".into(), None)]);
    }
    assert_eq!(buyer.orders().await, Vec::<Value>::new(), "no order");
}

#[tokio::test]
async fn returns_an_error_if_the_ticket_is_already_reserved() {
    let ticket_id = ticket_for_sale().await;
    let first = TestUser::signed_up().await;
    let held = first.reserve(&ticket_id).await;
    let second = TestUser::signed_up().await;
    let response = second.place_order(&ticket_id).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Ticket is already reserved".into(), None)]
    );
    assert_eq!(second.orders().await, Vec::<Value>::new(), "no order");
    assert_eq!(second.ticket(&ticket_id).await["orderId"], held.id);
    assert_eq!(first.order(&held.id).await, held.json, "the hold untouched");
}

#[tokio::test]
async fn reserves_a_ticket() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Reservable", json!(42.5)).await;
    let buyer = TestUser::signed_up().await;
    let before = now_ms();
    let order = buyer.reserve(&ticket.id).await;
    assert_eq!(order["status"], "created");
    assert_eq!(order["userId"], buyer.id);
    assert_eq!(order["version"], 0);
    assert_eq!(
        order["ticket"],
        json!({"id": ticket.id.as_str(), "title": "Reservable", "price": 42.5, "priceCents": 4250})
    );
    // expiresAt is ISO 8601, EXPIRATION_WINDOW_SECONDS after creation.
    let (expires, created) = (order.expires_at_ms(), order.created_at_ms());
    assert!(
        created >= before - 1000 && expires > created,
        "{}",
        order.json
    );
    let held = seller.ticket(&ticket.id).await;
    assert_eq!(
        (held["orderId"].clone(), held["version"].clone()),
        (json!(order.id.as_str()), json!(1))
    );
}

#[tokio::test]
async fn sellers_cannot_buy_their_own_ticket() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Mine", json!(1)).await;
    let response = seller.place_order(&ticket.id).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("You cannot buy your own ticket".into(), None)]
    );
    assert_eq!(seller.orders().await, Vec::<Value>::new(), "no order");
    assert_eq!(seller.ticket(&ticket.id).await, ticket.json, "not held");
}

/// The synchronous write that makes a new order visible at once; the
/// `order:created` event path on its own is tested in events.rs
/// (`an_order_created_event_alone_puts_the_order_in_the_buyers_list`).
#[tokio::test]
async fn a_new_order_is_in_the_buyers_list_at_once() {
    let ticket_id = ticket_for_sale().await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket_id).await;
    assert_eq!(
        buyer.orders().await.first(),
        Some(&order.json),
        "read-your-writes: listed at once"
    );
}

#[tokio::test]
async fn fetches_only_the_users_own_orders_newest_first() {
    let alice = TestUser::signed_up().await;
    let bob = TestUser::signed_up().await;
    let first = alice.reserve(&ticket_for_sale().await).await;
    let second = alice.reserve(&ticket_for_sale().await).await;
    let bobs = bob.reserve(&ticket_for_sale().await).await;
    let ids: Vec<OrderId> = alice.orders().await.iter().map(OrderId::of).collect();
    assert_eq!(ids, [second.id, first.id]);
    let ids: Vec<OrderId> = bob.orders().await.iter().map(OrderId::of).collect();
    assert_eq!(ids, [bobs.id]);
}

#[tokio::test]
async fn fetches_the_order() {
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket_for_sale().await).await;
    assert_eq!(buyer.order(&order.id).await, order.json);
}

#[tokio::test]
async fn another_users_order_is_401_and_an_unknown_one_404() {
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket_for_sale().await).await;
    let intruder = TestUser::signed_up().await;
    for response in [
        intruder.get_order(&order.id).await,
        intruder.cancel_order(&order.id).await,
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(errors(response).await, [("Not authorized".into(), None)]);
    }
    assert_eq!(buyer.order(&order.id).await, order.json, "untouched");
    for unknown in [OrderId::unknown(), OrderId("nope".into())] {
        for response in [
            buyer.get_order(&unknown).await,
            buyer.cancel_order(&unknown).await,
        ] {
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{unknown}");
            assert_eq!(errors(response).await, [("Not found".into(), None)]);
        }
    }
}

#[tokio::test]
async fn marks_an_order_as_cancelled_frees_the_ticket_and_publishes_it() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Cancellable", json!(10)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    let response = buyer.cancel_order(&order.id).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cancelled = buyer.order(&order.id).await;
    assert_eq!(
        (
            cancelled["status"].clone(),
            cancelled["cancelReason"].clone(),
            cancelled["version"].clone()
        ),
        (json!("cancelled"), json!("user"), json!(1))
    );
    assert_eq!(buyer.orders().await[0]["status"], "cancelled");
    // Released: free for the next buyer and editable by its owner again.
    assert_eq!(seller.ticket(&ticket.id).await["orderId"], Value::Null);
    let next_buyer = TestUser::signed_up().await;
    next_buyer.reserve(&ticket.id).await;
    eventually("the list to show the new hold", || async {
        seller
            .listed_ticket("", &ticket.id)
            .await
            .filter(|t| t["version"] == 3)
    })
    .await;
}

#[tokio::test]
async fn cancelling_a_cancelled_order_is_a_no_op() {
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket_for_sale().await).await;
    for _ in 0..2 {
        assert_eq!(
            buyer.cancel_order(&order.id).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        buyer.order(&order.id).await["version"],
        1,
        "no second change"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order() {
    let ticket_id = ticket_for_sale().await;
    let buyer = TestUser::signed_up().await;
    let send = || {
        buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", "checkout-42")
            .json(&json!({ "ticketId": ticket_id.as_str() }))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(buyer.orders().await, std::slice::from_ref(&first));
    assert_eq!(buyer.ticket(&ticket_id).await["orderId"], first["id"]);
    // Without the key, the same buyer is told the ticket is taken.
    let without_key = buyer.place_order(&ticket_id).await;
    assert_eq!(without_key.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(without_key).await,
        [("Ticket is already reserved".into(), None)]
    );
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_make_one_order() {
    let ticket_id = ticket_for_sale().await;
    let buyer = TestUser::signed_up().await;
    let attempts = (0..10).map(|_| {
        buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", "double-click")
            .json(&json!({ "ticketId": ticket_id.as_str() }))
            .send()
    });
    let mut ids = Vec::new();
    for response in futures::future::join_all(attempts).await {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(OrderId::of(&response.json().await.unwrap()));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn bad_idempotency_keys_are_400() {
    let ticket_id = ticket_for_sale().await;
    let buyer = TestUser::signed_up().await;
    for key in ["x".repeat(300), "with space".into()] {
        let response = buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", &key)
            .json(&json!({ "ticketId": ticket_id.as_str() }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{key}");
        assert_eq!(
            errors(response).await,
            [(
                "Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
                None
            )]
        );
    }
    assert_eq!(buyer.orders().await, Vec::<Value>::new(), "no order");
    assert_eq!(buyer.ticket(&ticket_id).await["orderId"], Value::Null);
}

/// Whoever just acted sees it in their next request, whatever the queue's
/// delay: "my orders" shows a payment and a cancel at once.
#[tokio::test]
async fn my_orders_show_a_payment_and_a_cancel_at_once() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let status_of = |orders: Vec<Value>, id: &OrderId| {
        orders
            .iter()
            .find(|o| o["id"] == *id)
            .map(|o| o["status"].clone())
    };

    let paid = seller.create_ticket("Paid at once", json!(12)).await;
    let order = buyer.reserve(&paid.id).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        status_of(buyer.orders().await, &order.id),
        Some(json!("complete"))
    );

    let dropped = seller.create_ticket("Cancelled at once", json!(13)).await;
    let order = buyer.reserve(&dropped.id).await;
    assert_eq!(
        buyer.cancel_order(&order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        status_of(buyer.orders().await, &order.id),
        Some(json!("cancelled"))
    );
}
