//! The offline provider for local development: no network. Stripe's test
//! tokens decide the outcome, and ids derive from the idempotency key, so a
//! repeated charge is the same charge, as with Stripe.

use super::{PaymentProvider, ProviderError};
use domain::payments::ChargeOutcome;
use domain::stripe::ChargeRequest;
use sha2::{Digest, Sha256};

pub struct LocalProvider;

fn id_for(prefix: &str, idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_local_{hex}")
}

impl PaymentProvider for LocalProvider {
    fn name(&self) -> &'static str {
        "local"
    }

    async fn charge(
        &self,
        request: &ChargeRequest<'_>,
        idempotency_key: &str,
    ) -> Result<ChargeOutcome, ProviderError> {
        match request.token {
            "tok_visa" | "pm_card_visa" | "tok_mastercard" | "pm_card_mastercard" => {
                Ok(ChargeOutcome::Succeeded {
                    provider_ref: id_for("pi", idempotency_key),
                })
            }
            "tok_chargeDeclined" | "pm_card_chargeDeclined" => Ok(ChargeOutcome::Declined {
                message: "Your card was declined.".into(),
            }),
            "tok_chargeDeclinedInsufficientFunds" | "pm_card_chargeDeclinedInsufficientFunds" => {
                Ok(ChargeOutcome::Declined {
                    message: "Your card has insufficient funds.".into(),
                })
            }
            other => Ok(ChargeOutcome::Declined {
                message: format!(
                    "Unknown test card token {other:?}: use tok_visa or tok_chargeDeclined"
                ),
            }),
        }
    }

    async fn refund(
        &self,
        _provider_ref: &str,
        idempotency_key: &str,
    ) -> Result<String, ProviderError> {
        Ok(id_for("re", idempotency_key))
    }
}
