//! The reservation desk: every decision about a ticket and the orders for it.
//!
//! The ticket's Durable Object is the single writer. For each command it
//! loads what the command needs (`Command::order_to_load`) and asks
//! `decide`, which runs the command's rule (`rules`: what happens, or why
//! not), then applies what happened (`happened::settle`: the new state, its
//! versions and its events). The object stores that `Change` in one
//! transaction and replies. That is what makes "at most one live order per
//! ticket" hold under any stampede, and it keeps every rule here, in plain
//! Rust, unit-tested. The alarm's work and republishing are commands too.

mod happened;
mod refusal;
mod rules;
#[cfg(test)]
mod tests;

pub use happened::{evolve, settle, Happened, Settled};
pub use refusal::Refusal;
pub use rules::{
    closes_at, issue_to_buyer, next_alarm, next_deadline, Verdict, OVERDUE_RETRY_MS,
    PAYMENT_TIMEOUT_MS,
};

use crate::events::Event;
use crate::idempotency::IdempotencyKey;
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Cents;
use crate::orders::{Order, OrderState};
use crate::payments::Payment;
use crate::tickets::{ResaleCap, Ticket, TicketInput};
use serde::{Deserialize, Serialize};

/// What the ticket's Durable Object is asked to do (its internal protocol;
/// `edge::desk_client` sends these, `workers/tickets` answers them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Command {
    CreateTicket {
        ticket_id: TicketId,
        user_id: UserId,
        input: TicketInput,
    },
    UpdateTicket {
        user_id: UserId,
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
        user_id: UserId,
        price: Cents,
        resale_cap: ResaleCap,
    },
    /// The seller takes the listing off the market.
    WithdrawTicket {
        user_id: UserId,
    },
    GetTicket,
    PlaceOrder {
        /// Named by the Idempotency-Key when there is one
        /// (`IdempotencyKey::order_id`), so a retry finds the first order.
        order_id: OrderId,
        user_id: UserId,
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
        user_id: UserId,
    },
    /// Payment attempt starts; its charge is waited for until `until` (Unix
    /// ms; absent: `PAYMENT_TIMEOUT_MS` from now).
    StartPayment {
        order_id: OrderId,
        user_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
    },
    CompletePayment {
        order_id: OrderId,
        payment: Payment,
    },
    /// The charge of payment attempt `attempt` (`Attempt::number`) failed.
    /// An older attempt's failure changes nothing.
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
    /// The alarm: expire the held order if it is due, else close the
    /// listing if its event started (`rules::settle_due`).
    SettleDue,
    /// An operator's repair: send the ticket and every order, as they are,
    /// again (ordinary versioned events: a consumer that has them changes
    /// nothing).
    Republish,
}

/// Which stored orders a command is about, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderLookup<'a> {
    /// The order the command names.
    ById(&'a OrderId),
    /// The order holding the ticket.
    Holding,
    /// Every order ever placed on the ticket.
    Every,
}

impl Command {
    /// Whether the reply is the order the command is about (else the ticket).
    fn is_about_an_order(&self) -> bool {
        match self {
            Command::PlaceOrder { .. }
            | Command::GetOrder { .. }
            | Command::CancelOrder { .. }
            | Command::StartPayment { .. }
            | Command::CompletePayment { .. }
            | Command::FailPayment { .. }
            | Command::AwaitAuthentication { .. } => true,
            Command::CreateTicket { .. }
            | Command::UpdateTicket { .. }
            | Command::IssueTicket { .. }
            | Command::ResellTicket { .. }
            | Command::WithdrawTicket { .. }
            | Command::GetTicket
            | Command::SettleDue
            | Command::Republish => false,
        }
    }

    /// The orders the object must read before deciding. A new order is
    /// looked for only when an Idempotency-Key named it: a retry finds the
    /// first one, and a stampede without keys costs no read.
    pub fn order_to_load(&self) -> Option<OrderLookup<'_>> {
        match self {
            Command::PlaceOrder {
                order_id,
                idempotency_key: Some(_),
                ..
            }
            | Command::GetOrder { order_id }
            | Command::CancelOrder { order_id, .. }
            | Command::StartPayment { order_id, .. }
            | Command::CompletePayment { order_id, .. }
            | Command::FailPayment { order_id, .. }
            | Command::AwaitAuthentication { order_id, .. } => Some(OrderLookup::ById(order_id)),
            Command::SettleDue => Some(OrderLookup::Holding),
            Command::Republish => Some(OrderLookup::Every),
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
/// created) and the orders `Command::order_to_load` asked for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    pub ticket: Option<Ticket>,
    /// The one order asked for (by id, or the one holding the ticket).
    pub order: Option<Order>,
    /// Every order, for `Republish`.
    pub every_order: Vec<Order>,
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

/// A [`Reply`] as a caller that asked about an order reads it. `O` is the
/// caller's reading of the order: all of it, or only the fields it acts on.
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

/// A decided change, as the object stores it: the ticket, the order the
/// command was about if it changed, and the events to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub ticket: Ticket,
    pub order: Option<Order>,
    pub events: Vec<Event>,
    /// What to answer: the order for a command about one, else the ticket.
    about_order: bool,
}

impl Change {
    /// The ticket or the order after the change.
    pub fn reply(&self) -> Reply {
        match (&self.order, self.about_order) {
            (Some(order), true) => Reply::Order(order.clone()),
            _ => Reply::Ticket(self.ticket.clone()),
        }
    }

    /// The order this change ended (cancelled or completed), if any.
    pub fn ended_order(&self) -> Option<&Order> {
        self.order
            .as_ref()
            .filter(|order| !order.status().is_live())
    }
}

/// What happens for a command, or why not: the decider, pure. Reads and
/// repeats make nothing happen.
pub fn decide_what_happens(loaded: &Loaded, command: Command, now: i64) -> Verdict {
    let ticket = loaded.ticket.as_ref();
    let order = loaded.order.as_ref();
    match command {
        Command::CreateTicket {
            ticket_id,
            user_id,
            input,
        } => match ticket {
            Some(_) => Err(Refusal::TicketExists),
            None => Ok(vec![rules::create_ticket(ticket_id, &user_id, input, now)]),
        },
        Command::IssueTicket { ticket: issued } => Ok(match ticket {
            Some(_) => vec![],
            None => vec![Happened::TicketCreated(issued)],
        }),
        Command::GetTicket | Command::Republish => existing(ticket).map(|_| vec![]),
        Command::UpdateTicket {
            user_id,
            input,
            resale_cap,
        } => rules::update_ticket(existing(ticket)?, &user_id, input, resale_cap, now),
        Command::ResellTicket {
            user_id,
            price,
            resale_cap,
        } => rules::resell_ticket(existing(ticket)?, &user_id, price, resale_cap, now),
        Command::WithdrawTicket { user_id } => {
            rules::withdraw_ticket(existing(ticket)?, &user_id, now)
        }
        Command::PlaceOrder {
            order_id,
            user_id,
            window_ms,
            ..
        } => {
            let ticket = existing(ticket)?;
            // A retried POST gets the order the first attempt created.
            if order.is_some() {
                return Ok(vec![]);
            }
            if let Some(after) = loaded.rehold_after.filter(|after| now < *after) {
                return Err(Refusal::ReholdCooldown {
                    retry_after_seconds: crate::limits::Taken::retry_after_seconds(after, now),
                });
            }
            rules::place_order(ticket, order_id, &user_id, now, window_ms)
        }
        Command::GetOrder { .. } => about_order(ticket, order).map(|_| vec![]),
        Command::CancelOrder { user_id, .. } => {
            rules::cancel_order(about_order(ticket, order)?.1, &user_id)
        }
        Command::StartPayment { user_id, until, .. } => {
            rules::start_payment(about_order(ticket, order)?.1, &user_id, until, now)
        }
        Command::CompletePayment { payment, .. } => {
            let (ticket, order) = about_order(ticket, order)?;
            rules::complete_payment(ticket, order, payment, now)
        }
        Command::FailPayment { attempt, .. } => Ok(rules::fail_payment(
            about_order(ticket, order)?.1,
            attempt,
            now,
        )),
        Command::AwaitAuthentication { attempt, until, .. } => Ok(rules::await_authentication(
            about_order(ticket, order)?.1,
            attempt,
            until,
        )),
        Command::SettleDue => Ok(match ticket {
            Some(ticket) => rules::settle_due(ticket, order, now),
            None => vec![],
        }),
    }
}

/// Decides a command against what the object loaded for it, at `now`: what
/// happens, applied (`settle`), as the change to store and the reply.
pub fn decide(loaded: Loaded, command: Command, now: i64) -> Result<Decision, Refusal> {
    let republish = matches!(command, Command::Republish);
    let about_order = command.is_about_an_order();
    let happened = decide_what_happens(&loaded, command, now)?;
    let Loaded {
        ticket,
        order,
        every_order,
        ..
    } = loaded;
    if republish {
        let ticket = existing(ticket.as_ref())?.clone();
        let events = republished(&ticket, &every_order);
        return Ok(Decision::Store(Change {
            ticket,
            order: None,
            events,
            about_order: false,
        }));
    }
    if happened.is_empty() {
        return Ok(Decision::Unchanged(match (order, ticket) {
            (Some(order), _) if about_order => Reply::Order(order),
            (_, Some(ticket)) => Reply::Ticket(ticket),
            (_, None) => return Err(Refusal::TicketNotFound),
        }));
    }
    let settled = settle(ticket, order, &happened);
    Ok(Decision::Store(Change {
        ticket: settled.ticket.ok_or(Refusal::TicketNotFound)?,
        order: settled.order.filter(|_| settled.order_changed),
        events: settled.events,
        about_order,
    }))
}

/// The events that state the ticket and its orders as they are now, for
/// repairing read models. Each order's subject follows its status.
fn republished(ticket: &Ticket, orders: &[Order]) -> Vec<Event> {
    let mut events = vec![Event::TicketUpdated(ticket.clone())];
    events.extend(orders.iter().map(|order| match order.state {
        OrderState::Created | OrderState::AwaitingPayment(_) => Event::OrderCreated(order.clone()),
        OrderState::Cancelled { .. } => Event::OrderCancelled(order.clone()),
        OrderState::Complete { .. } => Event::OrderCompleted(order.clone()),
    }));
    events
}

fn existing(ticket: Option<&Ticket>) -> Result<&Ticket, Refusal> {
    ticket.ok_or(Refusal::TicketNotFound)
}

/// The ticket and the order a command about an order needs.
fn about_order<'a>(
    ticket: Option<&'a Ticket>,
    order: Option<&'a Order>,
) -> Result<(&'a Ticket, &'a Order), Refusal> {
    Ok((existing(ticket)?, order.ok_or(Refusal::OrderNotFound)?))
}
