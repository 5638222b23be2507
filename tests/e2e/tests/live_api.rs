//! The ticket's live channel: a WebSocket at `/api/tickets/:id/live` that
//! gives the current state first, then every change as it happens.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{base_url, errors, TestClient, TestUser, TicketId};
use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How soon a change must reach a watcher.
const WITHIN: Duration = Duration::from_secs(1);

fn live_url(ticket: &TicketId) -> String {
    let base = base_url().replacen("http://", "ws://", 1);
    format!("{base}/api/tickets/{ticket}/live")
}

async fn watch(ticket: &TicketId) -> Socket {
    let (socket, response) = tokio_tungstenite::connect_async(live_url(ticket))
        .await
        .expect("a WebSocket");
    assert_eq!(response.status(), 101);
    socket
}

/// The next `ticket` message, within `WITHIN`.
async fn next_ticket(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WITHIN, socket.next())
            .await
            .expect("a message within a second")
            .expect("the socket open")
            .expect("a message");
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(message["type"], "ticket", "{message}");
            return message["ticket"].clone();
        }
    }
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
    let refused = tokio_tungstenite::connect_async(live_url(&unknown)).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 404)
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    let malformed = tokio_tungstenite::connect_async(format!(
        "{}/api/tickets/not-a-ticket/live",
        base_url().replacen("http://", "ws://", 1)
    ))
    .await;
    assert!(
        matches!(malformed, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status() == 404),
        "{malformed:?}"
    );
}
