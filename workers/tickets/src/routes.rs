//! Routes of `/api/tickets`, with the original app's rules and messages.

use crate::read_model;
use domain::desk::Command;
use domain::http::session::CurrentUser;
use domain::ids::TicketId;
use domain::limits::SocketLimit;
use domain::money::Cents;
use domain::ticket_search::{Scope, Search, SearchParams};
use domain::tickets::{ResaleCap, Ticket, TicketInput};
use domain::{ApiError, OrInternal};
use edge::limits::Limiter;
use edge::router::{Ctx, Route};
use edge::RequestUrl;
use edge::{reply, ApiResult};

pub fn table() -> Vec<Route> {
    let mut routes = edge::routes![
        Post "/api/tickets"     user   => create,
        Get  "/api/tickets"     anyone => list,
        Get  "/api/tickets/sales" user => sales,
        Get  "/api/tickets/live" anyone => watch_list,
        Get  "/api/tickets/:id" anyone => show,
        Put  "/api/tickets/:id" user   => update,
        Delete "/api/tickets/:id" user => withdraw,
        Post "/api/tickets/:id/resell" user => resell,
        Get  "/api/tickets/:id/custody" user => custody,
        Get  "/api/tickets/:id/live" anyone => watch,
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
    reply::json(201, &ticket.view_for(Some(ticket.user_id.as_str())))
}

/// The signed-in seller's totals: `{listed, sold, earnedCents, currency}`.
async fn sales(cx: Ctx, user: CurrentUser) -> ApiResult {
    let totals = read_model::sales_totals(&cx.env, user.id.as_str()).await?;
    let mut body = serde_json::to_value(&totals).or_internal()?;
    body["currency"] = domain::money::CURRENCY.into();
    reply::json(200, &body)
}

/// Public, but a bought ticket not listed for resale is its owner's only
/// (404 to others), and what was paid is shown to the owner alone.
async fn show(cx: Ctx) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx.desk(&id)?.ticket(&Command::GetTicket).await?;
    let viewer = viewer(&cx);
    if !ticket.visible_to(viewer.as_deref()) {
        return Err(ApiError::NotFound);
    }
    reply::json(200, &ticket.view_for(viewer.as_deref()))
}

/// The signed-in user of a public route, if any. Sessions that cannot be
/// read (not configured) leave the visitor anonymous: browsing still works.
fn viewer(cx: &Ctx) -> Option<domain::ids::UserId> {
    let session = edge::session::SessionConfig::for_request(&cx.env, &cx.req, &cx.request_id);
    session
        .ok()
        .and_then(|session| session.current_user(&cx.req))
        .map(|user| user.id)
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
            resale_cap: resale_cap(&cx)?,
        })
        .await?;
    record(&cx, &ticket).await;
    reply::json(200, &ticket.view_for(Some(ticket.user_id.as_str())))
}

/// `RESALE_CAP_PERCENT`: how far above what they paid an owner may resell.
fn resale_cap(cx: &Ctx) -> Result<ResaleCap, ApiError> {
    ResaleCap::from_setting(edge::config::setting(&cx.env, "RESALE_CAP_PERCENT").as_deref())
        .map_err(ApiError::internal)
}

/// The owner of a bought ticket lists it: `{"price": …}`, at most the cap.
async fn resell(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let price = Cents::parse_price(cx.json_body().await?.get("price"))
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx
        .desk(&id)?
        .ticket(&Command::ResellTicket {
            user_id: user.id,
            price,
            resale_cap: resale_cap(&cx)?,
        })
        .await?;
    record(&cx, &ticket).await;
    reply::json(200, &ticket.view_for(Some(ticket.user_id.as_str())))
}

/// The ticket's chain of custody (every sale: from, to, price, time), for
/// its owner only.
async fn custody(cx: Ctx, user: CurrentUser) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    let ticket = cx.desk(&id)?.ticket(&Command::GetTicket).await?;
    if ticket.user_id != user.id {
        return Err(ApiError::NotAuthorized);
    }
    reply::json(200, &ticket.custody)
}

/// A watcher's WebSocket on the ticket (no session needed: the data is
/// public): the current state first, then every change (docs/live.md).
async fn watch(cx: Ctx) -> ApiResult {
    let id = TicketId::parse(cx.param("id"))?;
    if !edge::object_call::is_websocket_upgrade(&cx.req) {
        return Err(ApiError::UpgradeRequired);
    }
    // The object refuses a ticket that is not `visible_to` the viewer.
    let viewer = viewer(&cx);
    if viewer.is_none() {
        limit_anonymous_sockets(&cx).await?;
    }
    edge::desk_client::watch(
        &cx.env,
        &id,
        edge::desk_client::Watch::Ticket {
            viewer: viewer.map(String::from),
        },
    )
    .await
}

/// A watcher's WebSocket on the market list: `ids` (the tickets on its
/// page), `q` (its search) and `since` (its page's time, ms). The tickets
/// on its page as they are now come first, then the listings since, then
/// each change of those and each new listing that matches (docs/live.md).
async fn watch_list(cx: Ctx) -> ApiResult {
    let url = RequestUrl::of(&cx.req)?;
    // Checked here, so that a bad query is a 400 and never reaches the feed.
    crate::list_feed::watch_of(&url, edge::now_ms())?;
    if !edge::object_call::is_websocket_upgrade(&cx.req) {
        return Err(ApiError::UpgradeRequired);
    }
    if viewer(&cx).is_none() {
        limit_anonymous_sockets(&cx).await?;
    }
    crate::list_feed::watch(&cx.env, url.query()).await
}

/// Sockets opened without a session count per client address
/// (`LIVE_SOCKETS_PER_ADDRESS_PER_MINUTE`, default 60): 429 past that.
async fn limit_anonymous_sockets(cx: &Ctx) -> Result<(), ApiError> {
    let Some(address) = edge::limits::client_address(&cx.req) else {
        return Ok(());
    };
    let limit = SocketLimit {
        per_minute: edge::config::positive_count(
            &cx.env,
            "LIVE_SOCKETS_PER_ADDRESS_PER_MINUTE",
            SocketLimit::DEFAULT_PER_MINUTE,
        ),
    };
    let limiter = Limiter::named(
        &cx.env,
        SocketLimit::address_object(&address),
        &cx.request_id,
    )?;
    let socket = uuid::Uuid::new_v4().to_string();
    limiter
        .take(&limit.open(&socket, edge::now_ms()), || {
            "Too many live connections from your address; try again shortly".into()
        })
        .await
        .map(drop)
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
    reply::json(200, &ticket.view_for(Some(ticket.user_id.as_str())))
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

/// A page of the read model: `q`, `sort`, `available`, `seller=me`, `owner=me`
/// (`domain::ticket_search`); the next page's URL is in `Link`.
async fn list(cx: Ctx) -> ApiResult {
    let url = RequestUrl::of(&cx.req)?;
    let param = |name| url.query_param(name);
    let page = edge::paging::page_request(&url)?;
    let params = SearchParams {
        q: param("q"),
        sort: param("sort"),
        available: param("available"),
        seller: param("seller"),
        owner: param("owner"),
    };
    // Only `seller=me` and `owner=me` need a session; the market is public.
    let user = match (params.seller.as_deref(), params.owner.as_deref()) {
        (Some("me"), _) | (_, Some("me")) => Some(
            edge::session::SessionConfig::for_request(&cx.env, &cx.req, &cx.request_id)?
                .require_user(&cx.req)?
                .id,
        ),
        _ => None,
    };
    let search = Search::parse(&params, user.as_deref())?;
    let (mut tickets, next) =
        read_model::list(&cx.env, &page, &search, user.as_deref(), edge::now_ms()).await?;
    if let Scope::Owner(_) = search.scope {
        // The owner sees how high each may be resold.
        let cap = resale_cap(&cx)?;
        for ticket in &mut tickets {
            ticket.resale_max_cents = ticket.paid_cents.map(|paid| cap.max_price(Cents(paid)).0);
        }
    }
    let response = reply::json(200, &tickets)?;
    edge::paging::set_next_link(&response, &url, next.as_ref())?;
    Ok(response)
}
