//! Events a consumer could not apply: retried with a growing delay, then
//! kept as dead letters (with their error) until an operator redrives them.
//! Redriving is safe at any time: consumers apply each aggregate's newest
//! version only, so an event that already landed changes nothing.

use crate::events::Queue;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How long a consumer keeps retrying one message, by default, before it
/// gives up and forwards it, with its error, to the dead-letter queue
/// (`DEAD_LETTER_AFTER_SECONDS` sets another; the tests use seconds). Measured from when
/// the message was first sent (`Message.timestamp`): workers-rs 0.8 does not
/// expose the runtime's delivery count, and age is as durable. Each queue's
/// `max_retries` in wrangler.toml is the platform's backstop if that forward
/// itself fails.
pub const GIVE_UP_AFTER_SECONDS: i64 = 20 * 60;

/// How long a dead letter is kept, by default (`DEAD_LETTER_RETENTION_DAYS`):
/// it holds a whole event, personal data included, so it does not stay
/// for ever once an operator had a month to look.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;

/// Dead letters that died before this (Unix ms) are deleted at `now_ms`.
pub fn retention_cutoff_ms(now_ms: i64, retention_days: i64) -> i64 {
    now_ms.saturating_sub(retention_days.saturating_mul(24 * 60 * 60 * 1000))
}

/// The delay before the next delivery of a message that failed `age_ms`
/// after it was first sent: as long again as it has waited (so the delays
/// double), at least 1 s, at most 5 minutes.
pub fn retry_delay_seconds(age_ms: i64) -> u32 {
    const MAX_SECONDS: i64 = 300;
    (age_ms / 1000).clamp(1, MAX_SECONDS) as u32
}

/// What a consumer does after a failed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn { seconds: u32 },
    GiveUp,
}

pub fn after_failure(first_sent_ms: i64, now_ms: i64, give_up_after_ms: i64) -> AfterFailure {
    let age_ms = now_ms.saturating_sub(first_sent_ms);
    if age_ms >= give_up_after_ms {
        AfterFailure::GiveUp
    } else {
        AfterFailure::RetryIn {
            seconds: retry_delay_seconds(age_ms),
        }
    }
}

/// A dead letter: the message as it was queued, the queue it failed in,
/// its last error, and when it was first sent (so how long it failed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub queue: String,
    pub error: String,
    pub first_sent_ms: i64,
    pub message: Value,
}

impl DeadLetter {
    /// Reads a message of a dead-letter queue: the body a consumer forwarded
    /// when it gave up, or a bare message the platform moved there after
    /// `max_retries` (then its error is not known).
    pub fn from_dead_letter_queue(body: Value, dead_letter_queue: &str, sent_ms: i64) -> Self {
        match serde_json::from_value::<DeadLetter>(body.clone()) {
            Ok(forwarded) => forwarded,
            Err(_) => DeadLetter {
                queue: dead_letter_queue
                    .strip_suffix(DEAD_LETTER_SUFFIX)
                    .unwrap_or(dead_letter_queue)
                    .to_string(),
                error: "unknown: moved to the dead-letter queue by the platform after max_retries"
                    .into(),
                first_sent_ms: sent_ms,
                message: body,
            },
        }
    }

    /// The event's id, which keys the dead letter (a redelivery of the same
    /// event is one dead letter); `fallback` for a message with none.
    pub fn event_id(&self, fallback: &str) -> String {
        self.message["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or(fallback)
            .to_string()
    }
}

/// `ticket-events` → `ticket-events-dlq`.
pub const DEAD_LETTER_SUFFIX: &str = "-dlq";

impl Queue {
    /// The queue's name in wrangler.toml.
    pub fn name(self) -> &'static str {
        match self {
            Queue::TicketEvents => "ticket-events",
            Queue::OrderEvents => "order-events",
            Queue::PaymentEvents => "payment-events",
        }
    }

    /// The producer binding of its dead-letter queue, held by its consumer.
    pub fn dead_letter_binding(self) -> &'static str {
        match self {
            Queue::TicketEvents => "TICKET_EVENTS_DLQ",
            Queue::OrderEvents => "ORDER_EVENTS_DLQ",
            Queue::PaymentEvents => "PAYMENT_EVENTS_DLQ",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_queue_and_its_dead_letters_are_configured_where_it_is_consumed() {
        for (queue, config) in [
            (
                Queue::TicketEvents,
                include_str!("../../../workers/tickets/wrangler.toml"),
            ),
            (
                Queue::OrderEvents,
                include_str!("../../../workers/orders/wrangler.toml"),
            ),
            (
                Queue::PaymentEvents,
                include_str!("../../../workers/payments/wrangler.toml"),
            ),
        ] {
            let dead = format!("{}{DEAD_LETTER_SUFFIX}", queue.name());
            for line in [
                format!("queue = \"{}\"", queue.name()),
                format!("dead_letter_queue = \"{dead}\""),
                format!("binding = \"{}\"", queue.dead_letter_binding()),
            ] {
                assert!(config.contains(&line), "{queue:?}: no `{line}`");
            }
        }
    }

    #[test]
    fn dead_letters_are_kept_for_the_retention_days_then_deleted() {
        let day = 24 * 60 * 60 * 1000;
        let now = 100 * day;
        assert_eq!(retention_cutoff_ms(now, DEFAULT_RETENTION_DAYS), 70 * day);
        assert_eq!(retention_cutoff_ms(now, 1), 99 * day);
        assert!(retention_cutoff_ms(0, i64::MAX) < 0, "no overflow");
    }

    use serde_json::json;

    #[test]
    fn consumers_retry_with_a_delay_that_doubles_then_give_up() {
        const GIVE_UP_AFTER_MS: i64 = GIVE_UP_AFTER_SECONDS * 1000;
        let mut now = 0;
        let mut delays = Vec::new();
        while let AfterFailure::RetryIn { seconds } = after_failure(0, now, GIVE_UP_AFTER_MS) {
            delays.push(seconds);
            now += i64::from(seconds) * 1000;
        }
        assert_eq!(delays[..10], [1, 1, 2, 4, 8, 16, 32, 64, 128, 256]);
        assert!(delays[10..].iter().all(|&s| s == 300), "{delays:?}");
        assert!((GIVE_UP_AFTER_MS..GIVE_UP_AFTER_MS + 300_000).contains(&now));
        assert_eq!(
            after_failure(0, GIVE_UP_AFTER_MS - 1, GIVE_UP_AFTER_MS),
            AfterFailure::RetryIn { seconds: 300 }
        );
        assert_eq!(after_failure(0, 5_000, 5_000), AfterFailure::GiveUp);
        assert_eq!(
            after_failure(5_000, 0, GIVE_UP_AFTER_MS),
            AfterFailure::RetryIn { seconds: 1 },
            "clock skew"
        );
    }

    #[test]
    fn a_forwarded_dead_letter_keeps_its_error() {
        let forwarded = DeadLetter {
            queue: "order-events".into(),
            error: "D1 is down".into(),
            first_sent_ms: 12,
            message: json!({"id": "e-1", "subject": "order:created"}),
        };
        let body = serde_json::to_value(&forwarded).unwrap();
        let read = DeadLetter::from_dead_letter_queue(body, "order-events-dlq", 99);
        assert_eq!(read, forwarded);
        assert_eq!(read.event_id("message-id"), "e-1");
    }

    #[test]
    fn a_message_the_platform_moved_is_kept_as_it_came() {
        let message = json!({"id": "e-2", "subject": "ticket:created"});
        let read = DeadLetter::from_dead_letter_queue(message.clone(), "ticket-events-dlq", 16);
        assert_eq!(read.queue, "ticket-events");
        assert_eq!(read.first_sent_ms, 16);
        assert_eq!(read.message, message);
        assert!(read.error.starts_with("unknown"));
        let unreadable = DeadLetter::from_dead_letter_queue(json!("garbage"), "x-dlq", 1);
        assert_eq!(unreadable.event_id("message-id"), "message-id");
    }
}
