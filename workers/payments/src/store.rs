//! The payments table (D1 `ticketing-payments`): one row per successful
//! charge, keyed by the provider's id for it; and the webhook events seen.

use domain::ids::OrderId;
use domain::money::Cents;
use domain::payments::Payment;
use domain::{ApiError, OrInternal};
use edge::d1::Statement;
use serde::{Deserialize, Serialize};
use worker::{wasm_bindgen::JsValue, Env};

pub const DB: &str = "PAYMENTS_DB";

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PaymentRow {
    pub id: String,
    pub order_id: String,
    pub user_id: String,
    pub provider: String,
    pub provider_ref: String,
    pub amount_cents: i64,
    pub currency: String,
    /// `succeeded`, `refund_owed` or `refunded`.
    pub status: String,
    pub idempotency_key: Option<String>,
    /// Unix ms.
    #[serde(default)]
    pub created_at: i64,
    /// When its order was seen complete with it, or it was refunded: a
    /// `succeeded` row without it is checked by the reconciliation.
    #[serde(default)]
    pub settled_at: Option<i64>,
    /// Failed tries of an owed refund.
    #[serde(default)]
    pub refund_attempts: u32,
}

impl PaymentRow {
    pub fn payment(&self) -> Result<Payment, ApiError> {
        Ok(Payment {
            id: self.id.clone(),
            order_id: OrderId::parse(&self.order_id).context("payments: payment")?,
            user_id: self.user_id.clone(),
            amount: Cents(self.amount_cents),
            currency: self.currency.clone(),
            provider: self.provider.clone(),
            provider_ref: self.provider_ref.clone(),
        })
    }

    /// The API's view: `{id, orderId, status, amountCents, currency}`.
    pub fn view(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "orderId": self.order_id, "status": self.status,
            "amountCents": self.amount_cents, "currency": self.currency,
        })
    }
}

const COLUMNS: &str = "id, order_id, user_id, provider, provider_ref, amount_cents, currency, status, idempotency_key, created_at, settled_at, refund_attempts";

/// Records a successful charge, or finds the row an earlier request (or the
/// webhook) made for the same charge: the UNIQUE provider_ref decides.
pub async fn record(
    env: &Env,
    payment: &Payment,
    idempotency_key: Option<&str>,
) -> Result<PaymentRow, ApiError> {
    let db = env.d1(DB).context("payments: record")?;
    db.prepare(
        "INSERT INTO payments (id, order_id, user_id, provider, provider_ref, amount_cents, currency, status, idempotency_key, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'succeeded', ?8, strftime('%s','now') * 1000) \
         ON CONFLICT (provider_ref) DO NOTHING",
    )
    .bind(&[
        payment.id.as_str().into(),
        payment.order_id.as_str().into(),
        payment.user_id.as_str().into(),
        payment.provider.as_str().into(),
        payment.provider_ref.as_str().into(),
        edge::d1::number(payment.amount.0),
        payment.currency.as_str().into(),
        idempotency_key.map_or(JsValue::NULL, JsValue::from_str),
    ])
    .changes("payments: record")
    .await?;
    find(env, "provider_ref", &payment.provider_ref)
        .await?
        .ok_or_else(|| ApiError::internal("payment row vanished"))
}

pub async fn find(
    env: &Env,
    column: &'static str,
    value: &str,
) -> Result<Option<PaymentRow>, ApiError> {
    let db = env.d1(DB).context("payments: find")?;
    db.prepare(format!(
        "SELECT {COLUMNS} FROM payments WHERE {column} = ?1"
    ))
    .bind(&[value.into()])
    .first_row::<PaymentRow>("payments: find")
    .await
}

pub async fn list_for_order(env: &Env, order_id: &OrderId) -> Result<Vec<PaymentRow>, ApiError> {
    let db = env.d1(DB).context("payments: list_for_order")?;
    let statement = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM payments WHERE order_id = ?1 ORDER BY created_at"
        ))
        .bind(&[order_id.as_str().into()]);
    statement.all_rows("payments: list_for_order").await
}

/// A refund is owed for this charge (it landed on an order that cannot take
/// it); recorded before the refund is tried.
pub async fn mark_refund_owed(env: &Env, provider_ref: &str) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: mark_refund_owed")?;
    db.prepare("UPDATE payments SET status = 'refund_owed' WHERE provider_ref = ?1 AND status = 'succeeded'")
        .bind(&[provider_ref.into()])
        .context("payments: mark_refund_owed")?
        .run()
        .await
        .context("payments: mark_refund_owed")
        .map(drop)
}

pub async fn mark_refunded(
    env: &Env,
    provider_ref: &str,
    refund_ref: &str,
) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: mark_refunded")?;
    db.prepare("UPDATE payments SET status = 'refunded', refund_ref = ?2, settled_at = strftime('%s','now') * 1000, next_refund_at = NULL WHERE provider_ref = ?1")
        .bind(&[provider_ref.into(), refund_ref.into()])
        .context("payments: mark_refunded")?
        .run()
        .await
        .context("payments: mark_refunded")
        .map(drop)
}

/// The charge's order was seen complete with it: the reconciliation need
/// not look at it again.
pub async fn mark_settled(env: &Env, provider_ref: &str, now: i64) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: mark_settled")?;
    db.prepare("UPDATE payments SET settled_at = ?2 WHERE provider_ref = ?1 AND settled_at IS NULL")
        .bind(&[provider_ref.into(), edge::d1::number(now)])
        .changes("payments: mark_settled")
        .await
        .map(drop)
}

/// An owed refund failed again: its `attempts`-th failure; the next try is
/// due at `next_at`.
pub async fn mark_refund_failed(
    env: &Env,
    provider_ref: &str,
    attempts: u32,
    next_at: i64,
) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: mark_refund_failed")?;
    db.prepare("UPDATE payments SET refund_attempts = ?2, next_refund_at = ?3 WHERE provider_ref = ?1 AND status = 'refund_owed'")
        .bind(&[
            provider_ref.into(),
            edge::d1::number(attempts.into()),
            edge::d1::number(next_at),
        ])
        .changes("payments: mark_refund_failed")
        .await
        .map(drop)
}

/// Owed refunds whose next try is due at `now` (oldest first, a bounded batch).
pub async fn refunds_due(env: &Env, now: i64) -> Result<Vec<PaymentRow>, ApiError> {
    let db = env.d1(DB).context("payments: refunds_due")?;
    db.prepare(format!(
        "SELECT {COLUMNS} FROM payments WHERE status = 'refund_owed' \
         AND (next_refund_at IS NULL OR next_refund_at <= ?1) ORDER BY created_at LIMIT 100"
    ))
    .bind(&[edge::d1::number(now)])
    .all_rows("payments: refunds_due")
    .await
}

/// Refunds still owed for charges made before `before` (the alerts).
pub async fn refunds_owed_since(env: &Env, before: i64) -> Result<Vec<PaymentRow>, ApiError> {
    let db = env.d1(DB).context("payments: refunds_owed_since")?;
    db.prepare(format!(
        "SELECT {COLUMNS} FROM payments WHERE status = 'refund_owed' AND created_at <= ?1 \
         ORDER BY created_at LIMIT 100"
    ))
    .bind(&[edge::d1::number(before)])
    .all_rows("payments: refunds_owed_since")
    .await
}

/// Whether a webhook event was already handled (Stripe retries deliveries
/// and may replay them).
pub async fn already_handled(env: &Env, event_id: &str) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("payments: already_handled")?;
    let row = db
        .prepare("SELECT id FROM webhook_events WHERE id = ?1")
        .bind(&[event_id.into()])
        .first_row::<serde_json::Value>("payments: already_handled")
        .await?;
    Ok(row.is_some())
}

/// Records a webhook event as handled: only once its effect is stored, so
/// that a delivery that failed half-way is done again by Stripe's retry.
/// Handling is idempotent, so two deliveries racing here do no harm.
pub async fn mark_handled(env: &Env, event_id: &str, kind: &str) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: mark_handled")?;
    db.prepare("INSERT INTO webhook_events (id, type, received_at) VALUES (?1, ?2, strftime('%s','now') * 1000) ON CONFLICT (id) DO NOTHING")
        .bind(&[event_id.into(), kind.into()])
        .context("payments: mark_handled")?
        .run()
        .await
        .context("payments: mark_handled")
        .map(drop)
}
