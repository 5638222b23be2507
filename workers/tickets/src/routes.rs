//! Routes of `/api/tickets`, with the original app's rules and messages.

use crate::read_model;
use domain::desk::Command;
use domain::events::Envelope;
use domain::ids::TicketId;
use domain::tickets::TicketInput;
use domain::{ApiError, OrInternal};
use edge::desk_client::DeskClient;
use edge::session::SessionConfig;
use edge::{body, csrf, reply, ApiResult};
use worker::{Env, Method, Request};

pub async fn handle(mut req: Request, env: &Env) -> ApiResult {
    let path = req.path();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    csrf::refuse_cross_site(&req)?;
    match (req.method(), segments.as_slice()) {
        (Method::Post, ["api", "tickets"]) => create(&mut req, env).await,
        (Method::Post, ["api", "tickets", "_test", "events"]) if test_hooks_enabled(env) => {
            publish_test_events(&mut req, env).await
        }
        (Method::Get, ["api", "tickets"]) => list(&req, env).await,
        (Method::Get, ["api", "tickets", id]) => show(TicketId::parse(id)?, env).await,
        (Method::Put, ["api", "tickets", id]) => {
            let id = id.to_string();
            update(&mut req, &id, env).await
        }
        (_, ["api", "tickets"] | ["api", "tickets", _]) => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    }
}

async fn create(req: &mut Request, env: &Env) -> ApiResult {
    let user = SessionConfig::from_env(env)?.require_user(req)?;
    let input = TicketInput::parse(&body::read_json(req, body::DEFAULT_LIMIT).await?)?;
    let ticket_id = TicketId::from_uuid(uuid::Uuid::new_v4());
    let ticket = DeskClient::for_ticket(env, &ticket_id)?
        .ticket(&Command::CreateTicket {
            ticket_id,
            user_id: user.id,
            input,
        })
        .await?;
    reply::json(201, &ticket.view())
}

async fn show(id: TicketId, env: &Env) -> ApiResult {
    let ticket = DeskClient::for_ticket(env, &id)?
        .ticket(&Command::GetTicket)
        .await?;
    reply::json(200, &ticket.view())
}

/// Checks in the original's order: signed in, valid body, exists, owner, free.
async fn update(req: &mut Request, raw_id: &str, env: &Env) -> ApiResult {
    let user = SessionConfig::from_env(env)?.require_user(req)?;
    let input = TicketInput::parse(&body::read_json(req, body::DEFAULT_LIMIT).await?)?;
    let id = TicketId::parse(raw_id)?;
    let ticket = DeskClient::for_ticket(env, &id)?
        .ticket(&Command::UpdateTicket {
            user_id: user.id,
            input,
        })
        .await?;
    reply::json(200, &ticket.view())
}

/// Newest first from the read model; the next page's URL is in `Link`.
async fn list(req: &Request, env: &Env) -> ApiResult {
    let url = req.url().or_internal()?;
    let page = edge::paging::page_request(&url)?;
    let available_only = match edge::paging::query_param(&url, "available").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::field(
                "available",
                "Available must be true or false",
            ))
        }
    };
    let (tickets, next) = read_model::list(env, &page, available_only).await?;
    let response = reply::json(200, &tickets)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}

/// The black-box tests deliver duplicated and reordered events through the
/// real queues with this route. It exists only when TEST_HOOKS=1, which
/// scripts/test.sh sets for its own stack and nothing else does.
fn test_hooks_enabled(env: &Env) -> bool {
    env.var("TEST_HOOKS").is_ok_and(|v| v.to_string() == "1")
}

async fn publish_test_events(req: &mut Request, env: &Env) -> ApiResult {
    let body = body::read_json(req, 256 * 1024).await?;
    let envelopes: Vec<Envelope> = serde_json::from_value(body)
        .map_err(|e| ApiError::BadRequest(format!("not a list of envelopes: {e}")))?;
    for envelope in &envelopes {
        edge::events::publish(env, envelope).await.or_internal()?;
    }
    reply::json(202, &serde_json::json!({ "published": envelopes.len() }))
}
