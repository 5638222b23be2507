//! Reading fields out of a JSON body, the same way for every request type:
//! each field fails with its own message, and all failures are reported at once.

use crate::http::error::{ApiError, FieldError};
use serde_json::Value;

/// A body field as text: a missing field or one of another JSON type reads as
/// empty, so it fails the field's own rule with the field's own message.
pub fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body.get(field).and_then(Value::as_str).unwrap_or("")
}

/// A text field that must be present and not blank, trimmed.
pub fn required<'a>(body: &'a Value, field: &str, message: &str) -> Result<&'a str, FieldError> {
    Some(text(body, field).trim())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| FieldError::new(field, message))
}

/// Both fields, or every field error at once.
pub fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> Result<(A, B), ApiError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(ApiError::Validation(
            [a.err(), b.err()].into_iter().flatten().collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn required_fields_are_trimmed_text() {
        let body = json!({"a": "  x ", "b": "  ", "c": 5});
        assert_eq!(required(&body, "a", "A!"), Ok("x"));
        for field in ["b", "c", "missing"] {
            assert_eq!(
                required(&body, field, "needed"),
                Err(FieldError::new(field, "needed"))
            );
        }
    }

    #[test]
    fn both_reports_every_failure() {
        let a: Result<(), _> = Err(FieldError::new("a", "A!"));
        let b: Result<(), _> = Err(FieldError::new("b", "B!"));
        assert_eq!(
            both(a.clone(), b),
            Err(ApiError::Validation(vec![
                FieldError::new("a", "A!"),
                FieldError::new("b", "B!")
            ]))
        );
        assert_eq!(
            both(a, Ok(())),
            Err(ApiError::Validation(vec![FieldError::new("a", "A!")]))
        );
        assert_eq!(both::<_, ()>(Ok(1), Ok(())), Ok((1, ())));
    }
}
