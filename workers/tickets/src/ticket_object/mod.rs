//! `TicketObject`: one Durable Object per ticket, the single writer for the
//! ticket and every order placed on it.
//!
//! Each command reads like: load state → ask the pure desk (`domain::desk`)
//! → store the new state and its events in one put → answer → send the
//! events. The alarm does two jobs: it expires the held order at its
//! deadline and retries unsent events, so every hold ends and no event is
//! lost even if a send or the whole isolate fails half-way.

mod delivery;
mod store;

use domain::desk::{self, Command, Outcome, Refusal, Reply};
use domain::events::Envelope;
use domain::ids::OrderId;
use domain::orders::Order;
use domain::tickets::Ticket;
use std::cell::Cell;
use store::Store;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use delivery::OUTBOX_RETRY_MS;

fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}

#[durable_object]
pub struct TicketObject {
    state: State,
    env: Env,
    /// Set by a commit: events are waiting to be sent after the response.
    events_written: Cell<bool>,
}

impl DurableObject for TicketObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            events_written: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = match req.json().await {
            Ok(command) => command,
            Err(e) => return Response::error(format!("unreadable command: {e}"), 400),
        };
        let result = self.execute(command).await;
        if self.events_written.replace(false) {
            // Answer first; send the events and re-arm the alarm after the
            // response. The alarm armed by the commit covers a failure here.
            let (store, env) = (self.store(), self.env.clone());
            self.state.wait_until(delivery::deliver(store, env));
        }
        match result {
            Ok(reply) => Response::from_json(&reply),
            Err(e) => {
                edge::log::error("-", "ticket_object_failed", &e.to_string());
                Response::error("ticket object failed", 500)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        if let Err(e) = self.expire_due_order().await {
            edge::log::error("-", "expiry_failed", &e.to_string());
        }
        self.events_written.set(false);
        delivery::deliver(self.store(), self.env.clone()).await;
        Response::ok("")
    }
}

impl TicketObject {
    fn store(&self) -> Store {
        Store::new(self.state.storage())
    }

    async fn execute(&self, command: Command) -> Result<Reply> {
        let store = self.store();
        let now = now_ms();
        let ticket = store.ticket().await?;
        let refused = |refusal| Ok(Reply::Refused(refusal));
        let ticket = match (command, ticket) {
            (Command::CreateTicket { .. }, Some(_)) => return refused(Refusal::TicketExists),
            (
                Command::CreateTicket {
                    ticket_id,
                    user_id,
                    input,
                },
                None,
            ) => {
                let outcome = desk::create_ticket(ticket_id, &user_id, input, now);
                return self.commit(outcome, None, now).await.map(Reply::Ticket);
            }
            (_, None) => return refused(Refusal::TicketNotFound),
            (command, Some(ticket)) => (command, ticket),
        };
        let (command, ticket) = ticket;
        match command {
            Command::CreateTicket { .. } => refused(Refusal::TicketExists),
            Command::GetTicket => Ok(Reply::Ticket(ticket)),
            Command::UpdateTicket { user_id, input } => {
                match desk::update_ticket(&ticket, &user_id, input) {
                    Ok(outcome) => self.commit(outcome, None, now).await.map(Reply::Ticket),
                    Err(refusal) => refused(refusal),
                }
            }
            Command::PlaceOrder {
                order_id,
                user_id,
                window_ms,
                idempotency_key,
            } => {
                if let Some(key) = idempotency_key.as_deref() {
                    // A retried POST gets the order the first attempt created.
                    if let Some(existing) = store.order_for_idempotency_key(&user_id, key).await? {
                        if let Some(order) = store.order(&existing).await? {
                            return Ok(Reply::Order(order));
                        }
                    }
                }
                match desk::place_order(&ticket, order_id, &user_id, now, window_ms) {
                    Ok(outcome) => {
                        let idempotency = idempotency_key
                            .as_deref()
                            .map(|key| (user_id.as_str(), key));
                        let order = outcome.order.clone();
                        self.commit(outcome, idempotency, now).await?;
                        Ok(order.map_or(Reply::Refused(Refusal::OrderNotFound), Reply::Order))
                    }
                    Err(refusal) => refused(refusal),
                }
            }
            Command::GetOrder { order_id } => match store.order(&order_id).await? {
                Some(order) => Ok(Reply::Order(order)),
                None => refused(Refusal::OrderNotFound),
            },
            Command::CancelOrder { order_id, user_id } => {
                self.decide_on_order(&ticket, &order_id, now, |t, o| {
                    desk::cancel_order(t, o, &user_id)
                })
                .await
            }
            Command::StartPayment { order_id, user_id } => {
                self.decide_on_order(&ticket, &order_id, now, |t, o| {
                    desk::start_payment(t, o, &user_id, now)
                })
                .await
            }
            Command::CompletePayment { order_id, payment } => {
                self.decide_on_order(&ticket, &order_id, now, |t, o| {
                    desk::complete_payment(t, o, payment, now)
                })
                .await
            }
            Command::FailPayment { order_id } => {
                self.decide_on_order(&ticket, &order_id, now, |t, o| {
                    Ok(desk::fail_payment(t, o, now))
                })
                .await
            }
        }
    }

    /// Loads an order, lets the desk decide, and stores the outcome. The reply
    /// is the order after the decision (unchanged when there was nothing to do).
    async fn decide_on_order<F>(
        &self,
        ticket: &Ticket,
        order_id: &OrderId,
        now: i64,
        decide: F,
    ) -> Result<Reply>
    where
        F: FnOnce(&Ticket, &Order) -> std::result::Result<Option<Outcome>, Refusal>,
    {
        let Some(order) = self.store().order(order_id).await? else {
            return Ok(Reply::Refused(Refusal::OrderNotFound));
        };
        match decide(ticket, &order) {
            Ok(Some(outcome)) => {
                let changed = outcome.order.clone().unwrap_or(order);
                self.commit(outcome, None, now).await?;
                Ok(Reply::Order(changed))
            }
            Ok(None) => Ok(Reply::Order(order)),
            Err(refusal) => Ok(Reply::Refused(refusal)),
        }
    }

    /// Stores an outcome with its events, then sends them. Returns the new ticket.
    async fn commit(
        &self,
        outcome: Outcome,
        idempotency: Option<(&str, &str)>,
        now: i64,
    ) -> Result<Ticket> {
        let store = self.store();
        let envelopes: Vec<Envelope> = outcome
            .events
            .iter()
            .map(|event| Envelope::new(uuid::Uuid::new_v4().to_string(), event.clone(), now))
            .collect();
        // Arm the alarm BEFORE writing: if the isolate dies right after the
        // write, the alarm still comes to send the events and expire the hold.
        store.set_alarm_at(now + OUTBOX_RETRY_MS).await?;
        store.write(&outcome, &envelopes, idempotency, now).await?;
        self.events_written.set(true);
        Ok(outcome.ticket)
    }

    /// Expires the held order, or gives up on its lost payment, if its
    /// deadline has passed (idempotent).
    async fn expire_due_order(&self) -> Result<()> {
        let store = self.store();
        let now = now_ms();
        let Some(ticket) = store.ticket().await? else {
            return Ok(());
        };
        let Some(order_id) = ticket.order_id.clone() else {
            return Ok(());
        };
        let Some(order) = store.order(&order_id).await? else {
            return Ok(());
        };
        if let Some(outcome) = desk::expire_order(&ticket, &order, now) {
            self.commit(outcome, None, now).await?;
        }
        Ok(())
    }
}
