//! `TicketObject`: one Durable Object per ticket, the single writer for the
//! ticket and every order placed on it.
//!
//! Each command reads like: load state → ask the pure desk (`domain::desk`)
//! → store the new state and its events in one put → answer → send the
//! events. The alarm does two jobs: it expires the held order at its
//! deadline and retries unsent events, so every hold ends and no event is
//! lost even if a send or the whole isolate fails half-way.

mod delivery;
#[cfg(feature = "test-hooks")]
mod hooks;
mod store;

use domain::desk::{self, Change, Command, Decision, Refusal, Reply};
use domain::events::Envelope;
use domain::live;
use domain::orders::CancelReason;
use edge::open_orders::{HoldSlots, OpenOrders};
use edge::RequestUrl;
use std::cell::Cell;
use store::Store;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, State, WebSocket,
    WebSocketIncomingMessage, WebSocketPair,
};

use delivery::OUTBOX_RETRY_MS;

#[durable_object]
pub struct TicketObject {
    state: State,
    env: Env,
    /// Set by a commit: events are waiting to be sent after the response.
    events_written: Cell<bool>,
    /// Held by the one new hold that is claiming its buyer's slot: the rest
    /// of a burst on a free ticket waits for it, then decides again (most
    /// find the ticket held: a read, and no claim to give back).
    hold_gate: futures_util::lock::Mutex<()>,
    /// Slots claimed by this object since it was loaded (test build: the
    /// burst test counts them).
    #[cfg(feature = "test-hooks")]
    claims: Cell<u32>,
}

impl DurableObject for TicketObject {
    fn new(state: State, env: Env) -> Self {
        edge::fanout::answer_pings(&state);
        Self {
            state,
            env,
            events_written: Cell::new(false),
            hold_gate: futures_util::lock::Mutex::new(()),
            #[cfg(feature = "test-hooks")]
            claims: Cell::new(0),
        }
    }

    /// The object's routes: its internal protocol's commands, the live
    /// channel, the operator's republish; the test build's hooks before
    /// them (`hooks`).
    async fn fetch(&self, mut req: Request) -> Result<Response> {
        // The caller's request id (see `edge::desk_client`), for our log lines.
        let request_id = edge::reply::request_id(&req);
        #[cfg(feature = "test-hooks")]
        if let Some(answer) = hooks::answer(self, &mut req).await {
            return answer;
        }
        match req.path().as_str() {
            edge::desk_client::LIVE_PATH => self.watch(&req).await,
            REPUBLISH_PATH => self.republish(&request_id).await,
            _ => self.command(&mut req, &request_id).await,
        }
    }

    /// A watcher's message (other than the auto-answered ping) asks for
    /// nothing: the channel only pushes.
    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _clean: bool,
    ) -> Result<()> {
        edge::fanout::close_closed(&ws);
        Ok(())
    }

    async fn websocket_error(&self, ws: WebSocket, _error: worker::Error) -> Result<()> {
        edge::fanout::close_failed(&ws);
        Ok(())
    }

    /// Errors propagate, so the platform retries the alarm; before that,
    /// `deliver` has set the next alarm if it could (`desk::next_alarm`), so
    /// a held order keeps one at or before its deadline whatever failed.
    async fn alarm(&self) -> Result<Response> {
        let expired = self.settle_due().await;
        if let Err(e) = &expired {
            edge::log::error("-", "expiry_failed", &e.to_string());
        }
        self.events_written.set(false);
        let delivered = delivery::deliver(self.store(), self.env.clone()).await;
        expired?;
        delivered?;
        Response::ok("")
    }
}

/// The object's path for `crate::republish`: publish its state again.
pub const REPUBLISH_PATH: &str = "/admin/republish";

impl TicketObject {
    fn store(&self) -> Store {
        Store::new(self.state.storage())
    }

    /// If a commit wrote events: answer first, then send them and re-arm the
    /// alarm. The alarm armed by the commit covers a failure here.
    fn deliver_after_response(&self) {
        if self.events_written.replace(false) {
            let (store, env) = (self.store(), self.env.clone());
            self.state.wait_until(async move {
                let _ = delivery::deliver(store, env).await; // logged there
            });
        }
    }

    /// A command of the internal protocol, answered with the desk's reply.
    async fn command(&self, req: &mut Request, request_id: &str) -> Result<Response> {
        let command: Command = match edge::body::read_internal(req).await {
            Ok(command) => command,
            Err(e) => return Response::error(format!("unreadable command: {e}"), 400),
        };
        let result = self.execute(command, request_id).await;
        self.answer(result, request_id, "ticket_object_failed")
    }

    /// A watcher of the ticket, or of one of its orders (`accept_watcher`).
    async fn watch(&self, req: &Request) -> Result<Response> {
        let url = RequestUrl::of(req).ok();
        let param = |name| url.as_ref().and_then(|url| url.query_param(name));
        self.accept_watcher(param("order"), param("viewer")).await
    }

    /// Puts the ticket and every order, as they are, in the outbox again
    /// (`Command::Republish`); answers how many events. Nothing else changes.
    async fn republish(&self, request_id: &str) -> Result<Response> {
        let now = edge::now_ms();
        let command = Command::Republish;
        let result = match self.store().load(&command).await {
            Ok(loaded) => match desk::decide(loaded, command, now) {
                Ok(Decision::Store(change)) => {
                    self.commit(&change, now).await.map(|_| change.events.len())
                }
                Ok(Decision::Unchanged(_)) | Err(_) => Ok(0),
            },
            Err(e) => Err(e),
        };
        self.answer(result, request_id, "republish_failed")
    }

    /// Answers a route's result (a failure logged as `failure`, then a
    /// 500); the events it wrote are sent after the answer.
    fn answer<T: serde::Serialize>(
        &self,
        result: Result<T>,
        request_id: &str,
        failure: &str,
    ) -> Result<Response> {
        self.deliver_after_response();
        match result {
            Ok(answer) => Response::from_json(&answer),
            Err(e) => {
                edge::log::error(request_id, failure, &e.to_string());
                Response::error("ticket object failed", 500)
            }
        }
    }

    /// Load → decide → commit → reply. A new hold claims the buyer's slot
    /// first (`hold_with_slot`).
    async fn execute(&self, command: Command, request_id: &str) -> Result<Reply> {
        let placing = match &command {
            Command::PlaceOrder { .. } => Some(command.clone()),
            _ => None,
        };
        let authenticating = matches!(command, Command::AwaitAuthentication { .. });
        let now = edge::now_ms();
        let decision = desk::decide(self.store().load(&command).await?, command, now);
        match (decision, placing) {
            (Ok(Decision::Store(_)), Some(placing)) => {
                self.hold_with_slot(placing, request_id).await
            }
            (decision, _) => {
                let stored = matches!(decision, Ok(Decision::Store(_)));
                let reply = self.apply(decision, now).await?;
                if let (true, true, Reply::Order(order)) = (authenticating, stored, &reply) {
                    self.extend_slots(order, request_id).await?;
                }
                Ok(reply)
            }
        }
    }

    /// A hold waiting for 3-D Secure may outlast its payment window: its
    /// slots (the buyer's, and its address's) last until it can end.
    async fn extend_slots(&self, order: &domain::orders::Order, request_id: &str) -> Result<()> {
        let Some(until) = order.attempt().and_then(|a| a.authentication_until) else {
            return Ok(());
        };
        let buyer =
            OpenOrders::of_buyer(&self.env, order.user_id.as_str(), request_id).map_err(failed)?;
        buyer.extend(&order.id, until).await;
        if let Some(hold) = self.store().hold_address().await? {
            if hold.order_id == order.id {
                let address =
                    OpenOrders::of_address(&self.env, &hold.address, request_id).map_err(failed)?;
                address.extend(&order.id, until).await;
            }
        }
        Ok(())
    }

    async fn apply(
        &self,
        decision: std::result::Result<Decision, Refusal>,
        now: i64,
    ) -> Result<Reply> {
        match decision {
            Ok(Decision::Unchanged(reply)) => Ok(reply),
            Ok(Decision::Store(change)) => {
                self.commit(&change, now).await?;
                Ok(change.reply())
            }
            Err(refusal) => Ok(Reply::Refused(refusal)),
        }
    }

    /// A new hold claims the buyer's slot first (`MAX_OPEN_ORDERS`, counted
    /// in their limiter object). A refused attempt (a held ticket: what most
    /// of a stampede gets) or a repeat claims nothing, so it costs this
    /// object one read. One new hold claims at a time (`hold_gate`): an
    /// arrival during a claim waits, then decides again, so a burst on a
    /// free ticket makes one claim, not one per buyer. The claim is a call
    /// out, during which other commands may change the ticket: the desk
    /// decides again after it, and a slot no new order took is given back.
    async fn hold_with_slot(&self, command: Command, request_id: &str) -> Result<Reply> {
        let _gate = match self.hold_gate.try_lock() {
            Some(gate) => gate,
            None => {
                let gate = self.hold_gate.lock().await;
                let now = edge::now_ms();
                match desk::decide(self.store().load(&command).await?, command.clone(), now) {
                    Ok(Decision::Store(_)) => gate,
                    decision => return self.apply(decision, now).await,
                }
            }
        };
        let Command::PlaceOrder {
            order_id,
            user_id,
            window_ms,
            client_address,
            ..
        } = &command
        else {
            return Err(worker::Error::RustError("not a new order".into()));
        };
        let (order_id, window_ms) = (order_id.clone(), *window_ms);
        let client_address = client_address.clone();
        // The buyer's slot (MAX_OPEN_ORDERS) and the client address's
        // (MAX_OPEN_ORDERS_PER_ADDRESS, across its accounts).
        let buyer =
            OpenOrders::of_buyer(&self.env, user_id.as_str(), request_id).map_err(failed)?;
        let address = client_address
            .as_deref()
            .map(|address| OpenOrders::of_address(&self.env, address, request_id))
            .transpose()
            .map_err(failed)?;
        #[cfg(feature = "test-hooks")]
        self.claims.set(self.claims.get() + 1);
        let slots = match HoldSlots::claim(buyer, address, &order_id, window_ms)
            .await
            .map_err(failed)?
        {
            Ok(slots) => slots,
            Err(refusal) => return Ok(Reply::Refused(refusal)),
        };
        let now = edge::now_ms();
        let reply = match self.store().load(&command).await {
            Ok(loaded) => self.apply(desk::decide(loaded, command, now), now).await,
            Err(e) => Err(e),
        };
        let answer = match &reply {
            Ok(Reply::Order(order)) => Ok(order.id.as_str()),
            Ok(Reply::Refused(refusal)) => Err(domain::ApiError::from(*refusal).status()),
            Ok(Reply::Ticket(_)) | Err(_) => Err(500),
        };
        slots.settle(&order_id, answer).await;
        if let (Some(address), Ok(placed)) = (client_address, answer) {
            if placed == order_id.as_str() {
                // Freed by this object when the order ends (`commit`).
                let hold = store::HoldAddress { order_id, address };
                self.store().set_hold_address(&hold).await?;
            }
        }
        reply
    }

    /// Stores a change with its events; they are sent after the response.
    async fn commit(&self, change: &Change, now: i64) -> Result<()> {
        let store = self.store();
        let envelopes = envelopes_of(&change.events, now);
        let ended = change.ended_order();
        let rehold_until = ended
            .filter(|order| order.cancel_reason() == Some(CancelReason::Expired))
            .map(|_| now + self.rehold_cooldown_ms());
        // Arm the alarm BEFORE writing: if the isolate dies right after the
        // write, the alarm still comes to send the events and expire the hold.
        store.set_alarm_at(now + OUTBOX_RETRY_MS).await?;
        store.write(change, &envelopes, now, rehold_until).await?;
        self.events_written.set(true);
        self.broadcast(change);
        if let Some(order) = ended {
            self.free_address_slot(&order.id).await?;
        }
        Ok(())
    }

    /// `REHOLD_COOLDOWN_SECONDS` (default 300): how long a buyer who let a
    /// hold on this ticket expire must wait to hold it again.
    fn rehold_cooldown_ms(&self) -> i64 {
        edge::config::positive_number(&self.env, "REHOLD_COOLDOWN_SECONDS", 300) * 1000
    }

    /// The ended order's per-address slot is given back after the answer
    /// (it lapses by itself if that fails).
    async fn free_address_slot(&self, order_id: &domain::ids::OrderId) -> Result<()> {
        let store = self.store();
        let Some(hold) = store.hold_address().await? else {
            return Ok(());
        };
        if &hold.order_id != order_id {
            return Ok(());
        }
        store.delete(store::HOLD_ADDRESS).await?;
        let env = self.env.clone();
        self.state.wait_until(async move {
            let request_id = format!("free-{}", hold.order_id);
            if let Ok(slots) = OpenOrders::of_address(&env, &hold.address, &request_id) {
                slots.free_or_log(&hold.order_id).await;
            }
        });
        Ok(())
    }

    /// Accepts a watcher of the ticket (`viewer`: who, if signed in), or of
    /// one of its orders (`order`: its buyer, checked by the orders worker), with the hibernation API
    /// (the object may leave memory while it stays connected), tagged with
    /// what it watches, and sends it the current state.
    async fn accept_watcher(
        &self,
        order: Option<String>,
        viewer: Option<String>,
    ) -> Result<Response> {
        let store = self.store();
        let (tag, first) = match order {
            None => match store.ticket().await? {
                Some(ticket) if ticket.visible_to(viewer.as_deref()) => {
                    (live::ticket_tag(), live::ticket_message(&ticket))
                }
                _ => return Response::error("no such ticket", 404),
            },
            Some(raw) => {
                let found = match domain::ids::OrderId::parse(&raw) {
                    Ok(id) => store.order(&id).await?,
                    Err(_) => None,
                };
                match found {
                    Some(order) => (live::order_tag(&order.id), live::order_message(&order)),
                    None => return Response::error("no such order", 404),
                }
            }
        };
        let pair = WebSocketPair::new()?;
        self.state
            .accept_websocket_with_tags(&pair.server, &[tag.as_str()]);
        pair.server.send_with_str(first)?;
        Response::from_websocket(pair.client)
    }

    /// Tells the ticket's watchers the ticket as it is now, and the watchers
    /// of a changed order that order.
    fn broadcast(&self, change: &Change) {
        let send = |tag: String, message: String| {
            edge::fanout::send_to_all(&self.state.get_websockets_with_tag(&tag), &message);
        };
        send(live::ticket_tag(), live::ticket_message(&change.ticket));
        if let Some(order) = &change.order {
            send(live::order_tag(&order.id), live::order_message(order));
        }
    }

    /// What is due at `now` (`Command::SettleDue`): the held order's
    /// expiry, or giving up on its lost payment, else the listing's closing
    /// at its event's start. Whatever else is due is done by the next
    /// alarm, which `desk::next_alarm` sets.
    async fn settle_due(&self) -> Result<()> {
        let now = edge::now_ms();
        let command = Command::SettleDue;
        if let Ok(Decision::Store(change)) =
            desk::decide(self.store().load(&command).await?, command, now)
        {
            self.commit(&change, now).await?;
        }
        Ok(())
    }
}

/// A failed call out (the buyer's limiter), as the object's error.
fn failed(e: domain::ApiError) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

/// Each event in its envelope, with a fresh id.
fn envelopes_of(events: &[domain::events::Event], now: i64) -> Vec<Envelope> {
    events
        .iter()
        .map(|event| Envelope::new(uuid::Uuid::new_v4().to_string(), event.clone(), now))
        .collect()
}
