//! A client of the live channels (docs/live.md): WebSockets through the site.

use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Error, Message};

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How soon a change must reach a watcher.
pub const WITHIN: Duration = Duration::from_secs(1);

/// Opens the channel at `path` (with its query) with `token` as the session,
/// if any: the socket, or the HTTP status the handshake was refused with.
pub async fn connect(path: &str, token: Option<&str>) -> Result<Socket, u16> {
    let authorization = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("authorization", value.as_str()))
        .collect();
    connect_with(path, &headers).await
}

/// [`connect`] with these headers (`origin`, `cf-connecting-ip`, …).
pub async fn connect_with(path: &str, headers: &[(&str, &str)]) -> Result<Socket, u16> {
    let url = crate::base_url().replacen("http://", "ws://", 1) + path;
    let mut request = url.into_client_request().expect("a request");
    for (name, value) in headers {
        let name: tokio_tungstenite::tungstenite::http::HeaderName =
            name.parse().expect("a header name");
        request
            .headers_mut()
            .insert(name, value.parse().expect("a header value"));
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(Error::Http(response)) => Err(response.status().as_u16()),
        Err(e) => panic!("{path}: {e}"),
    }
}

/// The channel at `path`, which must open.
pub async fn open(path: &str) -> Socket {
    connect(path, None)
        .await
        .unwrap_or_else(|status| panic!("{path} answered {status}"))
}

/// The next message within `WITHIN`, which must be of `kind` (`ticket`,
/// `order`, `listed`): the view it carries.
pub async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    let (found, view) = next(socket).await;
    assert_eq!(found, kind, "{view}");
    view
}

/// The next message within `WITHIN`: its type and the view it carries.
pub async fn next(socket: &mut Socket) -> (String, Value) {
    next_within(socket, WITHIN)
        .await
        .expect("a message within a second")
}

/// The next message within `within`, if one comes: its type and its view.
pub async fn next_within(socket: &mut Socket, within: Duration) -> Option<(String, Value)> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let message = tokio::time::timeout_at(deadline, futures::StreamExt::next(socket))
            .await
            .ok()?
            .expect("the socket open")
            .expect("a message");
        if let Message::Text(text) = message {
            let message: Value = serde_json::from_str(&text).expect("JSON");
            let kind = message["type"].as_str().expect("a type").to_string();
            let view = message.get(if kind == "listed" { "ticket" } else { &kind });
            return Some((kind.clone(), view.cloned().unwrap_or(Value::Null)));
        }
    }
}
