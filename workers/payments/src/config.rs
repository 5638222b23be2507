//! Payment settings, read once per request.

use crate::providers::{LocalProvider, Provider, StripeProvider};
use domain::ApiError;
use edge::config::setting;
use worker::Env;

pub struct PaymentsConfig {
    pub provider: Provider,
    pub currency: String,
    pub webhook_secret: Option<String>,
}

impl PaymentsConfig {
    pub fn from_env(env: &Env) -> Result<Self, ApiError> {
        let provider = match setting(env, "PAYMENT_PROVIDER")
            .as_deref()
            .unwrap_or("local")
        {
            "local" => Provider::Local(LocalProvider),
            "stripe" => Provider::Stripe(StripeProvider {
                api_base: setting(env, "STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".into()),
                secret_key: setting(env, "STRIPE_SECRET_KEY").ok_or_else(|| {
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
            currency: setting(env, "PAYMENT_CURRENCY")
                .unwrap_or_else(|| "usd".into())
                .to_lowercase(),
            webhook_secret: setting(env, "STRIPE_WEBHOOK_SECRET"),
        })
    }
}
