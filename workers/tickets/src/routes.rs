//! Routes of `/api/tickets`, with the original app's rules and messages.

use crate::read_model;
use domain::desk::Command;
use domain::ids::TicketId;
use domain::session::CurrentUser;
use domain::tickets::{Ticket, TicketInput};
use domain::{ApiError, OrInternal};
use edge::router::{Ctx, Route};
use edge::{reply, ApiResult};

pub fn table() -> Vec<Route> {
    let mut routes = edge::routes![
        Post "/api/tickets"     user   => create,
        Get  "/api/tickets"     anyone => list,
        Get  "/api/tickets/:id" anyone => show,
        Put  "/api/tickets/:id" user   => update,
    ];
    routes.extend(crate::admin::routes());
    #[cfg(feature = "test-hooks")]
    routes.extend(crate::test_hooks::routes());
    routes
}

async fn create(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let input = TicketInput::parse(&cx.json_body().await?)?;
    let ticket_id = TicketId::from_uuid(uuid::Uuid::new_v4());
    let ticket = cx
        .desk(&ticket_id)?
        .ticket(&Command::CreateTicket {
            ticket_id,
            user_id: user.id,
            input,
        })
        .await?;
    record(&cx, &ticket).await;
    reply::json(201, &ticket.view())
}

async fn show(cx: Ctx) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx.desk(&id)?.ticket(&Command::GetTicket).await?;
    reply::json(200, &ticket.view())
}

/// Checks in the original's order: signed in, valid body, exists, owner, free.
async fn update(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let input = TicketInput::parse(&cx.json_body().await?)?;
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx
        .desk(&id)?
        .ticket(&Command::UpdateTicket {
            user_id: user.id,
            input,
        })
        .await?;
    record(&cx, &ticket).await;
    reply::json(200, &ticket.view())
}

/// Writes the ticket to the read model now, so the seller's next page lists
/// it whatever the queue's delay; the `ticket:*` event writes the same row
/// again (version-guarded) if this fails.
async fn record(cx: &Ctx, ticket: &Ticket) {
    if let Err(e) = read_model::apply(&cx.env, ticket).await {
        edge::log::error(
            &cx.request_id,
            "tickets_read_model_write_failed",
            &e.to_string(),
        );
    }
}

/// Newest first from the read model; the next page's URL is in `Link`.
async fn list(cx: Ctx) -> ApiResult {
    let url = cx.req.url().or_internal()?;
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
    let (tickets, next) = read_model::list(&cx.env, &page, available_only).await?;
    let response = reply::json(200, &tickets)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}
