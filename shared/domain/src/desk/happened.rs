//! What the desk decided happened, and the one place that applies it:
//! `evolve` moves the ticket and the order on, `settle` steps their
//! versions and derives the events the other services are sent. No rule
//! writes a version or an outgoing event.

use crate::events::Event;
use crate::money::Cents;
use crate::orders::{Attempt, CancelReason, Order, OrderState};
use crate::payments::Payment;
use crate::tickets::{EventDetails, Listing, Ticket};

/// One thing that happened at the desk, as a rule decided it.
#[derive(Debug, Clone, PartialEq)]
pub enum Happened {
    /// A listing was put up, or a ticket issued to its buyer.
    TicketCreated(Ticket),
    /// Its seller (or its reselling owner, the price only) edited it.
    TicketEdited {
        title: String,
        price: Cents,
        event: Option<EventDetails>,
    },
    /// The first-hand seller took the listing off the market, for good.
    ListingWithdrawn,
    /// The owner took a resale listing back.
    ResaleWithdrawn,
    /// The owner of a bought ticket listed it at `price`.
    ListedForResale { price: Cents },
    /// The event started: the listing closes.
    ListingClosed,
    /// A buyer placed this order; it holds the ticket.
    OrderPlaced(Order),
    /// A payment attempt started; expiry waits for it until `until`.
    PaymentStarted { started_at: i64, until: i64 },
    /// The card's issuer authenticates the buyer: the attempt waits until `until`.
    AuthenticationAwaited { until: i64 },
    /// The attempt failed: the order is payable again.
    PaymentFailed,
    /// The order ended unpaid; the ticket it held is free again (or closed).
    OrderCancelled { reason: CancelReason },
    /// Paid: the order completes, the listing is sold, and `issued` is the
    /// buyer's new ticket.
    OrderPaid {
        payment: Payment,
        at: i64,
        issued: Ticket,
    },
}

/// Applies one happening to the ticket and the order the command was about.
pub fn evolve(ticket: &mut Option<Ticket>, order: &mut Option<Order>, happened: &Happened) {
    if let Happened::TicketCreated(created) = happened {
        *ticket = Some(created.clone());
        return;
    }
    if let Happened::OrderPlaced(placed) = happened {
        *order = Some(placed.clone());
    }
    if let Some(ticket) = ticket.as_mut() {
        evolve_ticket(ticket, order.as_ref(), happened);
    }
    if let Some(order) = order.as_mut() {
        evolve_order(order, happened);
    }
}

fn evolve_ticket(ticket: &mut Ticket, order: Option<&Order>, happened: &Happened) {
    let holds_it = order.is_some_and(|order| ticket.order_id() == Some(&order.id));
    match happened {
        Happened::TicketEdited {
            title,
            price,
            event,
        } => {
            ticket.title = title.clone();
            ticket.price = *price;
            ticket.event = event.clone();
        }
        Happened::ListingWithdrawn => ticket.listing = Listing::Withdrawn,
        Happened::ResaleWithdrawn => ticket.listing = Listing::Owned,
        Happened::ListedForResale { price } => {
            ticket.price = *price;
            ticket.listing = Listing::ForSale;
        }
        Happened::ListingClosed => {
            ticket.listing = match &ticket.listing {
                Listing::Held {
                    order_id, until, ..
                } => Listing::Held {
                    order_id: order_id.clone(),
                    until: *until,
                    event_started: true,
                },
                Listing::ForSale => Listing::Closed { owned: false },
                Listing::Owned => Listing::Closed { owned: true },
                other => other.clone(),
            }
        }
        Happened::OrderPlaced(placed) => {
            ticket.listing = Listing::Held {
                order_id: placed.id.clone(),
                until: Some(placed.expires_at),
                event_started: false,
            }
        }
        Happened::OrderCancelled { .. } if holds_it => {
            ticket.listing = match ticket.listing.is_closed() {
                true => Listing::Closed { owned: false },
                false => Listing::ForSale,
            }
        }
        Happened::OrderPaid { at, .. } => {
            if let Some(order) = order {
                ticket.listing = Listing::Sold {
                    order_id: order.id.clone(),
                    at: Some(*at),
                }
            }
        }
        _ => {}
    }
}

fn evolve_order(order: &mut Order, happened: &Happened) {
    match happened {
        Happened::PaymentStarted { started_at, until } => {
            // An attempt is named by the version this change gives the
            // order, as attempts always were: the provider's idempotency
            // keys of attempts under way across a deploy keep their names.
            order.state = OrderState::AwaitingPayment(Attempt {
                number: order.version + 1,
                started_at: *started_at,
                until: *until,
                authentication_until: None,
            })
        }
        Happened::AuthenticationAwaited { until } => {
            if let OrderState::AwaitingPayment(attempt) = &mut order.state {
                attempt.authentication_until = Some(*until);
            }
        }
        Happened::PaymentFailed => order.state = OrderState::Created,
        Happened::OrderCancelled { reason } => {
            order.state = OrderState::Cancelled { reason: *reason }
        }
        Happened::OrderPaid { payment, .. } => {
            order.state = OrderState::Complete {
                payment_id: payment.id.clone(),
            }
        }
        _ => {}
    }
}

/// The ticket and order after a decision, with the events to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Settled {
    pub ticket: Option<Ticket>,
    pub order: Option<Order>,
    pub ticket_changed: bool,
    pub order_changed: bool,
    pub events: Vec<Event>,
}

/// Applies what happened, in order; then each of the ticket and the order
/// that changed steps its version once (a new one starts at 0), and the
/// events follow: the order's, the ticket as it now is, then what a sale
/// sends on (the payment, the buyer's ticket).
pub fn settle(ticket: Option<Ticket>, order: Option<Order>, happened: &[Happened]) -> Settled {
    let (ticket_before, order_before) = (ticket.clone(), order.clone());
    let (mut ticket, mut order) = (ticket, order);
    for happening in happened {
        evolve(&mut ticket, &mut order, happening);
    }
    let ticket_changed = ticket != ticket_before;
    let order_changed = order != order_before;
    if let (true, Some(t), Some(_)) = (ticket_changed, ticket.as_mut(), &ticket_before) {
        t.version += 1;
    }
    if let (true, Some(o), Some(_)) = (order_changed, order.as_mut(), &order_before) {
        o.version += 1;
    }
    let events = published(happened, ticket.as_ref(), order.as_ref(), ticket_changed);
    Settled {
        ticket,
        order,
        ticket_changed,
        order_changed,
        events,
    }
}

/// The events other services are sent for what happened: snapshots of the
/// order and the ticket after it all. Payment steps change no status that
/// another service reads, so they send nothing.
fn published(
    happened: &[Happened],
    ticket: Option<&Ticket>,
    order: Option<&Order>,
    ticket_changed: bool,
) -> Vec<Event> {
    let mut events = Vec::new();
    let mut created = false;
    for happening in happened {
        match (happening, order) {
            (Happened::OrderPlaced(_), Some(order)) => {
                events.push(Event::OrderCreated(order.clone()))
            }
            (Happened::OrderCancelled { .. }, Some(order)) => {
                events.push(Event::OrderCancelled(order.clone()))
            }
            (Happened::OrderPaid { .. }, Some(order)) => {
                events.push(Event::OrderCompleted(order.clone()))
            }
            (Happened::TicketCreated(_), _) => created = true,
            _ => {}
        }
    }
    match ticket {
        Some(ticket) if created => events.push(Event::TicketCreated(ticket.clone())),
        Some(ticket) if ticket_changed => events.push(Event::TicketUpdated(ticket.clone())),
        _ => {}
    }
    for happening in happened {
        if let Happened::OrderPaid {
            payment, issued, ..
        } = happening
        {
            events.push(Event::PaymentCreated(payment.clone()));
            events.push(Event::TicketIssued(issued.clone()));
        }
    }
    events
}
