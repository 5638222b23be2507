//! The payments worker: `/api/payments` (pay for an order) and
//! `/api/payments/webhook` (Stripe's events), plus the consumer of the
//! `payment-events` queue.

mod admin;
mod checkout;
mod config;
mod declines;
mod keyed_requests;
mod orders;
mod providers;
mod reconcile;
mod routes;
mod settle;
mod store;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod webhook;

use domain::events::Queue;
use worker::{
    event, wasm_bindgen::JsValue, Context, Env, MessageBatch, Request, Response, ScheduleContext,
    ScheduledEvent,
};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    edge::router::serve(req, env, &routes::table()).await
}

/// The Cron Trigger (`[triggers] crons` in wrangler.toml): reconciles with
/// Stripe (`reconcile::run`). The test build runs the same function through
/// `POST /api/payments/_test/reconcile`.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let request_id = format!("cron-{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = reconcile::run(&env, &request_id, edge::now_ms()).await {
        edge::log::error(&request_id, "reconcile_failed", &e.to_string());
    }
}

/// `payment:created` (published by the ticket's object when an order
/// completes): makes sure the payments table has the row even if the request
/// that charged died before writing it.
#[event(queue)]
async fn queue(batch: MessageBatch<JsValue>, env: Env, _ctx: Context) -> worker::Result<()> {
    let env = &env;
    if edge::dead_letters::is_dead_letter_queue(&batch.queue()) {
        edge::dead_letters::keep(batch, env, admin::DB).await;
        return Ok(());
    }
    edge::events::consume(Queue::PaymentEvents, batch, env, |envelope| async move {
        match &envelope.event {
            domain::events::Event::PaymentCreated(payment) => {
                store::record(env, payment, None).await.map(drop)
            }
            _ => Ok(()),
        }
    })
    .await
}
