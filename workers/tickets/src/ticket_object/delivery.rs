//! After a commit: send the outbox, then set the alarm to the next thing the
//! object must do. Runs after the response (`wait_until`) or in the alarm.

use super::{now_ms, store::Store};
use domain::desk;
use worker::Env;

/// How soon unsent events are retried.
pub const OUTBOX_RETRY_MS: i64 = 1_000;

pub async fn deliver(store: Store, env: Env) {
    let all_sent = send_outbox(&store, &env).await;
    if let Err(e) = schedule_next_alarm(&store, all_sent).await {
        edge::log::error("-", "alarm_schedule_failed", &e.to_string());
    }
}

/// Sends unsent events, deleting each once every subscriber has it; true if
/// all went. A failure leaves the rest for the alarm; a duplicate send is
/// harmless (consumers dedupe by version).
async fn send_outbox(store: &Store, env: &Env) -> bool {
    let pending = match store.outbox().await {
        Ok(pending) => pending,
        Err(e) => {
            edge::log::error("-", "outbox_read_failed", &e.to_string());
            return false;
        }
    };
    for (key, envelope) in pending {
        if let Err(e) = edge::events::publish(env, &envelope).await {
            edge::log::error(&envelope.id, "event_send_failed", &e.to_string());
            return false;
        }
        if let Err(e) = store.delete(&key).await {
            edge::log::error(&envelope.id, "outbox_delete_failed", &e.to_string());
            return false;
        }
    }
    true
}

/// The next alarm: soon if events are waiting, else the held order's
/// deadline (its expiry, or its payment's timeout), else none.
async fn schedule_next_alarm(store: &Store, all_sent: bool) -> worker::Result<()> {
    let mut next = (!all_sent).then(|| now_ms() + OUTBOX_RETRY_MS);
    let held = store.load_held_order().await?.order;
    if let Some(deadline) = held.as_ref().and_then(desk::next_deadline) {
        next = Some(next.map_or(deadline, |n| n.min(deadline)));
    }
    match next {
        Some(at) => store.set_alarm_at(at).await,
        None => store.clear_alarm().await,
    }
}
