//! One message to many WebSockets (the live channels' watchers).

use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::WebSocket;

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
