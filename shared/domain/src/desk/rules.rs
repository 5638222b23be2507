//! The rules: pure functions from a ticket (and the order a command is
//! about) to the next state plus its events. `decide` picks the rule for a
//! command; these say what each rule allows.

use super::{Change, Refusal};
use crate::events::Event;
use crate::ids::{OrderId, TicketId};
use crate::money::Cents;
use crate::orders::{CancelReason, Order, OrderStatus, TicketSnapshot};
use crate::payments::Payment;
use crate::tickets::{EventField, ResaleCap, Ticket, TicketInput, Transfer};

/// A change to the ticket alone, with its events.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketChange {
    pub ticket: Ticket,
    pub events: Vec<Event>,
}

/// A change to one order (and the ticket it holds), with its events.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderChange {
    pub ticket: Ticket,
    pub order: Order,
    pub events: Vec<Event>,
}

pub fn create_ticket(id: TicketId, user_id: &str, input: TicketInput, now: i64) -> TicketChange {
    let title = input.title.as_str().to_string();
    let ticket = Ticket {
        event: match input.event {
            EventField::Given(event) => Some(event),
            EventField::Unchanged | EventField::Removed => None,
        },
        ..Ticket::new(id, title, input.price, user_id.to_string(), now)
    };
    TicketChange {
        events: vec![Event::TicketCreated(ticket.clone())],
        ticket,
    }
}

/// The checks of an edit and of a withdrawal, in the original's order.
fn may_change(ticket: &Ticket, user_id: &str, now: i64) -> Result<(), Refusal> {
    if ticket.user_id != user_id {
        return Err(Refusal::NotOwner);
    }
    if ticket.sold_to.is_some() {
        return Err(Refusal::TicketSold);
    }
    if ticket.order_id.is_some() {
        return Err(Refusal::TicketReserved);
    }
    if ticket.withdrawn {
        return Err(Refusal::TicketWithdrawn);
    }
    if ticket.has_started(now) {
        return Err(Refusal::EventStarted);
    }
    Ok(())
}

/// A resold ticket's price may not exceed the cap on what its owner paid.
fn within_cap(ticket: &Ticket, price: Cents, cap: ResaleCap) -> Result<(), Refusal> {
    match ticket.paid.map(|paid| cap.max_price(paid)) {
        Some(max) if price > max => Err(Refusal::AboveResaleCap { max }),
        _ => Ok(()),
    }
}

/// A bought ticket's title and event describe what was sold: only the
/// first-hand seller sets them, so an owner cannot relabel a ticket and
/// resell it as something it is not (or move its start to keep it listed).
fn keeps_description(ticket: &Ticket, input: &TicketInput) -> Result<(), Refusal> {
    if ticket.paid.is_none() {
        return Ok(());
    }
    let same_event = match &input.event {
        EventField::Unchanged => true,
        EventField::Removed => ticket.event.is_none(),
        EventField::Given(event) => ticket.event.as_ref() == Some(event),
    };
    if input.title.as_str() != ticket.title || !same_event {
        return Err(Refusal::DescriptionFixed);
    }
    Ok(())
}

/// The seller edits the title, the price and the event (a new start moves
/// the closing alarm: `next_alarm` reads it from the ticket). A resale
/// listing keeps to the resale cap, and its title and event stay what was
/// bought.
pub fn update_ticket(
    ticket: &Ticket,
    user_id: &str,
    input: TicketInput,
    cap: ResaleCap,
    now: i64,
) -> Result<TicketChange, Refusal> {
    may_change(ticket, user_id, now)?;
    keeps_description(ticket, &input)?;
    within_cap(ticket, input.price, cap)?;
    let ticket = Ticket {
        title: input.title.as_str().to_string(),
        price: input.price,
        event: match input.event {
            EventField::Unchanged => ticket.event.clone(),
            EventField::Removed => None,
            EventField::Given(event) => Some(event),
        },
        version: ticket.version + 1,
        ..ticket.clone()
    };
    Ok(TicketChange {
        events: vec![Event::TicketUpdated(ticket.clone())],
        ticket,
    })
}

/// Holds the ticket for a new order that expires `window_ms` from `now`.
pub fn place_order(
    ticket: &Ticket,
    order_id: OrderId,
    buyer: &str,
    now: i64,
    window_ms: i64,
) -> Result<OrderChange, Refusal> {
    if ticket.user_id == buyer {
        return Err(Refusal::OwnTicket);
    }
    if !ticket.is_free() {
        return Err(Refusal::AlreadyReserved);
    }
    if ticket.withdrawn {
        return Err(Refusal::TicketWithdrawn);
    }
    if ticket.unlisted {
        return Err(Refusal::NotForSale);
    }
    if ticket.has_started(now) {
        return Err(Refusal::EventStarted);
    }
    let order = Order {
        id: order_id.clone(),
        user_id: buyer.to_string(),
        status: OrderStatus::Created,
        cancel_reason: None,
        expires_at: now + window_ms,
        created_at: now,
        version: 0,
        ticket: TicketSnapshot {
            id: ticket.id.clone(),
            title: ticket.title.clone(),
            price: ticket.price,
        },
        payment_started_at: None,
        payment_until: None,
        authentication_until: None,
        payment_id: None,
    };
    let ticket = Ticket {
        order_id: Some(order_id),
        held_until: Some(order.expires_at),
        version: ticket.version + 1,
        ..ticket.clone()
    };
    Ok(OrderChange {
        events: vec![
            Event::OrderCreated(order.clone()),
            Event::TicketUpdated(ticket.clone()),
        ],
        ticket,
        order,
    })
}

/// The buyer cancels. `Ok(None)`: already cancelled, nothing to do.
pub fn cancel_order(
    ticket: &Ticket,
    order: &Order,
    by: &str,
) -> Result<Option<OrderChange>, Refusal> {
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

/// How long a payment may stay in flight before the alarm stops waiting for
/// it, unless payments sets another deadline (`PAYMENT_TIMEOUT_SECONDS`). A
/// charge that lands later finds the order cancelled and is refunded.
pub const PAYMENT_TIMEOUT_MS: i64 = 60_000;

/// When the alarm must look at this order next, if it is live.
pub fn next_deadline(order: &Order) -> Option<i64> {
    match (order.status, order.payment_started_at) {
        (OrderStatus::Created, _) => Some(order.expires_at),
        (OrderStatus::AwaitingPayment, Some(started)) => Some(
            order
                .authentication_until
                .or(order.payment_until)
                .unwrap_or(started + PAYMENT_TIMEOUT_MS),
        ),
        (OrderStatus::AwaitingPayment, None) => Some(order.expires_at),
        _ => None,
    }
}

/// The events that state the ticket and its orders as they are now, for
/// repairing read models: ordinary versioned events, so a consumer that has
/// them already changes nothing. Each order's subject follows its status.
pub fn republish(ticket: &Ticket, orders: &[Order]) -> Vec<Event> {
    let mut events = vec![Event::TicketUpdated(ticket.clone())];
    events.extend(orders.iter().map(|order| match order.status {
        OrderStatus::Created | OrderStatus::AwaitingPayment => Event::OrderCreated(order.clone()),
        OrderStatus::Cancelled => Event::OrderCancelled(order.clone()),
        OrderStatus::Complete => Event::OrderCompleted(order.clone()),
    }));
    events
}

/// How soon an overdue order's expiry is tried again when it just failed:
/// soon, but not at once, so a failing storage call cannot spin the alarm.
pub const OVERDUE_RETRY_MS: i64 = 1_000;

/// When the object's alarm must fire next: the earlier of the retry of its
/// unsent events and the held order's deadline; none if neither. A held
/// order always gets one, at or before its deadline; a deadline already past
/// (its expiry failed just now) is tried again `OVERDUE_RETRY_MS` from now.
pub fn next_alarm(
    ticket: Option<&Ticket>,
    held: Option<&Order>,
    retry_at: Option<i64>,
    now: i64,
) -> Option<i64> {
    let due = |at: i64| {
        if at <= now {
            now + OVERDUE_RETRY_MS
        } else {
            at
        }
    };
    let deadline = held.and_then(next_deadline).map(due);
    let closing = ticket.and_then(closes_at).map(due);
    [deadline, closing, retry_at].into_iter().flatten().min()
}

/// When the listing must close: its event's start, while it is still open
/// (not closed, sold or withdrawn).
pub fn closes_at(ticket: &Ticket) -> Option<i64> {
    let open = !ticket.closed && ticket.sold_to.is_none() && !ticket.withdrawn;
    ticket.event.as_ref().filter(|_| open).map(|e| e.starts_at)
}

/// The alarm's other question: has the event started? Then the listing
/// closes, and an unpaid hold on it expires with it. A payment already in
/// flight goes on: its outcome sells the ticket or frees the hold (to a
/// closed listing). Idempotent: `None` once closed.
pub fn close_listing(ticket: &Ticket, held: Option<&Order>, now: i64) -> Option<Change> {
    if closes_at(ticket).is_none_or(|at| now < at) {
        return None;
    }
    let closed = Ticket {
        closed: true,
        ..ticket.clone()
    };
    match held {
        Some(order) if order.status == OrderStatus::Created => {
            // One version step for both: released and closed together.
            let mut change = release(&closed, order, CancelReason::Expired);
            if let Some(Event::TicketUpdated(t)) = change.events.last_mut() {
                *t = change.ticket.clone();
            }
            Some(change.into())
        }
        _ => {
            let ticket = Ticket {
                version: ticket.version + 1,
                ..closed
            };
            Some(Change::Ticket(TicketChange {
                events: vec![Event::TicketUpdated(ticket.clone())],
                ticket,
            }))
        }
    }
}

/// The seller takes a listing off the market; the same checks as an edit.
/// `Ok(None)`: already withdrawn.
pub fn withdraw_ticket(
    ticket: &Ticket,
    user_id: &str,
    now: i64,
) -> Result<Option<TicketChange>, Refusal> {
    if ticket.withdrawn && ticket.user_id == user_id {
        return Ok(None);
    }
    if ticket.unlisted && ticket.user_id == user_id {
        return Ok(None);
    }
    may_change(ticket, user_id, now)?;
    // A resale listing goes back to its owner's tickets; a first-hand
    // listing leaves the market for good.
    let resale = ticket.paid.is_some();
    let ticket = Ticket {
        withdrawn: !resale,
        unlisted: resale,
        version: ticket.version + 1,
        ..ticket.clone()
    };
    Ok(Some(TicketChange {
        events: vec![Event::TicketUpdated(ticket.clone())],
        ticket,
    }))
}

/// The alarm's question: is this order due at `now`? Idempotent. An unpaid
/// order expires at its deadline; a payment still in flight after
/// `PAYMENT_TIMEOUT_MS` is given up on (back to `created`, or expired if its
/// deadline has passed meanwhile). Paid and cancelled orders stay.
pub fn expire_order(ticket: &Ticket, order: &Order, now: i64) -> Option<OrderChange> {
    let due = next_deadline(order).is_some_and(|deadline| now >= deadline);
    match order.status {
        _ if !due => None,
        OrderStatus::Created => Some(release(ticket, order, CancelReason::Expired)),
        OrderStatus::AwaitingPayment => fail_payment(ticket, order, order.version, now),
        OrderStatus::Complete | OrderStatus::Cancelled => None,
    }
}

/// Before any money moves: the order becomes `awaiting:payment`, so expiry
/// waits for the outcome, until `until` (or `PAYMENT_TIMEOUT_MS` from now).
/// `Ok(None)`: a payment is already in flight (a concurrent or retried
/// request), which goes on with the same provider idempotency key and so
/// charges once.
pub fn start_payment(
    ticket: &Ticket,
    order: &Order,
    by: &str,
    until: Option<i64>,
    now: i64,
) -> Result<Option<OrderChange>, Refusal> {
    if order.user_id != by {
        return Err(Refusal::NotOwner);
    }
    match order.status {
        OrderStatus::Cancelled if order.cancel_reason == Some(CancelReason::Expired) => {
            Err(Refusal::OrderExpired)
        }
        OrderStatus::Cancelled => Err(Refusal::OrderCancelled),
        OrderStatus::Complete => Err(Refusal::AlreadyPaid),
        OrderStatus::AwaitingPayment => Ok(None),
        OrderStatus::Created if now >= order.expires_at => Err(Refusal::OrderExpired),
        OrderStatus::Created => {
            let order = Order {
                status: OrderStatus::AwaitingPayment,
                payment_started_at: Some(now),
                payment_until: Some(until.unwrap_or(now + PAYMENT_TIMEOUT_MS)),
                version: order.version + 1,
                ..order.clone()
            };
            Ok(Some(OrderChange {
                ticket: ticket.clone(),
                order,
                events: vec![],
            }))
        }
    }
}

/// The charge succeeded: the order is complete and the ticket sold, for good.
/// `Ok(None)`: already completed by this payment (a retry or the webhook).
/// Refused for a cancelled or expired order: the caller must refund.
pub fn complete_payment(
    ticket: &Ticket,
    order: &Order,
    payment: Payment,
    now: i64,
) -> Result<Option<OrderChange>, Refusal> {
    match order.status {
        OrderStatus::Complete if order.payment_id.as_deref() == Some(payment.id.as_str()) => {
            Ok(None)
        }
        OrderStatus::Complete => Err(Refusal::AlreadyPaid),
        OrderStatus::Cancelled => Err(Refusal::OrderCancelled),
        OrderStatus::Created if now >= order.expires_at => Err(Refusal::OrderExpired),
        OrderStatus::Created | OrderStatus::AwaitingPayment => {
            let order = Order {
                status: OrderStatus::Complete,
                payment_id: Some(payment.id.clone()),
                payment_started_at: None,
                payment_until: None,
                authentication_until: None,
                version: order.version + 1,
                ..order.clone()
            };
            let issued = issue_to_buyer(ticket, &order, &payment.id, now);
            let ticket = Ticket {
                order_id: None,
                held_until: None,
                sold_to: Some(order.id.clone()),
                sold_at: Some(now),
                version: ticket.version + 1,
                ..ticket.clone()
            };
            Ok(Some(OrderChange {
                events: vec![
                    Event::OrderCompleted(order.clone()),
                    Event::TicketUpdated(ticket.clone()),
                    Event::PaymentCreated(payment),
                    Event::TicketIssued(issued),
                ],
                ticket,
                order,
            }))
        }
    }
}

/// The ticket a completed order gives its buyer (the Face Value Exchange
/// model: the listing is closed for good as the seller's record, and a new
/// ticket is issued, so one ticket can never be sold twice). It is named by
/// the order, owned by the buyer, not listed, and carries the chain of
/// custody with this sale at its end. It is written in the same commit as
/// the sale, as the `ticket:issued` event in the listing's outbox; the
/// tickets service creates it from there in its own object.
pub fn issue_to_buyer(listing: &Ticket, order: &Order, payment_id: &str, now: i64) -> Ticket {
    let mut custody = listing.custody.clone();
    custody.push(Transfer {
        from: listing.user_id.clone(),
        to: order.user_id.clone(),
        price: order.ticket.price,
        at: now,
        listing: listing.id.clone(),
    });
    let id = TicketId::issued_by_payment(payment_id);
    let (title, price, owner) = (
        listing.title.clone(),
        order.ticket.price,
        order.user_id.clone(),
    );
    Ticket {
        event: listing.event.clone(),
        unlisted: true,
        paid: Some(price),
        custody,
        ..Ticket::new(id, title, price, owner, now)
    }
}

/// The owner lists a ticket they bought, at most at the cap on what they paid.
pub fn resell_ticket(
    ticket: &Ticket,
    user_id: &str,
    price: Cents,
    cap: ResaleCap,
    now: i64,
) -> Result<TicketChange, Refusal> {
    if ticket.user_id != user_id {
        return Err(Refusal::NotOwner);
    }
    if ticket.sold_to.is_some() {
        return Err(Refusal::TicketSold);
    }
    if ticket.paid.is_none() {
        return Err(Refusal::NotResellable);
    }
    if !ticket.unlisted {
        return Err(Refusal::AlreadyListed);
    }
    if ticket.has_started(now) {
        return Err(Refusal::EventStarted);
    }
    within_cap(ticket, price, cap)?;
    let ticket = Ticket {
        unlisted: false,
        price,
        version: ticket.version + 1,
        ..ticket.clone()
    };
    Ok(TicketChange {
        events: vec![Event::TicketUpdated(ticket.clone())],
        ticket,
    })
}

/// The card's issuer wants the buyer to authenticate (3-D Secure) the
/// charge of attempt `attempt`: the attempt stays in flight until `until`
/// (the authentication window) instead of the lost-payment timeout. The
/// version stays, so the attempt keeps its name; nothing is published (the
/// status is unchanged). `None` for any other attempt or state.
pub fn await_authentication(
    ticket: &Ticket,
    order: &Order,
    attempt: u64,
    until: i64,
) -> Option<OrderChange> {
    if order.status != OrderStatus::AwaitingPayment || order.version != attempt {
        return None;
    }
    Some(OrderChange {
        ticket: ticket.clone(),
        order: Order {
            authentication_until: Some(until),
            ..order.clone()
        },
        events: vec![],
    })
}

/// The charge of payment attempt `attempt` failed: payable again until its
/// deadline, expired after it. An attempt is named by the order's version
/// when it started, so a late failure of an older attempt (a stale
/// `payment_failed` webhook) cannot undo the attempt now in flight.
pub fn fail_payment(ticket: &Ticket, order: &Order, attempt: u64, now: i64) -> Option<OrderChange> {
    if order.status != OrderStatus::AwaitingPayment || order.version != attempt {
        return None;
    }
    if now >= order.expires_at {
        return Some(release(ticket, order, CancelReason::Expired));
    }
    let order = Order {
        status: OrderStatus::Created,
        payment_started_at: None,
        payment_until: None,
        authentication_until: None,
        version: order.version + 1,
        ..order.clone()
    };
    Some(OrderChange {
        ticket: ticket.clone(),
        order,
        events: vec![],
    })
}

fn release(ticket: &Ticket, order: &Order, reason: CancelReason) -> OrderChange {
    let order = Order {
        status: OrderStatus::Cancelled,
        cancel_reason: Some(reason),
        payment_started_at: None,
        payment_until: None,
        version: order.version + 1,
        ..order.clone()
    };
    let mut events = vec![Event::OrderCancelled(order.clone())];
    let mut ticket = ticket.clone();
    if ticket.order_id.as_ref() == Some(&order.id) {
        ticket.order_id = None;
        ticket.held_until = None;
        ticket.version += 1;
        events.push(Event::TicketUpdated(ticket.clone()));
    }
    OrderChange {
        ticket,
        order,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Cents;
    use crate::tickets::{EventDetails, Title};
    use serde_json::json;

    const NOW: i64 = 1_800_000_000_000;
    const WINDOW: i64 = 900_000;

    fn input(title: &str, price: i64) -> TicketInput {
        TicketInput {
            title: Title::parse(Some(&json!(title))).unwrap(),
            price: Cents(price),
            event: EventField::Unchanged,
        }
    }

    fn ticket() -> Ticket {
        let id = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        create_ticket(id, "seller", input("Concert", 2000), NOW).ticket
    }

    fn order_id(n: u8) -> OrderId {
        OrderId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
    }

    fn held() -> OrderChange {
        place_order(&ticket(), order_id(1), "buyer", NOW, WINDOW).unwrap()
    }

    fn subjects(events: &[Event]) -> Vec<&'static str> {
        events.iter().map(Event::subject).collect()
    }

    #[test]
    fn a_new_ticket_is_free_at_version_0() {
        let created = create_ticket(ticket().id, "seller", input("Concert", 2000), NOW);
        assert_eq!(
            (created.ticket.version, created.ticket.is_free()),
            (0, true)
        );
        assert_eq!(subjects(&created.events), ["ticket:created"]);
    }

    #[test]
    fn the_owner_edits_a_free_ticket() {
        let edited = update_ticket(
            &ticket(),
            "seller",
            input("Opera", 3000),
            ResaleCap::default(),
            NOW,
        )
        .unwrap();
        assert_eq!(
            (
                edited.ticket.title.as_str(),
                edited.ticket.price,
                edited.ticket.version
            ),
            ("Opera", Cents(3000), 1)
        );
        assert_eq!(subjects(&edited.events), ["ticket:updated"]);
    }

    #[test]
    fn edits_are_refused_to_others_and_while_held_or_sold() {
        assert_eq!(
            update_ticket(
                &ticket(),
                "someone",
                input("x", 1),
                ResaleCap::default(),
                NOW
            ),
            Err(Refusal::NotOwner)
        );
        assert_eq!(
            update_ticket(
                &held().ticket,
                "seller",
                input("x", 1),
                ResaleCap::default(),
                NOW
            ),
            Err(Refusal::TicketReserved)
        );
        let sold = Ticket {
            sold_to: Some(order_id(1)),
            ..ticket()
        };
        assert_eq!(
            update_ticket(&sold, "seller", input("x", 1), ResaleCap::default(), NOW),
            Err(Refusal::TicketSold)
        );
    }

    #[test]
    fn placing_an_order_holds_the_ticket_until_the_deadline() {
        let outcome = held();
        let order = outcome.order.clone();
        assert_eq!(
            (order.status, order.version, order.expires_at),
            (OrderStatus::Created, 0, NOW + WINDOW)
        );
        assert_eq!(order.ticket.price, Cents(2000));
        assert_eq!(outcome.ticket.order_id, Some(order_id(1)));
        assert_eq!(outcome.ticket.version, 1, "reserved is version 1");
        assert_eq!(
            subjects(&outcome.events),
            ["order:created", "ticket:updated"]
        );
    }

    #[test]
    fn a_held_or_sold_ticket_cannot_be_ordered() {
        assert_eq!(
            place_order(&held().ticket, order_id(2), "other", NOW, WINDOW),
            Err(Refusal::AlreadyReserved)
        );
        let sold = Ticket {
            sold_to: Some(order_id(1)),
            ..ticket()
        };
        assert_eq!(
            place_order(&sold, order_id(2), "other", NOW, WINDOW),
            Err(Refusal::AlreadyReserved)
        );
    }

    #[test]
    fn sellers_cannot_buy_their_own_ticket() {
        assert_eq!(
            place_order(&ticket(), order_id(1), "seller", NOW, WINDOW),
            Err(Refusal::OwnTicket)
        );
    }

    #[test]
    fn cancelling_releases_the_ticket_at_version_2() {
        let outcome = held();
        let cancelled = cancel_order(&outcome.ticket, &outcome.order, "buyer")
            .unwrap()
            .unwrap();
        let order = cancelled.order.clone();
        assert_eq!(
            (order.status, order.cancel_reason, order.version),
            (OrderStatus::Cancelled, Some(CancelReason::User), 1)
        );
        assert!(cancelled.ticket.is_free());
        assert_eq!(cancelled.ticket.version, 2, "released is version 2");
        assert_eq!(
            subjects(&cancelled.events),
            ["order:cancelled", "ticket:updated"]
        );
    }

    #[test]
    fn cancel_is_refused_to_others_and_for_final_or_paying_orders() {
        let outcome = held();
        let order = outcome.order.clone();
        assert_eq!(
            cancel_order(&outcome.ticket, &order, "intruder"),
            Err(Refusal::NotOwner)
        );
        let complete = Order {
            status: OrderStatus::Complete,
            ..order.clone()
        };
        assert_eq!(
            cancel_order(&outcome.ticket, &complete, "buyer"),
            Err(Refusal::OrderComplete)
        );
        let paying = Order {
            status: OrderStatus::AwaitingPayment,
            ..order.clone()
        };
        assert_eq!(
            cancel_order(&outcome.ticket, &paying, "buyer"),
            Err(Refusal::PaymentInProgress)
        );
        let cancelled = Order {
            status: OrderStatus::Cancelled,
            ..order
        };
        assert_eq!(
            cancel_order(&outcome.ticket, &cancelled, "buyer"),
            Ok(None),
            "a no-op"
        );
    }

    #[test]
    fn orders_expire_at_their_deadline_and_not_before() {
        let outcome = held();
        let order = outcome.order.clone();
        assert_eq!(
            expire_order(&outcome.ticket, &order, NOW + WINDOW - 1),
            None
        );
        let expired = expire_order(&outcome.ticket, &order, NOW + WINDOW).unwrap();
        assert_eq!(expired.order.cancel_reason, Some(CancelReason::Expired));
        assert!(expired.ticket.is_free());
    }

    #[test]
    fn expiry_leaves_paid_cancelled_and_paying_orders_alone() {
        let outcome = held();
        let order = outcome.order.clone();
        for status in [
            OrderStatus::Complete,
            OrderStatus::Cancelled,
            OrderStatus::AwaitingPayment,
        ] {
            // A payment that began a moment ago is still in flight.
            let order = Order {
                status,
                payment_started_at: Some(NOW + WINDOW * 2 - 1),
                ..order.clone()
            };
            assert_eq!(
                expire_order(&outcome.ticket, &order, NOW + WINDOW * 2),
                None,
                "{status:?}"
            );
        }
    }

    #[test]
    fn releasing_a_stale_order_does_not_free_someone_elses_hold() {
        let first = held();
        let stale = first.order.clone();
        let released = cancel_order(&first.ticket, &stale, "buyer")
            .unwrap()
            .unwrap();
        let second = place_order(&released.ticket, order_id(2), "other", NOW, WINDOW).unwrap();
        // An alarm or retry that somehow sees the first order again must not touch the second hold.
        let again = release(&second.ticket, &stale, CancelReason::Expired);
        assert_eq!(again.ticket.order_id, Some(order_id(2)));
        assert_eq!(again.ticket.version, second.ticket.version);
    }

    fn payment(id: &str) -> Payment {
        Payment::example(id, order_id(1))
    }

    fn paying() -> OrderChange {
        let outcome = held();
        start_payment(&outcome.ticket, &outcome.order, "buyer", None, NOW + 10)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn paying_moves_the_order_to_awaiting_payment_first() {
        let outcome = paying();
        let order = outcome.order;
        assert_eq!(
            (order.status, order.version, order.payment_started_at),
            (OrderStatus::AwaitingPayment, 1, Some(NOW + 10))
        );
        assert_eq!(outcome.ticket.order_id, Some(order_id(1)), "still held");
    }

    #[test]
    fn a_second_payment_attempt_goes_on_without_a_second_transition() {
        let outcome = paying();
        assert_eq!(
            start_payment(&outcome.ticket, &outcome.order, "buyer", None, NOW + 20),
            Ok(None)
        );
    }

    #[test]
    fn payment_is_refused_to_others_and_for_cancelled_expired_or_paid_orders() {
        let outcome = held();
        let order = outcome.order.clone();
        assert_eq!(
            start_payment(&outcome.ticket, &order, "intruder", None, NOW),
            Err(Refusal::NotOwner)
        );
        assert_eq!(
            start_payment(&outcome.ticket, &order, "buyer", None, NOW + WINDOW),
            Err(Refusal::OrderExpired)
        );
        let cancelled = cancel_order(&outcome.ticket, &order, "buyer")
            .unwrap()
            .unwrap()
            .order;
        assert_eq!(
            start_payment(&outcome.ticket, &cancelled, "buyer", None, NOW),
            Err(Refusal::OrderCancelled)
        );
        let expired = expire_order(&outcome.ticket, &order, NOW + WINDOW)
            .unwrap()
            .order;
        assert_eq!(
            start_payment(&outcome.ticket, &expired, "buyer", None, NOW),
            Err(Refusal::OrderExpired)
        );
        let complete = Order {
            status: OrderStatus::Complete,
            ..order
        };
        assert_eq!(
            start_payment(&outcome.ticket, &complete, "buyer", None, NOW),
            Err(Refusal::AlreadyPaid)
        );
    }

    #[test]
    fn a_successful_charge_completes_the_order_and_sells_the_ticket() {
        let outcome = paying();
        let done = complete_payment(&outcome.ticket, &outcome.order, payment("pay_1"), NOW + 30)
            .unwrap()
            .unwrap();
        let order = done.order.clone();
        assert_eq!(
            (order.status, order.payment_id.as_deref(), order.version),
            (OrderStatus::Complete, Some("pay_1"), 2)
        );
        assert_eq!(
            (
                done.ticket.sold_to.clone(),
                done.ticket.order_id.clone(),
                done.ticket.version
            ),
            (Some(order_id(1)), None, 2)
        );
        assert_eq!(order.payment_started_at, None, "no payment in flight");
        assert_eq!(
            subjects(&done.events),
            [
                "order:completed",
                "ticket:updated",
                "payment:created",
                "ticket:issued"
            ]
        );
        // Sold for good: not reservable, not editable, not expirable, not cancellable.
        assert_eq!(
            place_order(&done.ticket, order_id(2), "other", NOW, WINDOW),
            Err(Refusal::AlreadyReserved)
        );
        assert_eq!(
            update_ticket(
                &done.ticket,
                "seller",
                input("x", 1),
                ResaleCap::default(),
                NOW
            ),
            Err(Refusal::TicketSold)
        );
        assert_eq!(expire_order(&done.ticket, &order, NOW + WINDOW * 10), None);
        assert_eq!(
            cancel_order(&done.ticket, &order, "buyer"),
            Err(Refusal::OrderComplete)
        );
        // The same payment again (retry, webhook) changes nothing; another one is refused.
        assert_eq!(
            complete_payment(&done.ticket, &order, payment("pay_1"), NOW + 40),
            Ok(None)
        );
        assert_eq!(
            complete_payment(&done.ticket, &order, payment("pay_2"), NOW + 40),
            Err(Refusal::AlreadyPaid)
        );
    }

    #[test]
    fn a_charge_that_lands_on_a_cancelled_or_expired_order_is_refused_for_refund() {
        let outcome = held();
        let order = outcome.order.clone();
        let expired = expire_order(&outcome.ticket, &order, NOW + WINDOW).unwrap();
        let late = complete_payment(
            &expired.ticket,
            &expired.order,
            payment("pay_1"),
            NOW + WINDOW + 1,
        );
        assert_eq!(late, Err(Refusal::OrderCancelled));
        assert_eq!(
            complete_payment(&outcome.ticket, &order, payment("pay_1"), NOW + WINDOW),
            Err(Refusal::OrderExpired)
        );
    }

    #[test]
    fn a_payment_started_before_the_deadline_may_complete_after_it() {
        let held = held();
        let outcome = start_payment(&held.ticket, &held.order, "buyer", None, NOW + WINDOW - 10)
            .unwrap()
            .unwrap();
        let late = complete_payment(
            &outcome.ticket,
            &outcome.order,
            payment("pay_1"),
            NOW + WINDOW + 5,
        );
        assert!(matches!(late, Ok(Some(_))));
        assert_eq!(
            expire_order(&outcome.ticket, &outcome.order, NOW + WINDOW + 5),
            None,
            "expiry waits for the payment"
        );
    }

    #[test]
    fn a_charge_completes_an_order_still_created_before_its_deadline() {
        let outcome = held();
        let done = complete_payment(&outcome.ticket, &outcome.order, payment("pay_1"), NOW + 30)
            .unwrap()
            .unwrap();
        assert_eq!(
            (done.order.status, done.order.version),
            (OrderStatus::Complete, 1)
        );
        assert_eq!(done.ticket.sold_to, Some(order_id(1)));
    }

    #[test]
    fn a_declined_charge_leaves_the_order_payable_until_its_deadline() {
        let outcome = paying();
        let order = outcome.order.clone();
        let retry = fail_payment(&outcome.ticket, &order, order.version, NOW + 50).unwrap();
        assert_eq!(
            (
                retry.order.status,
                retry.order.payment_started_at,
                retry.order.version
            ),
            (OrderStatus::Created, None, 2)
        );
        assert!(retry.events.is_empty());
        assert_eq!(
            next_deadline(&retry.order),
            Some(NOW + WINDOW),
            "the alarm goes back to the order's own deadline"
        );
        let too_late = fail_payment(&outcome.ticket, &order, order.version, NOW + WINDOW).unwrap();
        assert_eq!(
            (
                too_late.order.cancel_reason,
                too_late.order.payment_started_at
            ),
            (Some(CancelReason::Expired), None)
        );
        assert!(too_late.ticket.is_free());
        assert_eq!(
            fail_payment(&outcome.ticket, &held().order, held().order.version, NOW),
            None,
            "only a payment in flight can fail"
        );
    }

    #[test]
    fn the_failure_of_an_older_attempt_changes_nothing() {
        let outcome = paying();
        let order = &outcome.order;
        for stale in [order.version - 1, order.version + 1] {
            assert_eq!(
                fail_payment(&outcome.ticket, order, stale, NOW + 50),
                None,
                "attempt {stale}"
            );
        }
    }

    #[test]
    fn a_payment_lost_in_flight_is_given_up_on_by_the_alarm() {
        let outcome = paying();
        let order = outcome.order.clone();
        assert_eq!(next_deadline(&order), Some(NOW + 10 + PAYMENT_TIMEOUT_MS));
        assert_eq!(
            expire_order(&outcome.ticket, &order, NOW + 10 + PAYMENT_TIMEOUT_MS - 1),
            None
        );
        let given_up =
            expire_order(&outcome.ticket, &order, NOW + WINDOW + PAYMENT_TIMEOUT_MS).unwrap();
        assert_eq!(given_up.order.cancel_reason, Some(CancelReason::Expired));
    }

    #[test]
    fn a_payment_is_waited_for_until_the_deadline_payments_sets() {
        let held = place_order(&ticket(), order_id(1), "buyer", NOW, WINDOW).unwrap();
        let until = NOW + 10 + 5_000;
        let paying = start_payment(&held.ticket, &held.order, "buyer", Some(until), NOW + 10)
            .unwrap()
            .unwrap();
        assert_eq!(next_deadline(&paying.order), Some(until));
        assert_eq!(expire_order(&paying.ticket, &paying.order, until - 1), None);
        let given_up = expire_order(&paying.ticket, &paying.order, until).unwrap();
        assert_eq!(given_up.order.status, OrderStatus::Created, "payable again");
        assert_eq!(given_up.order.payment_until, None);

        // An order stored before the deadline was: the default timeout.
        let stored_earlier = Order {
            payment_until: None,
            ..paying.order
        };
        assert_eq!(
            next_deadline(&stored_earlier),
            Some(NOW + 10 + PAYMENT_TIMEOUT_MS)
        );
    }

    #[test]
    fn a_payment_in_flight_with_no_start_time_waits_for_the_orders_own_deadline() {
        // `start_payment` always records the start; if a stored order lacks it
        // (the field is optional in storage), the alarm must still have a deadline.
        let order = Order {
            payment_started_at: None,
            ..paying().order
        };
        assert_eq!(next_deadline(&order), Some(NOW + WINDOW));
    }

    #[test]
    fn the_alarm_comes_at_the_held_orders_deadline_or_the_event_retry_whichever_is_first() {
        let order = held().order;
        let deadline = order.expires_at;
        assert_eq!(next_alarm(None, Some(&order), None, NOW), Some(deadline));
        assert_eq!(
            next_alarm(None, Some(&order), Some(NOW + 5), NOW),
            Some(NOW + 5)
        );
        assert_eq!(
            next_alarm(None, Some(&order), Some(deadline + 5), NOW),
            Some(deadline)
        );
        assert_eq!(next_alarm(None, None, Some(NOW + 5), NOW), Some(NOW + 5));
        assert_eq!(next_alarm(None, None, None, NOW), None);
    }

    #[test]
    fn an_overdue_order_whose_expiry_failed_is_tried_again_soon_not_at_once() {
        let order = held().order;
        let late = order.expires_at + 10;
        assert_eq!(
            next_alarm(None, Some(&order), None, late),
            Some(late + OVERDUE_RETRY_MS)
        );
        let mut paid = order.clone();
        paid.status = OrderStatus::Complete;
        assert_eq!(
            next_alarm(None, Some(&paid), None, late),
            None,
            "nothing to expire"
        );
    }

    #[test]
    fn republishing_states_the_ticket_and_each_order_by_its_status() {
        let held = held();
        let mut cancelled = held.order.clone();
        cancelled.status = OrderStatus::Cancelled;
        let mut paid = held.order.clone();
        paid.status = OrderStatus::Complete;
        let events = republish(&held.ticket, &[held.order.clone(), cancelled, paid]);
        assert_eq!(
            subjects(&events),
            [
                "ticket:updated",
                "order:created",
                "order:cancelled",
                "order:completed"
            ]
        );
        assert_eq!(events[0], Event::TicketUpdated(held.ticket));
    }

    #[test]
    fn an_attempt_awaiting_authentication_waits_for_its_window_not_the_payment_timeout() {
        let held = held();
        let paying = start_payment(&held.ticket, &held.order, "buyer", None, NOW)
            .unwrap()
            .unwrap();
        let attempt = paying.order.version;
        let window_end = NOW + 600_000;
        let waiting = await_authentication(&paying.ticket, &paying.order, attempt, window_end)
            .expect("the attempt in flight");
        assert!(waiting.events.is_empty());
        assert_eq!(waiting.order.version, attempt, "the attempt keeps its name");
        assert_eq!(next_deadline(&waiting.order), Some(window_end));
        let later = NOW + PAYMENT_TIMEOUT_MS + 1;
        assert_eq!(expire_order(&waiting.ticket, &waiting.order, later), None);
        let lapsed = expire_order(&waiting.ticket, &waiting.order, window_end).expect("due");
        assert_eq!(lapsed.order.status, OrderStatus::Created);
        assert_eq!(lapsed.order.authentication_until, None);
        // Another attempt, or an order no longer in flight, is left alone.
        assert_eq!(
            await_authentication(&paying.ticket, &paying.order, attempt - 1, window_end),
            None
        );
        assert_eq!(
            await_authentication(&held.ticket, &held.order, 0, window_end),
            None
        );
    }

    fn with_event(starts_at: i64) -> Ticket {
        let mut input = input("Concert", 2000);
        input.event = EventField::Given(crate::tickets::EventDetails {
            name: "Tour".into(),
            venue: "Hall".into(),
            starts_at,
        });
        let id = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        create_ticket(id, "seller", input, NOW).ticket
    }

    #[test]
    fn a_listing_closes_when_its_event_starts() {
        let start = NOW + 60_000;
        let ticket = with_event(start);
        assert_eq!(closes_at(&ticket), Some(start));
        assert_eq!(next_alarm(Some(&ticket), None, None, NOW), Some(start));
        assert_eq!(close_listing(&ticket, None, start - 1), None, "not before");
        let Some(Change::Ticket(closed)) = close_listing(&ticket, None, start) else {
            panic!("closes at the start")
        };
        assert!(closed.ticket.closed);
        assert_eq!(closed.ticket.version, ticket.version + 1);
        assert_eq!(closed.events, [Event::TicketUpdated(closed.ticket.clone())]);
        assert_eq!(close_listing(&closed.ticket, None, start + 1), None, "once");
        assert_eq!(closes_at(&closed.ticket), None, "no more alarms for it");
        // Even before the alarm: no hold, no edit, no withdrawal once started.
        assert_eq!(
            place_order(&ticket, order_id(1), "buyer", start, WINDOW).unwrap_err(),
            Refusal::EventStarted
        );
        assert_eq!(
            update_ticket(
                &ticket,
                "seller",
                input("x", 1),
                ResaleCap::default(),
                start
            )
            .unwrap_err(),
            Refusal::EventStarted
        );
        assert_eq!(
            withdraw_ticket(&ticket, "seller", start).unwrap_err(),
            Refusal::EventStarted
        );
    }

    #[test]
    fn an_unpaid_hold_expires_when_the_event_starts() {
        let start = NOW + 60_000;
        let held = place_order(&with_event(start), order_id(1), "buyer", NOW, WINDOW).unwrap();
        assert_eq!(held.ticket.held_until, Some(NOW + WINDOW));
        assert_eq!(
            next_alarm(Some(&held.ticket), Some(&held.order), None, NOW),
            Some(start),
            "the start comes before the payment deadline"
        );
        let Some(Change::Order { change, .. }) =
            close_listing(&held.ticket, Some(&held.order), start)
        else {
            panic!("released and closed")
        };
        assert_eq!(change.order.status, OrderStatus::Cancelled);
        assert_eq!(change.order.cancel_reason, Some(CancelReason::Expired));
        assert!(
            change.ticket.closed
                && change.ticket.order_id.is_none()
                && change.ticket.held_until.is_none()
        );
        assert_eq!(change.ticket.version, held.ticket.version + 1, "one step");
        assert_eq!(
            change.events.last(),
            Some(&Event::TicketUpdated(change.ticket.clone()))
        );

        // A payment in flight goes on: the listing closes, the hold stays.
        let paying = start_payment(&held.ticket, &held.order, "buyer", None, NOW)
            .unwrap()
            .unwrap();
        let Some(Change::Ticket(closed)) = close_listing(&held.ticket, Some(&paying.order), start)
        else {
            panic!("closed, order untouched")
        };
        assert!(closed.ticket.closed && closed.ticket.order_id.is_some());
    }

    #[test]
    fn editing_the_start_moves_the_closing_alarm() {
        let ticket = with_event(NOW + 60_000);
        let mut edit = input("Concert", 2000);
        edit.event = EventField::Given(crate::tickets::EventDetails {
            name: "Tour".into(),
            venue: "Hall".into(),
            starts_at: NOW + 120_000,
        });
        let moved = update_ticket(&ticket, "seller", edit, ResaleCap::default(), NOW)
            .unwrap()
            .ticket;
        assert_eq!(
            next_alarm(Some(&moved), None, None, NOW),
            Some(NOW + 120_000)
        );
        let kept = update_ticket(
            &moved,
            "seller",
            input("Renamed", 1),
            ResaleCap::default(),
            NOW,
        )
        .unwrap()
        .ticket;
        assert_eq!(kept.event, moved.event, "an edit without `event` keeps it");
        let mut removal = input("Concert", 1);
        removal.event = EventField::Removed;
        let removed = update_ticket(&kept, "seller", removal, ResaleCap::default(), NOW)
            .unwrap()
            .ticket;
        assert_eq!(
            (
                removed.event.as_ref(),
                next_alarm(Some(&removed), None, None, NOW)
            ),
            (None, None)
        );
    }

    #[test]
    fn a_seller_withdraws_a_free_listing_only() {
        let withdrawn = withdraw_ticket(&ticket(), "seller", NOW).unwrap().unwrap();
        assert!(withdrawn.ticket.withdrawn);
        assert_eq!(
            withdrawn.events,
            [Event::TicketUpdated(withdrawn.ticket.clone())]
        );
        assert_eq!(
            withdraw_ticket(&withdrawn.ticket, "seller", NOW),
            Ok(None),
            "idempotent"
        );
        assert_eq!(
            withdraw_ticket(&ticket(), "someone", NOW).unwrap_err(),
            Refusal::NotOwner
        );
        assert_eq!(
            withdraw_ticket(&held().ticket, "seller", NOW).unwrap_err(),
            Refusal::TicketReserved
        );
        assert_eq!(
            place_order(&withdrawn.ticket, order_id(2), "buyer", NOW, WINDOW).unwrap_err(),
            Refusal::TicketWithdrawn
        );
        assert_eq!(
            update_ticket(
                &withdrawn.ticket,
                "seller",
                input("x", 1),
                ResaleCap::default(),
                NOW
            )
            .unwrap_err(),
            Refusal::TicketWithdrawn
        );
        let sold = complete_payment(&held().ticket, &held().order, payment("p1"), NOW)
            .unwrap()
            .unwrap();
        assert_eq!(sold.ticket.sold_at, Some(NOW));
        assert_eq!(
            withdraw_ticket(&sold.ticket, "seller", NOW).unwrap_err(),
            Refusal::TicketSold
        );
    }

    fn sold() -> OrderChange {
        let held = held();
        complete_payment(&held.ticket, &held.order, payment("p1"), NOW + 1)
            .unwrap()
            .unwrap()
    }

    fn issued(change: &OrderChange) -> Ticket {
        match change.events.last() {
            Some(Event::TicketIssued(ticket)) => ticket.clone(),
            other => panic!("no ticket issued: {other:?}"),
        }
    }

    #[test]
    fn a_purchase_closes_the_listing_and_issues_a_ticket_to_the_buyer() {
        let sale = sold();
        let mine = issued(&sale);
        assert_eq!(mine.id, TicketId::issued_by_payment("p1"));
        assert_ne!(mine.id.as_str(), sale.order.id.as_str());
        assert_eq!(
            (mine.user_id.as_str(), mine.unlisted, mine.paid),
            ("buyer", true, Some(Cents(2000)))
        );
        assert_eq!(mine.state(), crate::tickets::ListingState::Owned);
        assert_eq!(
            mine.custody,
            [Transfer {
                from: "seller".into(),
                to: "buyer".into(),
                price: Cents(2000),
                at: NOW + 1,
                listing: ticket().id
            }]
        );
        assert_eq!(
            sale.ticket.state(),
            crate::tickets::ListingState::Sold,
            "the seller's record"
        );
        assert_eq!(
            place_order(&mine, order_id(2), "someone", NOW, WINDOW).unwrap_err(),
            Refusal::NotForSale
        );
    }

    #[test]
    fn the_owner_resells_within_the_cap_and_the_chain_grows() {
        let mine = issued(&sold());
        let cap = ResaleCap { percent: 110 };
        assert_eq!(
            resell_ticket(&mine, "buyer", Cents(2201), cap, NOW).unwrap_err(),
            Refusal::AboveResaleCap { max: Cents(2200) }
        );
        assert_eq!(
            resell_ticket(&mine, "someone", Cents(2000), cap, NOW).unwrap_err(),
            Refusal::NotOwner
        );
        assert_eq!(
            resell_ticket(&ticket(), "seller", Cents(10), cap, NOW).unwrap_err(),
            Refusal::NotResellable
        );
        let listed = resell_ticket(&mine, "buyer", Cents(2200), cap, NOW)
            .unwrap()
            .ticket;
        assert_eq!(
            (listed.unlisted, listed.price, listed.version),
            (false, Cents(2200), 1)
        );
        assert_eq!(
            resell_ticket(&listed, "buyer", Cents(10), cap, NOW).unwrap_err(),
            Refusal::AlreadyListed
        );
        // An edit keeps to the cap too.
        let same_title = |price| input(&listed.title, price);
        assert_eq!(
            update_ticket(&listed, "buyer", same_title(2300), cap, NOW).unwrap_err(),
            Refusal::AboveResaleCap { max: Cents(2200) }
        );
        let repriced = update_ticket(&listed, "buyer", same_title(2100), cap, NOW).unwrap();
        assert_eq!(repriced.ticket.price, Cents(2100));
        // Withdrawn, a resale goes back to its owner, resellable again.
        let back = withdraw_ticket(&listed, "buyer", NOW)
            .unwrap()
            .unwrap()
            .ticket;
        assert!(back.unlisted && !back.withdrawn);
        // Sold again: the next buyer's ticket carries both sales.
        let order = place_order(&listed, order_id(3), "third", NOW, WINDOW).unwrap();
        let sale = complete_payment(&order.ticket, &order.order, payment("p2"), NOW + 5)
            .unwrap()
            .unwrap();
        let theirs = issued(&sale);
        assert_eq!(theirs.paid, Some(Cents(2200)));
        let hands: Vec<(&str, &str, i64)> = theirs
            .custody
            .iter()
            .map(|t| (t.from.as_str(), t.to.as_str(), t.price.0))
            .collect();
        assert_eq!(hands, [("seller", "buyer", 2000), ("buyer", "third", 2200)]);
    }

    #[test]
    fn a_bought_ticket_keeps_the_title_and_event_it_was_sold_with() {
        let event = EventDetails {
            name: "Proms".into(),
            venue: "Royal Albert Hall".into(),
            starts_at: NOW + 86_400_000,
        };
        let listing = Ticket {
            event: Some(event.clone()),
            ..ticket()
        };
        let order = place_order(&listing, order_id(1), "buyer", NOW, WINDOW).unwrap();
        let sale = complete_payment(&order.ticket, &order.order, payment("p"), NOW + 1)
            .unwrap()
            .unwrap();
        let mine = issued(&sale);
        let cap = ResaleCap::default();
        let edit = |title: &str, event: EventField| TicketInput {
            event,
            ..input(title, 1500)
        };
        let later = EventDetails {
            starts_at: event.starts_at + 365 * 86_400_000,
            ..event.clone()
        };
        for refused in [
            edit("Front row, headline show", EventField::Unchanged),
            edit(&mine.title, EventField::Given(later)),
            edit(&mine.title, EventField::Removed),
        ] {
            assert_eq!(
                update_ticket(&mine, "buyer", refused, cap, NOW).unwrap_err(),
                Refusal::DescriptionFixed
            );
        }
        // The price alone may change, with the event restated or left out.
        for allowed in [
            edit(&mine.title, EventField::Unchanged),
            edit(&mine.title, EventField::Given(event)),
        ] {
            let changed = update_ticket(&mine, "buyer", allowed, cap, NOW).unwrap();
            assert_eq!(changed.ticket.price, Cents(1500));
            assert_eq!(changed.ticket.event, mine.event);
        }
    }

    #[test]
    fn issuing_the_same_ticket_again_changes_nothing() {
        use super::super::{decide, Command, Decision, Loaded, Reply};
        let mine = issued(&sold());
        let issue = || Command::IssueTicket {
            ticket: mine.clone(),
        };
        let first = decide(Loaded::default(), issue(), NOW).unwrap();
        assert!(matches!(first, Decision::Store(_)));
        let loaded = Loaded {
            ticket: Some(mine.clone()),
            order: None,
            ..Loaded::default()
        };
        let again = decide(loaded, issue(), NOW).unwrap();
        assert_eq!(again, Decision::Unchanged(Reply::Ticket(mine)));
    }
}
