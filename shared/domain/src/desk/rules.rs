//! The rules: from a ticket (and the order a command is about) to what
//! happens, or why not. Each says what it allows; none writes a version or
//! an outgoing event (`happened::settle` derives them).

use super::happened::Happened;
use super::Refusal;
use crate::ids::{OrderId, TicketId, UserId};
use crate::money::Cents;
use crate::orders::{CancelReason, Order, OrderState, TicketSnapshot};
use crate::payments::Payment;
use crate::tickets::{EventField, Listing, ResaleCap, Ticket, TicketInput, Transfer};

/// A rule's verdict: what happened (nothing, for a repeat), or a refusal.
pub type Verdict = Result<Vec<Happened>, Refusal>;

pub fn create_ticket(id: TicketId, user_id: &UserId, input: TicketInput, now: i64) -> Happened {
    let title = input.title.as_str().to_string();
    Happened::TicketCreated(Ticket {
        event: match input.event {
            EventField::Given(event) => Some(event),
            EventField::Unchanged | EventField::Removed => None,
        },
        ..Ticket::new(id, title, input.price, user_id.clone(), now)
    })
}

/// The checks of an edit and of a withdrawal, in the original's order.
fn may_change(ticket: &Ticket, user_id: &UserId, now: i64) -> Result<(), Refusal> {
    if ticket.user_id != *user_id {
        return Err(Refusal::NotOwner);
    }
    match ticket.listing {
        Listing::Sold { .. } => Err(Refusal::TicketSold),
        Listing::Held { .. } => Err(Refusal::TicketReserved),
        Listing::Withdrawn => Err(Refusal::TicketWithdrawn),
        _ if ticket.has_started(now) => Err(Refusal::EventStarted),
        _ => Ok(()),
    }
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
    user_id: &UserId,
    input: TicketInput,
    cap: ResaleCap,
    now: i64,
) -> Verdict {
    may_change(ticket, user_id, now)?;
    keeps_description(ticket, &input)?;
    within_cap(ticket, input.price, cap)?;
    Ok(vec![Happened::TicketEdited {
        title: input.title.as_str().to_string(),
        price: input.price,
        event: match input.event {
            EventField::Unchanged => ticket.event.clone(),
            EventField::Removed => None,
            EventField::Given(event) => Some(event),
        },
    }])
}

/// The seller takes a listing off the market; the same checks as an edit.
/// A resale listing goes back to its owner's tickets; a first-hand listing
/// leaves the market for good. Nothing happens if it is off already.
pub fn withdraw_ticket(ticket: &Ticket, user_id: &UserId, now: i64) -> Verdict {
    let off_already = ticket.listing == Listing::Withdrawn || ticket.listing.is_owned();
    if off_already && ticket.user_id == *user_id {
        return Ok(vec![]);
    }
    may_change(ticket, user_id, now)?;
    Ok(vec![match ticket.paid {
        Some(_) => Happened::ResaleWithdrawn,
        None => Happened::ListingWithdrawn,
    }])
}

/// The owner lists a ticket they bought, at most at the cap on what they paid.
pub fn resell_ticket(
    ticket: &Ticket,
    user_id: &UserId,
    price: Cents,
    cap: ResaleCap,
    now: i64,
) -> Verdict {
    if ticket.user_id != *user_id {
        return Err(Refusal::NotOwner);
    }
    if let Listing::Sold { .. } = ticket.listing {
        return Err(Refusal::TicketSold);
    }
    if ticket.paid.is_none() {
        return Err(Refusal::NotResellable);
    }
    if !ticket.listing.is_owned() {
        return Err(Refusal::AlreadyListed);
    }
    if ticket.has_started(now) {
        return Err(Refusal::EventStarted);
    }
    within_cap(ticket, price, cap)?;
    Ok(vec![Happened::ListedForResale { price }])
}

/// Holds the ticket for a new order that expires `window_ms` from `now`.
pub fn place_order(
    ticket: &Ticket,
    order_id: OrderId,
    buyer: &UserId,
    now: i64,
    window_ms: i64,
) -> Verdict {
    if ticket.user_id == *buyer {
        return Err(Refusal::OwnTicket);
    }
    match ticket.listing {
        Listing::Held { .. } | Listing::Sold { .. } => return Err(Refusal::AlreadyReserved),
        Listing::Withdrawn => return Err(Refusal::TicketWithdrawn),
        Listing::Owned | Listing::Closed { owned: true } => return Err(Refusal::NotForSale),
        Listing::ForSale | Listing::Closed { owned: false } => {}
    }
    if ticket.has_started(now) {
        return Err(Refusal::EventStarted);
    }
    Ok(vec![Happened::OrderPlaced(Order {
        id: order_id,
        user_id: buyer.clone(),
        state: OrderState::Created,
        expires_at: now + window_ms,
        created_at: now,
        version: 0,
        ticket: TicketSnapshot {
            id: ticket.id.clone(),
            title: ticket.title.clone(),
            price: ticket.price,
        },
    })])
}

/// The buyer cancels. Nothing happens to an order cancelled already.
pub fn cancel_order(order: &Order, by: &UserId) -> Verdict {
    if order.user_id != *by {
        return Err(Refusal::NotOwner);
    }
    match order.state {
        OrderState::Created => Ok(vec![Happened::OrderCancelled {
            reason: CancelReason::User,
        }]),
        OrderState::Cancelled { .. } => Ok(vec![]),
        OrderState::Complete { .. } => Err(Refusal::OrderComplete),
        OrderState::AwaitingPayment(_) => Err(Refusal::PaymentInProgress),
    }
}

/// How long a payment may stay in flight before the alarm stops waiting for
/// it, unless payments sets another deadline (`PAYMENT_TIMEOUT_SECONDS`). A
/// charge that lands later finds the order cancelled and is refunded.
pub const PAYMENT_TIMEOUT_MS: i64 = 60_000;

/// Before any money moves: the order awaits the payment, so expiry waits
/// for the outcome, until `until` (or `PAYMENT_TIMEOUT_MS` from now).
/// Nothing happens while a payment is in flight already (a concurrent or
/// retried request): it goes on with the same provider idempotency key, and
/// so charges once.
pub fn start_payment(order: &Order, by: &UserId, until: Option<i64>, now: i64) -> Verdict {
    if order.user_id != *by {
        return Err(Refusal::NotOwner);
    }
    match order.state {
        OrderState::Cancelled {
            reason: CancelReason::Expired,
        } => Err(Refusal::OrderExpired),
        OrderState::Cancelled { .. } => Err(Refusal::OrderCancelled),
        OrderState::Complete { .. } => Err(Refusal::AlreadyPaid),
        OrderState::AwaitingPayment(_) => Ok(vec![]),
        OrderState::Created if now >= order.expires_at => Err(Refusal::OrderExpired),
        OrderState::Created => Ok(vec![Happened::PaymentStarted {
            started_at: now,
            until: until.unwrap_or(now + PAYMENT_TIMEOUT_MS),
        }]),
    }
}

/// The charge succeeded: the order completes, the listing is sold for good
/// and the buyer's ticket issued. Nothing happens when this payment
/// completed it already (a retry, or the webhook). Refused for a cancelled
/// or expired order: the caller must refund.
pub fn complete_payment(ticket: &Ticket, order: &Order, payment: Payment, now: i64) -> Verdict {
    match &order.state {
        OrderState::Complete { payment_id } if *payment_id == payment.id => Ok(vec![]),
        OrderState::Complete { .. } => Err(Refusal::AlreadyPaid),
        OrderState::Cancelled { .. } => Err(Refusal::OrderCancelled),
        OrderState::Created if now >= order.expires_at => Err(Refusal::OrderExpired),
        OrderState::Created | OrderState::AwaitingPayment(_) => {
            let issued = issue_to_buyer(ticket, order, &payment.id, now);
            Ok(vec![Happened::OrderPaid {
                payment,
                at: now,
                issued,
            }])
        }
    }
}

/// The ticket a completed order gives its buyer (the Face Value Exchange
/// model: the listing is closed for good as the seller's record, and a new
/// ticket is issued, so one ticket can never be sold twice). It is named by
/// the payment, owned by the buyer, not listed, and carries the chain of
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
        listing: Listing::Owned,
        paid: Some(price),
        custody,
        ..Ticket::new(id, title, price, owner, now)
    }
}

/// The payment attempt in flight, if it is attempt `number`: a late outcome
/// of an older attempt (a stale webhook) must not touch the current one.
fn in_flight(order: &Order, number: u64) -> bool {
    order
        .attempt()
        .is_some_and(|attempt| attempt.number == number)
}

/// The card's issuer wants the buyer to authenticate (3-D Secure) the
/// charge of attempt `attempt`: it stays in flight until `until` (the
/// authentication window) instead of the lost-payment timeout. Nothing
/// happens for any other attempt or state.
pub fn await_authentication(order: &Order, attempt: u64, until: i64) -> Vec<Happened> {
    match in_flight(order, attempt) {
        true => vec![Happened::AuthenticationAwaited { until }],
        false => vec![],
    }
}

/// The charge of attempt `attempt` failed: payable again until its
/// deadline, expired after it. Nothing happens for any other attempt.
pub fn fail_payment(order: &Order, attempt: u64, now: i64) -> Vec<Happened> {
    match in_flight(order, attempt) {
        false => vec![],
        true if now >= order.expires_at => vec![Happened::OrderCancelled {
            reason: CancelReason::Expired,
        }],
        true => vec![Happened::PaymentFailed],
    }
}

/// When the alarm must look at this order next, if it is live.
pub fn next_deadline(order: &Order) -> Option<i64> {
    match &order.state {
        OrderState::Created => Some(order.expires_at),
        OrderState::AwaitingPayment(attempt) => Some(attempt.deadline()),
        OrderState::Complete { .. } | OrderState::Cancelled { .. } => None,
    }
}

/// When the listing must close: its event's start, while it is not closed,
/// sold or withdrawn.
pub fn closes_at(ticket: &Ticket) -> Option<i64> {
    let open = matches!(
        ticket.listing,
        Listing::ForSale
            | Listing::Owned
            | Listing::Held {
                event_started: false,
                ..
            }
    );
    ticket.event.as_ref().filter(|_| open).map(|e| e.starts_at)
}

/// The alarm's question, at `now`: is the held order due? An unpaid order
/// expires at its deadline; a payment still in flight past its deadline is
/// given up on (payable again, or expired if the order's deadline passed
/// meanwhile). Else: has the event started? Then the listing closes, and an
/// unpaid hold on it expires with it; a payment already in flight goes on,
/// and its outcome sells the ticket or frees the hold (to a closed
/// listing). Whatever else is due, the next alarm does. Idempotent.
pub fn settle_due(ticket: &Ticket, held: Option<&Order>, now: i64) -> Vec<Happened> {
    let expired = Happened::OrderCancelled {
        reason: CancelReason::Expired,
    };
    if let Some(order) = held.filter(|o| next_deadline(o).is_some_and(|due| now >= due)) {
        return match &order.state {
            OrderState::Created => vec![expired],
            OrderState::AwaitingPayment(attempt) => fail_payment(order, attempt.number, now),
            OrderState::Complete { .. } | OrderState::Cancelled { .. } => vec![],
        };
    }
    if closes_at(ticket).is_none_or(|at| now < at) {
        return vec![];
    }
    match held.map(|order| &order.state) {
        Some(OrderState::Created) => vec![Happened::ListingClosed, expired],
        _ => vec![Happened::ListingClosed],
    }
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
