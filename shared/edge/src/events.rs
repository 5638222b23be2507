//! Publishing and consuming event envelopes over Queues.
//!
//! Envelopes travel as plain JSON objects (content type `json`): readable in
//! the dashboard and by a consumer in any language. They are built through
//! `JSON.parse` because serde's flattened envelope would otherwise reach JS
//! as a `Map`, which JSON-serializes to `{}`.

use domain::events::{subscribers, Envelope};
use std::future::Future;
use worker::js_sys::JSON;
use worker::{Env, MessageBatch, MessageExt, QueueContentType, RawMessageBuilder};

/// Sends one envelope to every queue that subscribes to its subject.
pub async fn publish(env: &Env, envelope: &Envelope) -> worker::Result<()> {
    let json = serde_json::to_string(envelope)?;
    for queue in subscribers(&envelope.event) {
        let body = JSON::parse(&json)?;
        let message = RawMessageBuilder::new(body).build_with_content_type(QueueContentType::Json);
        env.queue(queue.binding())?.send_raw(message).await?;
    }
    Ok(())
}

/// Runs `apply` on each envelope of a batch: ack on success, retry on
/// failure. An unreadable message is retried too and so ends in the
/// queue's dead-letter queue after `max_retries`, where a person can see it.
pub async fn consume<F, Fut>(
    batch: MessageBatch<worker::wasm_bindgen::JsValue>,
    apply: F,
) -> worker::Result<()>
where
    F: Fn(Envelope) -> Fut,
    Fut: Future<Output = Result<(), domain::ApiError>>,
{
    for message in batch.raw_iter() {
        let text = JSON::stringify(&message.body())
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        let envelope = match serde_json::from_str::<Envelope>(&text) {
            Ok(envelope) => envelope,
            Err(e) => {
                crate::log::error("-", "unreadable_event", &format!("{e}: {text}"));
                message.retry();
                continue;
            }
        };
        let id = envelope.id.clone();
        match apply(envelope).await {
            Ok(()) => message.ack(),
            Err(e) => {
                crate::log::error(&id, "event_not_applied", &e.to_string());
                message.retry();
            }
        }
    }
    Ok(())
}
