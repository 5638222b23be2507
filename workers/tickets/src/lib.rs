//! The tickets worker: `/api/tickets/*`, the `TicketObject` Durable Object
//! class (the source of truth for tickets and their orders), the consumer
//! of the `ticket-events` queue that keeps the `tickets` read model in D1,
//! and the `ListFeed` class that tells open lists of its changes.

mod admin;
mod consumer;
mod list_feed;
mod read_model;
mod republish;
mod routes;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod ticket_object;

pub use list_feed::ListFeed;
pub use ticket_object::TicketObject;

use worker::{event, Context, Env, MessageBatch, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    edge::router::serve(req, env, &routes::table()).await
}

#[event(queue)]
async fn queue(
    batch: MessageBatch<worker::wasm_bindgen::JsValue>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    if edge::dead_letters::is_dead_letter_queue(&batch.queue()) {
        edge::dead_letters::keep(batch, &env, admin::DB).await;
        return Ok(());
    }
    consumer::handle(batch, &env).await
}
