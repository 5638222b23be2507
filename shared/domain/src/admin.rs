//! The operator's routes (dead letters, read-model repair) are open to a
//! bearer of the `ADMIN_TOKEN` secret only. No token configured: the routes
//! answer 503, so a deploy that forgot the secret is not open to everyone.

use crate::ApiError;
use subtle::ConstantTimeEq;

/// Checks an `Authorization` header against the configured token, in
/// constant time.
pub fn authorize(configured: Option<&str>, authorization: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = configured.filter(|t| !t.is_empty()) else {
        return Err(ApiError::ServiceUnavailable(
            "Admin routes are not configured (no ADMIN_TOKEN secret)".into(),
        ));
    };
    let presented = authorization
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    if presented.as_bytes().ct_eq(token.as_bytes()).into() {
        Ok(())
    } else {
        Err(ApiError::NotAuthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_bearer_token_is_let_in() {
        assert_eq!(authorize(Some("s3cret"), Some("Bearer s3cret")), Ok(()));
        for wrong in [
            None,
            Some("s3cret"),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
        ] {
            assert_eq!(
                authorize(Some("s3cret"), wrong),
                Err(ApiError::NotAuthorized),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn without_a_configured_token_nobody_is() {
        for configured in [None, Some("")] {
            assert_eq!(
                authorize(configured, Some("Bearer ")).unwrap_err().status(),
                503
            );
        }
    }
}
