//! Events between services: what happened, as versioned JSON in an envelope,
//! and which queues subscribe to which subject. Schemas: docs/events.md.

use crate::orders::Order;
use crate::payments::Payment;
use crate::tickets::Ticket;
use crate::time::iso8601;
use serde::de::{self, DeserializeOwned, IgnoredAny};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

/// Envelope format version; bump when a payload changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// Each event carries the whole aggregate after the change, so a consumer
/// needs nothing but the newest version it has seen. On the wire it is the
/// envelope's `subject` and `data` (see [`Envelope`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    TicketCreated(Ticket),
    TicketUpdated(Ticket),
    /// A completed purchase issued this ticket to its buyer; the tickets
    /// service creates it in its own object (idempotent: named by the order).
    TicketIssued(Ticket),
    OrderCreated(Order),
    OrderCancelled(Order),
    OrderCompleted(Order),
    PaymentCreated(Payment),
}

/// Each subject, as the envelope's `subject` spells it.
const TICKET_CREATED: &str = "ticket:created";
const TICKET_UPDATED: &str = "ticket:updated";
const TICKET_ISSUED: &str = "ticket:issued";
const ORDER_CREATED: &str = "order:created";
const ORDER_CANCELLED: &str = "order:cancelled";
const ORDER_COMPLETED: &str = "order:completed";
const PAYMENT_CREATED: &str = "payment:created";

/// Every subject.
const SUBJECTS: &[&str] = &[
    TICKET_CREATED,
    TICKET_UPDATED,
    TICKET_ISSUED,
    ORDER_CREATED,
    ORDER_CANCELLED,
    ORDER_COMPLETED,
    PAYMENT_CREATED,
];

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
///
/// Written with its `Serialize` impl, read with [`Envelope::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Unique per event; the same id on a redelivery.
    pub id: String,
    pub schema_version: u32,
    pub aggregate_version: u64,
    pub occurred_at: String,
    pub event: Event,
}

impl Serialize for Envelope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Envelope", 6)?;
        fields.serialize_field("id", &self.id)?;
        fields.serialize_field("schemaVersion", &self.schema_version)?;
        fields.serialize_field("aggregateVersion", &self.aggregate_version)?;
        fields.serialize_field("occurredAt", &self.occurred_at)?;
        fields.serialize_field("subject", self.event.subject())?;
        match &self.event {
            Event::TicketCreated(ticket)
            | Event::TicketUpdated(ticket)
            | Event::TicketIssued(ticket) => fields.serialize_field("data", ticket)?,
            Event::OrderCreated(order)
            | Event::OrderCancelled(order)
            | Event::OrderCompleted(order) => fields.serialize_field("data", order)?,
            Event::PaymentCreated(payment) => fields.serialize_field("data", payment)?,
        }
        fields.end()
    }
}

/// The envelope as it arrives, `data` skipped (read in a second pass).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnvelopeFields {
    id: String,
    schema_version: u32,
    aggregate_version: u64,
    occurred_at: String,
    subject: String,
    #[allow(dead_code)] // required, read by `Data`
    data: IgnoredAny,
}

/// The envelope's `data` alone, as the type its subject names.
#[derive(Deserialize)]
struct Data<T> {
    data: T,
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

    /// Reads an envelope of any subject from its JSON text (see [`Envelope::read`]).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        Self::read::<AllSubjects>(text)?
            .ok_or_else(|| de::Error::custom("every subject is read here"))
    }

    /// Reads an envelope from its JSON text in two passes: the fields with
    /// `data` skipped, then `data` as the type the subject names (a derived
    /// `Deserialize` of a flattened, tagged enum buffers the message in
    /// serde's generic `Content` tree first, and compiles a second reader of
    /// every payload for it: tens of KB of each worker's wasm). `S` says
    /// which subjects it reads; `None` for another known one.
    pub fn read<S: Subjects>(text: &str) -> Result<Option<Self>, serde_json::Error> {
        let fields: EnvelopeFields = serde_json::from_str(text)?;
        let event = match S::event(&fields.subject, text) {
            Some(event) => event?,
            None if SUBJECTS.contains(&fields.subject.as_str()) => return Ok(None),
            None => return Err(de::Error::unknown_variant(&fields.subject, SUBJECTS)),
        };
        Ok(Some(Envelope {
            id: fields.id,
            schema_version: fields.schema_version,
            aggregate_version: fields.aggregate_version,
            occurred_at: fields.occurred_at,
            event,
        }))
    }
}

/// Which subjects a reader of envelopes reads, chosen at compile time: a
/// consumer's wasm then carries the readers of its own payloads only (the
/// orders worker never reads a ticket).
pub trait Subjects {
    /// The event `subject` names, its data read from the envelope's text;
    /// `None` for a subject this reader does not take.
    fn event(subject: &str, text: &str) -> Option<Result<Event, serde_json::Error>>;
}

/// The subjects one queue carries, read by that queue's consumer.
pub trait QueueSubjects: Subjects {
    const QUEUE: Queue;
}

/// `ticket:*`: the `ticket-events` queue.
pub enum TicketSubjects {}
/// `order:*`: the `order-events` queue.
pub enum OrderSubjects {}
/// `payment:*`: the `payment-events` queue.
pub enum PaymentSubjects {}
/// Every subject (a ticket's outbox holds them all).
pub enum AllSubjects {}

fn data<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<Data<T>>(text).map(|d| d.data)
}

impl Subjects for TicketSubjects {
    fn event(subject: &str, text: &str) -> Option<Result<Event, serde_json::Error>> {
        Some(match subject {
            TICKET_CREATED => data(text).map(Event::TicketCreated),
            TICKET_UPDATED => data(text).map(Event::TicketUpdated),
            TICKET_ISSUED => data(text).map(Event::TicketIssued),
            _ => return None,
        })
    }
}

impl Subjects for OrderSubjects {
    fn event(subject: &str, text: &str) -> Option<Result<Event, serde_json::Error>> {
        Some(match subject {
            ORDER_CREATED => data(text).map(Event::OrderCreated),
            ORDER_CANCELLED => data(text).map(Event::OrderCancelled),
            ORDER_COMPLETED => data(text).map(Event::OrderCompleted),
            _ => return None,
        })
    }
}

impl Subjects for PaymentSubjects {
    fn event(subject: &str, text: &str) -> Option<Result<Event, serde_json::Error>> {
        Some(match subject {
            PAYMENT_CREATED => data(text).map(Event::PaymentCreated),
            _ => return None,
        })
    }
}

impl QueueSubjects for TicketSubjects {
    const QUEUE: Queue = Queue::TicketEvents;
}

impl QueueSubjects for OrderSubjects {
    const QUEUE: Queue = Queue::OrderEvents;
}

impl QueueSubjects for PaymentSubjects {
    const QUEUE: Queue = Queue::PaymentEvents;
}

impl Subjects for AllSubjects {
    fn event(subject: &str, text: &str) -> Option<Result<Event, serde_json::Error>> {
        TicketSubjects::event(subject, text)
            .or_else(|| OrderSubjects::event(subject, text))
            .or_else(|| PaymentSubjects::event(subject, text))
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
        assert_eq!(SUBJECTS.len(), 7);
    }

    #[test]
    fn a_queue_reader_reads_its_subjects_and_passes_over_the_others() {
        let json = serde_json::to_string(&Envelope::new(
            "e".into(),
            Event::TicketUpdated(ticket(3)),
            0,
        ))
        .unwrap();
        let read = Envelope::read::<TicketSubjects>(&json).unwrap().unwrap();
        assert_eq!(read.event, Event::TicketUpdated(ticket(3)));
        assert_eq!(Envelope::read::<OrderSubjects>(&json).unwrap(), None);
        assert_eq!(Envelope::read::<PaymentSubjects>(&json).unwrap(), None);
        let unknown = json.replace("ticket:updated", "ticket:eaten");
        assert!(Envelope::read::<OrderSubjects>(&unknown).is_err());
    }

    #[test]
    fn each_queue_reader_reads_exactly_what_routing_sends_its_queue() {
        fn reads<S: QueueSubjects>(event: &Event) -> bool {
            let json = serde_json::to_string(&Envelope::new("e".into(), event.clone(), 0)).unwrap();
            let read = Envelope::read::<S>(&json).unwrap().is_some();
            assert_eq!(read, subscribers(event).contains(&S::QUEUE), "{event:?}");
            read
        }
        let id = crate::ids::OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let order = crate::orders::Order::example(id.clone(), &ticket(1));
        for event in [
            Event::TicketCreated(ticket(0)),
            Event::TicketIssued(ticket(2)),
            Event::OrderCancelled(order),
            Event::PaymentCreated(Payment::example("p1", id)),
        ] {
            let readers = [
                reads::<TicketSubjects>(&event),
                reads::<OrderSubjects>(&event),
                reads::<PaymentSubjects>(&event),
            ];
            assert_eq!(readers.iter().filter(|r| **r).count(), 1, "{event:?}");
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
