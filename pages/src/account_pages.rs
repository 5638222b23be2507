//! The signed-in user's own lists: `/selling` (their listings and totals)
//! and `/my-tickets` (what they bought, and reselling it).

use crate::forms::{read_form, value, FormErrors};
use crate::services::{list_page, PageContext, Service};
use crate::ticket_pages::SIGN_IN;
use crate::views::{self, account::SalesTotals};
use domain::ids::TicketId;
use domain::tickets::TicketView;
use edge::ApiResult;
use serde_json::json;
use worker::{Method, Request};

/// The seller's listings in every state, with their totals.
pub async fn selling(req: &Request, ctx: &PageContext) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let (listings, next): (Vec<TicketView>, _) = list_page(
        ctx,
        req,
        Service::Tickets,
        "/api/tickets?seller=me",
        "/selling",
    )
    .await?;
    let reply = ctx
        .call(Service::Tickets, Method::Get, "/api/tickets/sales", None)
        .await?;
    if reply.status != 200 {
        return Err(reply.unexpected(Service::Tickets));
    }
    let totals: SalesTotals = reply.parse()?;
    views::html(
        200,
        views::account::selling(ctx, &listings, &totals, next.as_deref()),
    )
}

/// What the user bought and holds (`GET /api/tickets?owner=me`), each with
/// its resale form; `refused` re-renders one form with what was typed and why.
pub async fn my_tickets(
    req: &Request,
    ctx: &PageContext,
    refused: Option<(&str, &str, &[String])>,
) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let (owned, next): (Vec<TicketView>, _) = list_page(
        ctx,
        req,
        Service::Tickets,
        "/api/tickets?owner=me",
        "/my-tickets",
    )
    .await?;
    let status = if refused.is_some() { 400 } else { 200 };
    views::html(
        status,
        views::account::my_tickets(ctx, &owned, refused, next.as_deref()),
    )
}

/// Lists a bought ticket for resale, then shows My tickets (with the
/// listing), or the form again with the reason (the cap, mostly).
pub async fn resell(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    let fields = read_form(req).await?;
    let price = value(&fields, "price");
    let path = format!("/api/tickets/{id}/resell");
    let reply = ctx
        .call(
            Service::Tickets,
            Method::Post,
            &path,
            Some(json!({ "price": price })),
        )
        .await?;
    match reply.status {
        200 => views::redirect("/my-tickets"),
        400 => {
            let errors = FormErrors::from_api(&reply.body).all();
            my_tickets(req, ctx, Some((id.as_str(), price, &errors))).await
        }
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}
