//! Payment providers behind one trait: Stripe for real money, and a local
//! provider that needs no network (Stripe's test tokens decide the outcome).

mod local;
mod stripe;

pub use local::LocalProvider;
pub use stripe::StripeProvider;

use domain::payments::ChargeOutcome;
use domain::stripe::ChargeRequest;

/// A provider gave no answer about the charge or refund.
#[derive(Debug)]
pub struct ProviderError {
    pub message: String,
    /// The request may have been carried out (network error, 5xx after
    /// retries, Stripe's 409 for a request with this key still running):
    /// only the webhook, a retry with the same key or the lost-payment
    /// timeout can tell. False when the provider refused the request itself
    /// (a 4xx), so that nothing happened.
    pub outcome_unknown: bool,
}

impl ProviderError {
    pub fn unknown(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            outcome_unknown: true,
        }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            outcome_unknown: false,
        }
    }
}

impl std::fmt::Display for ProviderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[allow(async_fn_in_trait)] // single-threaded wasm: no Send bound wanted
pub trait PaymentProvider {
    fn name(&self) -> &'static str;
    /// Charges once per `idempotency_key`, however often it is called.
    async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError>;
    /// Refunds a charge in full; returns the refund's id.
    async fn refund(
        &self,
        provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError>;
}

/// The configured provider.
pub enum Provider {
    Local(LocalProvider),
    Stripe(StripeProvider),
}

impl PaymentProvider for Provider {
    fn name(&self) -> &'static str {
        match self {
            Provider::Local(p) => p.name(),
            Provider::Stripe(p) => p.name(),
        }
    }

    async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        match self {
            Provider::Local(p) => p.charge(request, idempotency_key).await,
            Provider::Stripe(p) => p.charge(request, idempotency_key).await,
        }
    }

    async fn refund(
        &self,
        provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        match self {
            Provider::Local(p) => p.refund(provider_ref, idempotency_key).await,
            Provider::Stripe(p) => p.refund(provider_ref, idempotency_key).await,
        }
    }
}
