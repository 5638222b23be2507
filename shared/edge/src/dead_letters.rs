//! Dead letters: each consuming worker also consumes its queue's dead-letter
//! queue and keeps what arrives in its D1 (`dead_letters`), where the admin
//! routes list them and redrive them to the queue they failed in. Redriving
//! an event that is already applied changes nothing (consumers keep the
//! newest version), so an operator may redrive everything.

use crate::d1::{number, Statement};
use crate::router::Ctx;
use crate::{reply, ApiResult};
use domain::dead_letters::DeadLetter;
use domain::events::Queue;
use domain::{ApiError, OrInternal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

/// How long a dead letter that could not be stored waits before it is tried
/// again (the dead-letter queue's own `max_retries` bounds the tries).
const STORE_RETRY_SECONDS: u32 = 60;

/// Whether a batch comes from a dead-letter queue (`…-dlq`), which its
/// worker consumes with `keep`.
pub fn is_dead_letter_queue(name: &str) -> bool {
    name.ends_with(domain::dead_letters::DEAD_LETTER_SUFFIX)
}

/// The consumer of a dead-letter queue: stores each message in `db`.
pub async fn keep(batch: MessageBatch<worker::wasm_bindgen::JsValue>, env: &Env, db: &str) {
    let dead_letter_queue = batch.queue();
    for message in batch.raw_iter() {
        let body: Value =
            serde_json::from_str(&crate::events::message_text(&message)).unwrap_or(Value::Null);
        let sent_ms = message.timestamp().as_millis() as i64;
        let dead = DeadLetter::from_dead_letter_queue(body, &dead_letter_queue, sent_ms);
        let id = dead.event_id(&message.id());
        crate::log::error(
            &id,
            "dead_letter",
            &format!("{}: {}", dead.queue, dead.error),
        );
        match store(env, db, &id, &dead).await {
            Ok(()) => message.ack(),
            Err(e) => {
                crate::log::error(&id, "dead_letter_not_stored", &e.to_string());
                message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(STORE_RETRY_SECONDS)
                        .build(),
                );
            }
        }
    }
    if let Err(e) = forget_expired(env, db).await {
        crate::log::error("-", "dead_letters_not_forgotten", &e.to_string());
    }
}

/// Deletes the dead letters older than `DEAD_LETTER_RETENTION_DAYS` (30 by
/// default): when one arrives and before the operator's list.
async fn forget_expired(env: &Env, db: &str) -> Result<(), ApiError> {
    let what = "dead letters: forget expired";
    let days = crate::config::positive_number(
        env,
        "DEAD_LETTER_RETENTION_DAYS",
        domain::dead_letters::DEFAULT_RETENTION_DAYS,
    );
    let cutoff = domain::dead_letters::retention_cutoff_ms(crate::now_ms(), days);
    env.d1(db)
        .context(what)?
        .prepare("DELETE FROM dead_letters WHERE dead_at < ?1")
        .bind(&[number(cutoff)])
        .changes(what)
        .await?;
    Ok(())
}

/// One row per event: a later dead letter of the same event replaces it and
/// is pending again.
async fn store(env: &Env, db: &str, id: &str, dead: &DeadLetter) -> Result<(), ApiError> {
    let what = "dead letters: store";
    env.d1(db)
        .context(what)?
        .prepare(
            "INSERT INTO dead_letters (id, queue, message, error, first_sent_at, dead_at, redriven_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL) \
             ON CONFLICT (id) DO UPDATE SET queue = excluded.queue, message = excluded.message, \
               error = excluded.error, first_sent_at = excluded.first_sent_at, \
               dead_at = excluded.dead_at, redriven_at = NULL",
        )
        .bind(&[
            id.into(),
            dead.queue.as_str().into(),
            dead.message.to_string().into(),
            dead.error.as_str().into(),
            number(dead.first_sent_ms),
            number(crate::now_ms()),
        ])
        .changes(what)
        .await?;
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    id: String,
    queue: String,
    message: String,
    error: String,
    first_sent_at: i64,
    dead_at: i64,
    redriven_at: Option<i64>,
}

/// A dead letter as the admin route shows it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct View {
    id: String,
    queue: String,
    error: String,
    first_sent_at: String,
    dead_at: String,
    redriven_at: Option<String>,
    message: Value,
}

impl From<Row> for View {
    fn from(row: Row) -> Self {
        let iso = domain::time::iso8601;
        View {
            message: serde_json::from_str(&row.message).unwrap_or(Value::Null),
            id: row.id,
            queue: row.queue,
            error: row.error,
            first_sent_at: iso(row.first_sent_at),
            dead_at: iso(row.dead_at),
            redriven_at: row.redriven_at.map(iso),
        }
    }
}

/// The newest rows this many at most: an operator redrives, then looks again.
const LIST_LIMIT: i64 = 500;

async fn rows(env: &Env, db: &str) -> Result<Vec<Row>, ApiError> {
    forget_expired(env, db).await?;
    let statement = env.d1(db).context("dead letters: list")?.prepare(
        "SELECT id, queue, message, error, first_sent_at, dead_at, redriven_at \
         FROM dead_letters ORDER BY dead_at DESC LIMIT ?1",
    );
    statement
        .bind(&[number(LIST_LIMIT)])
        .all_rows("dead letters: list")
        .await
}

/// `GET …/admin/dead-letters`: `{"deadLetters": [...], "pending": n}`,
/// newest first; `pending` counts those not redriven since they died.
pub async fn list(cx: Ctx, db: &str) -> ApiResult {
    let rows = rows(&cx.env, db).await?;
    let pending = rows.iter().filter(|r| r.redriven_at.is_none()).count();
    let views: Vec<View> = rows.into_iter().map(View::from).collect();
    reply::json(
        200,
        &serde_json::json!({ "deadLetters": views, "pending": pending }),
    )
}

/// `POST …/admin/dead-letters/redrive` with `{"ids": [...]}` (or `{}` for
/// every pending one): sends each back to the queue it failed in and marks
/// it redriven. Answers `{"redriven": n}`.
pub async fn redrive(mut cx: Ctx, db: &str, queue: Queue) -> ApiResult {
    let body = cx.json_body().await?;
    let wanted: Option<Vec<String>> = match &body["ids"] {
        Value::Null => None,
        ids => Some(serde_json::from_value(ids.clone()).map_err(|_| {
            ApiError::field(
                "ids",
                "A list of dead-letter ids is needed (or none, for all)",
            )
        })?),
    };
    let mut redriven = 0;
    for row in rows(&cx.env, db).await? {
        let chosen = wanted.as_ref().is_none_or(|ids| ids.contains(&row.id));
        if row.redriven_at.is_some() || !chosen {
            continue;
        }
        send_back(&cx.env, queue, &row.message).await?;
        mark_redriven(&cx.env, db, &row.id).await?;
        redriven += 1;
    }
    reply::json(200, &serde_json::json!({ "redriven": redriven }))
}

async fn send_back(env: &Env, queue: Queue, message: &str) -> Result<(), ApiError> {
    crate::events::send_json(env, queue.binding(), message)
        .await
        .context("dead letters: redrive")
}

async fn mark_redriven(env: &Env, db: &str, id: &str) -> Result<(), ApiError> {
    let what = "dead letters: mark redriven";
    env.d1(db)
        .context(what)?
        .prepare("UPDATE dead_letters SET redriven_at = ?2 WHERE id = ?1")
        .bind(&[id.into(), number(crate::now_ms())])
        .changes(what)
        .await?;
    Ok(())
}
