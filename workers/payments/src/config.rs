//! Payment settings, read once per request.

use crate::providers::{LocalProvider, Provider, StripeProvider};
use domain::payments::{NotConfigured, ProviderChoice};
use domain::ApiError;
use edge::config::setting;
use edge::RequestUrl;
use std::sync::atomic::{AtomicBool, Ordering};
use worker::{Env, Request};

pub struct PaymentsConfig {
    pub provider: Provider,
    pub currency: String,
    pub webhook_secret: Option<String>,
    /// How long a charge may wait for the buyer's 3-D Secure authentication.
    pub authentication_window_ms: i64,
    /// How long the order waits for a charge's outcome before the alarm
    /// gives up on it (the lost-payment timeout): longer than the provider
    /// call with its retries can take.
    pub payment_timeout_ms: i64,
}

/// Ten minutes to authenticate with the card's issuer, by default.
const DEFAULT_AUTHENTICATION_WINDOW_SECONDS: i64 = 600;

/// Set once this isolate has logged why payments are not configured: the
/// reason is the same for every request, so it is logged once, not per request.
static NOT_CONFIGURED_LOGGED: AtomicBool = AtomicBool::new(false);

impl PaymentsConfig {
    /// The settings for a request, or 503 "Payments are not configured"
    /// when no provider is (see `ProviderChoice`): a deployed copy never
    /// falls back to the local provider, which serves loopback hosts only.
    pub fn for_request(req: &Request, env: &Env, request_id: &str) -> Result<Self, ApiError> {
        let url = RequestUrl::of(req)?;
        Self::from_env(env, request_id, Some(url.host()))
    }

    /// The settings for a scheduled run, which has no host: the local
    /// provider is refused there.
    pub fn for_cron(env: &Env, request_id: &str) -> Result<Self, ApiError> {
        Self::from_env(env, request_id, None)
    }

    fn from_env(env: &Env, request_id: &str, host: Option<&str>) -> Result<Self, ApiError> {
        let choice = ProviderChoice::from_settings(
            setting(env, "PAYMENT_PROVIDER").as_deref(),
            setting(env, "STRIPE_SECRET_KEY").as_deref(),
            host,
        )
        .inspect_err(|NotConfigured(reason)| {
            if !NOT_CONFIGURED_LOGGED.swap(true, Ordering::Relaxed) {
                edge::log::error(request_id, "payments_not_configured", reason);
            }
        })?;
        let payment_timeout_ms = edge::config::positive_number(
            env,
            "PAYMENT_TIMEOUT_SECONDS",
            domain::desk::PAYMENT_TIMEOUT_MS / 1000,
        ) * 1000;
        let provider = match choice {
            ProviderChoice::Local => Provider::Local(LocalProvider),
            ProviderChoice::Stripe { secret_key } => Provider::Stripe(StripeProvider {
                api_base: setting(env, "STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".into()),
                secret_key,
                payment_timeout_ms,
            }),
        };
        Ok(Self {
            provider,
            // The currency the pages show prices in, never a setting of its
            // own: a free-form one could charge in another unit than shown.
            currency: domain::money::CURRENCY.to_string(),
            webhook_secret: setting(env, "STRIPE_WEBHOOK_SECRET"),
            authentication_window_ms: edge::config::positive_number(
                env,
                "AUTHENTICATION_WINDOW_SECONDS",
                DEFAULT_AUTHENTICATION_WINDOW_SECONDS,
            ) * 1000,
            payment_timeout_ms,
        })
    }
}
