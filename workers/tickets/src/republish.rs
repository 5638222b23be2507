//! `POST /api/tickets/admin/republish`: repairs read models from the source
//! of truth. Each ticket's object puts its ticket and every order on it, as
//! they are now, in its outbox again; the normal consumers then apply what
//! they lack (they keep the newest version, so the rest changes nothing).
//!
//! - `{"ticketId": "…"}`: one ticket (also one the list never heard of).
//! - `{"all": true}`: every ticket the `tickets` read model knows, a page at a
//!   time; the answer's `next` is the `after` of the next call, null at the end.
//!
//! Answers `{"tickets": n, "events": n, "next": …}`.

use crate::read_model;
use crate::ticket_object::REPUBLISH_PATH;
use domain::ids::TicketId;
use domain::ApiError;
use edge::router::Ctx;
use edge::{reply, ApiResult};
use serde_json::{json, Value};

/// Tickets per call: well within a request's subrequest limit.
const PAGE: u32 = 50;

pub async fn handle(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    let (ids, next) = match (&body["ticketId"], &body["all"]) {
        (Value::String(id), _) => (vec![TicketId::parse(id)?], None),
        (Value::Null, Value::Bool(true)) => {
            let after = match &body["after"] {
                Value::Null => None,
                Value::String(after) => Some(TicketId::parse(after)?),
                _ => {
                    return Err(ApiError::field(
                        "after",
                        "The `next` of the previous answer is needed",
                    ))
                }
            };
            let ids =
                read_model::ids_after(&cx.env, after.as_ref().map(TicketId::as_str), PAGE).await?;
            let ids = ids
                .iter()
                .map(|id| TicketId::parse(id))
                .collect::<Result<Vec<_>, _>>()?;
            let next = (ids.len() == PAGE as usize)
                .then(|| ids.last().cloned())
                .flatten();
            (ids, next)
        }
        _ => {
            return Err(ApiError::BadRequest(
                "Name one ticket (`ticketId`) or all of them (`\"all\": true`)".into(),
            ))
        }
    };
    let mut events = 0;
    for id in &ids {
        let stub = edge::desk_client::ticket_object(&cx.env, id)?;
        let published: usize =
            edge::object_call::call_at(&stub, REPUBLISH_PATH, &cx.request_id, &(), || {
                format!("ticket object {id}")
            })
            .await?;
        events += published;
    }
    reply::json(
        200,
        &json!({ "tickets": ids.len(), "events": events, "next": next.as_ref().map(TicketId::as_str) }),
    )
}
