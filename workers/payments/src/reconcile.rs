//! Reconciliation with Stripe, for outcomes no webhook settled (the
//! payments worker's Cron Trigger, every 5 minutes; docs/payments.md):
//! - owed refunds whose next try is due are tried again (backoff:
//!   `domain::payments::reconcile::refund_backoff_ms`);
//! - every succeeded PaymentIntent of ours from the last three days whose
//!   charge is not settled here completes its order if the order can take
//!   it, or is refunded: the same steps as its webhook (`settle_reported`);
//! - what is still wrong a day after the charge is logged as an alert.

use crate::config::PaymentsConfig;
use crate::providers::Provider;
use crate::settle::{refund_charge, settle_reported, OurIntent};
use crate::store;
use domain::http::stripe::intents::ListedIntent;
use domain::payments::reconcile::{overdue, settled_by_now, ALERT_AFTER_MS, LOOKBACK_MS};
use domain::ApiError;
use serde::Serialize;
use serde_json::{json, Value};
use worker::Env;

/// What one run did, for the log (and the test build's route).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reconciled {
    pub completed: Vec<String>,
    pub refunded: Vec<String>,
    pub refunds_retried: Vec<String>,
    pub refunds_failed: Vec<String>,
    pub errors: Vec<String>,
    pub alerts: Vec<Value>,
}

/// One run, as if at `now` (Unix ms).
pub async fn run(env: &Env, request_id: &str, now: i64) -> Result<Reconciled, ApiError> {
    let config = PaymentsConfig::for_cron(env, request_id)?;
    let mut done = Reconciled::default();
    // Owed refunds first, so a refund that fails below waits for its backoff.
    for row in store::refunds_due(env, now).await? {
        let provider_ref = row.provider_ref.clone();
        match refund_charge(env, &config.provider, row, now).await {
            Ok(_) => done.refunds_retried.push(provider_ref),
            Err(e) => {
                edge::log::error(request_id, "reconcile_refund_failed", &e.to_string());
                done.refunds_failed.push(provider_ref);
            }
        }
    }
    if let Provider::Stripe(stripe) = &config.provider {
        match stripe
            .payment_intents_since((now - LOOKBACK_MS) / 1000)
            .await
        {
            Ok(intents) => {
                for entry in &intents {
                    match ListedIntent::read(entry) {
                        Ok(intent) => {
                            settle_unsettled(env, &config, &intent, request_id, now, &mut done)
                                .await
                        }
                        Err(why) => done.errors.push(format!(
                            "unreadable PaymentIntent {}: {why}",
                            entry.get("id").unwrap_or(&Value::Null)
                        )),
                    }
                }
            }
            Err(e) => done.errors.push(format!("listing PaymentIntents: {e}")),
        }
    }
    for row in store::refunds_owed_since(env, now - ALERT_AFTER_MS).await? {
        done.alerts.push(json!({
            "alert": "refund_owed", "providerRef": row.provider_ref, "orderId": row.order_id,
            "amountCents": row.amount_cents, "currency": row.currency, "attempts": row.refund_attempts,
        }));
    }
    for alert in &done.alerts {
        edge::log::error(request_id, "reconcile_alert", &alert.to_string());
    }
    edge::log::event(
        request_id,
        "reconciled",
        serde_json::to_value(&done).unwrap_or_default(),
    );
    Ok(done)
}

/// A succeeded PaymentIntent of ours that is not settled here: settled now,
/// once the request that made it has had its time.
async fn settle_unsettled(
    env: &Env,
    config: &PaymentsConfig,
    listed: &ListedIntent,
    request_id: &str,
    now: i64,
    done: &mut Reconciled,
) {
    let intent = &listed.intent;
    if !listed.succeeded() {
        return;
    }
    let Some(ours) = OurIntent::read(&intent.metadata) else {
        return;
    };
    let provider_ref = intent.id.as_str();
    let charged_at = listed.created * 1000;
    if !settled_by_now(charged_at, config.payment_timeout_ms, now) {
        return;
    }
    let outcome = match store::find(env, "provider_ref", provider_ref).await {
        // Refunded, owed (retried above), or its order seen complete.
        Ok(Some(row)) if row.status != "succeeded" || row.settled_at.is_some() => return,
        Ok(_) => settle_reported(env, config, intent, request_id, now).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok("completed") => done.completed.push(provider_ref.into()),
        Ok(outcome) if outcome.starts_with("refunded") => done.refunded.push(provider_ref.into()),
        Ok(_) => {}
        Err(e) if overdue(charged_at, now) => done.alerts.push(json!({
            "alert": "charge_unsettled", "providerRef": provider_ref,
            "orderId": ours.order_id.as_str(), "error": e.to_string(),
        })),
        Err(e) => done.errors.push(format!("{provider_ref}: {e}")),
    }
}
