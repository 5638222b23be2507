//! Building the requests a worker sends (to an object, a service or an API).
//! Through `web_sys` directly: `worker`'s `Request::new_with_init` also
//! converts Cloudflare's `cf` options, which none of our calls set, and that
//! conversion alone cost every worker about 12 KB of wasm.

use wasm_bindgen::JsValue;
use worker::{Headers, Method, Request};

/// A request to `url` with these headers and, unless `None`, this body (a
/// string, or a stream passed on).
pub fn request(
    method: Method,
    url: &str,
    headers: &Headers,
    body: Option<JsValue>,
) -> worker::Result<Request> {
    let init = web_sys::RequestInit::new();
    init.set_method(method.as_ref());
    init.set_headers(headers.as_ref());
    if let Some(body) = body {
        init.set_body(&body);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(|e| {
        worker::Error::JsError(
            e.as_string()
                .unwrap_or_else(|| format!("invalid request to {url}")),
        )
    })?;
    Ok(Request::from(request))
}
