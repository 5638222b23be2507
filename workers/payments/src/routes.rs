//! POST /api/payments: pay for an order.

use crate::config::PaymentsConfig;
use crate::providers::PaymentProvider;
use crate::settle::{settle_success, Charge, Settled};
use crate::{store, webhook};
use domain::desk::Command;
use domain::idempotency::IdempotencyKey;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::orders::{OrderStatus, OrderView};
use domain::payments::{charge_idempotency_key, parse_order_query, ChargeOutcome, PayRequest};
use domain::session::CurrentUser;
use domain::stripe::ChargeRequest;
use domain::{ApiError, OrInternal};
use edge::desk_client::DeskClient;
use edge::router::{Ctx, Route};
use edge::{reply, ApiResult};
use worker::{Env, Headers, Method, Request, RequestInit};

pub fn table() -> Vec<Route> {
    edge::routes![
        Post "/api/payments"         user   => pay,
        Get  "/api/payments"         user   => list_for_order,
        Post "/api/payments/webhook" signed => webhook::handle,
    ]
}

async fn pay(mut cx: Ctx, user: CurrentUser) -> ApiResult {
    let idempotency_key = cx.idempotency_key()?;
    let PayRequest { order_id, token } = PayRequest::parse(&cx.json_body().await?)?;
    let (req, env, request_id, user) = (&cx.req, &cx.env, cx.request_id.as_str(), &user);
    let order = fetch_order(req, env, &order_id).await?;
    let ticket_id = TicketId::parse(&order.ticket.id)?;
    if order.status == OrderStatus::Complete {
        return repeat_of_completed_payment(env, &order, idempotency_key.as_ref()).await;
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
        token: &token,
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
                idempotency_key: idempotency_key.as_ref(),
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
async fn list_for_order(cx: Ctx, _user: CurrentUser) -> ApiResult {
    let (req, env) = (&cx.req, &cx.env);
    let url = req.url().or_internal()?;
    let order_id = parse_order_query(edge::paging::query_param(&url, "orderId").as_deref())?;
    fetch_order(req, env, &order_id).await?; // 404 / 401 unless it is the caller's order
    let rows = store::list_for_order(env, &order_id).await?;
    reply::json(200, &rows.iter().map(|row| row.view()).collect::<Vec<_>>())
}

/// A pay request for an order that is already complete: the same payment if
/// it is a retry with the same Idempotency-Key, else 400.
async fn repeat_of_completed_payment(
    env: &Env,
    order: &OrderView,
    idempotency_key: Option<&IdempotencyKey>,
) -> ApiResult {
    let paid = match &order.payment_id {
        Some(payment_id) => store::find(env, "id", payment_id).await?,
        None => None,
    };
    match (paid, idempotency_key) {
        (Some(row), Some(key)) if row.idempotency_key.as_deref() == Some(key.as_str()) => {
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
