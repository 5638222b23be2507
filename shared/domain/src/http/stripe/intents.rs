//! PaymentIntents as Stripe reports them (a webhook event, the list the
//! reconciliation reads), read into types with only the fields we use. A
//! field we need and do not find refuses the report: a default (an amount
//! of 0) would settle a charge nobody read.

use crate::http::error::ApiError;
use crate::money::Cents;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// The metadata we set on every PaymentIntent we create
/// (`payment_intent_form`). Another integration's PaymentIntents on the same
/// account have none or other keys, so each is optional: whose the intent is
/// is decided from these, not by refusing it.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
pub struct IntentMetadata {
    pub order_id: Option<String>,
    pub ticket_id: Option<String>,
    pub user_id: Option<String>,
    /// The payment attempt; Stripe keeps metadata values as strings.
    pub attempt: Option<String>,
}

/// A charged PaymentIntent: what settling it reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ChargedIntent {
    pub id: String,
    pub amount: Cents,
    pub currency: String,
    #[serde(default)]
    pub metadata: IntentMetadata,
}

/// A PaymentIntent of `GET /v1/payment_intents` (the reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ListedIntent {
    pub status: String,
    /// Unix seconds.
    pub created: i64,
    #[serde(flatten)]
    pub intent: ChargedIntent,
}

impl ListedIntent {
    /// One entry of a page (`read_intent_page`); serde's words say what is missing.
    pub fn read(entry: &Value) -> Result<Self, String> {
        Self::deserialize(entry).map_err(|e| e.to_string())
    }

    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }
}

/// A webhook event, as far as we act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    pub id: String,
    /// Stripe's `type`, as the log and the handled-events table keep it.
    pub kind: String,
    pub reported: Reported,
}

/// What an event reports that we act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    /// `payment_intent.succeeded`: a charge to settle.
    PaymentSucceeded(ChargedIntent),
    /// `payment_intent.payment_failed`: only whose attempt failed is read.
    PaymentFailed(IntentMetadata),
    /// Any other type: acknowledged, nothing done.
    Other,
}

/// Why a signed event cannot be acted on; each a 400 that records nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnreadableEvent {
    NotJson,
    NoIdOrType,
    /// A PaymentIntent event without a field we need (serde's words say which).
    Intent {
        kind: String,
        why: String,
    },
}

impl From<UnreadableEvent> for ApiError {
    fn from(err: UnreadableEvent) -> Self {
        ApiError::BadRequest(match err {
            UnreadableEvent::NotJson => "Invalid JSON".into(),
            UnreadableEvent::NoIdOrType => "An event needs an id and a type".into(),
            UnreadableEvent::Intent { kind, why } => {
                format!("The {kind} event's PaymentIntent cannot be read: {why}")
            }
        })
    }
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: Option<EventData>,
}

#[derive(Deserialize)]
struct EventData {
    object: Option<Value>,
}

/// A failed PaymentIntent: its metadata is all we read.
#[derive(Deserialize)]
struct FailedIntent {
    #[serde(default)]
    metadata: IntentMetadata,
}

impl WebhookEvent {
    /// The event of a webhook's (signature-checked) body.
    pub fn parse(payload: &str) -> Result<Self, UnreadableEvent> {
        let envelope: Envelope = serde_json::from_str(payload).map_err(|e| {
            if e.is_data() {
                UnreadableEvent::NoIdOrType
            } else {
                UnreadableEvent::NotJson
            }
        })?;
        let object = envelope.data.and_then(|data| data.object);
        let reported = match envelope.kind.as_str() {
            "payment_intent.succeeded" => {
                Reported::PaymentSucceeded(read_intent(&envelope.kind, object)?)
            }
            "payment_intent.payment_failed" => {
                let failed: FailedIntent = read_intent(&envelope.kind, object)?;
                Reported::PaymentFailed(failed.metadata)
            }
            _ => Reported::Other,
        };
        Ok(WebhookEvent {
            id: envelope.id,
            kind: envelope.kind,
            reported,
        })
    }
}

/// The PaymentIntent of an event of `kind`, in the shape the event needs.
fn read_intent<T: DeserializeOwned>(
    kind: &str,
    object: Option<Value>,
) -> Result<T, UnreadableEvent> {
    let unreadable = |why: String| UnreadableEvent::Intent {
        kind: kind.to_string(),
        why,
    };
    let object = object.ok_or_else(|| unreadable("no data.object".into()))?;
    serde_json::from_value(object).map_err(|e| unreadable(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn succeeded(intent: Value) -> String {
        json!({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
               "data": {"object": intent}})
        .to_string()
    }

    fn metadata() -> Value {
        json!({"order_id": "o1", "ticket_id": "t1", "user_id": "u1", "attempt": "2"})
    }

    #[test]
    fn a_full_succeeded_event_reads() {
        let payload = succeeded(json!({
            "id": "pi_1", "object": "payment_intent", "amount": 1999, "currency": "usd",
            "status": "succeeded", "metadata": metadata(), "livemode": false,
        }));
        assert_eq!(
            WebhookEvent::parse(&payload),
            Ok(WebhookEvent {
                id: "evt_1".into(),
                kind: "payment_intent.succeeded".into(),
                reported: Reported::PaymentSucceeded(ChargedIntent {
                    id: "pi_1".into(),
                    amount: Cents(1999),
                    currency: "usd".into(),
                    metadata: IntentMetadata {
                        order_id: Some("o1".into()),
                        ticket_id: Some("t1".into()),
                        user_id: Some("u1".into()),
                        attempt: Some("2".into()),
                    },
                }),
            })
        );
    }

    #[test]
    fn a_succeeded_event_without_an_amount_is_refused() {
        let payload = succeeded(json!({"id": "pi_1", "currency": "usd", "metadata": metadata()}));
        let refused = WebhookEvent::parse(&payload).unwrap_err();
        assert_eq!(
            refused,
            UnreadableEvent::Intent {
                kind: "payment_intent.succeeded".into(),
                why: "missing field `amount`".into(),
            }
        );
        assert_eq!(
            ApiError::from(refused).body(),
            r#"{"errors":[{"message":"The payment_intent.succeeded event's PaymentIntent cannot be read: missing field `amount`"}]}"#
        );
    }

    #[test]
    fn a_succeeded_event_without_its_intent_or_with_a_wrong_type_is_refused() {
        let no_object = json!({"id": "evt_1", "type": "payment_intent.succeeded"}).to_string();
        assert!(matches!(
            WebhookEvent::parse(&no_object),
            Err(UnreadableEvent::Intent { why, .. }) if why == "no data.object"
        ));
        let text_amount = succeeded(json!({"id": "pi_1", "amount": "1999", "currency": "usd"}));
        assert!(matches!(
            WebhookEvent::parse(&text_amount),
            Err(UnreadableEvent::Intent { .. })
        ));
    }

    #[test]
    fn an_intent_without_metadata_reads_with_none_so_it_is_not_ours() {
        let payload = succeeded(json!({"id": "pi_1", "amount": 500, "currency": "usd"}));
        let Ok(WebhookEvent {
            reported: Reported::PaymentSucceeded(intent),
            ..
        }) = WebhookEvent::parse(&payload)
        else {
            panic!("{payload}");
        };
        assert_eq!(intent.metadata, IntentMetadata::default());
    }

    #[test]
    fn a_failed_event_reads_its_metadata_only() {
        let payload = json!({"id": "evt_2", "type": "payment_intent.payment_failed",
                             "data": {"object": {"id": "pi_1", "metadata": metadata()}}})
        .to_string();
        let event = WebhookEvent::parse(&payload).unwrap();
        assert!(matches!(
            event.reported,
            Reported::PaymentFailed(IntentMetadata { attempt: Some(a), .. }) if a == "2"
        ));
    }

    #[test]
    fn other_events_need_only_an_id_and_a_type() {
        let payload = json!({"id": "evt_3", "type": "charge.refunded"}).to_string();
        assert_eq!(
            WebhookEvent::parse(&payload).map(|e| e.reported),
            Ok(Reported::Other)
        );
    }

    #[test]
    fn an_event_without_an_id_or_type_or_json_is_refused() {
        assert_eq!(
            WebhookEvent::parse(r#"{"type": "payment_intent.succeeded"}"#),
            Err(UnreadableEvent::NoIdOrType)
        );
        assert_eq!(
            WebhookEvent::parse(r#"{"id": 1, "type": "x"}"#),
            Err(UnreadableEvent::NoIdOrType)
        );
        assert_eq!(WebhookEvent::parse("[]"), Err(UnreadableEvent::NoIdOrType));
        assert_eq!(WebhookEvent::parse("{"), Err(UnreadableEvent::NotJson));
        assert_eq!(WebhookEvent::parse(""), Err(UnreadableEvent::NotJson));
    }

    #[test]
    fn a_listed_intent_reads_its_status_and_time_or_says_what_is_missing() {
        let listed = ListedIntent::read(&json!({
            "id": "pi_1", "amount": 1999, "currency": "usd", "status": "succeeded",
            "created": 1_700_000_000, "metadata": metadata(),
        }))
        .unwrap();
        assert!(listed.succeeded());
        assert_eq!(
            (listed.created, listed.intent.amount),
            (1_700_000_000, Cents(1999))
        );
        let no_time = ListedIntent::read(&json!({
            "id": "pi_1", "amount": 1999, "currency": "usd", "status": "succeeded",
        }));
        assert_eq!(no_time, Err("missing field `created`".into()));
    }
}
