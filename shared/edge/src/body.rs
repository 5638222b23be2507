//! Request bodies: JSON only, bounded in size, never a 5xx.

use domain::ApiError;
use futures_util::StreamExt;
use serde_json::Value;
use worker::Request;

/// Bodies above this are refused with 413 before being parsed.
pub const DEFAULT_LIMIT: usize = 16 * 1024;

/// Reads the body as JSON. An empty body reads as `{}` so that the route's
/// own validation names the missing fields.
pub async fn read_json(req: &mut Request, limit: usize) -> Result<Value, ApiError> {
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|len| len.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let bytes = read_at_most(req, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let content_type = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if !is_json(&content_type) {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::BadRequest("Request body must be valid JSON".into()))
}

/// The body's bytes, read as they stream in and cut off with 413 as soon as
/// they pass `limit`: a chunked body names no length, and reading it whole
/// first would let one request fill the isolate's memory.
async fn read_at_most(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    // No body at all: nothing to read.
    let Ok(mut stream) = req.stream() else {
        return Ok(Vec::new());
    };
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest("Unreadable request body".into()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Reads a call between our own workers and objects (a command, a change):
/// trusted JSON, read with `serde_json`. (`worker`'s `Request::json` goes
/// through JS values, a second reader of every command type in the wasm.)
pub async fn read_internal<T: serde::de::DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    Ok(serde_json::from_str(&req.text().await?)?)
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn accepts_json_media_types_only() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json(""));
    }
}
