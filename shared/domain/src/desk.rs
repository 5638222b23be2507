//! The reservation desk: every rule about a ticket and the orders for it, as
//! pure functions from the current state to the next state plus its events.
//!
//! The ticket's Durable Object is the single writer that runs these one at a
//! time and stores each outcome (state and events) in one transaction; that is
//! what makes "at most one live order per ticket" hold under any stampede.

use crate::error::ApiError;
use crate::events::Event;
use crate::ids::{OrderId, TicketId};
use crate::orders::{CancelReason, Order, OrderStatus, TicketSnapshot};
use crate::tickets::{Ticket, TicketInput};
use serde::{Deserialize, Serialize};

/// Why the desk said no. Crosses the Durable Object boundary as JSON and
/// becomes an HTTP error in `From<Refusal> for ApiError`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    TicketNotFound,
    TicketExists,
    OrderNotFound,
    NotOwner,
    TicketReserved,
    TicketSold,
    AlreadyReserved,
    OwnTicket,
    OrderComplete,
    PaymentInProgress,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let bad = |m: &str| ApiError::BadRequest(m.into());
        match refusal {
            Refusal::TicketNotFound | Refusal::OrderNotFound => ApiError::NotFound,
            Refusal::TicketExists => ApiError::internal("ticket id collision"),
            Refusal::NotOwner => ApiError::NotAuthorized,
            Refusal::TicketReserved => bad("Cannot edit a reserved ticket"),
            Refusal::TicketSold => bad("Cannot edit a sold ticket"),
            Refusal::AlreadyReserved => bad("Ticket is already reserved"),
            Refusal::OwnTicket => bad("You cannot buy your own ticket"),
            Refusal::OrderComplete => bad("Cannot cancel a completed order"),
            Refusal::PaymentInProgress => bad("Cannot cancel an order while its payment is in progress"),
        }
    }
}

/// What the ticket's Durable Object is asked to do (its internal protocol;
/// `edge::desk_client` sends these, `workers/tickets` answers them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Command {
    CreateTicket { ticket_id: TicketId, user_id: String, input: TicketInput },
    UpdateTicket { user_id: String, input: TicketInput },
    GetTicket,
    PlaceOrder { order_id: OrderId, user_id: String, window_ms: i64, idempotency_key: Option<String> },
    GetOrder { order_id: OrderId },
    CancelOrder { order_id: OrderId, user_id: String },
}

/// The object's answer: the ticket or the order the command was about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Reply {
    Ticket(Ticket),
    Order(Order),
    Refused(Refusal),
}

/// A decision: the new ticket, the order it touched, and the events to publish.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub ticket: Ticket,
    pub order: Option<Order>,
    pub events: Vec<Event>,
}

pub fn create_ticket(id: TicketId, user_id: &str, input: TicketInput, now: i64) -> Outcome {
    let ticket = Ticket {
        id,
        title: input.title.as_str().to_string(),
        price: input.price,
        user_id: user_id.to_string(),
        version: 0,
        order_id: None,
        sold_to: None,
        created_at: now,
    };
    Outcome { events: vec![Event::TicketCreated(ticket.clone())], ticket, order: None }
}

pub fn update_ticket(ticket: &Ticket, user_id: &str, input: TicketInput) -> Result<Outcome, Refusal> {
    if ticket.user_id != user_id {
        return Err(Refusal::NotOwner);
    }
    if ticket.sold_to.is_some() {
        return Err(Refusal::TicketSold);
    }
    if ticket.order_id.is_some() {
        return Err(Refusal::TicketReserved);
    }
    let ticket = Ticket {
        title: input.title.as_str().to_string(),
        price: input.price,
        version: ticket.version + 1,
        ..ticket.clone()
    };
    Ok(Outcome { events: vec![Event::TicketUpdated(ticket.clone())], ticket, order: None })
}

/// Holds the ticket for a new order that expires `window_ms` from `now`.
pub fn place_order(ticket: &Ticket, order_id: OrderId, buyer: &str, now: i64, window_ms: i64) -> Result<Outcome, Refusal> {
    if ticket.user_id == buyer {
        return Err(Refusal::OwnTicket);
    }
    if !ticket.is_free() {
        return Err(Refusal::AlreadyReserved);
    }
    let order = Order {
        id: order_id.clone(),
        user_id: buyer.to_string(),
        status: OrderStatus::Created,
        cancel_reason: None,
        expires_at: now + window_ms,
        created_at: now,
        version: 0,
        ticket: TicketSnapshot { id: ticket.id.clone(), title: ticket.title.clone(), price: ticket.price },
    };
    let ticket = Ticket { order_id: Some(order_id), version: ticket.version + 1, ..ticket.clone() };
    Ok(Outcome {
        events: vec![Event::OrderCreated(order.clone()), Event::TicketUpdated(ticket.clone())],
        ticket,
        order: Some(order),
    })
}

/// The buyer cancels. `Ok(None)`: already cancelled, nothing to do.
pub fn cancel_order(ticket: &Ticket, order: &Order, by: &str) -> Result<Option<Outcome>, Refusal> {
    if order.user_id != by {
        return Err(Refusal::NotOwner);
    }
    match order.status {
        OrderStatus::Created => Ok(Some(release(ticket, order, CancelReason::User))),
        OrderStatus::Cancelled => Ok(None),
        OrderStatus::Complete => Err(Refusal::OrderComplete),
        OrderStatus::AwaitingPayment => Err(Refusal::PaymentInProgress),
    }
}

/// The alarm's question: is this order due to expire at `now`? Idempotent:
/// an order that is no longer `created` (paid, cancelled, being paid) stays.
pub fn expire_order(ticket: &Ticket, order: &Order, now: i64) -> Option<Outcome> {
    (order.status == OrderStatus::Created && now >= order.expires_at).then(|| release(ticket, order, CancelReason::Expired))
}

fn release(ticket: &Ticket, order: &Order, reason: CancelReason) -> Outcome {
    let order = Order {
        status: OrderStatus::Cancelled,
        cancel_reason: Some(reason),
        version: order.version + 1,
        ..order.clone()
    };
    let mut events = vec![Event::OrderCancelled(order.clone())];
    let mut ticket = ticket.clone();
    if ticket.order_id.as_ref() == Some(&order.id) {
        ticket.order_id = None;
        ticket.version += 1;
        events.push(Event::TicketUpdated(ticket.clone()));
    }
    Outcome { ticket, order: Some(order), events }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Cents;
    use crate::tickets::Title;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;
    const WINDOW: i64 = 900_000;

    fn input(title: &str, price: i64) -> TicketInput {
        TicketInput { title: Title::parse(Some(&json!(title))).unwrap(), price: Cents(price) }
    }

    fn ticket() -> Ticket {
        let id = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        create_ticket(id, "seller", input("Concert", 2000), NOW).ticket
    }

    fn order_id(n: u8) -> OrderId {
        OrderId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    fn held() -> Outcome {
        place_order(&ticket(), order_id(1), "buyer", NOW, WINDOW).unwrap()
    }

    fn subjects(outcome: &Outcome) -> Vec<&'static str> {
        outcome.events.iter().map(Event::subject).collect()
    }

    #[test]
    fn a_new_ticket_is_free_at_version_0() {
        let created = create_ticket(ticket().id, "seller", input("Concert", 2000), NOW);
        assert_eq!((created.ticket.version, created.ticket.is_free()), (0, true));
        assert_eq!(subjects(&created), ["ticket:created"]);
    }

    #[test]
    fn the_owner_edits_a_free_ticket() {
        let edited = update_ticket(&ticket(), "seller", input("Opera", 3000)).unwrap();
        assert_eq!((edited.ticket.title.as_str(), edited.ticket.price, edited.ticket.version), ("Opera", Cents(3000), 1));
        assert_eq!(subjects(&edited), ["ticket:updated"]);
    }

    #[test]
    fn edits_are_refused_to_others_and_while_held_or_sold() {
        assert_eq!(update_ticket(&ticket(), "someone", input("x", 1)), Err(Refusal::NotOwner));
        assert_eq!(update_ticket(&held().ticket, "seller", input("x", 1)), Err(Refusal::TicketReserved));
        let sold = Ticket { sold_to: Some(order_id(1)), ..ticket() };
        assert_eq!(update_ticket(&sold, "seller", input("x", 1)), Err(Refusal::TicketSold));
    }

    #[test]
    fn placing_an_order_holds_the_ticket_until_the_deadline() {
        let outcome = held();
        let order = outcome.order.clone().unwrap();
        assert_eq!((order.status, order.version, order.expires_at), (OrderStatus::Created, 0, NOW + WINDOW));
        assert_eq!(order.ticket.price, Cents(2000));
        assert_eq!(outcome.ticket.order_id, Some(order_id(1)));
        assert_eq!(outcome.ticket.version, 1, "reserved is version 1");
        assert_eq!(subjects(&outcome), ["order:created", "ticket:updated"]);
    }

    #[test]
    fn a_held_or_sold_ticket_cannot_be_ordered() {
        assert_eq!(place_order(&held().ticket, order_id(2), "other", NOW, WINDOW), Err(Refusal::AlreadyReserved));
        let sold = Ticket { sold_to: Some(order_id(1)), ..ticket() };
        assert_eq!(place_order(&sold, order_id(2), "other", NOW, WINDOW), Err(Refusal::AlreadyReserved));
    }

    #[test]
    fn sellers_cannot_buy_their_own_ticket() {
        assert_eq!(place_order(&ticket(), order_id(1), "seller", NOW, WINDOW), Err(Refusal::OwnTicket));
    }

    #[test]
    fn cancelling_releases_the_ticket_at_version_2() {
        let outcome = held();
        let cancelled = cancel_order(&outcome.ticket, outcome.order.as_ref().unwrap(), "buyer").unwrap().unwrap();
        let order = cancelled.order.clone().unwrap();
        assert_eq!((order.status, order.cancel_reason, order.version), (OrderStatus::Cancelled, Some(CancelReason::User), 1));
        assert!(cancelled.ticket.is_free());
        assert_eq!(cancelled.ticket.version, 2, "released is version 2");
        assert_eq!(subjects(&cancelled), ["order:cancelled", "ticket:updated"]);
    }

    #[test]
    fn cancel_is_refused_to_others_and_for_final_or_paying_orders() {
        let outcome = held();
        let order = outcome.order.clone().unwrap();
        assert_eq!(cancel_order(&outcome.ticket, &order, "intruder"), Err(Refusal::NotOwner));
        let complete = Order { status: OrderStatus::Complete, ..order.clone() };
        assert_eq!(cancel_order(&outcome.ticket, &complete, "buyer"), Err(Refusal::OrderComplete));
        let paying = Order { status: OrderStatus::AwaitingPayment, ..order.clone() };
        assert_eq!(cancel_order(&outcome.ticket, &paying, "buyer"), Err(Refusal::PaymentInProgress));
        let cancelled = Order { status: OrderStatus::Cancelled, ..order };
        assert_eq!(cancel_order(&outcome.ticket, &cancelled, "buyer"), Ok(None), "a no-op");
    }

    #[test]
    fn orders_expire_at_their_deadline_and_not_before() {
        let outcome = held();
        let order = outcome.order.clone().unwrap();
        assert_eq!(expire_order(&outcome.ticket, &order, NOW + WINDOW - 1), None);
        let expired = expire_order(&outcome.ticket, &order, NOW + WINDOW).unwrap();
        assert_eq!(expired.order.unwrap().cancel_reason, Some(CancelReason::Expired));
        assert!(expired.ticket.is_free());
    }

    #[test]
    fn expiry_leaves_paid_cancelled_and_paying_orders_alone() {
        let outcome = held();
        let order = outcome.order.clone().unwrap();
        for status in [OrderStatus::Complete, OrderStatus::Cancelled, OrderStatus::AwaitingPayment] {
            let order = Order { status, ..order.clone() };
            assert_eq!(expire_order(&outcome.ticket, &order, NOW + WINDOW * 2), None, "{status:?}");
        }
    }

    #[test]
    fn releasing_a_stale_order_does_not_free_someone_elses_hold() {
        let first = held();
        let stale = first.order.clone().unwrap();
        let released = cancel_order(&first.ticket, &stale, "buyer").unwrap().unwrap();
        let second = place_order(&released.ticket, order_id(2), "other", NOW, WINDOW).unwrap();
        // An alarm or retry that somehow sees the first order again must not touch the second hold.
        let again = release(&second.ticket, &stale, CancelReason::Expired);
        assert_eq!(again.ticket.order_id, Some(order_id(2)));
        assert_eq!(again.ticket.version, second.ticket.version);
    }

    #[test]
    fn refusals_map_to_the_original_messages() {
        let status = |r: Refusal| ApiError::from(r).status();
        assert_eq!(status(Refusal::TicketNotFound), 404);
        assert_eq!(status(Refusal::NotOwner), 401);
        assert_eq!(ApiError::from(Refusal::AlreadyReserved), ApiError::BadRequest("Ticket is already reserved".into()));
        assert_eq!(ApiError::from(Refusal::TicketReserved), ApiError::BadRequest("Cannot edit a reserved ticket".into()));
    }
}
