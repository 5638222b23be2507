//! Events between services: what happened, as versioned JSON in an envelope,
//! and which queues subscribe to which subject. Schemas: docs/events.md.

use crate::orders::Order;
use crate::payments::Payment;
use crate::tickets::Ticket;
use crate::time::iso8601;
use serde::{Deserialize, Serialize};

/// Envelope format version; bump when a payload changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// Each event carries the whole aggregate after the change, so a consumer
/// needs nothing but the newest version it has seen. On the wire it is the
/// envelope's `subject` and `data` (see [`Envelope`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "subject", content = "data")]
pub enum Event {
    #[serde(rename = "ticket:created")]
    TicketCreated(Ticket),
    #[serde(rename = "ticket:updated")]
    TicketUpdated(Ticket),
    /// A completed purchase issued this ticket to its buyer; the tickets
    /// service creates it in its own object (idempotent: named by the payment).
    #[serde(rename = "ticket:issued")]
    TicketIssued(Ticket),
    #[serde(rename = "order:created")]
    OrderCreated(Order),
    #[serde(rename = "order:cancelled")]
    OrderCancelled(Order),
    #[serde(rename = "order:completed")]
    OrderCompleted(Order),
    #[serde(rename = "payment:created")]
    PaymentCreated(Payment),
}

/// Each subject, as the envelope's `subject` spells it (the serde renames above).
const TICKET_CREATED: &str = "ticket:created";
const TICKET_UPDATED: &str = "ticket:updated";
const TICKET_ISSUED: &str = "ticket:issued";
const ORDER_CREATED: &str = "order:created";
const ORDER_CANCELLED: &str = "order:cancelled";
const ORDER_COMPLETED: &str = "order:completed";
const PAYMENT_CREATED: &str = "payment:created";

impl Event {
    pub fn subject(&self) -> &'static str {
        match self {
            Event::TicketCreated(_) => TICKET_CREATED,
            Event::TicketUpdated(_) => TICKET_UPDATED,
            Event::TicketIssued(_) => TICKET_ISSUED,
            Event::OrderCreated(_) => ORDER_CREATED,
            Event::OrderCancelled(_) => ORDER_CANCELLED,
            Event::OrderCompleted(_) => ORDER_COMPLETED,
            Event::PaymentCreated(_) => PAYMENT_CREATED,
        }
    }

    pub fn aggregate_version(&self) -> u64 {
        match self {
            Event::TicketCreated(t) | Event::TicketUpdated(t) | Event::TicketIssued(t) => t.version,
            Event::OrderCreated(o) | Event::OrderCancelled(o) | Event::OrderCompleted(o) => {
                o.version
            }
            // A payment is created once and never changes.
            Event::PaymentCreated(_) => 0,
        }
    }
}

/// An event with its metadata, as one flat JSON object:
/// `{id, schemaVersion, aggregateVersion, occurredAt, subject, data}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Unique per event; the same id on a redelivery.
    pub id: String,
    pub schema_version: u32,
    pub aggregate_version: u64,
    pub occurred_at: String,
    #[serde(flatten)]
    pub event: Event,
}

impl Envelope {
    pub fn new(id: String, event: Event, now_ms: i64) -> Self {
        Envelope {
            id,
            schema_version: SCHEMA_VERSION,
            aggregate_version: event.aggregate_version(),
            occurred_at: iso8601(now_ms),
            event,
        }
    }

    /// Reads an envelope of any subject from its JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A queue that a consuming service reads (one consumer per queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Read by the tickets worker: the `tickets` read model.
    TicketEvents,
    /// Read by the orders worker: the `orders` read model.
    OrderEvents,
    /// Read by the payments worker: its payments table.
    PaymentEvents,
}

impl Queue {
    /// The producer binding name in wrangler.toml.
    pub fn binding(self) -> &'static str {
        match self {
            Queue::TicketEvents => "TICKET_EVENTS",
            Queue::OrderEvents => "ORDER_EVENTS",
            Queue::PaymentEvents => "PAYMENT_EVENTS",
        }
    }
}

impl Queue {
    /// Whether routing sends `event` to this queue (`subscribers`).
    pub fn carries(self, event: &Event) -> bool {
        subscribers(event).contains(&self)
    }
}

/// Who subscribes to an event: the one place subjects are routed.
pub fn subscribers(event: &Event) -> &'static [Queue] {
    match event {
        Event::TicketCreated(_) | Event::TicketUpdated(_) | Event::TicketIssued(_) => {
            &[Queue::TicketEvents]
        }
        Event::OrderCreated(_) | Event::OrderCancelled(_) | Event::OrderCompleted(_) => {
            &[Queue::OrderEvents]
        }
        Event::PaymentCreated(_) => &[Queue::PaymentEvents],
    }
}

/// How long a ticket's object waits before sending its unsent events again,
/// after `failures` failed rounds in a row: 1 s, doubling, at most a minute,
/// so a queue that is down for an hour costs about 70 tries, not 3,600.
pub fn outbox_retry_delay_ms(failures: u32) -> i64 {
    const FIRST_MS: i64 = 1_000;
    const MAX_MS: i64 = 60_000;
    let doublings = failures.saturating_sub(1).min(16);
    (FIRST_MS << doublings).min(MAX_MS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TicketId;
    use crate::money::Cents;
    use serde_json::{json, Value};

    fn ticket(version: u64) -> Ticket {
        let id = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        Ticket {
            version,
            ..Ticket::new(id, "Show".into(), Cents(1500), "u1".into(), 0)
        }
    }

    #[test]
    fn envelopes_serialize_to_the_documented_shape() {
        let envelope = Envelope::new("e1".into(), Event::TicketUpdated(ticket(3)), 0);
        let value = serde_json::to_value(&envelope).unwrap();
        assert_eq!(value["subject"], "ticket:updated");
        assert_eq!(value["schemaVersion"], 1);
        assert_eq!(value["aggregateVersion"], 3);
        assert_eq!(value["occurredAt"], "1970-01-01T00:00:00.000Z");
        assert_eq!(value["data"]["priceCents"], 1500);
        assert_eq!(value["data"]["orderId"], Value::Null);
        let back = Envelope::from_json(&value.to_string()).unwrap();
        assert_eq!(back, envelope);
    }

    #[test]
    fn every_subject_reads_back_as_its_event() {
        let id = crate::ids::OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let order = crate::orders::Order::example(id.clone(), &ticket(1));
        let payment = Payment::example("p1", id);
        let events = [
            Event::TicketCreated(ticket(0)),
            Event::TicketUpdated(ticket(1)),
            Event::TicketIssued(ticket(2)),
            Event::OrderCreated(order.clone()),
            Event::OrderCancelled(order.clone()),
            Event::OrderCompleted(order),
            Event::PaymentCreated(payment),
        ];
        for event in events {
            let envelope = Envelope::new("e".into(), event, 0);
            let json = serde_json::to_string(&envelope).unwrap();
            assert!(json.contains(&format!("\"subject\":\"{}\"", envelope.event.subject())));
            assert_eq!(Envelope::from_json(&json).unwrap(), envelope);
        }
    }

    #[test]
    fn each_event_is_carried_by_exactly_one_queue() {
        let id = crate::ids::OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let order = crate::orders::Order::example(id.clone(), &ticket(1));
        let queues = [
            Queue::TicketEvents,
            Queue::OrderEvents,
            Queue::PaymentEvents,
        ];
        for (event, queue) in [
            (Event::TicketCreated(ticket(0)), Queue::TicketEvents),
            (Event::TicketIssued(ticket(2)), Queue::TicketEvents),
            (Event::OrderCancelled(order), Queue::OrderEvents),
            (
                Event::PaymentCreated(Payment::example("p1", id)),
                Queue::PaymentEvents,
            ),
        ] {
            let carriers: Vec<Queue> = queues.into_iter().filter(|q| q.carries(&event)).collect();
            assert_eq!(carriers, [queue], "{event:?}");
        }
    }

    #[test]
    fn data_of_another_shape_than_its_subject_does_not_parse() {
        let envelope = Envelope::new("e".into(), Event::TicketUpdated(ticket(3)), 0);
        let json = serde_json::to_string(&envelope)
            .unwrap()
            .replace("ticket:updated", "payment:created");
        assert!(Envelope::from_json(&json).is_err());
    }

    #[test]
    fn unknown_subjects_do_not_parse() {
        let raw = json!({"id": "e", "schemaVersion": 1, "aggregateVersion": 0, "occurredAt": "x", "subject": "nope", "data": {}});
        assert!(Envelope::from_json(&raw.to_string()).is_err());
    }

    #[test]
    fn every_queue_is_bound_under_its_name_where_events_are_published() {
        // The ticket's Durable Object publishes every event (workers/tickets).
        let config = include_str!("../../../workers/tickets/wrangler.toml");
        for queue in [
            Queue::TicketEvents,
            Queue::OrderEvents,
            Queue::PaymentEvents,
        ] {
            let binding = format!("binding = \"{}\"", queue.binding());
            assert!(config.contains(&binding), "{queue:?}: no `{binding}`");
        }
    }

    #[test]
    fn subjects_route_to_their_subscribers() {
        assert_eq!(
            subscribers(&Event::TicketCreated(ticket(0))),
            [Queue::TicketEvents]
        );
    }

    #[test]
    fn unsent_events_are_retried_with_capped_exponential_backoff() {
        let delays: Vec<i64> = (0..9).map(outbox_retry_delay_ms).collect();
        assert_eq!(
            delays,
            [1_000, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]
        );
        assert_eq!(outbox_retry_delay_ms(u32::MAX), 60_000);
    }
}
