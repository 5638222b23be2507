//! What an order is waiting for, or how it ended, and the flat record it is
//! stored and sent as (the JSON of stored orders and `order:*` events,
//! unchanged but for `attempt`, which is new).

use super::{CancelReason, Order, OrderStatus, TicketSnapshot};
use crate::ids::{OrderId, UserId};
use serde::{Deserialize, Serialize};

/// An order's state. Each variant carries what that state has, so a
/// cancelled order cannot hold a payment deadline, nor a paid one lack its
/// payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// The ticket is held for the buyer until the order's `expires_at`.
    Created,
    /// A payment is under way; expiry waits for its outcome.
    AwaitingPayment(Attempt),
    /// Paid by `payment_id`: the ticket is sold. Final.
    Complete { payment_id: String },
    /// Final.
    Cancelled { reason: CancelReason },
}

/// One payment attempt. Its number names it to the provider (the charge's
/// idempotency key) and to a late outcome: the failure of an older attempt
/// cannot undo the one in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    pub number: u64,
    /// Unix ms.
    pub started_at: i64,
    /// Until when the alarm waits for its charge (the lost-payment timeout).
    pub until: i64,
    /// While the card's issuer authenticates the buyer (3-D Secure): the
    /// attempt's deadline instead of `until`.
    pub authentication_until: Option<i64>,
}

impl Attempt {
    /// When the alarm stops waiting for this attempt's outcome.
    pub fn deadline(&self) -> i64 {
        self.authentication_until.unwrap_or(self.until)
    }
}

impl OrderState {
    pub fn status(&self) -> OrderStatus {
        match self {
            OrderState::Created => OrderStatus::Created,
            OrderState::AwaitingPayment(_) => OrderStatus::AwaitingPayment,
            OrderState::Complete { .. } => OrderStatus::Complete,
            OrderState::Cancelled { .. } => OrderStatus::Cancelled,
        }
    }
}

/// An order as stored and sent: the state as a status and options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRecord {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<CancelReason>,
    pub expires_at: i64,
    pub created_at: i64,
    pub version: u64,
    pub ticket: TicketSnapshot,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_started_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_until: Option<i64>,
    /// The attempt's number; orders stored before it had its own field
    /// named their attempt by their version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
}

impl From<OrderRecord> for Order {
    /// Rows from older code read as the state they meant: an attempt with
    /// no start waits until the order's deadline, one with no deadline the
    /// default lost-payment timeout; a cancellation with no reason was the
    /// buyer's, a completion with no payment id has an empty one.
    fn from(record: OrderRecord) -> Order {
        let state = match record.status {
            OrderStatus::Created => OrderState::Created,
            OrderStatus::AwaitingPayment => {
                let started_at = record.payment_started_at;
                let until = match (record.payment_until, started_at) {
                    (Some(until), _) => until,
                    (None, Some(started)) => started + crate::desk::PAYMENT_TIMEOUT_MS,
                    (None, None) => record.expires_at,
                };
                OrderState::AwaitingPayment(Attempt {
                    number: record.attempt.unwrap_or(record.version),
                    started_at: started_at.unwrap_or(record.created_at),
                    until,
                    authentication_until: record.authentication_until,
                })
            }
            OrderStatus::Complete => OrderState::Complete {
                payment_id: record.payment_id.unwrap_or_default(),
            },
            OrderStatus::Cancelled => OrderState::Cancelled {
                reason: record.cancel_reason.unwrap_or(CancelReason::User),
            },
        };
        Order {
            id: record.id,
            user_id: record.user_id,
            state,
            expires_at: record.expires_at,
            created_at: record.created_at,
            version: record.version,
            ticket: record.ticket,
        }
    }
}

impl From<Order> for OrderRecord {
    fn from(order: Order) -> OrderRecord {
        let mut record = OrderRecord {
            id: order.id,
            user_id: order.user_id,
            status: order.state.status(),
            cancel_reason: None,
            expires_at: order.expires_at,
            created_at: order.created_at,
            version: order.version,
            ticket: order.ticket,
            payment_started_at: None,
            payment_until: None,
            authentication_until: None,
            attempt: None,
            payment_id: None,
        };
        match order.state {
            OrderState::Created => {}
            OrderState::AwaitingPayment(attempt) => {
                record.payment_started_at = Some(attempt.started_at);
                record.payment_until = Some(attempt.until);
                record.authentication_until = attempt.authentication_until;
                record.attempt = Some(attempt.number);
            }
            OrderState::Complete { payment_id } => record.payment_id = Some(payment_id),
            OrderState::Cancelled { reason } => record.cancel_reason = Some(reason),
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(extra: serde_json::Value) -> Order {
        let mut row = json!({
            "id": "00000000-0000-4000-8000-000000000001", "userId": "buyer",
            "status": "created", "expiresAt": 900, "createdAt": 100, "version": 4,
            "ticket": {"id": "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "title": "T", "priceCents": 100}
        });
        row.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(row).unwrap()
    }

    #[test]
    fn rows_from_older_code_read_as_the_state_they_meant() {
        let attempt = |number, started_at, until| {
            OrderState::AwaitingPayment(Attempt {
                number,
                started_at,
                until,
                authentication_until: None,
            })
        };
        let cases = [
            (json!({}), OrderState::Created),
            // The attempt was named by the version; the deadline defaulted.
            (
                json!({"status": "awaiting:payment", "paymentStartedAt": 200}),
                attempt(4, 200, 200 + crate::desk::PAYMENT_TIMEOUT_MS),
            ),
            (json!({"status": "awaiting:payment"}), attempt(4, 100, 900)),
            (
                json!({"status": "awaiting:payment", "paymentStartedAt": 200, "paymentUntil": 300, "attempt": 3}),
                attempt(3, 200, 300),
            ),
            (
                json!({"status": "complete", "paymentId": "pay_1"}),
                OrderState::Complete {
                    payment_id: "pay_1".into(),
                },
            ),
            (
                json!({"status": "cancelled", "cancelReason": "expired"}),
                OrderState::Cancelled {
                    reason: CancelReason::Expired,
                },
            ),
            (
                json!({"status": "cancelled"}),
                OrderState::Cancelled {
                    reason: CancelReason::User,
                },
            ),
        ];
        for (fields, state) in cases {
            assert_eq!(stored(fields.clone()).state, state, "{fields}");
        }
    }

    #[test]
    fn every_state_is_written_as_the_fields_it_was_read_from() {
        for fields in [
            json!({"status": "created"}),
            json!({"status": "awaiting:payment", "paymentStartedAt": 200, "paymentUntil": 300,
                   "authenticationUntil": 250, "attempt": 3}),
            json!({"status": "complete", "paymentId": "pay_1"}),
            json!({"status": "cancelled", "cancelReason": "user"}),
        ] {
            let order = stored(fields.clone());
            let json = serde_json::to_value(&order).unwrap();
            for (name, value) in fields.as_object().unwrap() {
                assert_eq!(&json[name], value, "{fields}: {name}");
            }
            assert_eq!(serde_json::from_value::<Order>(json).unwrap(), order);
        }
    }
}
