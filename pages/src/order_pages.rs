//! The buyer's orders: the list, one order with its countdown and pay form,
//! paying and cancelling, backed by the orders and payments services.

use crate::forms::{read_form, value, FormErrors};
use crate::hardening::STRIPE_PUBLISHABLE_KEY;
use crate::services::{list_page, PageContext, Service};
use crate::ticket_pages::SIGN_IN;
use crate::views;
use crate::views::orders::PaymentForm;
use domain::idempotency::IdempotencyKey;
use domain::ids::OrderId;
use domain::orders::{OrderStatus, OrderView};
use domain::ApiError;
use edge::ApiResult;
use serde_json::json;
use worker::{Method, Request};

/// The Pages var naming the payments worker's provider; the pay form offers
/// test cards only when it is `local` (set by the local runs, see scripts/env.sh).
const PAYMENT_PROVIDER: &str = "PAYMENT_PROVIDER";

pub async fn list(req: &Request, ctx: &PageContext) -> ApiResult {
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let (orders, next): (Vec<OrderView>, _) =
        list_page(ctx, req, Service::Orders, "/api/orders", "/orders").await?;
    views::html(200, views::orders::list_page(ctx, &orders, next.as_deref()))
}

pub async fn show(ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = OrderId::parse(raw_id)?;
    if ctx.user.is_none() {
        return views::redirect(SIGN_IN);
    }
    let order = load(ctx, &id).await?;
    order_page(ctx, &order, 200, &[], None, &FormErrors::default(), None)
}

/// Pays for the order with the card token typed, then shows it (with its
/// receipt), or the order with the reason the payment was refused.
pub async fn pay(req: &mut Request, ctx: &PageContext, raw_id: &str) -> ApiResult {
    let id = OrderId::parse(raw_id)?;
    let fields = read_form(req).await?;
    let token = value(&fields, "token");
    let key = IdempotencyKey::for_pay_form(&id, value(&fields, "attempt"));
    let headers: Vec<(&str, &str)> = key
        .iter()
        .map(|key| ("idempotency-key", key.as_str()))
        .collect();
    let body = json!({ "orderId": id.as_str(), "token": token });
    let reply = ctx
        .call_with_headers(
            Service::Payments,
            Method::Post,
            "/api/payments",
            Some(body),
            &headers,
        )
        .await?;
    match reply.status {
        200 | 201 => views::redirect(&format!("/orders/{id}")),
        // 3-D Secure: the order page, with what Stripe.js needs to open the
        // bank's check here (or why it cannot be done here).
        202 => {
            let secret = reply.body["clientSecret"].as_str().unwrap_or_default();
            let order = load(ctx, &id).await?;
            let no_errors = FormErrors::default();
            order_page(ctx, &order, 200, &[], None, &no_errors, Some(secret))
        }
        // Refused (400), declined (402), a double submit still running (409),
        // too many declined attempts (429, card testing), the provider is
        // down or has not confirmed yet (502) or not configured (503): the
        // order is shown as it now is, with the reason and the token kept.
        400 | 402 | 409 | 429 | 502 | 503 => {
            let errors = FormErrors::from_api(&reply.body);
            let order = load(ctx, &id).await?;
            order_page(ctx, &order, reply.status, &[], Some(token), &errors, None)
        }
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Payments)),
    }
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
            let no_errors = FormErrors::default();
            order_page(ctx, &order, 400, &errors, None, &no_errors, None)
        }
        401 if ctx.user.is_none() => views::redirect(SIGN_IN),
        _ => Err(reply.unexpected(Service::Orders)),
    }
}

/// One order's page, with a freshly rendered pay form while it is payable.
fn order_page(
    ctx: &PageContext,
    order: &OrderView,
    status: u16,
    cancel_errors: &[String],
    token: Option<&str>,
    payment_errors: &FormErrors,
    authenticate: Option<&str>,
) -> ApiResult {
    // Each rendering is a new attempt: after a decline, the next submission
    // must not be taken for a repeat of the declined one.
    let attempt = if order.status == OrderStatus::Created {
        new_attempt()?
    } else {
        String::new()
    };
    let publishable_key = ctx.var(STRIPE_PUBLISHABLE_KEY);
    let payment = PaymentForm {
        token,
        test_cards: ctx.var(PAYMENT_PROVIDER).as_deref() == Some("local"),
        attempt: &attempt,
        errors: payment_errors,
        publishable_key: publishable_key.as_deref(),
        authenticate,
    };
    let page = views::orders::detail_page(ctx, order, countdown(order)?, cancel_errors, &payment);
    views::html(status, page)
}

/// A random UUID, from the runtime's `crypto.randomUUID()`.
fn new_attempt() -> Result<String, ApiError> {
    use worker::js_sys::{global, Function, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let crypto = Reflect::get(&global(), &JsValue::from_str("crypto")).ok();
    let random_uuid = crypto.as_ref().and_then(|crypto| {
        Reflect::get(crypto, &JsValue::from_str("randomUUID"))
            .ok()?
            .dyn_into::<Function>()
            .ok()
    });
    match (crypto, random_uuid) {
        (Some(crypto), Some(random_uuid)) => random_uuid
            .call0(&crypto)
            .ok()
            .and_then(|uuid| uuid.as_string())
            .ok_or_else(|| ApiError::internal("crypto.randomUUID() failed")),
        _ => Err(ApiError::internal("crypto.randomUUID() is missing")),
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
