//! Selling and buying: the start page's list, one ticket, the sell and edit
//! forms and the purchase button, backed by the tickets and orders services.

use crate::forms::{query, read_form, value, FormErrors};
use crate::services::{list_page, PageContext, Service};
use crate::views::{
    self,
    tickets::{LiveList, TicketFields, TicketForm},
};
use domain::ids::TicketId;
use domain::orders::OrderView;
use domain::ticket_search::Sort;
use domain::tickets::{TicketView, Transfer};
use domain::ApiError;
use edge::ApiResult;
use serde_json::{json, Value};
use std::collections::HashMap;
use worker::{Method, Request};

pub const SIGN_IN: &str = "/auth/signin";

/// The start page: the tickets for sale, searched and sorted as asked
/// (`?q=&sort=`, newest first by default).
pub async fn home(req: &Request, ctx: &PageContext) -> ApiResult {
    let q = query(req, "q")?.unwrap_or_default();
    // An unknown sort (a hand-edited URL) shows the default order.
    let sort = Sort::parse(query(req, "sort")?.as_deref()).unwrap_or_default();
    let search = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q.trim())
        .append_pair("sort", sort.as_str())
        .finish();
    let api_query = format!("/api/tickets?available=true&{search}");
    // Taken before the list is read: a listing in between is on the page and
    // also new to it, and the page's script drops the repeat.
    let live = LiveList {
        since: edge::now_ms(),
        inline: query(req, "cursor")?.is_none() && sort == Sort::Newest,
        first_page: format!("/?{search}"),
    };
    let (tickets, next): (Vec<TicketView>, _) = list_page(
        ctx,
        req,
        Service::Tickets,
        &api_query,
        &format!("/?{search}"),
    )
    .await?;
    views::html(
        200,
        views::home::page(ctx, &tickets, next.as_deref(), &q, sort, &live),
    )
}

/// The form's fields, and the API body they make: an event only when any of
/// its fields is filled in (the API then names what is missing).
fn ticket_fields(fields: &HashMap<String, String>) -> (TicketFields, Value) {
    let typed = TicketFields {
        title: value(fields, "title").to_string(),
        price: value(fields, "price").to_string(),
        event_name: value(fields, "event.name").to_string(),
        venue: value(fields, "event.venue").to_string(),
        starts_at: value(fields, "event.startsAt").to_string(),
    };
    // The price goes as typed: the service parses decimal text exactly.
    let mut body = json!({ "title": typed.title, "price": typed.price });
    if [&typed.event_name, &typed.venue, &typed.starts_at]
        .iter()
        .any(|f| !f.trim().is_empty())
    {
        body["event"] = json!({
            "name": typed.event_name,
            "venue": typed.venue,
            "startsAt": utc_from_local(&typed.starts_at),
        });
    }
    (typed, body)
}

/// A `datetime-local` value (`2026-12-31T20:00`), read as UTC, in ISO 8601;
/// anything else is passed on for the API to refuse.
fn utc_from_local(local: &str) -> String {
    let local = local.trim();
    match local.len() {
        16 => format!("{local}:00Z"),
        19 => format!("{local}Z"),
        _ => local.to_string(),
    }
}

/// An ISO 8601 time from the API as a `datetime-local` value.
fn local_from_utc(iso: &str) -> String {
    iso.get(..16).unwrap_or(iso).to_string()
}

pub async fn show(ctx: &PageContext, raw_id: &str) -> ApiResult {
    let ticket = load(ctx, &TicketId::parse(raw_id)?).await?;
    let custody = custody_for_owner(ctx, &ticket).await?;
    views::html(200, views::tickets::detail(ctx, &ticket, &custody, &[]))
}

pub fn new_form(ctx: &PageContext) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let page = views::tickets::form_page(
        ctx,
        TicketForm::New,
        &TicketFields::default(),
        &FormErrors::default(),
    );
    views::html(200, page)
}

pub async fn create(req: &mut Request, ctx: &PageContext) -> ApiResult {
    let (typed, body) = ticket_fields(&read_form(req).await?);
    let reply = ctx
        .call(Service::Tickets, Method::Post, "/api/tickets", Some(body))
        .await?;
    match reply.status {
        200 | 201 => {
            let ticket: TicketView = reply.parse()?;
            views::redirect(&format!("/tickets/{}", ticket.id))
        }
        400 => {
            let errors = FormErrors::from_api(&reply.body);
            let page = views::tickets::form_page(ctx, TicketForm::New, &typed, &errors);
            views::html(400, page)
        }
        401 => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}

pub async fn edit_form(ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let ticket = load(ctx, &id).await?;
    if !ctx.is_user(&ticket.user_id) {
        return Err(ApiError::NotAuthorized);
    }
    let event = ticket.event.as_ref();
    let typed = TicketFields {
        title: ticket.title.clone(),
        price: views::format::price(ticket.price_cents),
        event_name: event.map(|e| e.name.clone()).unwrap_or_default(),
        venue: event.map(|e| e.venue.clone()).unwrap_or_default(),
        starts_at: event
            .map(|e| local_from_utc(&e.starts_at))
            .unwrap_or_default(),
    };
    let form = TicketForm::Edit(id.as_str());
    let page = views::tickets::form_page(ctx, form, &typed, &FormErrors::default());
    views::html(200, page)
}

pub async fn update(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    let (typed, mut body) = ticket_fields(&read_form(req).await?);
    if body.get("event").is_none() {
        // The form showed the event: emptied, it is removed.
        body["event"] = Value::Null;
    }
    let path = format!("/api/tickets/{id}");
    let reply = ctx
        .call(Service::Tickets, Method::Put, &path, Some(body))
        .await?;
    match reply.status {
        200 => views::redirect(&format!("/tickets/{id}")),
        400 => {
            let errors = FormErrors::from_api(&reply.body);
            let form = TicketForm::Edit(id.as_str());
            views::html(400, views::tickets::form_page(ctx, form, &typed, &errors))
        }
        // Signed in but not the owner stays a 401 page: signing in again would not help.
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}

/// The seller takes the listing off the market, then sees it (withdrawn),
/// or the ticket with the reason it cannot be withdrawn.
pub async fn withdraw(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    read_form(req).await?;
    let path = format!("/api/tickets/{id}");
    let reply = ctx
        .call(Service::Tickets, Method::Delete, &path, None)
        .await?;
    match reply.status {
        200 => views::redirect(&format!("/tickets/{id}")),
        400 => {
            let errors = FormErrors::from_api(&reply.body).all();
            let ticket = load(ctx, &id).await?;
            views::html(400, views::tickets::detail(ctx, &ticket, &[], &errors))
        }
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}

/// Places an order for the ticket and shows it, or the ticket with the reason it cannot be bought.
pub async fn purchase(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    // The form has no fields; reading it applies the cross-site check.
    read_form(req).await?;
    let body = json!({ "ticketId": id.as_str() });
    let reply = ctx
        .call(Service::Orders, Method::Post, "/api/orders", Some(body))
        .await?;
    match reply.status {
        200 | 201 => {
            let order: OrderView = reply.parse()?;
            views::redirect(&format!("/orders/{}", order.id))
        }
        // Not for sale now, or the buyer holds too many unpaid orders.
        400 | 429 => {
            let errors = FormErrors::from_api(&reply.body).all();
            let ticket = load(ctx, &id).await?;
            views::html(
                reply.status,
                views::tickets::detail(ctx, &ticket, &[], &errors),
            )
        }
        401 => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Orders)),
    }
}

/// The chain of custody, when the visitor owns the ticket (the API shows it
/// to the owner only).
async fn custody_for_owner(
    ctx: &PageContext,
    ticket: &TicketView,
) -> Result<Vec<Transfer>, ApiError> {
    if !ctx.is_user(&ticket.user_id) || ticket.paid_cents.is_none() {
        return Ok(Vec::new());
    }
    let path = format!("/api/tickets/{}/custody", ticket.id);
    let reply = ctx.call(Service::Tickets, Method::Get, &path, None).await?;
    match reply.status {
        200 => reply.parse(),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}

async fn load(ctx: &PageContext, id: &TicketId) -> Result<TicketView, ApiError> {
    let path = format!("/api/tickets/{id}");
    let reply = ctx.call(Service::Tickets, Method::Get, &path, None).await?;
    match reply.status {
        200 => reply.parse(),
        _ => Err(reply.unexpected(Service::Tickets)),
    }
}
