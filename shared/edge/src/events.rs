//! Publishing and consuming event envelopes over Queues.
//!
//! Envelopes travel as plain JSON objects (content type `json`): readable in
//! the dashboard and by a consumer in any language. They are sent as
//! `JSON.parse` of serde_json's text and read back from `JSON.stringify`
//! (`message_text`): every envelope has one writer and one reader, not a
//! second pair for JS values.

use domain::dead_letters::{after_failure, AfterFailure, DeadLetter, GIVE_UP_AFTER_SECONDS};
use domain::events::{subscribers, Envelope, Queue};
use std::future::Future;
use worker::js_sys::JSON;
use worker::{
    Env, MessageBatch, MessageExt, QueueContentType, QueueRetryOptionsBuilder, RawMessage,
    RawMessageBuilder,
};

/// Sends one envelope to every queue that subscribes to its subject.
pub async fn publish(env: &Env, envelope: &Envelope) -> worker::Result<()> {
    let json = serde_json::to_string(envelope)?;
    for queue in subscribers(&envelope.event) {
        send_json(env, queue.binding(), &json).await?;
    }
    Ok(())
}

/// Sends a JSON text as a plain JSON message to the queue bound as `binding`.
pub async fn send_json(env: &Env, binding: &str, json: &str) -> worker::Result<()> {
    let body = JSON::parse(json)?;
    let message = RawMessageBuilder::new(body).build_with_content_type(QueueContentType::Json);
    env.queue(binding)?.send_raw(message).await
}

/// A message's body as JSON text (empty if it has none that JSON can say).
pub fn message_text(message: &RawMessage) -> String {
    JSON::stringify(&message.body())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

/// Runs `apply` on each envelope of a batch of `queue`: ack on success;
/// on failure, retry after a delay that doubles, and after
/// `DEAD_LETTER_AFTER_SECONDS` (20 minutes by default) forward the message with its error to the queue's
/// dead-letter queue (`crate::dead_letters` keeps it there for an
/// operator). An unreadable message will never read: it goes there at once.
pub async fn consume<F, Fut>(
    queue: Queue,
    batch: MessageBatch<worker::wasm_bindgen::JsValue>,
    env: &Env,
    apply: F,
) -> worker::Result<()>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), domain::ApiError>>,
{
    for message in batch.raw_iter() {
        let text = message_text(&message);
        let first_sent_ms = message.timestamp().as_millis() as i64;
        let read = Envelope::from_json(&text).map(|e| Some(e).filter(|e| queue.carries(&e.event)));
        let (event_id, error, after) = match read {
            Err(e) => (
                message.id(),
                format!("unreadable event: {e}"),
                AfterFailure::GiveUp,
            ),
            // Another queue's subject: routing sends none here; nothing to do.
            Ok(None) => {
                message.ack();
                continue;
            }
            Ok(Some(envelope)) => {
                let event_id = envelope.id.clone();
                match apply_once(&apply, envelope).await {
                    Ok(()) => {
                        message.ack();
                        continue;
                    }
                    Err(e) => (
                        event_id,
                        e.to_string(),
                        after_failure(first_sent_ms, crate::now_ms(), give_up_after_ms(env)),
                    ),
                }
            }
        };
        crate::log::error(&event_id, "event_not_applied", &error);
        match after {
            AfterFailure::RetryIn { seconds } => message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(seconds)
                    .build(),
            ),
            AfterFailure::GiveUp => {
                let dead = DeadLetter {
                    queue: queue.name().to_string(),
                    error,
                    first_sent_ms,
                    message: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
                };
                match forward_to_dead_letters(env, queue, &dead).await {
                    Ok(()) => message.ack(),
                    Err(e) => {
                        // The platform moves it after max_retries (without its error).
                        crate::log::error(&event_id, "dead_letter_not_sent", &e.to_string());
                        message.retry();
                    }
                }
            }
        }
    }
    Ok(())
}

fn give_up_after_ms(env: &Env) -> i64 {
    crate::config::positive_number(env, "DEAD_LETTER_AFTER_SECONDS", GIVE_UP_AFTER_SECONDS) * 1000
}

async fn apply_once<F, Fut>(apply: &F, envelope: Envelope) -> Result<(), domain::ApiError>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), domain::ApiError>>,
{
    #[cfg(feature = "test-hooks")]
    crate::faults::check(crate::faults::Fault::ConsumerWrite)?;
    apply(envelope).await
}

async fn forward_to_dead_letters(env: &Env, queue: Queue, dead: &DeadLetter) -> worker::Result<()> {
    send_json(
        env,
        queue.dead_letter_binding(),
        &serde_json::to_string(dead)?,
    )
    .await
}
