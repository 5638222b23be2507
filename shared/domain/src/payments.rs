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

/// The provider's idempotency key for an order's charge: every attempt to pay
/// one order, concurrent or retried, is the same charge to the provider.
pub fn charge_idempotency_key(order_id: &OrderId) -> String {
    format!("order-{order_id}-charge")
}

pub fn refund_idempotency_key(order_id: &OrderId) -> String {
    format!("order-{order_id}-refund")
}

/// What a provider says about a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded { provider_ref: String },
    Declined { message: String },
}
