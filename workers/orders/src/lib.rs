//! The orders worker: `/api/orders/*`. Orders live in their ticket's Durable
//! Object (see docs/orders.md for why); this worker authenticates, routes each
//! order to its object, and keeps the `orders` read model from `order:*` events.

mod admin;
mod consumer;
mod read_model;
mod routes;
#[cfg(feature = "test-hooks")]
mod test_hooks;

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
