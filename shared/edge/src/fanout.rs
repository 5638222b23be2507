//! The live channels' watchers: one message to many WebSockets, and their
//! pings.

use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{State, WebSocket};

/// Watchers' pings (`ping`) get `pong` from the platform without waking the
/// object, so idle connections cost nothing between changes.
pub fn answer_pings(state: &State) {
    if let Ok(pair) = worker::worker_sys::WebSocketRequestResponsePair::new("ping", "pong") {
        state.set_websocket_auto_response(&pair);
    }
}

/// Sends `text` to every socket. The text becomes a JS string once, not once
/// per socket (a change of a watched ticket goes to thousands). A socket that
/// cannot take it has gone; the platform closes it.
pub fn send_to_all<'a>(sockets: impl IntoIterator<Item = &'a WebSocket>, text: &str) {
    let text = JsValue::from_str(text);
    let mut send: Option<Function> = None;
    for socket in sockets {
        let socket: &JsValue = AsRef::<worker::web_sys::WebSocket>::as_ref(socket).as_ref();
        if send.is_none() {
            // Every socket shares its prototype's `send`.
            send = Reflect::get(socket, &JsValue::from_str("send"))
                .ok()
                .and_then(|f| f.dyn_into().ok());
        }
        if let Some(send) = &send {
            let _ = send.call1(socket, &text);
        }
    }
}

/// A watcher closed its socket: close our side, which completes the
/// handshake (the platform forgets the socket).
pub fn close_closed(ws: &WebSocket) {
    let _ = ws.close(Some(1000), Some("closed"));
}

/// A watcher's socket failed: close it.
pub fn close_failed(ws: &WebSocket) {
    let _ = ws.close(Some(1011), Some("error"));
}
