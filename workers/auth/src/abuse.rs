//! Abuse limits on sign-in and sign-up, checked before any password hashing:
//! requests per client address, and failed sign-ins per email (from one
//! address, and from all). Values are settings (docs/security.md).

use domain::limits::{ClientAddress, SigninLimits};
use domain::users::Email;
use domain::ApiError;
use edge::config::{positive_count, positive_number};
use edge::limits::Limiter;
use edge::router::Ctx;
use worker::Env;

const TOO_MANY_REQUESTS: &str = "Too many requests from your address; try again shortly";
const TOO_MANY_FAILURES: &str = "Too many failed sign-in attempts; try again later";

pub struct AbuseLimits {
    limits: SigninLimits,
    address: Option<ClientAddress>,
    env: Env,
    request_id: String,
}

/// A sign-in attempt counted as a failure until `succeeded` gives it back.
pub struct Attempt {
    limiter: Limiter,
    key: String,
}

fn settings(env: &Env) -> SigninLimits {
    let d = SigninLimits::DEFAULT;
    let number = |name, default| positive_count(env, name, default);
    SigninLimits {
        failures_per_email_and_address: number(
            "SIGNIN_FAILURES_PER_EMAIL_AND_ADDRESS",
            d.failures_per_email_and_address,
        ),
        failures_per_email: number("SIGNIN_FAILURES_PER_EMAIL", d.failures_per_email),
        failure_window_ms: positive_number(
            env,
            "SIGNIN_FAILURE_WINDOW_SECONDS",
            d.failure_window_ms / 1000,
        ) * 1000,
        requests_per_address: number(
            "AUTH_REQUESTS_PER_ADDRESS_PER_MINUTE",
            d.requests_per_address,
        ),
        request_window_ms: d.request_window_ms,
    }
}

impl AbuseLimits {
    pub fn for_request(cx: &Ctx) -> Self {
        Self {
            limits: settings(&cx.env),
            address: edge::limits::client_address(&cx.req),
            env: cx.env.clone(),
            request_id: cx.request_id.clone(),
        }
    }

    /// Counts one sign-in or sign-up request from the client's address
    /// (429 past the limit); nothing to count without an address.
    pub async fn count_request(&self) -> Result<(), ApiError> {
        let Some(address) = &self.address else {
            return Ok(());
        };
        let name = SigninLimits::address_object(address);
        let command = self.limits.request(&new_key(), edge::now_ms());
        self.limiter(name)?
            .take(&command, || TOO_MANY_REQUESTS.into())
            .await
            .map(drop)
    }

    /// Counts a sign-in to `email` as failed before the password is checked
    /// (429 when the email's limits are reached).
    pub async fn start_attempt(&self, email: &Email) -> Result<Attempt, ApiError> {
        let limiter = self.limiter(SigninLimits::email_object(email.as_str()))?;
        let key = new_key();
        let command = self
            .limits
            .attempt(&key, self.address.as_ref(), edge::now_ms());
        limiter.take(&command, || TOO_MANY_FAILURES.into()).await?;
        Ok(Attempt { limiter, key })
    }

    fn limiter(&self, name: String) -> Result<Limiter, ApiError> {
        Limiter::named(&self.env, name, &self.request_id)
    }
}

impl Attempt {
    /// The password was right: this attempt is not a failure. If giving it
    /// back fails, the sign-in still succeeds; the entry expires by itself.
    pub async fn succeeded(self, request_id: &str) {
        if let Err(e) = self.limiter.give_back(&self.key).await {
            edge::log::error(
                request_id,
                "signin_attempt_give_back_failed",
                &e.to_string(),
            );
        }
    }
}

fn new_key() -> String {
    uuid::Uuid::new_v4().to_string()
}
