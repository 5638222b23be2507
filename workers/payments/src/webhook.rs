//! POST /api/payments/webhook: Stripe's events, signature-checked and
//! handled once each (Stripe retries deliveries and may replay them). An
//! event counts as handled only once its effect is stored.

use crate::config::PaymentsConfig;
use crate::settle::{settle_success, Charge, Settled};
use crate::store;
use domain::desk::Command;
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::stripe::verify_webhook_signature;
use domain::ApiError;
use edge::desk_client::DeskClient;
use edge::router::Ctx;
use edge::{reply, ApiResult};
use serde_json::{json, Value};
use worker::Env;

/// Stripe's own default tolerance for the signed timestamp.
const TOLERANCE_SECONDS: i64 = 300;
const LIMIT: usize = 256 * 1024;

pub async fn handle(mut cx: Ctx) -> ApiResult {
    let (req, env, request_id) = (&mut cx.req, &cx.env, cx.request_id.as_str());
    let config = PaymentsConfig::from_env(env, request_id)?;
    let secret = config.webhook_secret.as_deref().ok_or_else(|| {
        ApiError::BadRequest("Webhooks are not configured (STRIPE_WEBHOOK_SECRET)".into())
    })?;
    let signature = req
        .headers()
        .get("stripe-signature")
        .ok()
        .flatten()
        .unwrap_or_default();
    let payload = req
        .text()
        .await
        .map_err(|_| ApiError::BadRequest("Unreadable body".into()))?;
    if payload.len() > LIMIT {
        return Err(ApiError::PayloadTooLarge { limit: LIMIT });
    }
    verify_webhook_signature(
        &payload,
        &signature,
        secret,
        edge::now_seconds(),
        TOLERANCE_SECONDS,
    )
    .map_err(|e| ApiError::BadRequest(format!("Invalid Stripe-Signature ({e:?})")))?;
    let event: Value =
        serde_json::from_str(&payload).map_err(|_| ApiError::BadRequest("Invalid JSON".into()))?;
    let (Some(event_id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
        return Err(ApiError::BadRequest(
            "An event needs an id and a type".into(),
        ));
    };
    if store::already_handled(env, event_id).await? {
        return reply::json(200, &json!({ "received": true, "duplicate": true }));
    }
    let intent = &event["data"]["object"];
    // A failure answers 5xx and records nothing: Stripe delivers the event
    // again (with backoff, for days) and the retry does the work.
    let handled = match kind {
        "payment_intent.succeeded" => succeeded(env, &config, intent, request_id).await?,
        "payment_intent.payment_failed" => failed(env, intent, request_id).await?,
        _ => "ignored",
    };
    store::mark_handled(env, event_id, kind).await?;
    edge::log::event(
        request_id,
        "stripe_webhook",
        json!({ "id": event_id, "type": kind, "outcome": handled }),
    );
    reply::json(200, &json!({ "received": true, "outcome": handled }))
}

fn ids(intent: &Value) -> Result<(OrderId, TicketId, String), ApiError> {
    let metadata = |key: &str| intent["metadata"][key].as_str().map(String::from);
    match (
        metadata("order_id"),
        metadata("ticket_id"),
        metadata("user_id"),
    ) {
        (Some(order_id), Some(ticket_id), Some(user_id)) => Ok((
            OrderId::parse(&order_id)?,
            TicketId::parse(&ticket_id)?,
            user_id,
        )),
        _ => Err(ApiError::BadRequest(
            "The PaymentIntent has no order metadata".into(),
        )),
    }
}

async fn succeeded(
    env: &Env,
    config: &PaymentsConfig,
    intent: &Value,
    request_id: &str,
) -> Result<&'static str, ApiError> {
    let (order_id, ticket_id, user_id) = ids(intent)?;
    let provider_ref = intent["id"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("The PaymentIntent has no id".into()))?;
    let charge = Charge {
        order_id: &order_id,
        ticket_id: &ticket_id,
        user_id: &user_id,
        amount: Cents(intent["amount"].as_i64().unwrap_or(0)),
        currency: intent["currency"].as_str().unwrap_or(&config.currency),
        provider_ref,
        idempotency_key: None,
    };
    Ok(
        match settle_success(env, &config.provider, charge, request_id).await? {
            Settled::Completed(_) => "completed",
            Settled::Refunded(_) => "refunded",
        },
    )
}

/// A failed charge frees the order for another attempt, if it is still the
/// attempt in flight (its number is in the PaymentIntent's metadata).
async fn failed(env: &Env, intent: &Value, request_id: &str) -> Result<&'static str, ApiError> {
    let (order_id, ticket_id, _) = ids(intent)?;
    let Some(attempt) = intent["metadata"]["attempt"]
        .as_str()
        .and_then(|a| a.parse::<u64>().ok())
    else {
        return Ok("ignored: no attempt in the metadata");
    };
    DeskClient::for_ticket(env, &ticket_id, request_id)?
        .apply(&Command::FailPayment { order_id, attempt })
        .await?;
    Ok("payment_failed")
}
