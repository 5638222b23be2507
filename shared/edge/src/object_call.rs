//! Calling a Durable Object: POST a JSON command, read the JSON answer. One
//! way for every object client (`desk_client`, `limits`).

use crate::outbound;
use crate::reply::REQUEST_ID_HEADER;
use domain::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Display;
use worker::{Headers, Method, Request, Response, Stub};

/// Sends `command` to the object behind `stub`, forwarding the request id so
/// the object's log lines carry it. `object` names it in the error of a
/// failed call, built only then (this is every request's path).
pub async fn call<C: Serialize, A: DeserializeOwned>(
    stub: &Stub,
    request_id: &str,
    command: &C,
    object: impl Fn() -> String,
) -> Result<A, ApiError> {
    call_at(stub, "/command", request_id, command, object).await
}

/// [`call`] to another path of the object (its test-only switches).
pub async fn call_at<C: Serialize, A: DeserializeOwned>(
    stub: &Stub,
    path: &str,
    request_id: &str,
    command: &C,
    object: impl Fn() -> String,
) -> Result<A, ApiError> {
    let failed = |cause: &dyn Display| ApiError::internal(format!("{}: {cause}", object()));
    let body = serde_json::to_string(command).map_err(|e| failed(&e))?;
    let answer = exchange(stub, path, request_id, body)
        .await
        .map_err(|cause| failed(&cause))?;
    serde_json::from_str(&answer).map_err(|e| failed(&e))
}

/// The request and its answer's text: apart from the JSON of each command
/// and answer, so that each worker's wasm carries this once, not once per
/// pair of types.
async fn exchange(
    stub: &Stub,
    path: &str,
    request_id: &str,
    body: String,
) -> Result<String, String> {
    let headers = Headers::new();
    headers
        .set(REQUEST_ID_HEADER, request_id)
        .map_err(|e| e.to_string())?;
    let url = format!("https://object{path}");
    let request = outbound::request(Method::Post, &url, &headers, Some(body.into()))
        .map_err(|e| e.to_string())?;
    let mut response = stub
        .fetch_with_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status_code();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("answered {status}: {text}"));
    }
    Ok(text)
}

/// Whether a request asks to become a WebSocket.
pub fn is_websocket_upgrade(req: &Request) -> bool {
    req.headers()
        .get("upgrade")
        .ok()
        .flatten()
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Asks the object behind `stub` for a WebSocket at `path` (with its query):
/// the socket, as a response of our own (the object's has immutable
/// headers), or `None` if the object answered without one (the status).
pub async fn open_socket(stub: &Stub, path: &str) -> Result<Result<Response, u16>, ApiError> {
    let failed = |cause: &dyn Display| ApiError::internal(format!("{path}: {cause}"));
    let headers = Headers::new();
    headers
        .set("upgrade", "websocket")
        .map_err(|e| failed(&e))?;
    let url = format!("https://object{path}");
    let request = outbound::request(Method::Get, &url, &headers, None).map_err(|e| failed(&e))?;
    let response = stub
        .fetch_with_request(request)
        .await
        .map_err(|e| failed(&e))?;
    let status = response.status_code();
    match response.websocket() {
        Some(socket) => Response::from_websocket(socket)
            .map(Ok)
            .map_err(|e| failed(&e)),
        None => Ok(Err(status)),
    }
}
