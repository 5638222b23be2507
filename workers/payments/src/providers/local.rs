//! The offline provider for local development: no network. Stripe's test
//! tokens decide the outcome, and ids derive from the idempotency key, so a
//! repeated charge is the same charge, as with Stripe.

use domain::http::stripe::ChargeRequest;
use domain::payments::ChargeOutcome;
use sha2::{Digest, Sha256};

/// Offline, so it always answers: its calls cannot fail.
pub struct LocalProvider;

fn id_for(prefix: &str, idempotency_key: &str) -> String {
    let digest = Sha256::digest(idempotency_key.as_bytes());
    let hex: String = digest.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}_local_{hex}")
}

impl LocalProvider {
    pub fn charge(&self, request: &ChargeRequest<'_>, idempotency_key: &str) -> ChargeOutcome {
        match request.token {
            "tok_visa" | "pm_card_visa" | "tok_mastercard" | "pm_card_mastercard" => {
                ChargeOutcome::Succeeded {
                    provider_ref: id_for("pi", idempotency_key),
                }
            }
            "tok_chargeDeclined" | "pm_card_chargeDeclined" => ChargeOutcome::Declined {
                message: "Your card was declined.".into(),
            },
            "tok_chargeDeclinedInsufficientFunds" | "pm_card_chargeDeclinedInsufficientFunds" => {
                ChargeOutcome::Declined {
                    message: "Your card has insufficient funds.".into(),
                }
            }
            other => ChargeOutcome::Declined {
                message: format!(
                    "Unknown test card token {other:?}: use tok_visa or tok_chargeDeclined"
                ),
            },
        }
    }

    /// The refund's id; there is no charge to look up.
    pub fn refund(&self, idempotency_key: &str) -> String {
        id_for("re", idempotency_key)
    }
}
