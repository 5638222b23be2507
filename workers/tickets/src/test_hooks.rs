//! Test-only routes, compiled only with the `test-hooks` Cargo feature (which
//! only `make test` and `make bench` turn on): a release build answers 404.
//! - `POST /api/tickets/_test/events`: publish envelopes through the real queues.
//! - `POST /api/tickets/_test/faults` `{ticketId, failNextSends}`: the ticket's
//!   object fails its next N event sends (a queue in trouble).
//! - `POST`/`GET /api/tickets/_test/fail-next`: arm or read this worker's
//!   fault switches (`edge::faults`).
//! - `POST /api/tickets/_test/bench-write` `{ticketId}`: the object writes one
//!   key and answers; `make bench`'s baseline for a reservation.
//! - `GET /api/tickets/_test/claims?ticketId=`: how many buyer slots the
//!   ticket's object has claimed since it was loaded.

use domain::events::Envelope;
use domain::ids::TicketId;
use domain::{ApiError, OrInternal};
use edge::router::{Ctx, Route};
use edge::RequestUrl;
use edge::{body, reply, ApiResult};

/// The path of the object's fault switch (its own fetch handles it).
pub const FAIL_SENDS_PATH: &str = "/_test/fail-sends";
/// The path of the object's bare write, for the bench.
pub const BENCH_WRITE_PATH: &str = "/_test/bench-write";
/// The path of the object's count of slot claims.
pub const CLAIMS_PATH: &str = "/_test/claims";

pub fn routes() -> Vec<Route> {
    edge::routes![
        Post "/api/tickets/_test/events" anyone => publish_test_events,
        Post "/api/tickets/_test/faults" anyone => inject_faults,
        Post "/api/tickets/_test/fail-next" anyone => edge::faults::arm_route,
        Get  "/api/tickets/_test/fail-next" anyone => edge::faults::armed_route,
        Post "/api/tickets/_test/bench-write" anyone => bench_write,
        Get  "/api/tickets/_test/claims" anyone => claims,
    ]
}

async fn inject_faults(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    let ticket_id = TicketId::parse(body["ticketId"].as_str().unwrap_or_default())?;
    let n = body["failNextSends"]
        .as_u64()
        .ok_or_else(|| ApiError::field("failNextSends", "A whole number is needed"))?;
    let stub = edge::desk_client::ticket_object(&cx.env, &ticket_id)?;
    let armed: u64 = edge::object_call::call_at(&stub, FAIL_SENDS_PATH, &cx.request_id, &n, || {
        format!("ticket object {ticket_id}")
    })
    .await?;
    reply::json(202, &serde_json::json!({ "failNextSends": armed }))
}

/// A write of one key in the ticket's object, through the same worker and
/// object plumbing as a reservation: what a hold costs at the least.
async fn bench_write(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    let ticket_id = TicketId::parse(body["ticketId"].as_str().unwrap_or_default())?;
    let stub = edge::desk_client::ticket_object(&cx.env, &ticket_id)?;
    let written: bool =
        edge::object_call::call_at(&stub, BENCH_WRITE_PATH, &cx.request_id, &(), || {
            format!("ticket object {ticket_id}")
        })
        .await?;
    reply::json(200, &serde_json::json!({ "written": written }))
}

/// The black-box tests deliver duplicated and reordered events through the
/// real queues with this route.
async fn publish_test_events(mut cx: Ctx) -> ApiResult {
    let body = body::read_json(&mut cx.req, 256 * 1024).await?;
    let items = body.as_array().map(Vec::as_slice).unwrap_or_default();
    let envelopes = items
        .iter()
        .map(|item| Envelope::from_json(&item.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::BadRequest(format!("not a list of envelopes: {e}")))?;
    for envelope in &envelopes {
        edge::events::publish(&cx.env, envelope)
            .await
            .or_internal()?;
    }
    reply::json(202, &serde_json::json!({ "published": envelopes.len() }))
}

/// How many buyer slots the ticket's object has claimed since it was loaded.
async fn claims(cx: Ctx) -> ApiResult {
    let raw = RequestUrl::of(&cx.req)?
        .query_param("ticketId")
        .unwrap_or_default();
    let ticket_id = TicketId::parse(&raw)?;
    let stub = edge::desk_client::ticket_object(&cx.env, &ticket_id)?;
    let claims: u32 = edge::object_call::call_at(&stub, CLAIMS_PATH, &cx.request_id, &(), || {
        format!("ticket object {ticket_id}")
    })
    .await?;
    reply::json(200, &serde_json::json!({ "claims": claims }))
}
