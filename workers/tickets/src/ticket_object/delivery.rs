//! After a commit: send the outbox, then set the alarm to the next thing the
//! object must do. Runs after the response (`wait_until`) or in the alarm.
//! Unsent events are retried with capped exponential backoff
//! (`domain::events::outbox_retry_delay_ms`); one that cannot be sent does
//! not hold back the others (consumers keep the newest version they see).

use super::store::Store;
use domain::desk;
use domain::events::{outbox_retry_delay_ms, Envelope};
use edge::now_ms;
use worker::Env;

/// How soon events written by a commit are retried if the send right after
/// the response does not happen (the isolate died).
pub const OUTBOX_RETRY_MS: i64 = 1_000;

/// Sends the outbox and sets the next alarm. An error means the next alarm
/// may not be set: the alarm handler returns it, so the platform retries.
pub async fn deliver(store: Store, env: Env) -> worker::Result<()> {
    let all_sent = send_outbox(&store, &env).await;
    let retry_at = match next_retry(&store, all_sent).await {
        Ok(at) => at,
        Err(e) => {
            edge::log::error("-", "send_failures_not_recorded", &e.to_string());
            (!all_sent).then(|| now_ms() + OUTBOX_RETRY_MS)
        }
    };
    schedule_next_alarm(&store, retry_at)
        .await
        .inspect_err(|e| {
            edge::log::error("-", "alarm_schedule_failed", &e.to_string());
        })
}

/// Sends every unsent event, deleting each once every subscriber has it;
/// true if all went. A duplicate send is harmless (consumers dedupe by
/// version), and so is one sent after a newer one.
async fn send_outbox(store: &Store, env: &Env) -> bool {
    let pending = match store.outbox().await {
        Ok(pending) => pending,
        Err(e) => {
            edge::log::error("-", "outbox_read_failed", &e.to_string());
            return false;
        }
    };
    let mut all_sent = true;
    for (key, envelope) in pending {
        if let Err(e) = send(store, env, &envelope).await {
            edge::log::error(&envelope.id, "event_send_failed", &e.to_string());
            all_sent = false;
            continue;
        }
        if let Err(e) = store.delete(&key).await {
            edge::log::error(&envelope.id, "outbox_delete_failed", &e.to_string());
            all_sent = false;
        }
    }
    all_sent
}

async fn send(store: &Store, env: &Env, envelope: &Envelope) -> worker::Result<()> {
    #[cfg(feature = "test-hooks")]
    if store.take_injected_send_failure().await? {
        return Err("injected fault: queue send".into());
    }
    #[cfg(not(feature = "test-hooks"))]
    let _ = store;
    edge::events::publish(env, envelope).await
}

/// When to try unsent events again (none if all went), counting failed
/// rounds in a row for the backoff.
async fn next_retry(store: &Store, all_sent: bool) -> worker::Result<Option<i64>> {
    let failures = store.send_failures().await?;
    if all_sent {
        if failures > 0 {
            store.set_send_failures(0).await?;
        }
        return Ok(None);
    }
    let failures = failures.saturating_add(1);
    store.set_send_failures(failures).await?;
    Ok(Some(now_ms() + outbox_retry_delay_ms(failures)))
}

/// The next alarm (`desk::next_alarm`): the retry of unsent events, the
/// held order's deadline or the listing's closing, whichever comes first.
async fn schedule_next_alarm(store: &Store, retry_at: Option<i64>) -> worker::Result<()> {
    let loaded = store.load(&desk::Command::SettleDue).await?;
    let (ticket, held) = (loaded.ticket.as_ref(), loaded.order.as_ref());
    match desk::next_alarm(ticket, held, retry_at, now_ms()) {
        Some(at) => store.set_alarm_at(at).await,
        None => store.clear_alarm().await,
    }
}
