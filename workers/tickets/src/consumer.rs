//! Consumer of the `ticket-events` queue: keeps the `tickets` read model,
//! and creates the tickets that purchases issue.

use crate::read_model;
use domain::desk::Command;
use domain::events::{Event, Queue};
use worker::{wasm_bindgen::JsValue, Env, MessageBatch};

pub async fn handle(batch: MessageBatch<JsValue>, env: &Env) -> worker::Result<()> {
    edge::events::consume(batch, env, Queue::TicketEvents, |envelope| async move {
        match &envelope.event {
            Event::TicketCreated(ticket) | Event::TicketUpdated(ticket) => {
                read_model::apply(env, ticket).await.map(drop)
            }
            // A purchase issued a ticket to its buyer: create it in its own
            // object (idempotent: the same ticket again changes nothing).
            // Its `ticket:created` then feeds the list like any ticket's.
            Event::TicketIssued(ticket) => {
                let desk =
                    edge::desk_client::DeskClient::for_ticket(env, &ticket.id, &envelope.id)?;
                desk.ticket(&Command::IssueTicket {
                    ticket: ticket.clone(),
                })
                .await
                .map(drop)
            }
            _ => Ok(()), // not ours: routing sends only ticket events here
        }
    })
    .await
}
