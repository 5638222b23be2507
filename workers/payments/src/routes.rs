//! POST /api/payments: pay for an order.

use crate::config::PaymentsConfig;
use crate::providers::PaymentProvider;
use crate::settle::{settle_success, Charge, Settled};
use crate::{store, webhook};
use domain::desk::Command;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::orders::{OrderStatus, OrderView};
use domain::payments::{charge_idempotency_key, ChargeOutcome};
use domain::session::CurrentUser;
use domain::stripe::ChargeRequest;
use domain::{ApiError, FieldError, OrInternal};
use edge::desk_client::DeskClient;
use edge::session::SessionConfig;
use edge::{body, csrf, reply, ApiResult};
use serde_json::Value;
use worker::{Env, Headers, Method, Request, RequestInit};

pub async fn handle(mut req: Request, env: &Env, request_id: &str) -> ApiResult {
    match (req.method(), req.path().trim_end_matches('/')) {
        (Method::Post, "/api/payments/webhook") => webhook::handle(&mut req, env, request_id).await,
        (Method::Post, "/api/payments") => {
            csrf::refuse_cross_site(&req)?;
            let user = SessionConfig::from_env(env)?.require_user(&req)?;
            pay(&mut req, env, &user, request_id).await
        }
        (Method::Get, "/api/payments") => {
            SessionConfig::from_env(env)?.require_user(&req)?;
            list_for_order(&req, env).await
        }
        (_, "/api/payments" | "/api/payments/webhook") => Err(ApiError::MethodNotAllowed),
        _ => Err(ApiError::NotFound),
    }
}

fn required_text<'a>(body: &'a Value, field: &str, message: &str) -> Result<&'a str, FieldError> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| FieldError::new(field, message))
}

async fn pay(req: &mut Request, env: &Env, user: &CurrentUser, request_id: &str) -> ApiResult {
    let idempotency_key = req
        .headers()
        .get("idempotency-key")
        .ok()
        .flatten()
        .filter(|k| (1..=255).contains(&k.len()));
    let body = body::read_json(req, body::DEFAULT_LIMIT).await?;
    let (order_id, token) = match (
        required_text(&body, "orderId", "OrderId must be provided"),
        required_text(&body, "token", "A card token must be provided"),
    ) {
        (Ok(order_id), Ok(token)) => (order_id, token),
        (order_id, token) => {
            return Err(ApiError::Validation(
                [order_id.err(), token.err()]
                    .into_iter()
                    .flatten()
                    .collect(),
            ))
        }
    };
    let order_id = OrderId::parse(order_id)?;
    let order = fetch_order(req, env, &order_id).await?;
    let ticket_id = TicketId::parse(&order.ticket.id)?;
    if order.status == OrderStatus::Complete {
        return repeat_of_completed_payment(env, &order, idempotency_key.as_deref()).await;
    }

    // Serialize with expiry BEFORE any money moves: the order becomes
    // `awaiting:payment` in its ticket's object, so the alarm cannot cancel it
    // while the charge is under way.
    let desk = DeskClient::for_ticket(env, &ticket_id)?;
    let paying = desk
        .order(&Command::StartPayment {
            order_id: order_id.clone(),
            user_id: user.id.clone(),
        })
        .await?;

    let config = PaymentsConfig::from_env(env)?;
    let amount = Cents(order.ticket.price_cents);
    let charge = ChargeRequest {
        amount_cents: amount.0,
        currency: &config.currency,
        token,
        order_id: order_id.as_str(),
        ticket_id: ticket_id.as_str(),
        user_id: &user.id,
    };
    let outcome = config
        .provider
        .charge(&charge, &charge_idempotency_key(&order_id, paying.version))
        .await;
    match outcome {
        Ok(ChargeOutcome::Succeeded { provider_ref }) => {
            let charge = Charge {
                order_id: &order_id,
                ticket_id: &ticket_id,
                user_id: &user.id,
                amount,
                currency: &config.currency,
                provider_ref: &provider_ref,
                idempotency_key: idempotency_key.as_deref(),
            };
            match settle_success(env, &config.provider, charge).await? {
                Settled::Completed(row) => {
                    edge::log::event(
                        request_id,
                        "payment_succeeded",
                        serde_json::json!({"orderId": row.order_id, "paymentId": row.id}),
                    );
                    reply::json(201, &row.view())
                }
                Settled::Refunded(row) => {
                    edge::log::event(
                        request_id,
                        "payment_refunded",
                        serde_json::json!({"orderId": row.order_id, "providerRef": row.provider_ref}),
                    );
                    Err(ApiError::BadRequest("The order expired before the payment went through; the charge was refunded".into()))
                }
            }
        }
        Ok(ChargeOutcome::Declined { message }) => {
            desk.order(&Command::FailPayment { order_id }).await?;
            Err(ApiError::PaymentRequired(message))
        }
        Err(e) => {
            // Unknown outcome: return the order to `created` (or expire it);
            // if the charge did happen, its webhook finds the order and
            // completes it, or refunds it.
            desk.order(&Command::FailPayment { order_id }).await?;
            edge::log::error(request_id, "payment_provider_failed", &e.to_string());
            Err(ApiError::BadGateway(
                "The payment provider is unavailable, please try again".into(),
            ))
        }
    }
}

/// GET /api/payments?orderId=: the charges made for one of the caller's
/// orders, with their status (`succeeded` or `refunded`).
async fn list_for_order(req: &Request, env: &Env) -> ApiResult {
    let url = req.url().or_internal()?;
    let raw = edge::paging::query_param(&url, "orderId").unwrap_or_default();
    if raw.is_empty() {
        return Err(ApiError::Validation(vec![FieldError::new(
            "orderId",
            "OrderId must be provided",
        )]));
    }
    let order_id = OrderId::parse(&raw)?;
    fetch_order(req, env, &order_id).await?; // 404 / 401 unless it is the caller's order
    let rows = store::list_for_order(env, &order_id).await?;
    reply::json(200, &rows.iter().map(|row| row.view()).collect::<Vec<_>>())
}

/// A pay request for an order that is already complete: the same payment if
/// it is a retry with the same Idempotency-Key, else 400.
async fn repeat_of_completed_payment(
    env: &Env,
    order: &OrderView,
    idempotency_key: Option<&str>,
) -> ApiResult {
    let paid = match &order.payment_id {
        Some(payment_id) => store::find(env, "id", payment_id).await?,
        None => None,
    };
    match (paid, idempotency_key) {
        (Some(row), Some(key)) if row.idempotency_key.as_deref() == Some(key) => {
            reply::json(201, &row.view())
        }
        _ => Err(ApiError::BadRequest(
            "This order has already been paid".into(),
        )),
    }
}

/// The order as its buyer sees it, through the orders service (which owns
/// the order-to-ticket index and answers 404/401 for us).
async fn fetch_order(req: &Request, env: &Env, order_id: &OrderId) -> Result<OrderView, ApiError> {
    let headers = Headers::new();
    for name in ["authorization", "cookie", "x-request-id"] {
        if let Some(value) = req.headers().get(name).ok().flatten() {
            headers.set(name, &value).or_internal()?;
        }
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Get).with_headers(headers);
    let url = format!("https://orders.internal/api/orders/{order_id}");
    let request = Request::new_with_init(&url, &init).or_internal()?;
    let mut response = env
        .service("ORDERS")
        .or_internal()?
        .fetch_request(request)
        .await
        .or_internal()?;
    match response.status_code() {
        200 => response.json::<OrderView>().await.or_internal(),
        401 => Err(ApiError::NotAuthorized),
        404 => Err(ApiError::NotFound),
        status => Err(ApiError::internal(format!("orders answered {status}"))),
    }
}
