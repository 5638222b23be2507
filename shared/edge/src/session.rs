//! The current user of a request, read the same way by every worker.

use crate::RequestUrl;
use domain::http::session::{
    key_allowed_for_host, session_token, CurrentUser, SessionKey, DEFAULT_SESSION_TTL_SECONDS,
};
use domain::ApiError;
use std::sync::atomic::{AtomicBool, Ordering};
use worker::{Env, Request};

/// Set once this isolate has logged that it refuses the example key.
static EXAMPLE_KEY_LOGGED: AtomicBool = AtomicBool::new(false);

/// Session settings, read once per request from the worker's environment.
pub struct SessionConfig {
    pub key: SessionKey,
    pub ttl_seconds: i64,
}

impl SessionConfig {
    /// The settings for `req`: 503 "Sessions are not configured" when
    /// `JWT_KEY` is the public example key and the request is not to a
    /// loopback host (a deploy that forgot `wrangler secret put JWT_KEY`).
    pub fn for_request(env: &Env, req: &Request, request_id: &str) -> Result<Self, ApiError> {
        let secret = env.secret("JWT_KEY").map(|s| s.to_string()).map_err(|_| {
            ApiError::internal("JWT_KEY is not set (copy .dev.vars.example to .dev.vars)")
        })?;
        let url = RequestUrl::of(req).ok();
        if !key_allowed_for_host(&secret, url.as_ref().map(RequestUrl::host)) {
            if !EXAMPLE_KEY_LOGGED.swap(true, Ordering::Relaxed) {
                crate::log::error(
                    request_id,
                    "example_session_key_refused",
                    "JWT_KEY is the public key of .dev.vars.example, honoured only on \
                     loopback hosts: set a secret (wrangler secret put JWT_KEY)",
                );
            }
            return Err(ApiError::ServiceUnavailable(
                "Sessions are not configured".into(),
            ));
        }
        let key = SessionKey::new(secret.as_bytes())
            .map_err(|_| ApiError::internal("JWT_KEY must be at least 32 bytes"))?;
        let ttl_seconds =
            crate::config::positive_number(env, "SESSION_TTL_SECONDS", DEFAULT_SESSION_TTL_SECONDS);
        Ok(Self { key, ttl_seconds })
    }

    /// The signed-in user, or `None` for no, bad or expired tokens.
    pub fn current_user(&self, req: &Request) -> Option<CurrentUser> {
        let headers = req.headers();
        let authorization = headers.get("authorization").ok().flatten();
        let cookie = headers.get("cookie").ok().flatten();
        let secure = RequestUrl::of(req).is_ok_and(|url| cookie_must_be_secure(&url));
        let token = session_token(authorization.as_deref(), cookie.as_deref(), secure)?;
        self.key.current_user(token, crate::now_seconds())
    }

    /// The signed-in user, or 401.
    pub fn require_user(&self, req: &Request) -> Result<CurrentUser, ApiError> {
        self.current_user(req).ok_or(ApiError::NotAuthorized)
    }
}

/// Secure (and `__Host-` prefixed) cookies everywhere except plain-HTTP
/// localhost, where a browser would refuse to store them.
pub fn cookie_must_be_secure(url: &RequestUrl) -> bool {
    let loopback = matches!(url.host(), "localhost" | "127.0.0.1" | "[::1]");
    !(url.scheme() == "http" && loopback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_localhost_gets_insecure_cookies() {
        let secure = |u: &str| cookie_must_be_secure(&RequestUrl::parse(u).unwrap());
        assert!(!secure("http://127.0.0.1:8788/api/users/signin"));
        assert!(!secure("http://localhost:8788/"));
        assert!(secure("https://localhost:8788/"));
        assert!(secure("https://tickets.example.com/"));
        assert!(secure("http://tickets.example.com/"));
    }
}
