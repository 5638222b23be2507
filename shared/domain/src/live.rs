//! The live channels' messages (docs/live.md): a JSON object with a `type`
//! and the current view as the matching GET answers it, with its `version`,
//! so a client can drop a stale one.

use crate::orders::{Order, OrderView};
use crate::tickets::{Ticket, TicketView};
use serde::Serialize;

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum LiveMessage {
    Ticket {
        ticket: TicketView,
    },
    Order {
        order: OrderView,
    },
    /// The list's channel: a ticket just came on the market.
    Listed {
        ticket: TicketView,
    },
}

impl LiveMessage {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Who a watcher of a ticket's object is: every change of the ticket, or
/// one order's (its buyer, checked by the orders worker before connecting).
/// The object tags each socket with this, and sends a change to the sockets
/// of its tag only.
pub fn ticket_tag() -> String {
    "ticket".to_string()
}

pub fn order_tag(order_id: &crate::ids::OrderId) -> String {
    format!("order:{order_id}")
}

/// `{"type":"order","order":{…}}`: the order as `GET /api/orders/:id` shows it.
pub fn order_message(order: &Order) -> String {
    LiveMessage::Order {
        order: order.view(),
    }
    .to_json()
}

/// `{"type":"ticket","ticket":{…}}`: the ticket as `GET /api/tickets/:id` shows it.
pub fn ticket_message(ticket: &Ticket) -> String {
    LiveMessage::Ticket {
        ticket: ticket.view(),
    }
    .to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn a_ticket_message_carries_the_view_and_its_version() {
        let ticket: Ticket = serde_json::from_value(json!({
            "id": "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "title": "T", "priceCents": 100,
            "userId": "u", "version": 4, "orderId": null, "soldTo": null, "createdAt": 0
        }))
        .unwrap();
        let message: Value = serde_json::from_str(&ticket_message(&ticket)).unwrap();
        assert_eq!(message["type"], "ticket");
        assert_eq!(message["ticket"]["version"], 4);
        assert_eq!(
            message["ticket"],
            serde_json::to_value(ticket.view()).unwrap()
        );
    }
}
