//! Test-only routes, compiled only with the `test-hooks` Cargo feature (which
//! only `make test` and `make bench` turn on): a release build answers 404.

use domain::events::Envelope;
use domain::{ApiError, OrInternal};
use edge::router::{Ctx, Route};
use edge::{body, reply, ApiResult};

pub fn routes() -> Vec<Route> {
    edge::routes![
        Post "/api/tickets/_test/events" anyone => publish_test_events,
    ]
}

/// The black-box tests deliver duplicated and reordered events through the
/// real queues with this route.
async fn publish_test_events(mut cx: Ctx) -> ApiResult {
    let body = body::read_json(&mut cx.req, 256 * 1024).await?;
    let envelopes: Vec<Envelope> = serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("not a list of envelopes: {e}")))?;
    for envelope in &envelopes {
        edge::events::publish(&cx.env, envelope)
            .await
            .or_internal()?;
    }
    reply::json(202, &serde_json::json!({ "published": envelopes.len() }))
}
