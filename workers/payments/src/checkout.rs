//! Paying for an order (POST /api/payments): the workflow behind the route.
//!
//! The order first becomes `awaiting:payment` in its ticket's object, so
//! expiry waits for the charge; then the provider charges once per attempt
//! (its idempotency key is the attempt's order version); then `settle`
//! completes the order, or refunds a charge the order can no longer take.
//! When the provider's answer is lost, the order stays in flight.

use crate::config::PaymentsConfig;
use crate::declines::{CountedAttempt, Outcome};
use crate::orders::{fetch_order, OrderToPay};
use crate::providers::ProviderError;
use crate::settle::{settle_success, Charge, Settled};
use crate::store::{self, PaymentRow};
use domain::desk::{Command, Refusal};
use domain::http::session::CurrentUser;
use domain::http::stripe::ChargeRequest;
use domain::idempotency::IdempotencyKey;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::orders::OrderStatus;
use domain::payments::{charge_idempotency_key, ChargeOutcome, PayRequest};
use domain::{ApiError, OrInternal};
use edge::desk_client::DeskClient;
use worker::{Env, Request};

/// One pay request, as the route parsed it.
pub struct Checkout<'a> {
    pub req: &'a Request,
    pub env: &'a Env,
    pub request_id: &'a str,
    pub user: &'a CurrentUser,
    pub pay: PayRequest,
    pub idempotency_key: Option<IdempotencyKey>,
    /// The key's first request ended without a final answer: this retry
    /// may find the order completed by that request's charge (its webhook).
    pub retry_of_unfinished: bool,
}

/// How a pay request ended, short of an error.
pub enum Paid {
    /// The order is complete, paid by this row.
    Completed(PaymentRow),
    /// 3-D Secure: the buyer must authenticate in the browser (Stripe.js,
    /// with this secret); the webhook settles the order afterwards.
    NeedsAuthentication {
        order_id: OrderId,
        client_secret: String,
    },
}

/// The payment that completed the order, or what it waits for, or why
/// there is none.
pub async fn pay(checkout: Checkout<'_>) -> Result<Paid, ApiError> {
    let Checkout {
        req,
        env,
        request_id,
        user,
        pay: PayRequest { order_id, token },
        idempotency_key,
        retry_of_unfinished,
    } = checkout;
    // Before anything changes: with no provider configured the order stays
    // `created` and its ticket reserved (503).
    let config = PaymentsConfig::for_request(req, env, request_id)?;
    let order = fetch_order(req, env, &order_id, request_id).await?;
    let ticket_id = TicketId::parse(&order.ticket.id).context("order's ticket id")?;
    if order.status == OrderStatus::Complete {
        return repeat_of_completed_payment(
            env,
            &order,
            idempotency_key.as_ref(),
            retry_of_unfinished,
        )
        .await
        .map(Paid::Completed);
    }

    // Card testing: the attempt counts as a decline before any money moves
    // (429 past the limits), and is given back unless it was one.
    let attempt_key = match &idempotency_key {
        Some(key) => format!("key:{}", key.as_str()),
        None => format!("request:{}", uuid::Uuid::new_v4()),
    };
    let counted = CountedAttempt::count(
        env,
        req,
        request_id,
        attempt_key,
        user.id.as_str(),
        order_id.as_str(),
    )
    .await?;
    let paid = charge_order(
        env,
        request_id,
        user,
        &config,
        (order_id, order, ticket_id),
        token,
        idempotency_key,
    )
    .await;
    let outcome = match paid {
        Err(ApiError::PaymentRequired(_)) => Outcome::Declined,
        _ => Outcome::NotDeclined,
    };
    counted.end(outcome).await;
    paid
}

/// Moves the order to `awaiting:payment`, charges it once and settles it.
async fn charge_order(
    env: &Env,
    request_id: &str,
    user: &CurrentUser,
    config: &PaymentsConfig,
    (order_id, order, ticket_id): (OrderId, OrderToPay, TicketId),
    token: String,
    idempotency_key: Option<IdempotencyKey>,
) -> Result<Paid, ApiError> {
    // Serialize with expiry BEFORE any money moves: the order becomes
    // `awaiting:payment` in its ticket's object, so the alarm cannot cancel it
    // while the charge is under way.
    let desk = DeskClient::for_ticket(env, &ticket_id, request_id)?;
    let start = Command::StartPayment {
        order_id: order_id.clone(),
        user_id: user.id.clone(),
        until: Some(edge::now_ms() + config.payment_timeout_ms),
    };
    let paying = match desk.order_or_refusal::<OrderToPay>(&start).await? {
        Ok(order) => order,
        // A concurrent request completed it since we looked: this request is
        // part of the same purchase, so it gets the same payment.
        Err(Refusal::AlreadyPaid) => {
            let completed: OrderToPay = desk.order(&Command::GetOrder { order_id }).await?;
            return completing_payment(env, completed.payment_id.as_deref())
                .await
                .map(Paid::Completed);
        }
        Err(refusal) => return Err(refusal.into()),
    };

    let amount = Cents(order.ticket.price_cents);
    let charge = ChargeRequest {
        amount_cents: amount.0,
        currency: &config.currency,
        token: &token,
        order_id: order_id.as_str(),
        ticket_id: ticket_id.as_str(),
        user_id: user.id.as_str(),
        attempt: paying.attempt_number(),
    };
    let outcome = config
        .provider
        .charge(
            &charge,
            &charge_idempotency_key(&order_id, paying.attempt_number()),
        )
        .await;
    match outcome {
        Ok(ChargeOutcome::Succeeded { provider_ref }) => {
            let charge = Charge {
                order_id: &order_id,
                ticket_id: &ticket_id,
                user_id: user.id.as_str(),
                amount,
                currency: &config.currency,
                provider_ref: &provider_ref,
                idempotency_key: idempotency_key.as_ref(),
            };
            match settle_success(env, &config.provider, charge, request_id, edge::now_ms()).await? {
                Settled::Completed(row) => {
                    edge::log::event(
                        request_id,
                        "payment_succeeded",
                        serde_json::json!({"orderId": row.order_id, "paymentId": row.id}),
                    );
                    Ok(Paid::Completed(row))
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
        Ok(ChargeOutcome::RequiresAction {
            provider_ref,
            client_secret,
        }) => {
            // Nothing is charged until the buyer authenticates: the attempt
            // stays in flight for the authentication window, then the
            // alarm frees the order (a later success is refunded).
            let until = edge::now_ms() + config.authentication_window_ms;
            let attempt = paying.attempt_number();
            desk.apply(&Command::AwaitAuthentication {
                order_id: order_id.clone(),
                attempt,
                until,
            })
            .await?;
            edge::log::event(
                request_id,
                "payment_requires_action",
                serde_json::json!({"orderId": order_id.as_str(), "providerRef": provider_ref}),
            );
            Ok(Paid::NeedsAuthentication {
                order_id,
                client_secret,
            })
        }
        Ok(ChargeOutcome::Declined { message }) => {
            let attempt = paying.attempt_number();
            desk.apply(&Command::FailPayment { order_id, attempt })
                .await?;
            Err(ApiError::PaymentRequired(message))
        }
        Err(e @ ProviderError::OutcomeUnknown(_)) => {
            // The charge may be running or done: the order stays
            // `awaiting:payment`, so neither expiry nor a second card can
            // undo it. The webhook settles it (completes, or frees it for
            // another attempt), so does a retry of this request (same
            // provider key) or, failing all, the lost-payment timeout.
            edge::log::error(request_id, "payment_outcome_unknown", &e.to_string());
            Err(ApiError::BadGateway(
                "The payment provider has not confirmed the payment yet; check the order again in a minute".into(),
            ))
        }
        Err(e @ ProviderError::Refused(_)) => {
            // Refused before anything was charged: payable again at once.
            let attempt = paying.attempt_number();
            desk.apply(&Command::FailPayment { order_id, attempt })
                .await?;
            edge::log::error(request_id, "payment_provider_failed", &e.to_string());
            Err(ApiError::BadGateway(
                "The payment provider is unavailable, please try again".into(),
            ))
        }
    }
}

/// A pay request for an order that is already complete: the same payment if
/// it is a retry with the same Idempotency-Key, else 400. A retry of a
/// request that left no answer also gets the payment its charge made when
/// the webhook recorded it (without the key).
async fn repeat_of_completed_payment(
    env: &Env,
    order: &OrderToPay,
    idempotency_key: Option<&IdempotencyKey>,
    retry_of_unfinished: bool,
) -> Result<PaymentRow, ApiError> {
    let paid = match &order.payment_id {
        Some(payment_id) => store::find(env, "id", payment_id).await?,
        None => None,
    };
    match (paid, idempotency_key) {
        (Some(row), Some(key)) if row.idempotency_key.as_deref() == Some(key.as_str()) => Ok(row),
        (Some(row), Some(_)) if retry_of_unfinished && row.idempotency_key.is_none() => Ok(row),
        _ => Err(ApiError::BadRequest(
            "This order has already been paid".into(),
        )),
    }
}

/// The payment row that completed an order.
async fn completing_payment(env: &Env, payment_id: Option<&str>) -> Result<PaymentRow, ApiError> {
    let payment_id =
        payment_id.ok_or_else(|| ApiError::internal("complete order without payment id"))?;
    store::find(env, "id", payment_id).await?.ok_or_else(|| {
        ApiError::internal(format!(
            "payment {payment_id} of a complete order is missing"
        ))
    })
}
