//! Test-only routes, compiled only with the `test-hooks` Cargo feature (which
//! only `make test` and `make bench` turn on): a release build answers 404.
//! - `POST`/`GET /api/payments/_test/fail-next`: arm or read this worker's fault
//!   switches (`edge::faults`).
//! - `POST /api/payments/_test/reconcile` `{"atMs": n}` (optional): runs the
//!   cron's reconciliation now, as if at `atMs`, and answers what it did.
//!   Local runs cannot fire the payments worker's Cron Trigger under
//!   `pages dev` (the port serves the Pages worker).

use edge::router::{Ctx, Route};
use edge::{reply, ApiResult};

pub fn routes() -> Vec<Route> {
    edge::routes![
        Post "/api/payments/_test/fail-next" anyone => edge::faults::arm_route,
        Get  "/api/payments/_test/fail-next" anyone => edge::faults::armed_route,
        Post "/api/payments/_test/reconcile" anyone => reconcile_now,
    ]
}

async fn reconcile_now(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    let now = body["atMs"].as_i64().unwrap_or_else(edge::now_ms);
    let done = crate::reconcile::run(&cx.env, &cx.request_id, now).await?;
    reply::json(200, &done)
}
