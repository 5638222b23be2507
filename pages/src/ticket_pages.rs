//! Selling and buying: the start page's list, one ticket, the sell and edit
//! forms and the purchase button, backed by the tickets and orders services.

use crate::forms::{query, read_form, value, FormErrors};
use crate::services::{cursor_query, next_page_link, PageContext, Service};
use crate::views::{self, tickets::TicketForm};
use domain::ids::TicketId;
use domain::orders::OrderView;
use domain::tickets::TicketView;
use domain::ApiError;
use edge::ApiResult;
use serde_json::json;
use worker::{Method, Request};

pub const SIGN_IN: &str = "/auth/signin";
const PAGE_SIZE: u32 = 20;

/// The start page: the tickets still for sale, newest first.
pub async fn home(req: &Request, ctx: &PageContext) -> ApiResult {
    let cursor = query(req, "cursor")?;
    let path = format!(
        "/api/tickets?available=true&limit={PAGE_SIZE}{}",
        cursor_query(cursor.as_deref())
    );
    let reply = ctx.call(Service::Tickets, Method::Get, &path, None).await?;
    if reply.status != 200 {
        return Err(reply.unexpected(Service::Tickets));
    }
    let next = next_page_link("/", reply.next_cursor.as_deref());
    let tickets: Vec<TicketView> = reply.parse()?;
    views::html(200, views::home::page(ctx, &tickets, next.as_deref()))
}

pub async fn show(ctx: &PageContext, raw_id: &str) -> ApiResult {
    let ticket = load(ctx, &TicketId::parse(raw_id)?).await?;
    views::html(200, views::tickets::detail(ctx, &ticket, &[]))
}

pub fn new_form(ctx: &PageContext) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let page = views::tickets::form_page(ctx, TicketForm::New, "", "", &FormErrors::default());
    views::html(200, page)
}

pub async fn create(req: &mut Request, ctx: &PageContext) -> ApiResult {
    let fields = read_form(req).await?;
    let (title, price) = (value(&fields, "title"), value(&fields, "price"));
    // The price goes as typed: the service parses decimal text exactly.
    let body = json!({ "title": title, "price": price });
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
            let page = views::tickets::form_page(ctx, TicketForm::New, title, price, &errors);
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
    let price = views::tickets::price(ticket.price_cents);
    let form = TicketForm::Edit(id.as_str());
    let page = views::tickets::form_page(ctx, form, &ticket.title, &price, &FormErrors::default());
    views::html(200, page)
}

pub async fn update(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = TicketId::parse(raw_id)?;
    let fields = read_form(req).await?;
    let (title, price) = (value(&fields, "title"), value(&fields, "price"));
    let body = json!({ "title": title, "price": price });
    let path = format!("/api/tickets/{id}");
    let reply = ctx
        .call(Service::Tickets, Method::Put, &path, Some(body))
        .await?;
    match reply.status {
        200 => views::redirect(&format!("/tickets/{id}")),
        400 => {
            let errors = FormErrors::from_api(&reply.body);
            let form = TicketForm::Edit(id.as_str());
            views::html(
                400,
                views::tickets::form_page(ctx, form, title, price, &errors),
            )
        }
        // Signed in but not the owner stays a 401 page: signing in again would not help.
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
            views::html(reply.status, views::tickets::detail(ctx, &ticket, &errors))
        }
        401 => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Orders)),
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
