//! Routes of `/api/tickets`, with the original app's rules and messages.

use crate::read_model;
use domain::desk::Command;
use domain::ids::TicketId;
use domain::session::CurrentUser;
use domain::ticket_search::Search;
use domain::tickets::{Ticket, TicketInput};
use domain::OrInternal;
use edge::router::{Ctx, Route};
use edge::{reply, ApiResult};

pub fn table() -> Vec<Route> {
    let mut routes = edge::routes![
        Post "/api/tickets"     user   => create,
        Get  "/api/tickets"     anyone => list,
        Get  "/api/tickets/sales" user => sales,
        Get  "/api/tickets/:id" anyone => show,
        Put  "/api/tickets/:id" user   => update,
        Delete "/api/tickets/:id" user => withdraw,
    ];
    routes.extend(crate::admin::routes());
    #[cfg(feature = "test-hooks")]
    routes.extend(crate::test_hooks::routes());
    routes
}

async fn create(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let input = TicketInput::parse(&cx.json_body().await?, edge::now_ms())?;
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

/// The signed-in seller's totals: `{listed, sold, earnedCents, currency}`.
async fn sales(cx: Ctx, user: CurrentUser) -> ApiResult {
    let totals = read_model::sales_totals(&cx.env, &user.id).await?;
    let mut body = serde_json::to_value(&totals).or_internal()?;
    body["currency"] = domain::money::CURRENCY.into();
    reply::json(200, &body)
}

async fn show(cx: Ctx) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx.desk(&id)?.ticket(&Command::GetTicket).await?;
    reply::json(200, &ticket.view())
}

/// Checks in the original's order: signed in, valid body, exists, owner, free.
async fn update(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let input = TicketInput::parse(&cx.json_body().await?, edge::now_ms())?;
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

/// The seller takes a free listing off the market: it leaves the list and
/// takes no more orders (a held or sold one: the same 400 as an edit).
async fn withdraw(cx: Ctx, user: CurrentUser) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx
        .desk(&id)?
        .ticket(&Command::WithdrawTicket { user_id: user.id })
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

/// A page of the read model: `q`, `sort`, `available` and `seller=me`
/// (`domain::ticket_search`); the next page's URL is in `Link`.
async fn list(cx: Ctx) -> ApiResult {
    let url = cx.req.url().or_internal()?;
    let param = |name| edge::paging::query_param(&url, name);
    let page = edge::paging::page_request(&url)?;
    let seller = param("seller");
    // Only `seller=me` needs a session; the market is public.
    let user = match seller.as_deref() {
        Some("me") => Some(
            edge::session::SessionConfig::for_request(&cx.env, &cx.req, &cx.request_id)?
                .require_user(&cx.req)?
                .id,
        ),
        _ => None,
    };
    let search = Search::parse(
        param("q").as_deref(),
        param("sort").as_deref(),
        param("available").as_deref(),
        seller.as_deref(),
        user.as_deref(),
    )?;
    let (tickets, next) = read_model::list(&cx.env, &page, &search, edge::now_ms()).await?;
    let response = reply::json(200, &tickets)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}
