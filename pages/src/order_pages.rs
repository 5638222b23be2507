//! The buyer's orders: the list, one order with its countdown to pay, and
//! cancelling, backed by the orders service.

use crate::forms::{query, read_form, FormErrors};
use crate::services::{cursor_query, next_page_link, PageContext, Service};
use crate::ticket_pages::SIGN_IN;
use crate::views;
use domain::ids::OrderId;
use domain::orders::{OrderStatus, OrderView};
use domain::ApiError;
use edge::ApiResult;
use worker::{Method, Request};

const PAGE_SIZE: u32 = 20;

pub async fn list(req: &Request, ctx: &PageContext) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let cursor = query(req, "cursor")?;
    let path = format!(
        "/api/orders?limit={PAGE_SIZE}{}",
        cursor_query(cursor.as_deref())
    );
    let reply = ctx.call(Service::Orders, Method::Get, &path, None).await?;
    match reply.status {
        200 => {
            let next = next_page_link("/orders", reply.next_cursor.as_deref());
            let orders: Vec<OrderView> = reply.parse()?;
            views::html(200, views::orders::list_page(ctx, &orders, next.as_deref()))
        }
        401 => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Orders)),
    }
}

pub async fn show(ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = OrderId::parse(raw_id)?;
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let order = load(ctx, &id).await?;
    let page = views::orders::detail_page(ctx, &order, countdown(&order)?, &[]);
    views::html(200, page)
}

pub async fn cancel(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = OrderId::parse(raw_id)?;
    // The form has no fields; reading it applies the cross-site check.
    read_form(req).await?;
    let path = format!("/api/orders/{id}");
    let reply = ctx
        .call(Service::Orders, Method::Delete, &path, None)
        .await?;
    match reply.status {
        200 | 204 => views::redirect(&format!("/orders/{id}")),
        400 => {
            let errors = FormErrors::from_api(&reply.body).all();
            let order = load(ctx, &id).await?;
            let page = views::orders::detail_page(ctx, &order, countdown(&order)?, &errors);
            views::html(400, page)
        }
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Orders)),
    }
}

async fn load(ctx: &PageContext, id: &OrderId) -> Result<OrderView, ApiError> {
    let path = format!("/api/orders/{id}");
    let reply = ctx.call(Service::Orders, Method::Get, &path, None).await?;
    match reply.status {
        200 => reply.parse(),
        _ => Err(reply.unexpected(Service::Orders)),
    }
}

/// Seconds left to pay, by the server's clock, while the order waits for payment.
fn countdown(order: &OrderView) -> Result<Option<i64>, ApiError> {
    if order.status != OrderStatus::Created {
        return Ok(None);
    }
    let expires_ms = worker::js_sys::Date::parse(&order.expires_at);
    if !expires_ms.is_finite() {
        return Err(ApiError::internal(format!(
            "orders answered an unreadable expiresAt: {}",
            order.expires_at
        )));
    }
    let now_ms = worker::Date::now().as_millis() as f64;
    Ok(Some(seconds_left(expires_ms, now_ms)))
}

/// Whole seconds, rounded up so a live order never reads as 0.
fn seconds_left(expires_ms: f64, now_ms: f64) -> i64 {
    ((expires_ms - now_ms) / 1000.0).ceil().max(0.0) as i64
}

#[cfg(test)]
mod tests {
    use super::seconds_left;

    #[test]
    fn counts_whole_seconds_up_and_never_below_zero() {
        assert_eq!(seconds_left(10_000.0, 0.0), 10);
        assert_eq!(seconds_left(10_000.0, 1.0), 10);
        assert_eq!(seconds_left(10_000.0, 9_999.0), 1);
        assert_eq!(seconds_left(10_000.0, 10_000.0), 0);
        assert_eq!(seconds_left(10_000.0, 99_000.0), 0);
    }
}
