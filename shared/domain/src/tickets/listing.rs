//! Where a ticket stands on the market, and the flat record it is stored
//! and sent as (the JSON of stored tickets, `ticket:*` events and the read
//! model's columns, unchanged since before the listing was a type).

use super::{EventDetails, Ticket, Transfer};
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Cents;
use serde::{Deserialize, Serialize};

/// A ticket's state on the market. Each variant carries what that state
/// has, so a ticket cannot be held and withdrawn, or sold without a buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// On the market: first-hand, or a bought ticket its owner resells.
    ForSale,
    /// Held by a live order until `until` (Unix ms; none in rows stored
    /// before holds had deadlines). `event_started`: the event began during
    /// the hold; the payment in flight goes on, and if it fails, the listing
    /// closes instead of going back on the market.
    Held {
        order_id: OrderId,
        until: Option<i64>,
        event_started: bool,
    },
    /// Bought by `order_id` at `at` (Unix ms): final, the seller's record of
    /// the sale (the buyer's ticket is a new one).
    Sold { order_id: OrderId, at: Option<i64> },
    /// Taken off the market by its first-hand seller: final.
    Withdrawn,
    /// Its event started: final. `owned`: a bought ticket its owner kept.
    Closed { owned: bool },
    /// A bought ticket its owner keeps, not for sale.
    Owned,
}

impl Listing {
    /// Its event started (the alarm closed it).
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            Listing::Closed { .. }
                | Listing::Held {
                    event_started: true,
                    ..
                }
        )
    }

    /// A bought ticket not for sale: its owner's business alone.
    pub fn is_owned(&self) -> bool {
        matches!(self, Listing::Owned | Listing::Closed { owned: true })
    }
}

/// A ticket as stored and sent: the listing as flags and options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRecord {
    pub id: TicketId,
    pub title: String,
    #[serde(rename = "priceCents")]
    pub price: Cents,
    pub user_id: UserId,
    pub version: u64,
    /// The live order holding the ticket, if any.
    pub order_id: Option<OrderId>,
    /// The order that bought it.
    pub sold_to: Option<OrderId>,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<EventDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_until: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sold_at: Option<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub withdrawn: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub closed: bool,
    /// Owned by `user_id` and not for sale.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlisted: bool,
    #[serde(default, rename = "paidCents", skip_serializing_if = "Option::is_none")]
    pub paid: Option<Cents>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custody: Vec<Transfer>,
}

impl From<TicketRecord> for Ticket {
    /// Every combination of flags reads as one state, in the order the
    /// rules have always weighed them: sold, held, withdrawn, closed, owned.
    fn from(record: TicketRecord) -> Ticket {
        let listing = match (record.sold_to, record.order_id) {
            (Some(order_id), _) => Listing::Sold {
                order_id,
                at: record.sold_at,
            },
            (None, Some(order_id)) => Listing::Held {
                order_id,
                until: record.held_until,
                event_started: record.closed,
            },
            (None, None) if record.withdrawn => Listing::Withdrawn,
            (None, None) if record.closed => Listing::Closed {
                owned: record.unlisted,
            },
            (None, None) if record.unlisted => Listing::Owned,
            (None, None) => Listing::ForSale,
        };
        Ticket {
            id: record.id,
            title: record.title,
            price: record.price,
            user_id: record.user_id,
            version: record.version,
            created_at: record.created_at,
            event: record.event,
            listing,
            paid: record.paid,
            custody: record.custody,
        }
    }
}

impl From<Ticket> for TicketRecord {
    fn from(ticket: Ticket) -> TicketRecord {
        let mut record = TicketRecord {
            id: ticket.id,
            title: ticket.title,
            price: ticket.price,
            user_id: ticket.user_id,
            version: ticket.version,
            order_id: None,
            sold_to: None,
            created_at: ticket.created_at,
            event: ticket.event,
            held_until: None,
            sold_at: None,
            withdrawn: false,
            closed: false,
            unlisted: false,
            paid: ticket.paid,
            custody: ticket.custody,
        };
        match ticket.listing {
            Listing::ForSale => {}
            Listing::Held {
                order_id,
                until,
                event_started,
            } => {
                record.order_id = Some(order_id);
                record.held_until = until;
                record.closed = event_started;
            }
            Listing::Sold { order_id, at } => {
                record.sold_to = Some(order_id);
                record.sold_at = at;
            }
            Listing::Withdrawn => record.withdrawn = true,
            Listing::Closed { owned } => {
                record.closed = true;
                record.unlisted = owned;
            }
            Listing::Owned => record.unlisted = true,
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(extra: serde_json::Value) -> Ticket {
        let mut row = json!({
            "id": "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "title": "Stalls",
            "priceCents": 2500, "userId": "seller", "version": 3,
            "orderId": null, "soldTo": null, "createdAt": 1
        });
        row.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value(row).unwrap()
    }

    const ORDER: &str = "00000000-0000-4000-8000-000000000001";

    #[test]
    fn rows_stored_as_flags_read_as_one_state_each() {
        let order = OrderId::parse(ORDER).unwrap();
        let cases = [
            (json!({}), Listing::ForSale),
            (
                json!({"orderId": ORDER, "heldUntil": 9}),
                Listing::Held {
                    order_id: order.clone(),
                    until: Some(9),
                    event_started: false,
                },
            ),
            (
                json!({"orderId": ORDER, "closed": true}),
                Listing::Held {
                    order_id: order.clone(),
                    until: None,
                    event_started: true,
                },
            ),
            (
                // Sold outweighs a hold and a close, as the rules weighed them.
                json!({"soldTo": ORDER, "soldAt": 7, "orderId": ORDER, "closed": true}),
                Listing::Sold {
                    order_id: order.clone(),
                    at: Some(7),
                },
            ),
            (
                json!({"withdrawn": true, "closed": true}),
                Listing::Withdrawn,
            ),
            (json!({"closed": true}), Listing::Closed { owned: false }),
            (
                json!({"closed": true, "unlisted": true}),
                Listing::Closed { owned: true },
            ),
            (json!({"unlisted": true}), Listing::Owned),
        ];
        for (flags, listing) in cases {
            assert_eq!(stored(flags.clone()).listing, listing, "{flags}");
        }
    }

    #[test]
    fn every_state_is_written_as_the_flags_it_was_read_from() {
        for flags in [
            json!({}),
            json!({"orderId": ORDER, "heldUntil": 9}),
            json!({"orderId": ORDER, "heldUntil": 9, "closed": true}),
            json!({"soldTo": ORDER, "soldAt": 7}),
            json!({"withdrawn": true}),
            json!({"closed": true}),
            json!({"closed": true, "unlisted": true}),
            json!({"unlisted": true, "paidCents": 2500}),
        ] {
            let ticket = stored(flags.clone());
            let json = serde_json::to_value(&ticket).unwrap();
            for (name, value) in flags.as_object().unwrap() {
                assert_eq!(&json[name], value, "{flags}: {name}");
            }
            let back: Ticket = serde_json::from_value(json).unwrap();
            assert_eq!(back, ticket);
        }
    }
}
