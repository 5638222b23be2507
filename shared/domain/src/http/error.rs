//! The one error type of the HTTP API and its mapping to a status and a JSON body.
//!
//! Every worker returns `Result<_, ApiError>`; the edge crate turns it into a
//! response in one place, so the status codes and messages of the original
//! app's contract live here and nowhere else.

use serde::Serialize;
use std::fmt::Display;

/// A message about one input field (or about the request as a whole when
/// `field` is `None`), serialized as `{"message": "...", "field": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            field: Some(field.to_string()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400 with one entry per invalid field.
    Validation(Vec<FieldError>),
    /// 400 with a message about the request as a whole.
    BadRequest(String),
    /// 401: not signed in, or signed in as someone else than the owner.
    NotAuthorized,
    /// 402: the card was declined; the message is the provider's.
    PaymentRequired(String),
    /// 403: refused whoever asks (e.g. a cross-site state-changing request).
    Forbidden(&'static str),
    /// 404 for unknown resources and unknown routes.
    NotFound,
    /// 405: the path exists but not with this method.
    MethodNotAllowed,
    /// 426: a live channel asked for without the WebSocket upgrade.
    UpgradeRequired,
    /// 409: a request with the same Idempotency-Key is still running.
    Conflict(&'static str),
    /// 413: the body is larger than the route accepts.
    PayloadTooLarge { limit: usize },
    /// 415: the body is not JSON.
    UnsupportedMediaType,
    /// 429: an abuse limit is reached; answered with `Retry-After`.
    TooManyRequests {
        message: String,
        retry_after_seconds: u64,
    },
    /// 500: logged in full, answered with a message that leaks nothing.
    Internal(String),
    /// 502: an upstream (the payment provider) failed; safe to retry.
    BadGateway(String),
    /// 503: this service is not set up to do what was asked (payments with no
    /// provider configured); nothing was changed.
    ServiceUnavailable(String),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    errors: &'a [FieldError],
}

impl ApiError {
    pub fn field(field: &str, message: &str) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(cause: impl Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::Validation(_) | ApiError::BadRequest(_) => 400,
            ApiError::NotAuthorized => 401,
            ApiError::PaymentRequired(_) => 402,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::UpgradeRequired => 426,
            ApiError::Conflict(_) => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Internal(_) => 500,
            ApiError::BadGateway(_) => 502,
            ApiError::ServiceUnavailable(_) => 503,
        }
    }

    pub fn errors(&self) -> Vec<FieldError> {
        let general = |message: String| {
            vec![FieldError {
                message,
                field: None,
            }]
        };
        match self {
            ApiError::Validation(errors) => errors.clone(),
            ApiError::BadRequest(message)
            | ApiError::PaymentRequired(message)
            | ApiError::BadGateway(message)
            | ApiError::ServiceUnavailable(message)
            | ApiError::TooManyRequests { message, .. } => general(message.clone()),
            ApiError::NotAuthorized => general("Not authorized".into()),
            ApiError::Forbidden(why) | ApiError::Conflict(why) => general((*why).into()),
            ApiError::NotFound => general("Not found".into()),
            ApiError::MethodNotAllowed => general("Method not allowed".into()),
            ApiError::UpgradeRequired => general(
                "This is a live channel: connect with a WebSocket (Upgrade: websocket)".into(),
            ),
            ApiError::PayloadTooLarge { limit } => {
                general(format!("Request body is larger than {limit} bytes"))
            }
            ApiError::UnsupportedMediaType => {
                general("Request body must be JSON (Content-Type: application/json)".into())
            }
            ApiError::Internal(_) => general("Something went wrong".into()),
        }
    }

    /// The JSON body: `{"errors":[{"message":"...","field":"..."}]}`.
    pub fn body(&self) -> String {
        let errors = self.errors();
        serde_json::to_string(&ErrorBody { errors: &errors })
            .unwrap_or_else(|_| r#"{"errors":[{"message":"Something went wrong"}]}"#.into())
    }
}

impl Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Internal(cause) => write!(f, "internal error: {cause}"),
            other => write!(f, "{} {}", other.status(), other.body()),
        }
    }
}

/// Turns any platform error (storage, bindings, JSON) into a 500.
pub trait OrInternal<T> {
    fn or_internal(self) -> Result<T, ApiError>;
    /// The same, with what was being done, so the 500's log line says which
    /// query or call failed: `.context("orders: locate")?`.
    fn context(self, what: &str) -> Result<T, ApiError>;
}

impl<T, E: Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self) -> Result<T, ApiError> {
        self.map_err(ApiError::internal)
    }

    fn context(self, what: &str) -> Result<T, ApiError> {
        self.map_err(|cause| ApiError::Internal(format!("{what}: {cause}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_name_their_field() {
        let err = ApiError::field("email", "Email must be valid");
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.body(),
            r#"{"errors":[{"message":"Email must be valid","field":"email"}]}"#
        );
    }

    #[test]
    fn general_errors_omit_the_field_instead_of_null() {
        let body = ApiError::BadRequest("Email in use".into()).body();
        assert_eq!(body, r#"{"errors":[{"message":"Email in use"}]}"#);
    }

    #[test]
    fn each_kind_maps_to_its_status() {
        let cases = [
            (ApiError::NotAuthorized, 401),
            (ApiError::PaymentRequired("declined".into()), 402),
            (ApiError::BadGateway("down".into()), 502),
            (ApiError::ServiceUnavailable("not set up".into()), 503),
            (ApiError::Forbidden("x"), 403),
            (ApiError::NotFound, 404),
            (ApiError::MethodNotAllowed, 405),
            (ApiError::UpgradeRequired, 426),
            (ApiError::Conflict("busy"), 409),
            (ApiError::PayloadTooLarge { limit: 10 }, 413),
            (ApiError::UnsupportedMediaType, 415),
            (
                ApiError::TooManyRequests {
                    message: "slow down".into(),
                    retry_after_seconds: 3,
                },
                429,
            ),
            (ApiError::internal("db down"), 500),
        ];
        for (err, status) in cases {
            assert_eq!(err.status(), status, "{err:?}");
        }
    }

    #[test]
    fn log_lines_show_the_cause_or_the_answer() {
        assert_eq!(
            ApiError::internal("D1: locate").to_string(),
            "internal error: D1: locate"
        );
        assert_eq!(
            ApiError::NotFound.to_string(),
            r#"404 {"errors":[{"message":"Not found"}]}"#
        );
    }

    #[test]
    fn internal_errors_leak_nothing() {
        let body = ApiError::internal("D1_ERROR: secret table users").body();
        assert!(!body.contains("users"));
        assert!(body.contains("Something went wrong"));
    }

    #[test]
    fn or_internal_wraps_any_displayable_error() {
        let failed: Result<(), &str> = Err("boom");
        assert_eq!(failed.or_internal(), Err(ApiError::Internal("boom".into())));
        assert_eq!(
            failed.context("orders: locate"),
            Err(ApiError::Internal("orders: locate: boom".into()))
        );
    }
}
