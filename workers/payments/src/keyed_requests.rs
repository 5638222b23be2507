//! POST /api/payments with an `Idempotency-Key` behaves like Stripe's API: a
//! repeat gets the first request's answer, one that arrives while the first
//! still runs gets 409. The rule is `domain::idempotency::KeyedRequest`; this
//! is its table (`payment_requests`).

use crate::store::DB;
use domain::idempotency::{IdempotencyKey, KeyedRequest, Repeat};
use domain::ids::OrderId;
use domain::{ApiError, OrInternal};
use edge::d1::Statement;
use serde::Deserialize;
use worker::Env;

/// What to do with a keyed request.
pub enum Start {
    /// The key is new: this request runs.
    First,
    /// A retry of a request that left no final answer: it runs again.
    Retry,
    /// Answer this, as the first request was answered.
    Replay { status: u16, body: String },
}

#[derive(Deserialize)]
struct Row {
    order_id: String,
    started_at: i64,
    status: Option<u16>,
    body: Option<String>,
}

/// Registers the request under its key, or says how a repeat is answered
/// (409 while the first runs, 400 for a key used with another order).
pub async fn start(
    env: &Env,
    user_id: &str,
    key: &IdempotencyKey,
    order_id: &OrderId,
    now: i64,
) -> Result<Start, ApiError> {
    let db = env.d1(DB).context("payments: keyed request")?;
    let inserted = db
        .prepare("INSERT INTO payment_requests (user_id, key, order_id, started_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING")
        .bind(&[user_id.into(), key.as_str().into(), order_id.as_str().into(), (now as f64).into()])
        .changes("payments: keyed request")
        .await?;
    if inserted == 1 {
        return Ok(Start::First);
    }
    let row = db
        .prepare("SELECT order_id, started_at, status, body FROM payment_requests WHERE user_id = ?1 AND key = ?2")
        .bind(&[user_id.into(), key.as_str().into()])
        .first_row::<Row>("payments: keyed request")
        .await?
        .ok_or_else(|| ApiError::internal("payments: keyed request vanished"))?;
    let record = KeyedRequest {
        order_id: row.order_id,
        started_at: row.started_at,
        answer: row.status.zip(row.body),
    };
    match record.repeat(order_id.as_str(), now) {
        Repeat::Replay { status, body } => Ok(Start::Replay { status, body }),
        Repeat::InProgress => Err(ApiError::Conflict(
            "A request with this Idempotency-Key is in progress",
        )),
        Repeat::OtherOrder => Err(ApiError::BadRequest(
            "This Idempotency-Key was used for another order".into(),
        )),
        Repeat::RunAgain => {
            db.prepare(
                "UPDATE payment_requests SET started_at = ?3 WHERE user_id = ?1 AND key = ?2",
            )
            .bind(&[user_id.into(), key.as_str().into(), (now as f64).into()])
            .changes("payments: keyed request")
            .await?;
            Ok(Start::Retry)
        }
    }
}

/// Stores the answer if it is final; otherwise leaves the request open to a
/// retry (at once: its start time is cleared).
pub async fn finish(
    env: &Env,
    user_id: &str,
    key: &IdempotencyKey,
    status: u16,
    body: &str,
) -> Result<(), ApiError> {
    let db = env.d1(DB).context("payments: keyed request answer")?;
    let statement = if KeyedRequest::is_final(status) {
        db.prepare(
            "UPDATE payment_requests SET status = ?3, body = ?4 WHERE user_id = ?1 AND key = ?2",
        )
        .bind(&[
            user_id.into(),
            key.as_str().into(),
            status.into(),
            body.into(),
        ])
    } else {
        db.prepare("UPDATE payment_requests SET started_at = 0 WHERE user_id = ?1 AND key = ?2")
            .bind(&[user_id.into(), key.as_str().into()])
    };
    statement
        .context("payments: keyed request answer")?
        .run()
        .await
        .context("payments: keyed request answer")
        .map(drop)
}
