//! Consumer of the `ticket-events` queue: keeps the `tickets` read model.

use crate::read_model;
use domain::events::{Event, Queue};
use worker::{wasm_bindgen::JsValue, Env, MessageBatch};

pub async fn handle(batch: MessageBatch<JsValue>, env: &Env) -> worker::Result<()> {
    edge::events::consume(batch, env, Queue::TicketEvents, |envelope| async move {
        match &envelope.event {
            Event::TicketCreated(ticket) | Event::TicketUpdated(ticket) => {
                read_model::apply(env, ticket).await.map(drop)
            }
            _ => Ok(()), // not ours: routing sends only ticket events here
        }
    })
    .await
}
