//! An order: a buyer's hold on one ticket, with a deadline to pay.

mod state;

pub use state::{Attempt, OrderRecord, OrderState};

use crate::http::error::ApiError;
use crate::http::fields::required;
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Cents;
use crate::time::iso8601;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    /// The ticket is held for the buyer until `expires_at`.
    #[serde(rename = "created")]
    Created,
    /// A payment is under way; expiry waits for its outcome.
    #[serde(rename = "awaiting:payment")]
    AwaitingPayment,
    /// Paid: the ticket is sold. Final.
    #[serde(rename = "complete")]
    Complete,
    /// Final; see `CancelReason`.
    #[serde(rename = "cancelled")]
    Cancelled,
}

impl OrderStatus {
    /// Live orders hold their ticket.
    pub fn is_live(self) -> bool {
        matches!(self, OrderStatus::Created | OrderStatus::AwaitingPayment)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::AwaitingPayment => "awaiting:payment",
            OrderStatus::Complete => "complete",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CancelReason {
    /// The buyer cancelled it.
    User,
    /// Not paid before `expires_at`.
    Expired,
}

/// The ticket as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSnapshot {
    pub id: TicketId,
    pub title: String,
    #[serde(rename = "priceCents")]
    pub price: Cents,
}

/// An order as the ticket's Durable Object keeps it and `order:*` events
/// carry it. What it is waiting for, or how it ended, is its `state`, which
/// carries what that state has; it is stored and sent flat (`OrderRecord`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "OrderRecord", into = "OrderRecord")]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub state: OrderState,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub created_at: i64,
    /// 0 on creation, +1 on every change: the desk's `evolve` steps it, no rule.
    pub version: u64,
    pub ticket: TicketSnapshot,
}

impl Order {
    pub fn status(&self) -> OrderStatus {
        self.state.status()
    }

    pub fn cancel_reason(&self) -> Option<CancelReason> {
        match self.state {
            OrderState::Cancelled { reason } => Some(reason),
            _ => None,
        }
    }

    /// The payment that completed it.
    pub fn payment_id(&self) -> Option<&str> {
        match &self.state {
            OrderState::Complete { payment_id } => Some(payment_id),
            _ => None,
        }
    }

    /// The payment attempt in flight, if any.
    pub fn attempt(&self) -> Option<&Attempt> {
        match &self.state {
            OrderState::AwaitingPayment(attempt) => Some(attempt),
            _ => None,
        }
    }
}

#[cfg(test)]
impl Order {
    /// A new order by "buyer" on `ticket`, placed at 0 for a minute (tests).
    pub fn example(id: OrderId, ticket: &crate::tickets::Ticket) -> Order {
        Order {
            id,
            user_id: "buyer".into(),
            state: OrderState::Created,
            expires_at: 60_000,
            created_at: 0,
            version: 0,
            ticket: TicketSnapshot {
                id: ticket.id.clone(),
                title: ticket.title.clone(),
                price: ticket.price,
            },
        }
    }
}

/// The body of POST /api/orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOrderRequest {
    pub ticket_id: TicketId,
}

impl PlaceOrderRequest {
    /// A missing ticket id is a field error; a malformed one names no ticket (404).
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let raw = required(body, "ticketId", "TicketId must be provided")
            .map_err(|e| ApiError::Validation(vec![e]))?;
        Ok(Self {
            ticket_id: TicketId::parse(raw)?,
        })
    }
}

impl Order {
    pub fn view(&self) -> OrderView {
        OrderView {
            id: self.id.to_string(),
            user_id: self.user_id.to_string(),
            status: self.status(),
            cancel_reason: self.cancel_reason(),
            expires_at: iso8601(self.expires_at),
            created_at: iso8601(self.created_at),
            version: self.version,
            payment_id: self.payment_id().map(String::from),
            authentication_until: self
                .attempt()
                .and_then(|attempt| attempt.authentication_until)
                .map(iso8601),
            ticket: TicketSnapshotView {
                id: self.ticket.id.to_string(),
                title: self.ticket.title.clone(),
                price: self.ticket.price.as_decimal_number(),
                price_cents: self.ticket.price.0,
            },
        }
    }
}

/// An order as the HTTP API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: String,
    pub user_id: String,
    pub status: OrderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<CancelReason>,
    pub expires_at: String,
    pub created_at: String,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// While the payment waits for the buyer's 3-D Secure authentication:
    /// until when (then the order is payable again, or expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_until: Option<String>,
    pub ticket: TicketSnapshotView,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSnapshotView {
    pub id: String,
    pub title: String,
    pub price: f64,
    pub price_cents: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::error::FieldError;
    use serde_json::json;

    #[test]
    fn an_order_tells_its_status_reason_payment_and_attempt_from_its_state() {
        let ticket = crate::tickets::Ticket::new(
            TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            "T".into(),
            Cents(100),
            "seller".into(),
            0,
        );
        let mut order = Order::example(
            OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            &ticket,
        );
        order.state = OrderState::Cancelled {
            reason: CancelReason::Expired,
        };
        assert_eq!(
            (order.status(), order.cancel_reason(), order.payment_id()),
            (OrderStatus::Cancelled, Some(CancelReason::Expired), None)
        );
        assert_eq!(order.view().cancel_reason, Some(CancelReason::Expired));
        order.state = OrderState::Complete {
            payment_id: "pay_1".into(),
        };
        assert_eq!(
            (order.cancel_reason(), order.payment_id(), order.attempt()),
            (None, Some("pay_1"), None)
        );
    }

    #[test]
    fn only_created_and_paying_orders_hold_their_ticket() {
        assert!(OrderStatus::Created.is_live());
        assert!(OrderStatus::AwaitingPayment.is_live());
        assert!(!OrderStatus::Complete.is_live());
        assert!(!OrderStatus::Cancelled.is_live());
    }

    #[test]
    fn an_order_names_its_ticket() {
        let id = "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
        let parsed = PlaceOrderRequest::parse(&json!({ "ticketId": format!(" {id} ") }));
        assert_eq!(parsed.unwrap().ticket_id.as_str(), id);
        for body in [json!({}), json!({"ticketId": ""}), json!({"ticketId": 7})] {
            assert_eq!(
                PlaceOrderRequest::parse(&body),
                Err(ApiError::Validation(vec![FieldError::new(
                    "ticketId",
                    "TicketId must be provided"
                )])),
                "{body}"
            );
        }
        assert_eq!(
            PlaceOrderRequest::parse(&json!({"ticketId": "nope"})),
            Err(ApiError::NotFound)
        );
    }

    #[test]
    fn statuses_keep_the_original_names() {
        let names: Vec<String> = [
            OrderStatus::Created,
            OrderStatus::AwaitingPayment,
            OrderStatus::Complete,
            OrderStatus::Cancelled,
        ]
        .iter()
        .map(|s| {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            s.as_str().to_string()
        })
        .collect();
        assert_eq!(
            names,
            ["created", "awaiting:payment", "complete", "cancelled"]
        );
    }
}
