//! Operator routes (`Authorization: Bearer <ADMIN_TOKEN>`, see
//! `edge::router::Handler::Admin`):
//! - `GET /api/payments/admin/dead-letters`: the events this service's
//!   consumer gave up on, newest first.
//! - `POST /api/payments/admin/dead-letters/redrive`: sends them back to the
//!   `payment-events` queue (`{"ids": [...]}`, or `{}` for all).

use domain::events::Queue;
use edge::router::{Ctx, Route};
use edge::ApiResult;

pub const DB: &str = "PAYMENTS_DB";

pub fn routes() -> Vec<Route> {
    edge::routes![
        Get  "/api/payments/admin/dead-letters"         admin => dead_letters,
        Post "/api/payments/admin/dead-letters/redrive" admin => redrive,
    ]
}

async fn dead_letters(cx: Ctx) -> ApiResult {
    edge::dead_letters::list(cx, DB).await
}

async fn redrive(cx: Ctx) -> ApiResult {
    edge::dead_letters::redrive(cx, DB, Queue::PaymentEvents).await
}
