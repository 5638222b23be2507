//! Payment settings, read once per request.

use crate::providers::{LocalProvider, Provider, StripeProvider};
use domain::ApiError;
use worker::Env;

pub struct PaymentsConfig {
    pub provider: Provider,
    pub currency: String,
    pub webhook_secret: Option<String>,
}

fn text(env: &Env, name: &str) -> Option<String> {
    env.secret(name)
        .map(|s| s.to_string())
        .or_else(|_| env.var(name).map(|v| v.to_string()))
        .ok()
        .filter(|v| !v.trim().is_empty())
}

impl PaymentsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        let provider = match text(env, "PAYMENT_PROVIDER").as_deref().unwrap_or("local") {
            "local" => Provider::Local(LocalProvider),
            "stripe" => Provider::Stripe(StripeProvider {
                api_base: text(env, "STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".into()),
                secret_key: text(env, "STRIPE_SECRET_KEY").ok_or_else(|| {
                    ApiError::internal("PAYMENT_PROVIDER=stripe needs the STRIPE_SECRET_KEY secret")
                })?,
            }),
            other => {
                return Err(ApiError::internal(format!(
                    "PAYMENT_PROVIDER {other:?} is neither local nor stripe"
                )))
            }
        };
        Ok(Self {
            provider,
            currency: text(env, "PAYMENT_CURRENCY")
                .unwrap_or_else(|| "usd".into())
                .to_lowercase(),
            webhook_secret: text(env, "STRIPE_WEBHOOK_SECRET"),
        })
    }
}
