//! Consumer of the `ticket-events` queue: keeps the `tickets` read model,
//! tells the open lists (`ListFeed`), and creates the tickets that
//! purchases issue.

use crate::{list_feed, read_model};
use domain::desk::Command;
use domain::events::{Event, Queue};
use domain::list_feed::FeedChange;
use std::cell::RefCell;
use worker::{wasm_bindgen::JsValue, Env, MessageBatch};

pub async fn handle(batch: MessageBatch<JsValue>, env: &Env) -> worker::Result<()> {
    // Every change applied, whether or not the route wrote the row first:
    // the lists hear of it once, after the batch.
    let applied = RefCell::new(Vec::new());
    let applied_ref = &applied;
    let consumed = edge::events::consume(Queue::TicketEvents, batch, env, |envelope| async move {
        match &envelope.event {
            Event::TicketCreated(ticket) | Event::TicketUpdated(ticket) => {
                read_model::apply(env, ticket).await?;
                applied_ref
                    .borrow_mut()
                    .extend(FeedChange::of(&envelope.event));
                Ok(())
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
    .await;
    list_feed::tell(env, &applied.into_inner()).await;
    consumed
}
