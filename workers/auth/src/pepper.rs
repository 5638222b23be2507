//! The password pepper (`PASSWORD_PEPPER`, a Workers secret), read once per
//! request. A deploy without it, or with the public example one on a host
//! that is not loopback, refuses sign-up and sign-in with 503 rather than
//! store or check hashes without it (docs/security.md).

use domain::password::{Pepper, PepperRefusal, MIN_PEPPER_BYTES};
use domain::ApiError;
use edge::RequestUrl;
use std::sync::atomic::{AtomicBool, Ordering};
use worker::{Env, Request};

pub const SECRET: &str = "PASSWORD_PEPPER";

/// Set once this isolate has logged why it refuses passwords.
static REFUSAL_LOGGED: AtomicBool = AtomicBool::new(false);

pub fn for_request(env: &Env, req: &Request, request_id: &str) -> Result<Pepper, ApiError> {
    let secret = env.secret(SECRET).ok().map(|s| s.to_string());
    let url = RequestUrl::of(req).ok();
    Pepper::for_host(secret.as_deref(), url.as_ref().map(RequestUrl::host)).map_err(|refusal| {
        if !REFUSAL_LOGGED.swap(true, Ordering::Relaxed) {
            let (event, cause) = match refusal {
                PepperRefusal::Missing => (
                    "password_pepper_missing",
                    "PASSWORD_PEPPER is not set: wrangler secret put PASSWORD_PEPPER".to_string(),
                ),
                PepperRefusal::Example => (
                    "example_password_pepper_refused",
                    "PASSWORD_PEPPER is the public one of .dev.vars.example, honoured only \
                     on loopback hosts: wrangler secret put PASSWORD_PEPPER"
                        .to_string(),
                ),
                PepperRefusal::TooShort => (
                    "password_pepper_too_short",
                    format!("PASSWORD_PEPPER must be at least {MIN_PEPPER_BYTES} bytes"),
                ),
            };
            edge::log::error(request_id, event, &cause);
        }
        ApiError::ServiceUnavailable("Passwords are not configured".into())
    })
}
