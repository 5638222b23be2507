//! Talking to a ticket's Durable Object (the `TicketObject` class of the
//! tickets worker), from any worker that binds it as `TICKET_OBJECTS`.

use domain::desk::{Command, Reply};
use domain::ids::TicketId;
use domain::orders::Order;
use domain::tickets::Ticket;
use domain::{ApiError, OrInternal};
use worker::{Env, Method, Request, RequestInit, Stub};

pub const BINDING: &str = "TICKET_OBJECTS";

pub struct DeskClient {
    stub: Stub,
}

impl DeskClient {
    /// The one object that serializes everything about `ticket_id`.
    pub fn for_ticket(env: &Env, ticket_id: &TicketId) -> Result<Self, ApiError> {
        let namespace = env.durable_object(BINDING).or_internal()?;
        let stub = namespace
            .id_from_name(ticket_id.as_str())
            .and_then(|id| id.get_stub())
            .or_internal()?;
        Ok(Self { stub })
    }

    pub async fn send(&self, command: &Command) -> Result<Reply, ApiError> {
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_body(Some(serde_json::to_string(command).or_internal()?.into()));
        let request =
            Request::new_with_init("https://ticket-object/command", &init).or_internal()?;
        let mut response = self.stub.fetch_with_request(request).await.or_internal()?;
        if response.status_code() != 200 {
            let body = response.text().await.unwrap_or_default();
            return Err(ApiError::internal(format!(
                "ticket object answered {}: {body}",
                response.status_code()
            )));
        }
        response.json::<Reply>().await.or_internal()
    }

    pub async fn ticket(&self, command: &Command) -> Result<Ticket, ApiError> {
        match self.send(command).await? {
            Reply::Ticket(ticket) => Ok(ticket),
            Reply::Refused(refusal) => Err(refusal.into()),
            Reply::Order(_) => Err(ApiError::internal("expected a ticket, got an order")),
        }
    }

    pub async fn order(&self, command: &Command) -> Result<Order, ApiError> {
        match self.send(command).await? {
            Reply::Order(order) => Ok(order),
            Reply::Refused(refusal) => Err(refusal.into()),
            Reply::Ticket(_) => Err(ApiError::internal("expected an order, got a ticket")),
        }
    }
}
