//! Talking to a ticket's Durable Object (the `TicketObject` class of the
//! tickets worker), from any worker that binds it as `TICKET_OBJECTS`.

use domain::desk::{Command, OrderReply, Refusal, TicketReply};
use domain::ids::TicketId;
use domain::tickets::Ticket;
use domain::{ApiError, OrInternal};
use serde::de::DeserializeOwned;
use worker::{Env, Response, Stub};

pub const BINDING: &str = "TICKET_OBJECTS";

/// The object's path for a watcher's WebSocket (the tickets worker's
/// `TicketObject` accepts it with the hibernation API).
pub const LIVE_PATH: &str = "/live";

/// Connects a watcher to the ticket's object, for the ticket or for one of
/// its orders: its WebSocket, as a response of our own (the one from the
/// object has immutable headers), or 404.
/// Who opens a live channel on a ticket's object.
pub enum Watch<'a> {
    /// The ticket's changes, for `viewer` (signed in, or not): the object
    /// refuses a ticket that is not `visible_to` them.
    Ticket { viewer: Option<String> },
    /// One order's changes, for its buyer (checked by the caller).
    Order(&'a domain::ids::OrderId),
}

pub async fn watch(
    env: &Env,
    ticket_id: &TicketId,
    watch: Watch<'_>,
) -> Result<Response, ApiError> {
    let query = match watch {
        Watch::Ticket { viewer: None } => String::new(),
        Watch::Ticket {
            viewer: Some(viewer),
        } => format!("?viewer={viewer}"),
        Watch::Order(id) => format!("?order={id}"),
    };
    let stub = ticket_object(env, ticket_id)?;
    crate::object_call::open_socket(&stub, &format!("{LIVE_PATH}{query}"))
        .await?
        .map_err(|_| ApiError::NotFound)
}

pub struct DeskClient {
    stub: Stub,
    /// Names the object in error contexts.
    ticket_id: TicketId,
    /// Forwarded, so the object's log lines carry the caller's request id.
    request_id: String,
}

/// The one object that serializes everything about `ticket_id`: for a
/// command (`DeskClient`), or another of its paths (`object_call::call_at`).
pub fn ticket_object(env: &Env, ticket_id: &TicketId) -> Result<Stub, ApiError> {
    let namespace = env.durable_object(BINDING).context(BINDING)?;
    namespace
        .id_from_name(ticket_id.as_str())
        .and_then(|id| id.get_stub())
        .context("ticket object stub")
}

impl DeskClient {
    pub fn for_ticket(env: &Env, ticket_id: &TicketId, request_id: &str) -> Result<Self, ApiError> {
        Ok(Self {
            stub: ticket_object(env, ticket_id)?,
            ticket_id: ticket_id.clone(),
            request_id: request_id.to_string(),
        })
    }

    /// The object's answer, read as the kind of reply the caller expects
    /// (`domain::desk::OrderReply`, `TicketReply`).
    async fn call<R: DeserializeOwned>(&self, command: &Command) -> Result<R, ApiError> {
        crate::object_call::call(&self.stub, &self.request_id, command, || {
            format!("ticket object {}", self.ticket_id)
        })
        .await
    }

    pub async fn ticket(&self, command: &Command) -> Result<Ticket, ApiError> {
        match self.call(command).await? {
            TicketReply::Ticket(ticket) => Ok(ticket),
            TicketReply::Refused(refusal) => Err(refusal.into()),
        }
    }

    /// The order, or the desk's refusal as a value (to act on a particular
    /// one). `O` is how the caller reads the order: `Order`, or a narrower
    /// struct of the fields it uses, whose reader is smaller in its wasm.
    pub async fn order_or_refusal<O: DeserializeOwned>(
        &self,
        command: &Command,
    ) -> Result<Result<O, Refusal>, ApiError> {
        Ok(match self.call::<OrderReply<O>>(command).await? {
            OrderReply::Order(order) => Ok(order),
            OrderReply::Refused(refusal) => Err(refusal),
        })
    }

    /// The order (read as `O`, as above); a refusal is the caller's error.
    pub async fn order<O: DeserializeOwned>(&self, command: &Command) -> Result<O, ApiError> {
        self.order_or_refusal(command)
            .await?
            .map_err(ApiError::from)
    }

    /// A command whose order the caller does not need: only its refusal,
    /// as the caller's error (the order is skipped, not read).
    pub async fn apply(&self, command: &Command) -> Result<(), ApiError> {
        self.order::<serde::de::IgnoredAny>(command).await.map(drop)
    }
}
