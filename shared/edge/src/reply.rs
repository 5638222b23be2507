//! Turning handler results into responses, in one place.

use crate::{log, ApiResult};
use domain::{ApiError, OrInternal};
use serde::Serialize;
use worker::{Request, Response};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The caller's request id if it looks like one (the Pages worker forwards
/// its own), else a new one.
pub fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .ok()
        .flatten()
        .filter(|id| is_plausible_id(id))
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

fn is_plausible_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

pub fn json<T: Serialize>(status: u16, body: &T) -> ApiResult {
    Ok(Response::from_json(body).or_internal()?.with_status(status))
}

/// A JSON body already serialized (a stored answer, replayed).
pub fn json_text(status: u16, body: String) -> ApiResult {
    let response = Response::ok(body).or_internal()?.with_status(status);
    response
        .headers()
        .set("content-type", "application/json")
        .or_internal()?;
    Ok(response)
}

pub fn empty(status: u16) -> ApiResult {
    Ok(Response::empty().or_internal()?.with_status(status))
}

pub fn error_response(err: &ApiError) -> worker::Result<Response> {
    let response = Response::ok(err.body())?.with_status(err.status());
    response.headers().set("content-type", "application/json")?;
    if let ApiError::TooManyRequests {
        retry_after_seconds,
        ..
    } = err
    {
        response
            .headers()
            .set("retry-after", &retry_after_seconds.to_string())?;
    }
    Ok(response)
}

/// Headers of every API response: no content sniffing, and no caching
/// anywhere (answers hold personal data: orders, payments, the current user).
pub const API_HEADERS: [(&str, &str); 2] = [
    ("x-content-type-options", "nosniff"),
    ("cache-control", "no-store"),
];

/// Maps errors to the JSON error body, logs internal ones, and tags every
/// response with the request id and the `API_HEADERS`.
pub fn finish(result: ApiResult, request_id: &str) -> worker::Result<Response> {
    let response = match result {
        Ok(response) => response,
        Err(err) => {
            if let ApiError::Internal(cause) = &err {
                log::error(request_id, "internal_error", cause);
            }
            error_response(&err)?
        }
    };
    response.headers().set(REQUEST_ID_HEADER, request_id)?;
    for (name, value) in API_HEADERS {
        response.headers().set(name, value)?;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::is_plausible_id;

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(is_plausible_id("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e"));
        assert!(!is_plausible_id(""));
        assert!(!is_plausible_id("a\nb"));
        assert!(!is_plausible_id(&"a".repeat(65)));
    }
}
