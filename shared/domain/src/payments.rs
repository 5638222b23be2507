//! Payments: the record of a successful charge, and what a provider answers.

use crate::ids::OrderId;
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// A successful charge for an order. Created once, never changed (a refund
/// is recorded beside it by the payments service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    pub id: String,
    pub order_id: OrderId,
    pub user_id: String,
    #[serde(rename = "amountCents")]
    pub amount: Cents,
    pub currency: String,
    /// `stripe` or `local`.
    pub provider: String,
    /// The provider's id for the charge (a PaymentIntent id).
    pub provider_ref: String,
}

/// The provider's idempotency key for one payment attempt on an order. The
/// attempt is the order's version once it is `awaiting:payment`: concurrent
/// or retried requests during one attempt share it and so charge once, while
/// a new attempt after a decline gets a new key (providers replay a cached
/// decline for a reused key).
pub fn charge_idempotency_key(order_id: &OrderId, attempt_version: u64) -> String {
    format!("order-{order_id}-charge-v{attempt_version}")
}

pub fn refund_idempotency_key(provider_ref: &str) -> String {
    format!("refund-{provider_ref}")
}

/// What a provider says about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded { provider_ref: String },
    Declined { message: String },
}
