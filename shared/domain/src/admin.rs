//! The operator's routes (dead letters, read-model repair) are open to a
//! bearer of the `ADMIN_TOKEN` secret only. No token configured, a token
//! shorter than 32 bytes, or the public example token of `.dev.vars.example`
//! on a host that is not loopback: the routes answer 503, so a deploy that
//! forgot the secret (or copied the example) is not open to everyone.

use crate::http::session::is_loopback_host;
use crate::ApiError;
use subtle::ConstantTimeEq;

/// The token of `.dev.vars.example`: public, so honoured on loopback only.
pub const EXAMPLE_TOKEN: &str = "local-admin-token-change-me-0123456789abcdef";

/// A token shorter than this is guessable enough to refuse outright.
pub const MIN_TOKEN_BYTES: usize = 32;

/// Checks an `Authorization` header against the configured token, in
/// constant time, for a request to `host`.
pub fn authorize(
    configured: Option<&str>,
    authorization: Option<&str>,
    host: Option<&str>,
) -> Result<(), ApiError> {
    let not_configured = |why: &str| {
        ApiError::ServiceUnavailable(format!("Admin routes are not configured ({why})"))
    };
    let Some(token) = configured.filter(|t| !t.is_empty()) else {
        return Err(not_configured("no ADMIN_TOKEN secret"));
    };
    if token.len() < MIN_TOKEN_BYTES {
        return Err(not_configured("ADMIN_TOKEN must be at least 32 bytes"));
    }
    if token == EXAMPLE_TOKEN && !host.is_some_and(is_loopback_host) {
        return Err(not_configured("ADMIN_TOKEN is the public example token"));
    }
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

    const TOKEN: &str = "s3cret-s3cret-s3cret-s3cret-s3cret";
    const HOST: Option<&str> = Some("tickets.example.com");

    #[test]
    fn only_the_configured_bearer_token_is_let_in() {
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(authorize(Some(TOKEN), Some(&bearer), HOST), Ok(()));
        let (short, long) = (&bearer[..bearer.len() - 1], format!("{bearer}2"));
        for wrong in [None, Some(TOKEN), Some(short), Some(long.as_str())] {
            assert_eq!(
                authorize(Some(TOKEN), wrong, HOST),
                Err(ApiError::NotAuthorized),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn without_a_configured_token_nobody_is() {
        for configured in [None, Some("")] {
            assert_eq!(
                authorize(configured, Some("Bearer "), HOST)
                    .unwrap_err()
                    .status(),
                503
            );
        }
    }

    #[test]
    fn a_short_token_lets_nobody_in() {
        let short = &TOKEN[..31];
        let refused = authorize(Some(short), Some(&format!("Bearer {short}")), HOST);
        assert_eq!(
            refused,
            Err(ApiError::ServiceUnavailable(
                "Admin routes are not configured (ADMIN_TOKEN must be at least 32 bytes)".into()
            ))
        );
        let just_long_enough = &TOKEN[..32];
        let bearer = format!("Bearer {just_long_enough}");
        assert_eq!(
            authorize(Some(just_long_enough), Some(&bearer), HOST),
            Ok(())
        );
    }

    #[test]
    fn the_example_token_works_on_loopback_hosts_only() {
        let bearer = format!("Bearer {EXAMPLE_TOKEN}");
        for host in ["127.0.0.1", "localhost"] {
            assert_eq!(
                authorize(Some(EXAMPLE_TOKEN), Some(&bearer), Some(host)),
                Ok(())
            );
        }
        for host in [HOST, None] {
            assert_eq!(
                authorize(Some(EXAMPLE_TOKEN), Some(&bearer), host)
                    .unwrap_err()
                    .status(),
                503
            );
        }
    }

    #[test]
    fn the_example_token_is_the_one_of_the_example_file() {
        let example = include_str!("../../../.dev.vars.example");
        assert!(example.contains(&format!("\nADMIN_TOKEN={EXAMPLE_TOKEN}\n")));
    }
}
