//! The orders service's contract, black-box over HTTP.

use e2e::{errors, eventually, listed_ticket, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

async fn ticket_for_sale() -> String {
    let (seller, _) = TestClient::signed_up().await;
    seller.create_ticket("For sale", json!(25)).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

#[tokio::test]
async fn orders_need_a_signed_in_user() {
    let client = TestClient::anonymous();
    assert_eq!(
        client
            .place_order(&uuid::Uuid::new_v4().to_string())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client.get("/api/orders").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        client
            .get(&format!("/api/orders/{}", uuid::Uuid::new_v4()))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn requires_a_ticket_id() {
    let (buyer, _) = TestClient::signed_up().await;
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
    let (buyer, _) = TestClient::signed_up().await;
    for ticket_id in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".into()] {
        assert_eq!(
            buyer.place_order(&ticket_id).await.status(),
            StatusCode::NOT_FOUND,
            "{ticket_id}"
        );
    }
}

#[tokio::test]
async fn returns_an_error_if_the_ticket_is_already_reserved() {
    let ticket_id = ticket_for_sale().await;
    let (first, _) = TestClient::signed_up().await;
    first.order(&ticket_id).await;
    let (second, _) = TestClient::signed_up().await;
    let response = second.place_order(&ticket_id).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Ticket is already reserved".into(), None)]
    );
}

#[tokio::test]
async fn reserves_a_ticket() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Reservable", json!(42.5)).await;
    let (buyer, _) = TestClient::signed_up().await;
    let me = buyer.current_user().await;
    let before = e2e::now_ms();
    let order = buyer.order(id(&ticket)).await;
    assert_eq!(order["status"], "created");
    assert_eq!(order["userId"], me["id"]);
    assert_eq!(order["version"], 0);
    assert_eq!(
        order["ticket"],
        json!({"id": ticket["id"], "title": "Reservable", "price": 42.5, "priceCents": 4250})
    );
    // expiresAt is ISO 8601, EXPIRATION_WINDOW_SECONDS after creation.
    let expires = e2e::iso_to_unix_ms(order["expiresAt"].as_str().unwrap());
    let created = e2e::iso_to_unix_ms(order["createdAt"].as_str().unwrap());
    assert!(created >= before - 1000 && expires > created, "{order}");
    let held = seller
        .get_json(&format!("/api/tickets/{}", id(&ticket)))
        .await;
    assert_eq!(
        (held["orderId"].clone(), held["version"].clone()),
        (order["id"].clone(), json!(1))
    );
}

#[tokio::test]
async fn sellers_cannot_buy_their_own_ticket() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Mine", json!(1)).await;
    let response = seller.place_order(id(&ticket)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("You cannot buy your own ticket".into(), None)]
    );
}

#[tokio::test]
async fn publishes_order_created_into_the_buyers_list() {
    let ticket_id = ticket_for_sale().await;
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(&ticket_id).await;
    let list = buyer.get_json("/api/orders").await;
    assert_eq!(
        list.as_array().unwrap().first(),
        Some(&order),
        "read-your-writes: listed at once"
    );
}

#[tokio::test]
async fn fetches_only_the_users_own_orders_newest_first() {
    let (alice, _) = TestClient::signed_up().await;
    let (bob, _) = TestClient::signed_up().await;
    let first = alice.order(&ticket_for_sale().await).await;
    let second = alice.order(&ticket_for_sale().await).await;
    let bobs = bob.order(&ticket_for_sale().await).await;
    let list = alice.get_json("/api/orders").await;
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(id).collect();
    assert_eq!(ids, [id(&second), id(&first)]);
    assert_eq!(
        bob.get_json("/api/orders").await.as_array().unwrap().len(),
        1
    );
    assert_eq!(id(&bob.get_json("/api/orders").await[0]), id(&bobs));
}

#[tokio::test]
async fn fetches_the_order() {
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(&ticket_for_sale().await).await;
    assert_eq!(
        buyer.get_json(&format!("/api/orders/{}", id(&order))).await,
        order
    );
}

#[tokio::test]
async fn another_users_order_is_401_and_an_unknown_one_404() {
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(&ticket_for_sale().await).await;
    let (intruder, _) = TestClient::signed_up().await;
    let path = format!("/api/orders/{}", id(&order));
    assert_eq!(intruder.get(&path).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        intruder.delete(&path).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        buyer.get_json(&path).await["status"],
        "created",
        "untouched"
    );
    for unknown in [uuid::Uuid::new_v4().to_string(), "nope".into()] {
        assert_eq!(
            buyer.get(&format!("/api/orders/{unknown}")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            buyer
                .delete(&format!("/api/orders/{unknown}"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn marks_an_order_as_cancelled_frees_the_ticket_and_publishes_it() {
    let (seller, _) = TestClient::signed_up().await;
    let ticket = seller.create_ticket("Cancellable", json!(10)).await;
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(id(&ticket)).await;
    let path = format!("/api/orders/{}", id(&order));
    let response = buyer.delete(&path).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cancelled = buyer.get_json(&path).await;
    assert_eq!(
        (
            cancelled["status"].clone(),
            cancelled["cancelReason"].clone(),
            cancelled["version"].clone()
        ),
        (json!("cancelled"), json!("user"), json!(1))
    );
    assert_eq!(
        buyer.get_json("/api/orders").await[0]["status"],
        "cancelled"
    );
    // Released: free for the next buyer and editable by its owner again.
    let ticket_path = format!("/api/tickets/{}", id(&ticket));
    assert_eq!(seller.get_json(&ticket_path).await["orderId"], Value::Null);
    let (next_buyer, _) = TestClient::signed_up().await;
    next_buyer.order(id(&ticket)).await;
    let ticket_id = id(&ticket).to_string();
    eventually(
        Duration::from_secs(2),
        "the list to show the new hold",
        || async {
            listed_ticket(&seller, "", &ticket_id)
                .await
                .filter(|t| t["version"] == 3)
        },
    )
    .await;
}

#[tokio::test]
async fn cancelling_a_cancelled_order_is_a_no_op() {
    let (buyer, _) = TestClient::signed_up().await;
    let order = buyer.order(&ticket_for_sale().await).await;
    let path = format!("/api/orders/{}", id(&order));
    assert_eq!(buyer.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(buyer.delete(&path).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        buyer.get_json(&path).await["version"],
        1,
        "no second change"
    );
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_order() {
    let ticket_id = ticket_for_sale().await;
    let (buyer, _) = TestClient::signed_up().await;
    let send = || {
        buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", "checkout-42")
            .json(&json!({ "ticketId": ticket_id }))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
    assert_eq!(
        buyer
            .get_json("/api/orders")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Without the key, the same buyer is told the ticket is taken.
    assert_eq!(
        buyer.place_order(&ticket_id).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn concurrent_retries_with_one_idempotency_key_make_one_order() {
    let ticket_id = ticket_for_sale().await;
    let (buyer, _) = TestClient::signed_up().await;
    let attempts = (0..10).map(|_| {
        buyer
            .http
            .post(buyer.url("/api/orders"))
            .header("idempotency-key", "double-click")
            .json(&json!({ "ticketId": ticket_id }))
            .send()
    });
    let mut ids = Vec::new();
    for response in futures::future::join_all(attempts).await {
        let response = response.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        ids.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

#[tokio::test]
async fn bad_idempotency_keys_are_400() {
    let (buyer, _) = TestClient::signed_up().await;
    let response = buyer
        .http
        .post(buyer.url("/api/orders"))
        .header("idempotency-key", "x".repeat(300))
        .json(&json!({ "ticketId": uuid::Uuid::new_v4() }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
