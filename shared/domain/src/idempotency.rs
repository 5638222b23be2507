//! The `Idempotency-Key` header: one rule for every route that takes it
//! (POST /api/orders, POST /api/payments).

use crate::http::error::ApiError;
use crate::ids::{name_based_uuid, parse_uuid, OrderId, TicketId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    /// Absent is fine; present, it must be 1 to 255 printable ASCII characters.
    pub fn parse_header(raw: Option<&str>) -> Result<Option<Self>, ApiError> {
        raw.map(Self::parse).transpose()
    }

    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let valid =
            (1..=Self::MAX_LEN).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if !valid {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 printable ASCII characters".into(),
            ));
        }
        Ok(Self(raw.to_string()))
    }

    /// The key of one rendered pay form: the order and the form's attempt
    /// id (a UUID), so submitting one form twice is one payment. A missing
    /// or malformed attempt gives none.
    pub fn for_pay_form(order_id: &OrderId, attempt: &str) -> Option<Self> {
        let attempt = parse_uuid(attempt.trim())?;
        Some(Self(format!("pages-{order_id}-{}", attempt.hyphenated())))
    }

    /// The id of the order that `user_id` places on `ticket_id` with this
    /// key: the same for every retry, so concurrent retries agree on one id
    /// (and one slot of the buyer's open-order limit) before the ticket's
    /// object keeps one of them. A UUID (version 8, name-based) from SHA-256.
    pub fn order_id(&self, user_id: &str, ticket_id: &TicketId) -> OrderId {
        OrderId::from_uuid(name_based_uuid(&[user_id, ticket_id.as_str(), &self.0]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a request with an `Idempotency-Key` left on record, as Stripe keeps
/// it: which order it was for, when it started, and its answer once it has
/// one (2xx and 4xx answers are final; a 5xx is not kept, so a retry runs
/// again, which the payment workflow makes safe).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedRequest {
    pub order_id: String,
    pub started_at: i64,
    pub answer: Option<(u16, String)>,
}

/// How a request with a key already on record is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repeat {
    /// The first request finished: the same answer again.
    Replay { status: u16, body: String },
    /// The first request is still running: 409.
    InProgress,
    /// The key was used for another order: 400.
    OtherOrder,
    /// The first request ended without a final answer (a 5xx, or it died
    /// past the lease): run again, as a retry of that request.
    RunAgain,
}

impl KeyedRequest {
    /// A request that runs longer than this is taken for dead.
    pub const LEASE_MS: i64 = 120_000;

    pub fn repeat(&self, order_id: &str, now: i64) -> Repeat {
        if self.order_id != order_id {
            return Repeat::OtherOrder;
        }
        match &self.answer {
            Some((status, body)) => Repeat::Replay {
                status: *status,
                body: body.clone(),
            },
            None if now < self.started_at + Self::LEASE_MS => Repeat::InProgress,
            None => Repeat::RunAgain,
        }
    }

    /// Whether an answer is final, so that a repeat gets it again.
    pub fn is_final(status: u16) -> bool {
        status < 500
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).map_err(|e| e.to_string())
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> String {
        key.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_printable_ascii() {
        assert_eq!(IdempotencyKey::parse_header(None), Ok(None));
        let key = IdempotencyKey::parse_header(Some("order-1_attempt:2")).unwrap();
        assert_eq!(key.unwrap().as_str(), "order-1_attempt:2");
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "has space", "tab\there", "é", &"k".repeat(256)] {
            assert_eq!(
                IdempotencyKey::parse(bad),
                Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 255 printable ASCII characters".into()
                )),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_key_crosses_json_unchanged() {
        // The ticket object receives the key inside a JSON command.
        let key = IdempotencyKey::parse("retry-7").unwrap();
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, r#""retry-7""#);
        assert_eq!(serde_json::from_str::<IdempotencyKey>(&json).unwrap(), key);
    }

    #[test]
    fn a_key_read_back_from_json_keeps_the_rule() {
        let key: IdempotencyKey = serde_json::from_str(r#""abc""#).unwrap();
        assert_eq!(key.as_str(), "abc");
        assert!(serde_json::from_str::<IdempotencyKey>(r#""a b""#).is_err());
    }

    #[test]
    fn one_rendered_pay_form_is_one_key() {
        let order = OrderId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let attempt = "6F1C1B8E-8D0A-4A39-9B1E-3C1F0F0E2A11";
        let key = IdempotencyKey::for_pay_form(&order, attempt).unwrap();
        assert_eq!(
            key.as_str(),
            "pages-0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e-6f1c1b8e-8d0a-4a39-9b1e-3c1f0f0e2a11"
        );
        assert!(
            IdempotencyKey::parse(key.as_str()).is_ok(),
            "a valid header"
        );
        let other_order = OrderId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        assert_ne!(
            IdempotencyKey::for_pay_form(&other_order, attempt),
            Some(key)
        );
        for bad in [
            "",
            "x",
            "6f1c1b8e8d0a4a399b1e3c1f0f0e2a11",
            "6f1c1b8e-8d0a-4a39-9b1e-3c1f0f0e2a1\n",
        ] {
            assert_eq!(IdempotencyKey::for_pay_form(&order, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_key_names_one_order_per_buyer_and_ticket() {
        let key = IdempotencyKey::parse("checkout-42").unwrap();
        let ticket = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let other_ticket = TicketId::parse("1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let id = key.order_id("user-1", &ticket);
        assert_eq!(id, key.order_id("user-1", &ticket), "stable");
        assert!(OrderId::parse(id.as_str()).is_ok(), "a UUID: {id}");
        assert_eq!(&id.as_str()[14..15], "8", "version 8: {id}");
        assert_ne!(id, key.order_id("user-2", &ticket));
        assert_ne!(id, key.order_id("user-1", &other_ticket));
        let other_key = IdempotencyKey::parse("checkout-43").unwrap();
        assert_ne!(id, other_key.order_id("user-1", &ticket));
    }

    #[test]
    fn a_repeat_gets_the_first_answer_or_waits_or_runs_again() {
        let running = KeyedRequest {
            order_id: "o1".into(),
            started_at: 1_000,
            answer: None,
        };
        assert_eq!(running.repeat("o1", 1_001), Repeat::InProgress);
        assert_eq!(
            running.repeat("o1", 1_000 + KeyedRequest::LEASE_MS),
            Repeat::RunAgain,
            "taken for dead"
        );
        assert_eq!(running.repeat("o2", 1_001), Repeat::OtherOrder);
        let done = KeyedRequest {
            answer: Some((201, "{}".into())),
            ..running
        };
        assert_eq!(
            done.repeat("o1", 9_999_999),
            Repeat::Replay {
                status: 201,
                body: "{}".into()
            }
        );
        assert!(KeyedRequest::is_final(201) && KeyedRequest::is_final(402));
        assert!(!KeyedRequest::is_final(502) && !KeyedRequest::is_final(500));
        assert!(KeyedRequest::is_final(499));
    }
}
