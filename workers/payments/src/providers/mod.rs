//! The payment providers: Stripe for real money, and a local provider that
//! needs no network (Stripe's test tokens decide the outcome).
//!
//! An enum, not a trait: the provider is chosen once per request from the
//! settings (`config.rs`), nothing is generic over it, and the
//! reconciliation needs what only Stripe has (its list of PaymentIntents),
//! so callers match on the variant anyway.

mod local;
mod stripe;

pub use local::LocalProvider;
pub use stripe::StripeProvider;

use domain::http::stripe::ChargeRequest;
use domain::payments::ChargeOutcome;

/// A provider gave no answer about the charge or refund.
#[derive(Debug)]
pub enum ProviderError {
    /// The request may have been carried out (network error, 5xx after
    /// retries, Stripe's 409 for a request with this key still running):
    /// only the webhook, a retry with the same key or the lost-payment
    /// timeout can tell.
    OutcomeUnknown(String),
    /// The provider refused the request itself (a 4xx): nothing happened.
    Refused(String),
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProviderError::OutcomeUnknown(message) | ProviderError::Refused(message) => {
                f.write_str(message)
            }
        }
    }
}

/// The configured provider.
pub enum Provider {
    Local(LocalProvider),
    Stripe(StripeProvider),
}

impl Provider {
    /// As the payment rows record it.
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Local(_) => "local",
            Provider::Stripe(_) => "stripe",
        }
    }

    /// Charges once per `idempotency_key`, however often it is called.
    pub async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        match self {
            Provider::Local(p) => Ok(p.charge(request, idempotency_key)),
            Provider::Stripe(p) => p.charge(request, idempotency_key).await,
        }
    }

    /// Refunds a charge in full; returns the refund's id.
    pub async fn refund(
        &self,
        provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        match self {
            Provider::Local(p) => Ok(p.refund(idempotency_key)),
            Provider::Stripe(p) => p.refund(provider_ref, idempotency_key).await,
        }
    }
}
