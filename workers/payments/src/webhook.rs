//! POST /api/payments/webhook: Stripe's events, signature-checked and
//! handled once each (Stripe retries deliveries and may replay them). An
//! event counts as handled only once its effect is stored.

use crate::config::PaymentsConfig;
use crate::settle::{settle_reported, OurIntent};
use crate::store;
use domain::desk::Command;
use domain::http::stripe::intents::{IntentMetadata, Reported, WebhookEvent};
use domain::http::stripe::verify_webhook_signature;
use domain::ApiError;
use edge::desk_client::DeskClient;
use edge::router::Ctx;
use edge::{reply, ApiResult};
use serde_json::json;
use worker::Env;

/// Stripe's own default tolerance for the signed timestamp.
const TOLERANCE_SECONDS: i64 = 300;
const LIMIT: usize = 256 * 1024;

pub async fn handle(mut cx: Ctx) -> ApiResult {
    let (req, env, request_id) = (&mut cx.req, &cx.env, cx.request_id.as_str());
    let config = PaymentsConfig::for_request(req, env, request_id)?;
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
    // Read whole before anything is looked up or stored: an event without a
    // field we need is refused (400) and changes nothing.
    let event = WebhookEvent::parse(&payload)?;
    let (event_id, kind) = (event.id.as_str(), event.kind.as_str());
    if store::already_handled(env, event_id).await? {
        return reply::json(200, &json!({ "received": true, "duplicate": true }));
    }
    // A failure answers 5xx and records nothing: Stripe delivers the event
    // again (with backoff, for days) and the retry does the work. An event
    // about a PaymentIntent that is not ours (no order metadata) answers 200
    // and is ignored: Stripe disables an endpoint that keeps failing.
    let handled = match &event.reported {
        Reported::PaymentSucceeded(intent) => {
            settle_reported(env, &config, intent, request_id, edge::now_ms()).await?
        }
        Reported::PaymentFailed(metadata) => failed(env, metadata, request_id).await?,
        Reported::Other => "ignored",
    };
    store::mark_handled(env, event_id, kind).await?;
    edge::log::event(
        request_id,
        "stripe_webhook",
        json!({ "id": event_id, "type": kind, "outcome": handled }),
    );
    reply::json(200, &json!({ "received": true, "outcome": handled }))
}

/// A failed charge frees the order for another attempt, if it is still the
/// attempt in flight (its number is in the PaymentIntent's metadata).
async fn failed(
    env: &Env,
    metadata: &IntentMetadata,
    request_id: &str,
) -> Result<&'static str, ApiError> {
    let Some(OurIntent {
        order_id,
        ticket_id,
        ..
    }) = OurIntent::read(metadata)
    else {
        return Ok("ignored: not ours");
    };
    let Some(attempt) = metadata
        .attempt
        .as_deref()
        .and_then(|a| a.parse::<u64>().ok())
    else {
        return Ok("ignored: no attempt in the metadata");
    };
    DeskClient::for_ticket(env, &ticket_id, request_id)?
        .apply(&Command::FailPayment { order_id, attempt })
        .await?;
    Ok("payment_failed")
}
