//! Given what happened, when a command comes, then this happens (or this
//! refusal): the desk's rules in the decider style. Then what `settle`
//! makes of it: versions and the events sent.

use super::*;
use crate::orders::{Attempt, CancelReason, OrderStatus, TicketSnapshot};
use crate::tickets::{EventDetails, EventField, Listing, Title};
use serde_json::json;

const NOW: i64 = 1_800_000_000_000;
const WINDOW: i64 = 900_000;
const START: i64 = NOW + 3_600_000;

fn ticket_id() -> TicketId {
    TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap()
}

fn order_id(n: u8) -> OrderId {
    OrderId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).unwrap()
}

fn input(title: &str, price: i64) -> TicketInput {
    TicketInput {
        title: Title::parse(Some(&json!(title))).unwrap(),
        price: Cents(price),
        event: EventField::Unchanged,
    }
}

fn concert() -> EventDetails {
    EventDetails {
        name: "Concert".into(),
        venue: "Hall".into(),
        starts_at: START,
    }
}

/// The seller's listing, $20, with the concert as its event.
fn listed() -> Happened {
    Happened::TicketCreated(Ticket {
        event: Some(concert()),
        ..Ticket::new(
            ticket_id(),
            "Stalls".into(),
            Cents(2000),
            "seller".into(),
            NOW,
        )
    })
}

/// The same ticket as a buyer owns it after buying it for $20.
fn bought() -> Happened {
    Happened::TicketCreated(Ticket {
        event: Some(concert()),
        listing: Listing::Owned,
        paid: Some(Cents(2000)),
        ..Ticket::new(
            ticket_id(),
            "Stalls".into(),
            Cents(2000),
            "owner".into(),
            NOW,
        )
    })
}

fn placed(n: u8) -> Happened {
    Happened::OrderPlaced(Order {
        id: order_id(n),
        user_id: "buyer".into(),
        state: OrderState::Created,
        expires_at: NOW + WINDOW,
        created_at: NOW,
        version: 0,
        ticket: TicketSnapshot {
            id: ticket_id(),
            title: "Stalls".into(),
            price: Cents(2000),
        },
    })
}

fn paying(until: i64) -> Happened {
    Happened::PaymentStarted {
        started_at: NOW,
        until,
    }
}

fn cancelled(reason: CancelReason) -> Happened {
    Happened::OrderCancelled { reason }
}

fn payment(id: &str) -> Payment {
    Payment::example(id, order_id(1))
}

/// A desk's state, built from what happened: the ticket and every order.
/// Happenings about an order apply to the last one placed.
#[derive(Default)]
struct Desk {
    ticket: Option<Ticket>,
    orders: Vec<Order>,
    rehold_after: Option<i64>,
}

fn given(happened: &[Happened]) -> Desk {
    let mut desk = Desk::default();
    for happening in happened {
        let placing = matches!(happening, Happened::OrderPlaced(_));
        let mut order = if placing { None } else { desk.orders.pop() };
        let settled = settle(
            desk.ticket.take(),
            order.take(),
            std::slice::from_ref(happening),
        );
        desk.ticket = settled.ticket;
        desk.orders.extend(settled.order);
    }
    desk
}

impl Desk {
    fn loaded(&self, command: &Command) -> Loaded {
        let by_id = |id: &OrderId| self.orders.iter().find(|o| &o.id == id).cloned();
        let mut loaded = Loaded {
            ticket: self.ticket.clone(),
            rehold_after: self.rehold_after,
            ..Loaded::default()
        };
        match command.order_to_load() {
            Some(OrderLookup::ById(id)) => loaded.order = by_id(id),
            Some(OrderLookup::Holding) => {
                loaded.order = self
                    .ticket
                    .as_ref()
                    .and_then(Ticket::order_id)
                    .and_then(by_id)
            }
            Some(OrderLookup::Every) => loaded.every_order = self.orders.clone(),
            None => {}
        }
        loaded
    }

    /// What happens for `command` at `now`.
    fn when(&self, command: Command, now: i64) -> Verdict {
        decide_what_happens(&self.loaded(&command), command, now)
    }

    /// The whole decision: the change to store, or the reply as it stands.
    fn decide(&self, command: Command, now: i64) -> Result<Decision, Refusal> {
        decide(self.loaded(&command), command, now)
    }

    fn ticket(&self) -> &Ticket {
        self.ticket.as_ref().unwrap()
    }

    fn order(&self) -> &Order {
        self.orders.last().unwrap()
    }
}

fn update(user: &str, input: TicketInput) -> Command {
    Command::UpdateTicket {
        user_id: user.into(),
        input,
        resale_cap: ResaleCap { percent: 110 },
    }
}

fn place(n: u8, user: &str, key: Option<&str>) -> Command {
    Command::PlaceOrder {
        order_id: order_id(n),
        user_id: user.into(),
        window_ms: WINDOW,
        idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
        client_address: None,
    }
}

fn start(user: &str, until: Option<i64>) -> Command {
    Command::StartPayment {
        order_id: order_id(1),
        user_id: user.into(),
        until,
    }
}

fn complete(id: &str) -> Command {
    Command::CompletePayment {
        order_id: order_id(1),
        payment: payment(id),
    }
}

fn cancel(user: &str) -> Command {
    Command::CancelOrder {
        order_id: order_id(1),
        user_id: user.into(),
    }
}

fn subjects(decision: Result<Decision, Refusal>) -> Vec<&'static str> {
    match decision {
        Ok(Decision::Store(change)) => change.events.iter().map(Event::subject).collect(),
        other => panic!("nothing stored: {other:?}"),
    }
}

fn stored(decision: Result<Decision, Refusal>) -> Change {
    match decision {
        Ok(Decision::Store(change)) => change,
        other => panic!("nothing stored: {other:?}"),
    }
}

// Listings.

#[test]
fn a_ticket_is_created_once() {
    let create = || Command::CreateTicket {
        ticket_id: ticket_id(),
        user_id: "seller".into(),
        input: TicketInput {
            event: EventField::Given(concert()),
            ..input("Stalls", 2000)
        },
    };
    let created = given(&[]).when(create(), NOW).unwrap();
    let [Happened::TicketCreated(ticket)] = created.as_slice() else {
        panic!("{created:?}")
    };
    assert_eq!(
        (ticket.version, &ticket.listing, ticket.price),
        (0, &Listing::ForSale, Cents(2000))
    );
    assert_eq!(ticket.event, Some(concert()));
    assert_eq!(
        subjects(given(&[]).decide(create(), NOW)),
        ["ticket:created"]
    );
    assert_eq!(
        given(&[listed()]).when(create(), NOW),
        Err(Refusal::TicketExists)
    );
}

#[test]
fn an_issued_ticket_is_created_once() {
    let Happened::TicketCreated(issued) = bought() else {
        unreachable!()
    };
    let issue = || Command::IssueTicket {
        ticket: issued.clone(),
    };
    assert_eq!(
        given(&[]).when(issue(), NOW),
        Ok(vec![Happened::TicketCreated(issued.clone())])
    );
    assert_eq!(given(&[bought()]).when(issue(), NOW), Ok(vec![]));
    assert_eq!(
        given(&[bought()]).decide(issue(), NOW),
        Ok(Decision::Unchanged(Reply::Ticket(issued.clone())))
    );
}

#[test]
fn every_other_command_needs_the_ticket() {
    for command in [
        Command::GetTicket,
        Command::Republish,
        update("seller", input("x", 1)),
        Command::WithdrawTicket {
            user_id: "seller".into(),
        },
        place(1, "buyer", None),
        Command::GetOrder {
            order_id: order_id(1),
        },
        cancel("buyer"),
        start("buyer", None),
        complete("p1"),
    ] {
        assert_eq!(
            given(&[]).when(command.clone(), NOW),
            Err(Refusal::TicketNotFound),
            "{command:?}"
        );
    }
    assert_eq!(given(&[]).when(Command::SettleDue, NOW), Ok(vec![]));
}

#[test]
fn the_seller_edits_a_free_listing() {
    let edit = Command::UpdateTicket {
        user_id: "seller".into(),
        input: TicketInput {
            event: EventField::Removed,
            ..input("Opera", 3000)
        },
        resale_cap: ResaleCap::default(),
    };
    assert_eq!(
        given(&[listed()]).when(edit.clone(), NOW),
        Ok(vec![Happened::TicketEdited {
            title: "Opera".into(),
            price: Cents(3000),
            event: None,
        }])
    );
    let change = stored(given(&[listed()]).decide(edit, NOW));
    assert_eq!(
        (change.ticket.version, change.ticket.title.as_str()),
        (1, "Opera")
    );
    assert_eq!(change.events, [Event::TicketUpdated(change.ticket.clone())]);
}

#[test]
fn edits_are_refused_to_others_and_while_held_sold_withdrawn_or_started() {
    let edit = || update("seller", input("x", 1));
    assert_eq!(
        given(&[listed()]).when(update("someone", input("x", 1)), NOW),
        Err(Refusal::NotOwner)
    );
    assert_eq!(
        given(&[listed(), placed(1)]).when(edit(), NOW),
        Err(Refusal::TicketReserved)
    );
    let sold = Happened::OrderPaid {
        payment: payment("p1"),
        at: NOW,
        issued: Ticket::new(ticket_id(), "x".into(), Cents(1), "buyer".into(), NOW),
    };
    assert_eq!(
        given(&[listed(), placed(1), sold]).when(edit(), NOW),
        Err(Refusal::TicketSold)
    );
    assert_eq!(
        given(&[listed(), Happened::ListingWithdrawn]).when(edit(), NOW),
        Err(Refusal::TicketWithdrawn)
    );
    assert_eq!(
        given(&[listed()]).when(edit(), START),
        Err(Refusal::EventStarted)
    );
    assert_eq!(
        given(&[listed(), Happened::ListingClosed]).when(edit(), NOW),
        Err(Refusal::EventStarted),
        "closed by the alarm, whatever the clock says"
    );
}

#[test]
fn a_bought_ticket_keeps_what_was_sold_and_only_its_price_moves_within_the_cap() {
    let owned = || given(&[bought()]);
    let same = || TicketInput {
        event: EventField::Given(concert()),
        ..input("Stalls", 2200)
    };
    assert_eq!(
        owned().when(update("owner", same()), NOW),
        Ok(vec![Happened::TicketEdited {
            title: "Stalls".into(),
            price: Cents(2200),
            event: Some(concert()),
        }])
    );
    assert_eq!(
        owned().when(update("owner", input("Front row", 2000)), NOW),
        Err(Refusal::DescriptionFixed)
    );
    let later = EventDetails {
        starts_at: START + 1,
        ..concert()
    };
    for event in [EventField::Removed, EventField::Given(later)] {
        let moved = TicketInput {
            event,
            ..input("Stalls", 2000)
        };
        assert_eq!(
            owned().when(update("owner", moved), NOW),
            Err(Refusal::DescriptionFixed)
        );
    }
    assert_eq!(
        owned().when(update("owner", input("Stalls", 2201)), NOW),
        Err(Refusal::AboveResaleCap { max: Cents(2200) })
    );
}

#[test]
fn a_withdrawal_ends_a_first_hand_listing_and_returns_a_resale_to_its_owner() {
    let withdraw = |user: &str| Command::WithdrawTicket {
        user_id: user.into(),
    };
    assert_eq!(
        given(&[listed()]).when(withdraw("seller"), NOW),
        Ok(vec![Happened::ListingWithdrawn])
    );
    let resale = || given(&[bought(), Happened::ListedForResale { price: Cents(2100) }]);
    assert_eq!(
        resale().when(withdraw("owner"), NOW),
        Ok(vec![Happened::ResaleWithdrawn])
    );
    let back = stored(resale().decide(withdraw("owner"), NOW)).ticket;
    assert_eq!((back.listing, back.version), (Listing::Owned, 2));
    // Off the market already: nothing happens, for its owner.
    let gone = given(&[listed(), Happened::ListingWithdrawn]);
    assert_eq!(gone.when(withdraw("seller"), NOW), Ok(vec![]));
    assert_eq!(given(&[bought()]).when(withdraw("owner"), NOW), Ok(vec![]));
    assert_eq!(gone.when(withdraw("someone"), NOW), Err(Refusal::NotOwner));
    assert_eq!(
        given(&[listed(), placed(1)]).when(withdraw("seller"), NOW),
        Err(Refusal::TicketReserved)
    );
}

#[test]
fn an_owner_resells_a_bought_ticket_within_the_cap_before_the_event() {
    let resell = |user: &str, price: i64| Command::ResellTicket {
        user_id: user.into(),
        price: Cents(price),
        resale_cap: ResaleCap { percent: 110 },
    };
    assert_eq!(
        given(&[bought()]).when(resell("owner", 2200), NOW),
        Ok(vec![Happened::ListedForResale { price: Cents(2200) }])
    );
    let relisted = stored(given(&[bought()]).decide(resell("owner", 2200), NOW)).ticket;
    assert_eq!(
        (relisted.listing, relisted.price),
        (Listing::ForSale, Cents(2200))
    );
    assert_eq!(
        given(&[bought()]).when(resell("owner", 2201), NOW),
        Err(Refusal::AboveResaleCap { max: Cents(2200) })
    );
    assert_eq!(
        given(&[bought()]).when(resell("x", 2000), NOW),
        Err(Refusal::NotOwner)
    );
    assert_eq!(
        given(&[listed()]).when(resell("seller", 2000), NOW),
        Err(Refusal::NotResellable)
    );
    let listed_again = given(&[bought(), Happened::ListedForResale { price: Cents(2000) }]);
    assert_eq!(
        listed_again.when(resell("owner", 2000), NOW),
        Err(Refusal::AlreadyListed)
    );
    assert_eq!(
        given(&[bought()]).when(resell("owner", 2000), START),
        Err(Refusal::EventStarted)
    );
}

// Holds.

#[test]
fn a_hold_holds_the_ticket_until_the_deadline() {
    let happened = given(&[listed()])
        .when(place(1, "buyer", None), NOW)
        .unwrap();
    assert_eq!(happened, [placed(1)]);
    let change = stored(given(&[listed()]).decide(place(1, "buyer", None), NOW));
    let order = change.order.clone().unwrap();
    assert_eq!((order.status(), order.version), (OrderStatus::Created, 0));
    assert_eq!(
        change.ticket.listing,
        Listing::Held {
            order_id: order_id(1),
            until: Some(NOW + WINDOW),
            event_started: false
        }
    );
    assert_eq!(change.ticket.version, 1, "held is version 1");
    assert_eq!(
        change.events.iter().map(Event::subject).collect::<Vec<_>>(),
        ["order:created", "ticket:updated"]
    );
    assert_eq!(change.reply(), Reply::Order(order));
}

#[test]
fn holds_are_refused_on_what_is_not_for_sale() {
    let hold = || place(2, "other", None);
    assert_eq!(
        given(&[listed()]).when(place(1, "seller", None), NOW),
        Err(Refusal::OwnTicket)
    );
    assert_eq!(
        given(&[listed(), placed(1)]).when(hold(), NOW),
        Err(Refusal::AlreadyReserved)
    );
    assert_eq!(
        given(&[listed(), Happened::ListingWithdrawn]).when(hold(), NOW),
        Err(Refusal::TicketWithdrawn)
    );
    assert_eq!(
        given(&[bought()]).when(hold(), NOW),
        Err(Refusal::NotForSale)
    );
    assert_eq!(
        given(&[listed()]).when(hold(), START),
        Err(Refusal::EventStarted)
    );
    assert_eq!(
        given(&[listed(), Happened::ListingClosed]).when(hold(), NOW),
        Err(Refusal::EventStarted)
    );
}

#[test]
fn a_retried_keyed_hold_answers_the_first_order_even_once_the_ticket_is_held() {
    let desk = given(&[listed(), placed(1)]);
    let retry = place(1, "buyer", Some("key-1"));
    assert_eq!(desk.when(retry.clone(), NOW), Ok(vec![]));
    assert_eq!(
        desk.decide(retry, NOW),
        Ok(Decision::Unchanged(Reply::Order(desk.order().clone())))
    );
}

#[test]
fn a_buyer_who_let_a_hold_expire_waits_before_holding_the_ticket_again() {
    let mut desk = given(&[listed()]);
    desk.rehold_after = Some(NOW + 30_000);
    assert_eq!(
        desk.when(place(2, "buyer", None), NOW),
        Err(Refusal::ReholdCooldown {
            retry_after_seconds: 30
        })
    );
    let later = desk.when(place(2, "buyer", None), NOW + 30_000).unwrap();
    assert!(
        matches!(later.as_slice(), [Happened::OrderPlaced(_)]),
        "{later:?}"
    );
}

// Orders.

#[test]
fn a_change_ends_its_order_when_the_order_is_cancelled_or_paid() {
    let held = || given(&[listed(), placed(1)]);
    let placing = stored(given(&[listed()]).decide(place(1, "buyer", None), NOW));
    assert_eq!(placing.ended_order(), None, "a new hold is live");
    let cancelled = stored(held().decide(cancel("buyer"), NOW));
    assert_eq!(cancelled.ended_order(), cancelled.order.as_ref());
    let paid = stored(held().decide(complete("p1"), NOW));
    assert_eq!(
        paid.ended_order().map(Order::status),
        Some(OrderStatus::Complete)
    );
    let closing = stored(given(&[listed()]).decide(Command::SettleDue, START));
    assert_eq!(closing.ended_order(), None, "no order in the change");
}

#[test]
fn a_cancellation_frees_only_the_hold_its_order_has() {
    // An order that no longer holds the ticket (another does) ends alone.
    let desk = given(&[listed(), placed(2)]);
    let Happened::OrderPlaced(stale) = placed(1) else {
        unreachable!()
    };
    let settled = settle(
        desk.ticket.clone(),
        Some(stale),
        &[cancelled(CancelReason::Expired)],
    );
    assert_eq!(settled.ticket.as_ref(), desk.ticket.as_ref());
    assert!(!settled.ticket_changed);
    assert_eq!(
        settled
            .events
            .iter()
            .map(Event::subject)
            .collect::<Vec<_>>(),
        ["order:cancelled"]
    );
}

#[test]
fn the_alarm_with_nothing_due_answers_the_ticket() {
    let held = given(&[listed(), placed(1)]);
    assert_eq!(
        held.decide(Command::SettleDue, NOW),
        Ok(Decision::Unchanged(Reply::Ticket(held.ticket().clone())))
    );
}

#[test]
fn commands_about_an_order_need_the_order() {
    let desk = given(&[listed()]);
    for command in [
        Command::GetOrder {
            order_id: order_id(9),
        },
        cancel("buyer"),
        start("buyer", None),
        complete("p1"),
        Command::FailPayment {
            order_id: order_id(1),
            attempt: 1,
        },
    ] {
        assert_eq!(
            desk.when(command.clone(), NOW),
            Err(Refusal::OrderNotFound),
            "{command:?}"
        );
    }
}

#[test]
fn the_buyer_cancels_an_unpaid_order_once() {
    let held = || given(&[listed(), placed(1)]);
    assert_eq!(
        held().when(cancel("buyer"), NOW),
        Ok(vec![cancelled(CancelReason::User)])
    );
    let change = stored(held().decide(cancel("buyer"), NOW));
    assert_eq!(change.ticket.listing, Listing::ForSale, "free again");
    assert_eq!(
        (
            change.ticket.version,
            change.order.as_ref().unwrap().version
        ),
        (2, 1)
    );
    assert_eq!(
        change.events.iter().map(Event::subject).collect::<Vec<_>>(),
        ["order:cancelled", "ticket:updated"]
    );
    assert_eq!(held().when(cancel("someone"), NOW), Err(Refusal::NotOwner));
    let again = given(&[listed(), placed(1), cancelled(CancelReason::User)]);
    assert_eq!(again.when(cancel("buyer"), NOW), Ok(vec![]));
    assert_eq!(
        given(&[listed(), placed(1), paying(NOW + 60_000)]).when(cancel("buyer"), NOW),
        Err(Refusal::PaymentInProgress)
    );
    let paid = given(&[listed(), placed(1)])
        .when(complete("p1"), NOW)
        .unwrap();
    let mut happened = vec![listed(), placed(1)];
    happened.extend(paid);
    assert_eq!(
        given(&happened).when(cancel("buyer"), NOW),
        Err(Refusal::OrderComplete)
    );
}

#[test]
fn a_payment_starts_once_before_the_deadline() {
    let held = || given(&[listed(), placed(1)]);
    assert_eq!(
        held().when(start("buyer", Some(NOW + 10_000)), NOW),
        Ok(vec![paying(NOW + 10_000)])
    );
    assert_eq!(
        held().when(start("buyer", None), NOW),
        Ok(vec![paying(NOW + PAYMENT_TIMEOUT_MS)])
    );
    let change = stored(held().decide(start("buyer", None), NOW));
    let order = change.order.unwrap();
    assert_eq!(order.version, 1);
    assert_eq!(
        order.attempt().map(|a| a.number),
        Some(1),
        "named by its version"
    );
    assert!(change.events.is_empty(), "no status another service reads");
    let in_flight = given(&[listed(), placed(1), paying(NOW + 60_000)]);
    assert_eq!(
        in_flight.when(start("buyer", None), NOW),
        Ok(vec![]),
        "a retry"
    );
    assert_eq!(
        held().when(start("someone", None), NOW),
        Err(Refusal::NotOwner)
    );
    assert_eq!(
        held().when(start("buyer", None), NOW + WINDOW),
        Err(Refusal::OrderExpired)
    );
    let expired = given(&[listed(), placed(1), cancelled(CancelReason::Expired)]);
    assert_eq!(
        expired.when(start("buyer", None), NOW),
        Err(Refusal::OrderExpired)
    );
    let gone = given(&[listed(), placed(1), cancelled(CancelReason::User)]);
    assert_eq!(
        gone.when(start("buyer", None), NOW),
        Err(Refusal::OrderCancelled)
    );
}

#[test]
fn a_payment_completes_the_order_sells_the_listing_and_issues_the_buyers_ticket() {
    let in_flight = || given(&[listed(), placed(1), paying(NOW + 60_000)]);
    let happened = in_flight().when(complete("p1"), NOW).unwrap();
    let [Happened::OrderPaid { issued, at, .. }] = happened.as_slice() else {
        panic!("{happened:?}")
    };
    assert_eq!(*at, NOW);
    assert_eq!(
        (issued.user_id.as_str(), &issued.listing, issued.paid),
        ("buyer", &Listing::Owned, Some(Cents(2000)))
    );
    assert_eq!(
        issued.custody.last().map(|t| t.from.as_str()),
        Some("seller")
    );
    assert_eq!(issued.id, TicketId::issued_by_payment("p1"));
    assert_eq!(issued.event, Some(concert()), "the event that was bought");
    let change = stored(in_flight().decide(complete("p1"), NOW));
    assert_eq!(
        change.ticket.listing,
        Listing::Sold {
            order_id: order_id(1),
            at: Some(NOW)
        }
    );
    assert_eq!(change.order.as_ref().unwrap().payment_id(), Some("p1"));
    assert_eq!(
        change.events.iter().map(Event::subject).collect::<Vec<_>>(),
        [
            "order:completed",
            "ticket:updated",
            "payment:created",
            "ticket:issued"
        ]
    );
}

#[test]
fn a_completion_is_refused_for_an_order_that_ended_and_repeats_change_nothing() {
    let mut happened = vec![listed(), placed(1), paying(NOW + 60_000)];
    happened.extend(given(&happened).when(complete("p1"), NOW).unwrap());
    assert_eq!(given(&happened).when(complete("p1"), NOW), Ok(vec![]));
    assert_eq!(
        given(&happened).when(complete("p2"), NOW),
        Err(Refusal::AlreadyPaid)
    );
    assert_eq!(
        given(&happened).when(start("buyer", None), NOW),
        Err(Refusal::AlreadyPaid)
    );
    let gone = given(&[listed(), placed(1), cancelled(CancelReason::Expired)]);
    assert_eq!(gone.when(complete("p1"), NOW), Err(Refusal::OrderCancelled));
    let unpaid_past_deadline = given(&[listed(), placed(1)]);
    assert_eq!(
        unpaid_past_deadline.when(complete("p1"), NOW + WINDOW),
        Err(Refusal::OrderExpired)
    );
    // A payment in flight at the deadline may still land.
    let in_flight = given(&[listed(), placed(1), paying(NOW + WINDOW + 60_000)]);
    assert!(in_flight.when(complete("p1"), NOW + WINDOW).is_ok());
}

#[test]
fn a_failed_attempt_makes_the_order_payable_again_or_expires_it_past_the_deadline() {
    let in_flight = || given(&[listed(), placed(1), paying(NOW + 60_000)]);
    let fail = |attempt| Command::FailPayment {
        order_id: order_id(1),
        attempt,
    };
    assert_eq!(
        in_flight().when(fail(1), NOW),
        Ok(vec![Happened::PaymentFailed])
    );
    let change = stored(in_flight().decide(fail(1), NOW));
    assert_eq!(change.order.as_ref().unwrap().state, OrderState::Created);
    assert!(!change.ticket.is_free(), "still held");
    assert_eq!(
        in_flight().when(fail(1), NOW + WINDOW),
        Ok(vec![cancelled(CancelReason::Expired)])
    );
    assert_eq!(
        in_flight().when(fail(0), NOW),
        Ok(vec![]),
        "an older attempt"
    );
    assert_eq!(given(&[listed(), placed(1)]).when(fail(1), NOW), Ok(vec![]));
}

#[test]
fn an_attempt_waits_for_3d_secure_under_its_own_number() {
    let in_flight = || given(&[listed(), placed(1), paying(NOW + 60_000)]);
    let wait = |attempt| Command::AwaitAuthentication {
        order_id: order_id(1),
        attempt,
        until: NOW + 600_000,
    };
    assert_eq!(
        in_flight().when(wait(1), NOW),
        Ok(vec![Happened::AuthenticationAwaited {
            until: NOW + 600_000
        }])
    );
    assert_eq!(in_flight().when(wait(2), NOW), Ok(vec![]));
    let order = stored(in_flight().decide(wait(1), NOW)).order.unwrap();
    assert_eq!(
        order.attempt(),
        Some(&Attempt {
            number: 1,
            started_at: NOW,
            until: NOW + 60_000,
            authentication_until: Some(NOW + 600_000),
        })
    );
    assert_eq!(
        order.version, 2,
        "a version step like any change; the attempt keeps its name"
    );
    assert_eq!(next_deadline(&order), Some(NOW + 600_000));
}

// The alarm.

#[test]
fn the_alarm_expires_a_due_hold_and_gives_up_on_a_lost_payment() {
    let held = || given(&[listed(), placed(1)]);
    assert_eq!(
        held().when(Command::SettleDue, NOW + WINDOW - 1),
        Ok(vec![])
    );
    assert_eq!(
        held().when(Command::SettleDue, NOW + WINDOW),
        Ok(vec![cancelled(CancelReason::Expired)])
    );
    let lost = given(&[listed(), placed(1), paying(NOW + 60_000)]);
    assert_eq!(lost.when(Command::SettleDue, NOW + 59_999), Ok(vec![]));
    assert_eq!(
        lost.when(Command::SettleDue, NOW + 60_000),
        Ok(vec![Happened::PaymentFailed])
    );
    let ended = given(&[listed(), placed(1), cancelled(CancelReason::User)]);
    assert_eq!(ended.when(Command::SettleDue, NOW + WINDOW), Ok(vec![]));
}

#[test]
fn the_alarm_closes_a_listing_at_its_start_with_its_unpaid_hold_in_one_step() {
    assert_eq!(
        given(&[listed()]).when(Command::SettleDue, START - 1),
        Ok(vec![])
    );
    assert_eq!(
        given(&[listed()]).when(Command::SettleDue, START),
        Ok(vec![Happened::ListingClosed])
    );
    let long_hold = Happened::OrderPlaced(Order {
        expires_at: START + WINDOW,
        ..Order::example(order_id(1), given(&[listed()]).ticket())
    });
    let held = given(&[listed(), long_hold]);
    assert_eq!(
        held.when(Command::SettleDue, START),
        Ok(vec![
            Happened::ListingClosed,
            cancelled(CancelReason::Expired)
        ])
    );
    let change = stored(held.decide(Command::SettleDue, START));
    assert_eq!(change.ticket.listing, Listing::Closed { owned: false });
    assert_eq!(change.ticket.version, held.ticket().version + 1, "one step");
    assert_eq!(
        change.events.iter().map(Event::subject).collect::<Vec<_>>(),
        ["order:cancelled", "ticket:updated"]
    );
    let closed = given(&[listed(), Happened::ListingClosed]);
    assert_eq!(closed.when(Command::SettleDue, START), Ok(vec![]), "once");
    assert_eq!(closes_at(closed.ticket()), None);
}

#[test]
fn a_payment_in_flight_at_the_start_goes_on_and_its_failure_closes_the_listing() {
    let long_hold = Happened::OrderPlaced(Order {
        expires_at: START + WINDOW,
        ..Order::example(order_id(1), given(&[listed()]).ticket())
    });
    let paying_at_start = [listed(), long_hold, paying(START + 60_000)];
    let desk = given(&paying_at_start);
    assert_eq!(
        desk.when(Command::SettleDue, START),
        Ok(vec![Happened::ListingClosed])
    );
    let mut happened = paying_at_start.to_vec();
    happened.push(Happened::ListingClosed);
    let fail = Command::FailPayment {
        order_id: order_id(1),
        attempt: 1,
    };
    let freed = given(&happened);
    let change = stored(freed.decide(fail, START + 1));
    assert_eq!(
        change.ticket.listing,
        Listing::Held {
            order_id: order_id(1),
            until: Some(START + WINDOW),
            event_started: true
        },
        "the failed attempt leaves the hold until its deadline"
    );
    happened.push(Happened::PaymentFailed);
    let cancelled_now = stored(given(&happened).decide(cancel("buyer"), START + 2));
    assert_eq!(
        cancelled_now.ticket.listing,
        Listing::Closed { owned: false }
    );
    assert!(
        given(&happened).when(complete("p1"), START + 1).is_ok(),
        "or it sells"
    );
}

#[test]
fn the_next_alarm_is_the_earliest_of_deadline_closing_and_retry() {
    let held = given(&[listed(), placed(1)]);
    let (ticket, order) = (held.ticket(), held.order());
    assert_eq!(
        next_alarm(Some(ticket), Some(order), None, NOW),
        Some(NOW + WINDOW)
    );
    assert_eq!(
        next_alarm(Some(ticket), Some(order), Some(NOW + 5), NOW),
        Some(NOW + 5)
    );
    assert_eq!(
        next_alarm(Some(ticket), Some(order), None, NOW + WINDOW),
        Some(NOW + WINDOW + OVERDUE_RETRY_MS),
        "an overdue expiry is retried soon, not at once"
    );
    let free = given(&[listed()]);
    assert_eq!(
        next_alarm(Some(free.ticket()), None, None, NOW),
        Some(START)
    );
    assert_eq!(next_alarm(None, None, None, NOW), None);
}

// Republishing.

#[test]
fn republishing_sends_the_ticket_and_every_order_as_they_are_and_changes_nothing() {
    let desk = given(&[
        listed(),
        placed(1),
        cancelled(CancelReason::User),
        placed(2),
    ]);
    let change = stored(desk.decide(Command::Republish, NOW));
    assert_eq!(&change.ticket, desk.ticket(), "unchanged, same version");
    assert_eq!(change.order, None);
    assert_eq!(
        change.events.iter().map(Event::subject).collect::<Vec<_>>(),
        ["ticket:updated", "order:cancelled", "order:created"]
    );
}

// The protocol.

#[test]
fn every_command_crosses_json_unchanged_in_its_tagged_form() {
    let cap = ResaleCap { percent: 110 };
    let Happened::TicketCreated(ticket) = listed() else {
        unreachable!()
    };
    let commands = [
        Command::CreateTicket {
            ticket_id: ticket_id(),
            user_id: "seller".into(),
            input: input("Stalls", 2000),
        },
        update("seller", input("Stalls", 2000)),
        Command::IssueTicket { ticket },
        Command::ResellTicket {
            user_id: "owner".into(),
            price: Cents(2100),
            resale_cap: cap,
        },
        Command::WithdrawTicket {
            user_id: "seller".into(),
        },
        Command::GetTicket,
        place(1, "buyer", None),
        place(1, "buyer", Some("key-1")),
        Command::GetOrder {
            order_id: order_id(1),
        },
        cancel("buyer"),
        start("buyer", None),
        start("buyer", Some(NOW + 10_000)),
        complete("p1"),
        Command::FailPayment {
            order_id: order_id(1),
            attempt: 2,
        },
        Command::AwaitAuthentication {
            order_id: order_id(1),
            attempt: 2,
            until: NOW,
        },
        Command::SettleDue,
        Command::Republish,
    ];
    for command in commands {
        let json = serde_json::to_value(&command).unwrap();
        assert!(json["type"].is_string(), "{json}");
        let back: Command = serde_json::from_str(&json.to_string()).unwrap();
        assert_eq!(back, command);
    }
    // The wire names of every field stay what they were.
    let json = serde_json::to_value(place(1, "buyer", None)).unwrap();
    assert_eq!(json["type"], "placeOrder");
    assert_eq!(json["order_id"], order_id(1).as_str());
    assert_eq!(json["window_ms"], WINDOW);
}

#[test]
fn a_command_without_a_field_it_needs_is_refused_by_name() {
    let error = serde_json::from_str::<Command>(r#"{"type":"getOrder"}"#).unwrap_err();
    assert!(
        error.to_string().contains("missing field `order_id`"),
        "{error}"
    );
    let error = serde_json::from_str::<Command>(r#"{"type":"sell"}"#).unwrap_err();
    assert!(
        error.to_string().contains("unknown variant `sell`"),
        "{error}"
    );
    // An update from a client without the cap keeps the default one.
    let update = json!({"type": "updateTicket", "user_id": "s", "input": input("x", 1)});
    match serde_json::from_str::<Command>(&update.to_string()).unwrap() {
        Command::UpdateTicket { resale_cap, .. } => assert_eq!(resale_cap, ResaleCap::default()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replies_read_as_the_kind_asked_for() {
    let held = given(&[listed(), placed(1)]);
    let json = |reply: &Reply| serde_json::to_string(reply).unwrap();
    let order = Reply::Order(held.order().clone());
    let ticket = Reply::Ticket(held.ticket().clone());
    let refused = Reply::Refused(Refusal::AlreadyReserved);
    assert_eq!(
        serde_json::from_str::<OrderReply>(&json(&order)).unwrap(),
        OrderReply::Order(held.order().clone())
    );
    assert_eq!(
        serde_json::from_str::<OrderReply>(&json(&refused)).unwrap(),
        OrderReply::Refused(Refusal::AlreadyReserved)
    );
    assert_eq!(
        serde_json::from_str::<TicketReply>(&json(&ticket)).unwrap(),
        TicketReply::Ticket(held.ticket().clone())
    );
    assert!(serde_json::from_str::<OrderReply>(&json(&ticket)).is_err());
}

#[test]
fn commands_name_the_orders_to_load() {
    assert_eq!(
        place(1, "b", None).order_to_load(),
        None,
        "a stampede reads no order"
    );
    assert_eq!(
        place(1, "b", Some("k")).order_to_load(),
        Some(OrderLookup::ById(&order_id(1)))
    );
    assert_eq!(
        cancel("b").order_to_load(),
        Some(OrderLookup::ById(&order_id(1)))
    );
    assert_eq!(
        Command::SettleDue.order_to_load(),
        Some(OrderLookup::Holding)
    );
    assert_eq!(Command::Republish.order_to_load(), Some(OrderLookup::Every));
    assert_eq!(Command::GetTicket.order_to_load(), None);
}
