//! Operator routes (`Authorization: Bearer <ADMIN_TOKEN>`, see
//! `edge::router::Handler::Admin`):
//! - `GET /api/tickets/admin/dead-letters`: the events this service's
//!   consumer gave up on, newest first.
//! - `POST /api/tickets/admin/dead-letters/redrive`: sends them back to the
//!   `ticket-events` queue (`{"ids": [...]}`, or `{}` for all).
//! - `POST /api/tickets/admin/republish`: ticket objects publish their state
//!   again, to repair the read models (`republish`).

use domain::events::Queue;
use edge::router::{Ctx, Route};
use edge::ApiResult;

pub const DB: &str = "TICKETS_DB";

pub fn routes() -> Vec<Route> {
    edge::routes![
        Get  "/api/tickets/admin/dead-letters"         admin => dead_letters,
        Post "/api/tickets/admin/dead-letters/redrive" admin => redrive,
        Post "/api/tickets/admin/republish"            admin => crate::republish::handle,
    ]
}

async fn dead_letters(cx: Ctx) -> ApiResult {
    edge::dead_letters::list(cx, DB).await
}

async fn redrive(cx: Ctx) -> ApiResult {
    edge::dead_letters::redrive(cx, DB, Queue::TicketEvents).await
}
