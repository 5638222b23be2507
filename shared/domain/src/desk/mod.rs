//! The reservation desk: every decision about a ticket and the orders for it.
//!
//! The ticket's Durable Object is the single writer. For each command it
//! loads what the command needs (`Command::order_to_load`), asks `decide`,
//! stores the `Change` (state and events) in one transaction and replies.
//! That is what makes "at most one live order per ticket" hold under any
//! stampede, and it keeps every rule here, in plain Rust, unit-tested.

mod refusal;
mod rules;

pub use refusal::Refusal;
pub use rules::{
    await_authentication, cancel_order, close_listing, closes_at, complete_payment, create_ticket,
    expire_order, fail_payment, issue_to_buyer, next_alarm, next_deadline, place_order, republish,
    resell_ticket, start_payment, update_ticket, withdraw_ticket, OrderChange, TicketChange,
    PAYMENT_TIMEOUT_MS,
};

use crate::events::Event;
use crate::idempotency::IdempotencyKey;
use crate::ids::{OrderId, TicketId};
use crate::money::Cents;
use crate::orders::Order;
use crate::payments::Payment;
use crate::tickets::{ResaleCap, Ticket, TicketInput};
use crate::wire::{required, unknown};
use serde::{Deserialize, Serialize};

/// What the ticket's Durable Object is asked to do (its internal protocol;
/// `edge::desk_client` sends these, `workers/tickets` answers them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", try_from = "CommandFields")]
pub enum Command {
    CreateTicket {
        ticket_id: TicketId,
        user_id: String,
        input: TicketInput,
    },
    UpdateTicket {
        user_id: String,
        input: TicketInput,
        /// The cap a resale listing's price keeps to (`RESALE_CAP_PERCENT`).
        #[serde(default)]
        resale_cap: ResaleCap,
    },
    /// Creates the ticket a completed purchase issued (`ticket:issued`);
    /// the same ticket again changes nothing.
    IssueTicket {
        ticket: Ticket,
    },
    /// The owner of a bought ticket lists it for sale.
    ResellTicket {
        user_id: String,
        price: Cents,
        resale_cap: ResaleCap,
    },
    /// The seller takes the listing off the market.
    WithdrawTicket {
        user_id: String,
    },
    GetTicket,
    PlaceOrder {
        order_id: OrderId,
        user_id: String,
        window_ms: i64,
        idempotency_key: Option<IdempotencyKey>,
        /// What the per-address hold limit counts (`ClientAddress::as_string`);
        /// none for a request without a client address (local runs).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_address: Option<String>,
    },
    GetOrder {
        order_id: OrderId,
    },
    CancelOrder {
        order_id: OrderId,
        user_id: String,
    },
    /// Payment attempt starts; its charge is waited for until `until` (Unix
    /// ms; absent: `PAYMENT_TIMEOUT_MS` from now).
    StartPayment {
        order_id: OrderId,
        user_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
    },
    CompletePayment {
        order_id: OrderId,
        payment: Payment,
    },
    /// The charge of payment attempt `attempt` (the order's version when
    /// that attempt started) failed. An older attempt's failure changes nothing.
    FailPayment {
        order_id: OrderId,
        attempt: u64,
    },
    /// The charge of attempt `attempt` waits for the buyer's 3-D Secure
    /// authentication until `until` (Unix ms).
    AwaitAuthentication {
        order_id: OrderId,
        attempt: u64,
        until: i64,
    },
}

/// `Command` as it arrives: the tag and every variant's fields (`crate::wire`).
#[derive(Deserialize)]
struct CommandFields {
    #[serde(rename = "type")]
    kind: String,
    ticket_id: Option<TicketId>,
    user_id: Option<String>,
    input: Option<TicketInput>,
    resale_cap: Option<ResaleCap>,
    ticket: Option<Ticket>,
    price: Option<Cents>,
    order_id: Option<OrderId>,
    window_ms: Option<i64>,
    idempotency_key: Option<IdempotencyKey>,
    payment: Option<Payment>,
    attempt: Option<u64>,
    until: Option<i64>,
    client_address: Option<String>,
}

impl TryFrom<CommandFields> for Command {
    type Error = String;

    fn try_from(fields: CommandFields) -> Result<Self, String> {
        let CommandFields {
            kind,
            ticket_id,
            user_id,
            input,
            resale_cap,
            ticket,
            price,
            order_id,
            window_ms,
            idempotency_key,
            payment,
            attempt,
            until,
            client_address,
        } = fields;
        let kind = kind.as_str();
        Ok(match kind {
            "createTicket" => Command::CreateTicket {
                ticket_id: required(ticket_id, "ticket_id", kind)?,
                user_id: required(user_id, "user_id", kind)?,
                input: required(input, "input", kind)?,
            },
            "updateTicket" => Command::UpdateTicket {
                user_id: required(user_id, "user_id", kind)?,
                input: required(input, "input", kind)?,
                resale_cap: resale_cap.unwrap_or_default(),
            },
            "issueTicket" => Command::IssueTicket {
                ticket: required(ticket, "ticket", kind)?,
            },
            "resellTicket" => Command::ResellTicket {
                user_id: required(user_id, "user_id", kind)?,
                price: required(price, "price", kind)?,
                resale_cap: required(resale_cap, "resale_cap", kind)?,
            },
            "withdrawTicket" => Command::WithdrawTicket {
                user_id: required(user_id, "user_id", kind)?,
            },
            "getTicket" => Command::GetTicket,
            "placeOrder" => Command::PlaceOrder {
                order_id: required(order_id, "order_id", kind)?,
                user_id: required(user_id, "user_id", kind)?,
                window_ms: required(window_ms, "window_ms", kind)?,
                idempotency_key,
                client_address,
            },
            "getOrder" => Command::GetOrder {
                order_id: required(order_id, "order_id", kind)?,
            },
            "cancelOrder" => Command::CancelOrder {
                order_id: required(order_id, "order_id", kind)?,
                user_id: required(user_id, "user_id", kind)?,
            },
            "startPayment" => Command::StartPayment {
                order_id: required(order_id, "order_id", kind)?,
                user_id: required(user_id, "user_id", kind)?,
                until,
            },
            "completePayment" => Command::CompletePayment {
                order_id: required(order_id, "order_id", kind)?,
                payment: required(payment, "payment", kind)?,
            },
            "failPayment" => Command::FailPayment {
                order_id: required(order_id, "order_id", kind)?,
                attempt: required(attempt, "attempt", kind)?,
            },
            "awaitAuthentication" => Command::AwaitAuthentication {
                order_id: required(order_id, "order_id", kind)?,
                attempt: required(attempt, "attempt", kind)?,
                until: required(until, "until", kind)?,
            },
            other => return Err(unknown(other, "command")),
        })
    }
}

/// Which stored order a command is about, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderLookup<'a> {
    /// The order the command names.
    ById(&'a OrderId),
    /// The order an earlier `PlaceOrder` stored under this Idempotency-Key.
    ByIdempotencyKey {
        user_id: &'a str,
        key: &'a IdempotencyKey,
    },
}

impl Command {
    /// The order the object must read before deciding.
    pub fn order_to_load(&self) -> Option<OrderLookup<'_>> {
        match self {
            Command::PlaceOrder {
                user_id,
                idempotency_key: Some(key),
                ..
            } => Some(OrderLookup::ByIdempotencyKey { user_id, key }),
            Command::GetOrder { order_id }
            | Command::CancelOrder { order_id, .. }
            | Command::StartPayment { order_id, .. }
            | Command::CompletePayment { order_id, .. }
            | Command::FailPayment { order_id, .. }
            | Command::AwaitAuthentication { order_id, .. } => Some(OrderLookup::ById(order_id)),
            Command::CreateTicket { .. }
            | Command::UpdateTicket { .. }
            | Command::WithdrawTicket { .. }
            | Command::IssueTicket { .. }
            | Command::ResellTicket { .. }
            | Command::GetTicket
            | Command::PlaceOrder { .. } => None,
        }
    }
}

/// What the object read for a command: its ticket (none before it is
/// created) and the order `Command::order_to_load` asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub ticket: Option<Ticket>,
    pub order: Option<Order>,
    /// For a new order: until when its buyer may not hold this ticket
    /// again, after letting a hold on it expire (Unix ms).
    pub rehold_after: Option<i64>,
}

/// The object's answer: the ticket or the order the command was about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reply {
    Ticket(Ticket),
    Order(Order),
    Refused(Refusal),
}

/// A [`Reply`] as a caller that asked about an order reads it: the same
/// JSON, read without a reader for a ticket, which that worker's wasm then
/// need not carry (`edge::desk_client`). A ticket here fails to read. `O`
/// is the caller's reading of the order: all of it, or only the fields it
/// acts on (a smaller reader).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderReply<O = Order> {
    Order(O),
    Refused(Refusal),
}

/// A [`Reply`] as a caller that asked about a ticket reads it.
#[allow(clippy::large_enum_variant)] // read once and unwrapped at once
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TicketReply {
    Ticket(Ticket),
    Refused(Refusal),
}

/// What the object must do about a command.
// One per command, moved once: boxing would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing changed: answer this.
    Unchanged(Reply),
    /// Store this change with its events in one transaction, then answer
    /// with `Change::reply`.
    Store(Change),
}

/// A placed order's Idempotency-Key, stored with the order so that a retried
/// POST gets the same order back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub user_id: String,
    pub key: IdempotencyKey,
}

/// A decided change, as the object stores it.
#[allow(clippy::large_enum_variant)] // as for `Decision`
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Ticket(TicketChange),
    Order {
        change: OrderChange,
        idempotency: Option<IdempotencyRecord>,
    },
}

impl Change {
    pub fn ticket(&self) -> &Ticket {
        match self {
            Change::Ticket(change) => &change.ticket,
            Change::Order { change, .. } => &change.ticket,
        }
    }

    pub fn events(&self) -> &[Event] {
        match self {
            Change::Ticket(change) => &change.events,
            Change::Order { change, .. } => &change.events,
        }
    }

    /// The ticket or the order after the change.
    pub fn reply(&self) -> Reply {
        match self {
            Change::Ticket(change) => Reply::Ticket(change.ticket.clone()),
            Change::Order { change, .. } => Reply::Order(change.order.clone()),
        }
    }
}

impl From<OrderChange> for Change {
    fn from(change: OrderChange) -> Self {
        Change::Order {
            change,
            idempotency: None,
        }
    }
}

/// Decides a command against what the object loaded for it, at `now`.
pub fn decide(loaded: Loaded, command: Command, now: i64) -> Result<Decision, Refusal> {
    let Loaded {
        ticket,
        order,
        rehold_after,
    } = loaded;
    match command {
        Command::CreateTicket {
            ticket_id,
            user_id,
            input,
        } => match ticket {
            Some(_) => Err(Refusal::TicketExists),
            None => Ok(store_ticket(create_ticket(ticket_id, &user_id, input, now))),
        },
        Command::GetTicket => Ok(Decision::Unchanged(Reply::Ticket(existing(ticket)?))),
        Command::UpdateTicket {
            user_id,
            input,
            resale_cap,
        } => update_ticket(&existing(ticket)?, &user_id, input, resale_cap, now).map(store_ticket),
        Command::IssueTicket { ticket: issued } => Ok(match ticket {
            Some(existing) => Decision::Unchanged(Reply::Ticket(existing)),
            None => store_ticket(TicketChange {
                events: vec![Event::TicketCreated(issued.clone())],
                ticket: issued,
            }),
        }),
        Command::ResellTicket {
            user_id,
            price,
            resale_cap,
        } => resell_ticket(&existing(ticket)?, &user_id, price, resale_cap, now).map(store_ticket),
        Command::WithdrawTicket { user_id } => {
            let ticket = existing(ticket)?;
            Ok(match withdraw_ticket(&ticket, &user_id, now)? {
                Some(change) => store_ticket(change),
                None => Decision::Unchanged(Reply::Ticket(ticket)),
            })
        }
        Command::PlaceOrder {
            order_id,
            user_id,
            window_ms,
            idempotency_key,
            ..
        } => {
            let ticket = existing(ticket)?;
            // A retried POST gets the order the first attempt created.
            if let Some(placed) = order {
                return Ok(Decision::Unchanged(Reply::Order(placed)));
            }
            if let Some(after) = rehold_after.filter(|after| now < *after) {
                return Err(Refusal::ReholdCooldown {
                    retry_after_seconds: crate::limits::Taken::retry_after_seconds(after, now),
                });
            }
            let change = place_order(&ticket, order_id, &user_id, now, window_ms)?;
            let idempotency = idempotency_key.map(|key| IdempotencyRecord { user_id, key });
            Ok(Decision::Store(Change::Order {
                change,
                idempotency,
            }))
        }
        Command::GetOrder { .. } => {
            existing(ticket)?;
            Ok(Decision::Unchanged(Reply::Order(named(order)?)))
        }
        Command::CancelOrder { user_id, .. } => on_order(ticket, order, |ticket, order| {
            cancel_order(ticket, order, &user_id)
        }),
        Command::StartPayment { user_id, until, .. } => on_order(ticket, order, |ticket, order| {
            start_payment(ticket, order, &user_id, until, now)
        }),
        Command::CompletePayment { payment, .. } => on_order(ticket, order, |ticket, order| {
            complete_payment(ticket, order, payment, now)
        }),
        Command::FailPayment { attempt, .. } => on_order(ticket, order, |ticket, order| {
            Ok(fail_payment(ticket, order, attempt, now))
        }),
        Command::AwaitAuthentication { attempt, until, .. } => {
            on_order(ticket, order, |ticket, order| {
                Ok(await_authentication(ticket, order, attempt, until))
            })
        }
    }
}

fn existing(ticket: Option<Ticket>) -> Result<Ticket, Refusal> {
    ticket.ok_or(Refusal::TicketNotFound)
}

fn named(order: Option<Order>) -> Result<Order, Refusal> {
    order.ok_or(Refusal::OrderNotFound)
}

fn store_ticket(change: TicketChange) -> Decision {
    Decision::Store(Change::Ticket(change))
}

/// Applies an order rule to the ticket and the order the command names;
/// when the rule finds nothing to do, the reply is the order as it stands.
fn on_order(
    ticket: Option<Ticket>,
    order: Option<Order>,
    rule: impl FnOnce(&Ticket, &Order) -> Result<Option<OrderChange>, Refusal>,
) -> Result<Decision, Refusal> {
    let ticket = existing(ticket)?;
    let order = named(order)?;
    Ok(match rule(&ticket, &order)? {
        Some(change) => Decision::Store(change.into()),
        None => Decision::Unchanged(Reply::Order(order)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Cents;
    use crate::orders::OrderStatus;
    use crate::tickets::Title;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;
    const WINDOW: i64 = 900_000;

    fn ticket_id() -> TicketId {
        TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap()
    }

    fn order_id(n: u8) -> OrderId {
        OrderId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    fn input() -> TicketInput {
        TicketInput {
            title: Title::parse(Some(&json!("Concert"))).unwrap(),
            price: Cents(2000),
            event: crate::tickets::EventField::Unchanged,
        }
    }

    fn ticket() -> Ticket {
        create_ticket(ticket_id(), "seller", input(), NOW).ticket
    }

    fn with_ticket() -> Loaded {
        Loaded {
            ticket: Some(ticket()),
            order: None,
            ..Loaded::default()
        }
    }

    fn place(key: Option<&str>) -> Command {
        Command::PlaceOrder {
            order_id: order_id(1),
            user_id: "buyer".into(),
            window_ms: WINDOW,
            idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
            client_address: None,
        }
    }

    #[test]
    fn every_command_crosses_json_unchanged_in_its_tagged_form() {
        let payment = Payment::example("p1", order_id(1));
        let cap = ResaleCap { percent: 110 };
        let commands = [
            Command::CreateTicket {
                ticket_id: ticket_id(),
                user_id: "seller".into(),
                input: input(),
            },
            Command::UpdateTicket {
                user_id: "seller".into(),
                input: input(),
                resale_cap: cap,
            },
            Command::IssueTicket { ticket: ticket() },
            Command::ResellTicket {
                user_id: "owner".into(),
                price: Cents(2100),
                resale_cap: cap,
            },
            Command::WithdrawTicket {
                user_id: "seller".into(),
            },
            Command::GetTicket,
            place(None),
            place(Some("key-1")),
            Command::GetOrder {
                order_id: order_id(1),
            },
            Command::CancelOrder {
                order_id: order_id(1),
                user_id: "buyer".into(),
            },
            Command::StartPayment {
                order_id: order_id(1),
                user_id: "buyer".into(),
                until: None,
            },
            Command::StartPayment {
                order_id: order_id(1),
                user_id: "buyer".into(),
                until: Some(NOW + 10_000),
            },
            Command::CompletePayment {
                order_id: order_id(1),
                payment,
            },
            Command::FailPayment {
                order_id: order_id(1),
                attempt: 2,
            },
            Command::AwaitAuthentication {
                order_id: order_id(1),
                attempt: 2,
                until: NOW,
            },
        ];
        for command in commands {
            let json = serde_json::to_value(&command).unwrap();
            assert!(json["type"].is_string(), "{json}");
            let back: Command = serde_json::from_str(&json.to_string()).unwrap();
            assert_eq!(back, command);
        }
    }

    #[test]
    fn replies_read_as_the_kind_asked_for() {
        let order = place_order(&ticket(), order_id(1), "buyer", NOW, WINDOW)
            .unwrap()
            .order;
        let json = |reply: &Reply| serde_json::to_string(reply).unwrap();
        let read_order = |reply: &Reply| serde_json::from_str::<OrderReply>(&json(reply));
        let read_ticket = |reply: &Reply| serde_json::from_str::<TicketReply>(&json(reply));
        let refused = Reply::Refused(Refusal::AlreadyReserved);
        assert_eq!(
            read_order(&Reply::Order(order.clone())).unwrap(),
            OrderReply::Order(order.clone())
        );
        assert_eq!(
            read_order(&refused).unwrap(),
            OrderReply::Refused(Refusal::AlreadyReserved)
        );
        assert_eq!(
            read_ticket(&Reply::Ticket(ticket())).unwrap(),
            TicketReply::Ticket(ticket())
        );
        assert_eq!(
            read_ticket(&refused).unwrap(),
            TicketReply::Refused(Refusal::AlreadyReserved)
        );
        assert!(read_order(&Reply::Ticket(ticket())).is_err());
        assert!(read_ticket(&Reply::Order(order)).is_err());
    }

    #[test]
    fn a_command_without_a_field_it_needs_is_refused_by_name() {
        let error = serde_json::from_str::<Command>(r#"{"type":"getOrder"}"#).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("getOrder: missing field `order_id`"),
            "{error}"
        );
        let error = serde_json::from_str::<Command>(r#"{"type":"sell"}"#).unwrap_err();
        assert!(
            error.to_string().contains("unknown command `sell`"),
            "{error}"
        );
        // An update from a client without the cap keeps the default one.
        let update = json!({"type": "updateTicket", "user_id": "s", "input": input()});
        match serde_json::from_str::<Command>(&update.to_string()).unwrap() {
            Command::UpdateTicket { resale_cap, .. } => {
                assert_eq!(resale_cap, ResaleCap::default())
            }
            other => panic!("{other:?}"),
        }
    }

    fn stored(decision: Result<Decision, Refusal>) -> Change {
        match decision {
            Ok(Decision::Store(change)) => change,
            other => panic!("expected a change to store, got {other:?}"),
        }
    }

    #[test]
    fn creates_a_ticket_only_once() {
        let create = Command::CreateTicket {
            ticket_id: ticket_id(),
            user_id: "seller".into(),
            input: input(),
        };
        let change = stored(decide(Loaded::default(), create.clone(), NOW));
        assert_eq!(change.reply(), Reply::Ticket(ticket()));
        assert_eq!(change.events().len(), 1);
        assert_eq!(
            decide(with_ticket(), create, NOW),
            Err(Refusal::TicketExists)
        );
    }

    #[test]
    fn every_other_command_needs_the_ticket() {
        let commands = [
            Command::GetTicket,
            Command::UpdateTicket {
                user_id: "seller".into(),
                input: input(),
                resale_cap: ResaleCap::default(),
            },
            Command::ResellTicket {
                user_id: "owner".into(),
                price: Cents(100),
                resale_cap: ResaleCap::default(),
            },
            place(None),
            Command::GetOrder {
                order_id: order_id(1),
            },
            Command::CancelOrder {
                order_id: order_id(1),
                user_id: "buyer".into(),
            },
            Command::FailPayment {
                order_id: order_id(1),
                attempt: 1,
            },
        ];
        for command in commands {
            assert_eq!(
                decide(Loaded::default(), command.clone(), NOW),
                Err(Refusal::TicketNotFound),
                "{command:?}"
            );
        }
    }

    #[test]
    fn reads_change_nothing() {
        assert_eq!(
            decide(with_ticket(), Command::GetTicket, NOW),
            Ok(Decision::Unchanged(Reply::Ticket(ticket())))
        );
    }

    #[test]
    fn commands_about_an_order_need_the_order() {
        let get = Command::GetOrder {
            order_id: order_id(1),
        };
        assert_eq!(
            decide(with_ticket(), get.clone(), NOW),
            Err(Refusal::OrderNotFound)
        );
        let placed = stored(decide(with_ticket(), place(None), NOW));
        let Reply::Order(order) = placed.reply() else {
            panic!("placing answers the order");
        };
        let loaded = Loaded {
            ticket: Some(placed.ticket().clone()),
            order: Some(order.clone()),
            ..Loaded::default()
        };
        assert_eq!(
            decide(loaded, get, NOW),
            Ok(Decision::Unchanged(Reply::Order(order)))
        );
    }

    #[test]
    fn placing_stores_the_idempotency_key_with_the_order() {
        let Change::Order {
            change,
            idempotency,
        } = stored(decide(with_ticket(), place(Some("k-1")), NOW))
        else {
            panic!("an order change");
        };
        assert_eq!(change.order.status, OrderStatus::Created);
        assert_eq!(
            idempotency,
            Some(IdempotencyRecord {
                user_id: "buyer".into(),
                key: IdempotencyKey::parse("k-1").unwrap()
            })
        );
        let Change::Order { idempotency, .. } = stored(decide(with_ticket(), place(None), NOW))
        else {
            panic!("an order change");
        };
        assert_eq!(idempotency, None);
    }

    #[test]
    fn a_retried_placement_answers_the_first_order_even_once_the_ticket_is_held() {
        let first = stored(decide(with_ticket(), place(Some("k-1")), NOW));
        let Reply::Order(order) = first.reply() else {
            panic!("placing answers the order");
        };
        let retry = Loaded {
            ticket: Some(first.ticket().clone()),
            order: Some(order.clone()),
            ..Loaded::default()
        };
        assert_eq!(
            decide(retry, place(Some("k-1")), NOW + 5),
            Ok(Decision::Unchanged(Reply::Order(order)))
        );
        let without_key = Loaded {
            ticket: Some(first.ticket().clone()),
            order: None,
            ..Loaded::default()
        };
        assert_eq!(
            decide(without_key, place(None), NOW + 5),
            Err(Refusal::AlreadyReserved)
        );
    }

    #[test]
    fn an_order_rule_with_nothing_to_do_answers_the_order_as_it_stands() {
        let placed = stored(decide(with_ticket(), place(None), NOW));
        let Reply::Order(order) = placed.reply() else {
            panic!("placing answers the order");
        };
        let cancel = Command::CancelOrder {
            order_id: order_id(1),
            user_id: "buyer".into(),
        };
        let loaded = Loaded {
            ticket: Some(placed.ticket().clone()),
            order: Some(order),
            ..Loaded::default()
        };
        let cancelled = stored(decide(loaded, cancel.clone(), NOW));
        let Reply::Order(cancelled_order) = cancelled.reply() else {
            panic!("cancelling answers the order");
        };
        assert_eq!(cancelled_order.status, OrderStatus::Cancelled);
        let again = Loaded {
            ticket: Some(cancelled.ticket().clone()),
            order: Some(cancelled_order.clone()),
            ..Loaded::default()
        };
        assert_eq!(
            decide(again, cancel, NOW),
            Ok(Decision::Unchanged(Reply::Order(cancelled_order)))
        );
    }

    #[test]
    fn commands_name_the_order_to_load() {
        assert_eq!(place(None).order_to_load(), None);
        let key = IdempotencyKey::parse("k").unwrap();
        assert_eq!(
            place(Some("k")).order_to_load(),
            Some(OrderLookup::ByIdempotencyKey {
                user_id: "buyer",
                key: &key
            })
        );
        let id = order_id(3);
        assert_eq!(
            Command::FailPayment {
                order_id: id.clone(),
                attempt: 1,
            }
            .order_to_load(),
            Some(OrderLookup::ById(&id))
        );
        assert_eq!(Command::GetTicket.order_to_load(), None);
    }
}
