//! The ticket's live channel: a WebSocket at `/api/tickets/:id/live` that
//! gives the current state first, then every change as it happens.
//!
//! Stack: api (see scripts/test.sh)

use e2e::live::{self, next_of, Socket, WITHIN};
use e2e::{errors, session_token, set_cookie, OrderId, TestClient, TestUser, TicketId, PASSWORD};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

fn live_path(ticket: &TicketId) -> String {
    format!("/api/tickets/{ticket}/live")
}

async fn watch(ticket: &TicketId) -> Socket {
    live::open(&live_path(ticket)).await
}

async fn next_ticket(socket: &mut Socket) -> Value {
    next_of(socket, "ticket").await
}

#[tokio::test]
async fn a_watcher_sees_the_state_first_then_each_change_within_a_second() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Watched", json!(20)).await;
    let mut socket = watch(&ticket.id).await;
    let first = next_ticket(&mut socket).await;
    assert_eq!(first, seller.ticket(&ticket.id).await, "the GET's view");
    assert_eq!(
        (first["state"].as_str(), first["version"].as_i64()),
        (Some("available"), Some(0))
    );

    let order = buyer.reserve(&ticket.id).await;
    let held = next_ticket(&mut socket).await;
    assert_eq!(
        (held["state"].as_str(), held["version"].as_i64()),
        (Some("reserved"), Some(1))
    );
    assert_eq!(held["heldUntil"], order["expiresAt"]);

    assert_eq!(
        buyer.cancel_order(&order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    let freed = next_ticket(&mut socket).await;
    assert_eq!(
        (freed["state"].as_str(), freed["version"].as_i64()),
        (Some("available"), Some(2))
    );

    let edited = seller.update_ticket(&ticket.id, "Watched", json!(35)).await;
    assert_eq!(edited.status(), StatusCode::OK);
    let priced = next_ticket(&mut socket).await;
    assert_eq!(priced["priceCents"], 3500);

    // A ping is answered (by the platform, without waking the object).
    socket
        .send(Message::text("ping"))
        .await
        .expect("send a ping");
    let pong = tokio::time::timeout(WITHIN, socket.next())
        .await
        .expect("an answer");
    assert_eq!(pong.unwrap().unwrap(), Message::text("pong"));
    socket.close(None).await.expect("close");
}

#[tokio::test]
async fn a_reconnecting_watcher_gets_the_current_state_first() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Reconnect", json!(20)).await;
    let mut socket = watch(&ticket.id).await;
    next_ticket(&mut socket).await;
    socket.close(None).await.expect("close");
    // Missed while away: the hold.
    buyer.reserve(&ticket.id).await;
    let mut again = watch(&ticket.id).await;
    let current = next_ticket(&mut again).await;
    assert_eq!(
        (current["state"].as_str(), current["version"].as_i64()),
        (Some("reserved"), Some(1))
    );
}

#[tokio::test]
async fn a_live_channel_needs_the_upgrade_and_a_ticket() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Plain GET", json!(20)).await;
    let plain = TestClient::anonymous()
        .get(&format!("/api/tickets/{}/live", ticket.id))
        .await;
    assert_eq!(plain.status(), StatusCode::UPGRADE_REQUIRED);
    assert_eq!(
        errors(plain).await,
        [(
            "This is a live channel: connect with a WebSocket (Upgrade: websocket)".into(),
            None
        )]
    );
    let unknown = TicketId::of(&json!({"id": uuid::Uuid::new_v4().to_string()}));
    assert_eq!(
        live::connect(&live_path(&unknown), None).await.err(),
        Some(404)
    );
    let malformed = live::connect("/api/tickets/not-a-ticket/live", None).await;
    assert_eq!(malformed.err(), Some(404));
}

/// A session token of `user` (a second sign-in), for the WebSocket handshake.
async fn token_of(user: &TestUser) -> String {
    let response = TestClient::anonymous().signin(&user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    session_token(&set_cookie(&response))
}

/// Connects to an order's channel with `token` (or none); the socket, or the
/// HTTP status the handshake was refused with.
async fn watch_order(order: &OrderId, token: Option<&str>) -> Result<Socket, u16> {
    live::connect(&format!("/api/orders/{order}/live"), token).await
}

async fn next_order(socket: &mut Socket) -> Value {
    next_of(socket, "order").await
}

#[tokio::test]
async fn an_order_channel_is_for_its_buyer_only() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let other = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Private", json!(20)).await;
    let order = buyer.reserve(&ticket.id).await;

    assert_eq!(watch_order(&order.id, None).await.err(), Some(401));
    let others = token_of(&other).await;
    assert_eq!(
        watch_order(&order.id, Some(&others)).await.err(),
        Some(401),
        "another user's session"
    );
    let plain = buyer.get(&format!("/api/orders/{}/live", order.id)).await;
    assert_eq!(plain.status(), StatusCode::UPGRADE_REQUIRED);
    let unknown = OrderId::of(&json!({"id": uuid::Uuid::new_v4().to_string()}));
    let mine = token_of(&buyer).await;
    assert_eq!(watch_order(&unknown, Some(&mine)).await.err(), Some(404));

    let mut socket = watch_order(&order.id, Some(&mine))
        .await
        .expect("the buyer's socket");
    let first = next_order(&mut socket).await;
    assert_eq!(first, buyer.order(&order.id).await, "the GET's view first");
    assert_eq!(first["status"], "created");
    let paid = buyer.pay(&order.id, "tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let mut last = next_order(&mut socket).await;
    while last["status"] != "complete" {
        last = next_order(&mut socket).await; // awaiting:payment first
    }
    assert!(last["paymentId"].is_string(), "{last}");
}

#[tokio::test]
async fn an_order_watcher_sees_its_cancel_and_nothing_of_other_orders() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let next_buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Mine only", json!(20)).await;
    let order = buyer.reserve(&ticket.id).await;
    let mut socket = watch_order(&order.id, Some(&token_of(&buyer).await))
        .await
        .expect("the buyer's socket");
    next_order(&mut socket).await;
    assert_eq!(
        buyer.cancel_order(&order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    let cancelled = next_order(&mut socket).await;
    assert_eq!(
        (cancelled["status"].as_str(), cancelled["version"].as_i64()),
        (Some("cancelled"), Some(1))
    );
    // Another buyer's order on the same ticket is not sent to this socket.
    next_buyer.reserve(&ticket.id).await;
    let quiet = tokio::time::timeout(WITHIN, socket.next()).await;
    assert!(quiet.is_err(), "nothing about another order: {quiet:?}");
}

#[tokio::test]
async fn an_order_channel_refuses_a_page_of_another_origin() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Hijacked?", json!(20)).await;
    let order = buyer.reserve(&ticket.id).await;
    let token = token_of(&buyer).await;
    let bearer = format!("Bearer {token}");
    let path = format!("/api/orders/{}/live", order.id);
    for origin in ["https://evil.example", "null"] {
        let refused =
            live::connect_with(&path, &[("authorization", &bearer), ("origin", origin)]).await;
        assert_eq!(refused.err(), Some(403), "{origin}");
    }
    let own = e2e::base_url();
    let mut socket = live::connect_with(&path, &[("authorization", &bearer), ("origin", &own)])
        .await
        .expect("the site's own page connects");
    assert_eq!(next_order(&mut socket).await["status"], "created");
}

#[tokio::test]
async fn anonymous_live_channels_are_capped_per_address() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Crowded", json!(20)).await;
    let address = e2e::unique_address();
    let path = live_path(&ticket.id);
    for i in 0..60 {
        let socket = live::connect_with(&path, &[("cf-connecting-ip", &address)]).await;
        assert!(socket.is_ok(), "socket {i}: {:?}", socket.err());
    }
    let list = live::connect_with("/api/tickets/live", &[("cf-connecting-ip", &address)]).await;
    assert_eq!(list.err(), Some(429), "the 61st, on the list's channel");
    let one_more = live::connect_with(&path, &[("cf-connecting-ip", &address)]).await;
    assert_eq!(one_more.err(), Some(429));
    // Another address, and a signed-in visitor, are not held back.
    let elsewhere = e2e::unique_address();
    assert!(
        live::connect_with(&path, &[("cf-connecting-ip", &elsewhere)])
            .await
            .is_ok()
    );
    let bearer = format!("Bearer {}", token_of(&seller).await);
    assert!(live::connect_with(
        &path,
        &[("cf-connecting-ip", &address), ("authorization", &bearer)]
    )
    .await
    .is_ok());
}

#[tokio::test]
async fn a_bought_ticket_not_for_sale_has_no_public_channel() {
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let listing = seller.create_ticket("Mine alone", json!(20)).await;
    let order = buyer.reserve(&listing.id).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    let mine = e2e::eventually("the bought ticket", || async {
        let owned = buyer.get_json("/api/tickets?owner=me").await;
        owned.as_array()?.first().cloned()
    })
    .await;
    let path = live_path(&TicketId::of(&mine));
    assert_eq!(live::connect(&path, None).await.err(), Some(404));
    let stranger = token_of(&seller).await;
    assert_eq!(live::connect(&path, Some(&stranger)).await.err(), Some(404));
    let owner = token_of(&buyer).await;
    let mut socket = live::connect(&path, Some(&owner))
        .await
        .expect("the owner's");
    let first = next_ticket(&mut socket).await;
    assert_eq!(first["state"], "owned");
    assert_eq!(
        first["paidCents"],
        Value::Null,
        "the channel shows no price paid"
    );
}
