//! Stripe's wire format, as pure functions: the PaymentIntent and refund
//! request forms, reading its answers, and verifying webhook signatures.
//! The HTTP calls themselves are in `workers/payments/src/providers/stripe.rs`.

pub mod intents;

use crate::payments::ChargeOutcome;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

/// What to charge.
pub struct ChargeRequest<'a> {
    pub amount_cents: i64,
    pub currency: &'a str,
    /// A test token (`tok_visa`) or a PaymentMethod id (`pm_card_visa`).
    pub token: &'a str,
    pub order_id: &'a str,
    pub ticket_id: &'a str,
    pub user_id: &'a str,
    /// The payment attempt (the order's version when it started), so a
    /// `payment_failed` webhook names the attempt it is about.
    pub attempt: u64,
}

/// The form of `POST /v1/payment_intents`: created and confirmed at once,
/// card only, no redirects (there is no page to come back to).
pub fn payment_intent_form(request: &ChargeRequest) -> Vec<(String, String)> {
    let mut form = vec![
        ("amount".to_string(), request.amount_cents.to_string()),
        ("currency".into(), request.currency.to_string()),
        ("confirm".into(), "true".into()),
        ("payment_method_types[]".into(), "card".into()),
        ("metadata[order_id]".into(), request.order_id.to_string()),
        ("metadata[ticket_id]".into(), request.ticket_id.to_string()),
        ("metadata[user_id]".into(), request.user_id.to_string()),
        ("metadata[attempt]".into(), request.attempt.to_string()),
    ];
    if request.token.starts_with("tok_") {
        form.push(("payment_method_data[type]".into(), "card".into()));
        form.push((
            "payment_method_data[card][token]".into(),
            request.token.to_string(),
        ));
    } else {
        form.push(("payment_method".into(), request.token.to_string()));
    }
    form
}

/// How a PaymentIntent call went, from Stripe's status code and JSON body.
#[derive(Debug, PartialEq, Eq)]
pub enum StripeAnswer {
    Charge(ChargeOutcome),
    /// 5xx or 429: safe to retry with the same idempotency key.
    Retryable(String),
    /// 409: a request with this idempotency key is still running at Stripe;
    /// its outcome is unknown yet (the webhook will tell).
    InFlight(String),
    /// Any other error: Stripe refused the request, nothing was charged (a
    /// bug or a configuration problem on our side).
    Failed(String),
}

pub fn read_payment_intent(status: u16, body: &Value) -> StripeAnswer {
    let message = || {
        body["error"]["message"]
            .as_str()
            .unwrap_or("no message")
            .to_string()
    };
    match status {
        200..=299 => match (body["id"].as_str(), body["status"].as_str()) {
            (Some(id), Some("succeeded")) => StripeAnswer::Charge(ChargeOutcome::Succeeded {
                provider_ref: id.into(),
            }),
            (Some(id), Some("requires_action")) => match body["client_secret"].as_str() {
                Some(secret) => StripeAnswer::Charge(ChargeOutcome::RequiresAction {
                    provider_ref: id.into(),
                    client_secret: secret.into(),
                }),
                None => StripeAnswer::Failed("requires_action without a client_secret".into()),
            },
            // The charge is still being processed (some payment methods
            // take a while): neither paid nor declined yet.
            (_, Some("processing")) => {
                StripeAnswer::InFlight("the PaymentIntent is processing".into())
            }
            (_, Some(other)) => StripeAnswer::Charge(ChargeOutcome::Declined {
                message: format!("The payment was not completed ({other})"),
            }),
            _ => StripeAnswer::Failed("a PaymentIntent without id or status".into()),
        },
        402 => StripeAnswer::Charge(ChargeOutcome::Declined { message: message() }),
        // idempotency_key_in_use: a request with this key is still running.
        409 => StripeAnswer::InFlight(format!("{status}: {}", message())),
        // The key was used before with other parameters: whatever the first
        // request did stands, and only the webhook or the reconciliation
        // can say what that was. Never a decline.
        400 if body["error"]["type"] == "idempotency_error" => {
            StripeAnswer::InFlight(format!("{status}: {}", message()))
        }
        429 | 500..=599 => StripeAnswer::Retryable(format!("{status}: {}", message())),
        _ => StripeAnswer::Failed(format!("{status}: {}", message())),
    }
}

/// How a `POST /v1/refunds` went.
#[derive(Debug, PartialEq, Eq)]
pub enum RefundAnswer {
    /// Refunded now (or replayed for our key): the refund's id.
    Refunded(String),
    /// `charge_already_refunded`: someone refunded it already (the
    /// dashboard, an earlier key). The money is back with the buyer.
    AlreadyRefunded,
    /// 409, 429, 5xx: try again with the same key.
    Retryable(String),
    /// Refused: nothing was refunded.
    Failed(String),
}

/// What the refund records as its reference when Stripe says the charge was
/// refunded already.
pub const ALREADY_REFUNDED: &str = "charge_already_refunded";

pub fn read_refund(status: u16, body: &Value) -> RefundAnswer {
    match status {
        200..=299 => match body["id"].as_str() {
            Some(id) => RefundAnswer::Refunded(id.into()),
            None => RefundAnswer::Retryable("a refund without id".into()),
        },
        _ if body["error"]["code"] == ALREADY_REFUNDED => RefundAnswer::AlreadyRefunded,
        409 | 429 | 500..=599 => RefundAnswer::Retryable(format!("{status}: {body}")),
        _ => RefundAnswer::Failed(format!("refund refused: {status}: {body}")),
    }
}

/// The longest one call to Stripe may take.
const LONGEST_CALL_MS: i64 = 20_000;

/// How long the next call to Stripe may take, `elapsed_ms` into a charge
/// (its retries included), or `None` when no time is left. A charge must be
/// over before the lost-payment timeout (`payment_timeout_ms`) frees the order:
/// it gets three quarters of it, each call at most 20 s.
pub fn call_timeout_ms(payment_timeout_ms: i64, elapsed_ms: i64) -> Option<i64> {
    let left = payment_timeout_ms * 3 / 4 - elapsed_ms;
    (left >= 500).then(|| left.min(LONGEST_CALL_MS))
}

/// A page of `GET /v1/payment_intents`: the PaymentIntents (newest first)
/// and whether there are more (`has_more`; the next page starts after the
/// last id).
/// Each entry is read on its own (`intents::ListedIntent::read`), so that one
/// unreadable PaymentIntent does not hide the others.
pub fn read_intent_page(body: &Value) -> Option<(Vec<Value>, bool)> {
    #[derive(serde::Deserialize)]
    struct Page {
        object: String,
        data: Vec<Value>,
        has_more: bool,
    }
    let page = Page::deserialize(body)
        .ok()
        .filter(|p| p.object == "list")?;
    Some((page.data, page.has_more))
}

/// The query of one page of PaymentIntents created since `since_seconds`.
pub fn intent_page_query(since_seconds: i64, starting_after: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("limit", "100");
    query.append_pair("created[gte]", &since_seconds.to_string());
    if let Some(id) = starting_after {
        query.append_pair("starting_after", id);
    }
    query.finish()
}

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Malformed,
    Mismatch,
    TooOld,
}

/// Verifies `Stripe-Signature: t=<unix seconds>,v1=<hex hmac>[,v1=...]`:
/// HMAC-SHA256 of `t.payload` with the endpoint's secret, compared in
/// constant time, and `t` within `tolerance_seconds` of `now`.
pub fn verify_webhook_signature(
    payload: &str,
    header: &str,
    secret: &str,
    now: i64,
    tolerance_seconds: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", hex)) => signatures.push(decode_hex(hex).ok_or(SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    // Constant-time comparison against each candidate (several during a secret rotation).
    let matches = signatures
        .iter()
        .any(|signature| mac.clone().verify_slice(signature).is_ok());
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > tolerance_seconds {
        return Err(SignatureError::TooOld);
    }
    Ok(())
}

/// `t=..,v1=..` for a payload: what Stripe sends, and what tests sign with.
pub fn sign_webhook(payload: &str, secret: &str, timestamp: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{timestamp}.{payload}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(token: &str) -> ChargeRequest<'_> {
        ChargeRequest {
            amount_cents: 1999,
            currency: "usd",
            token,
            order_id: "o1",
            ticket_id: "t1",
            user_id: "u1",
            attempt: 3,
        }
    }

    #[test]
    fn payment_methods_and_tokens_are_sent_the_way_stripe_takes_them() {
        let pm = payment_intent_form(&request("pm_card_visa"));
        assert!(pm.contains(&("payment_method".into(), "pm_card_visa".into())));
        assert!(pm.contains(&("amount".into(), "1999".into())));
        assert!(pm.contains(&("metadata[order_id]".into(), "o1".into())));
        assert!(pm.contains(&("metadata[attempt]".into(), "3".into())));
        let tok = payment_intent_form(&request("tok_visa"));
        assert!(tok.contains(&("payment_method_data[card][token]".into(), "tok_visa".into())));
        assert!(!tok.iter().any(|(k, _)| k == "payment_method"));
    }

    #[test]
    fn reads_stripe_answers() {
        assert_eq!(
            read_payment_intent(200, &json!({"id": "pi_1", "status": "succeeded"})),
            StripeAnswer::Charge(ChargeOutcome::Succeeded {
                provider_ref: "pi_1".into()
            })
        );
        let declined = json!({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}});
        assert_eq!(
            read_payment_intent(402, &declined),
            StripeAnswer::Charge(ChargeOutcome::Declined {
                message: "Your card was declined.".into()
            })
        );
        assert!(matches!(
            read_payment_intent(503, &json!({})),
            StripeAnswer::Retryable(_)
        ));
        assert!(matches!(
            read_payment_intent(409, &json!({"error": {"code": "idempotency_key_in_use"}})),
            StripeAnswer::InFlight(_)
        ));
        assert!(matches!(
            read_payment_intent(401, &json!({"error": {"message": "bad key"}})),
            StripeAnswer::Failed(_)
        ));
        assert_eq!(
            read_payment_intent(
                200,
                &json!({"id": "pi_1", "status": "requires_action", "client_secret": "pi_1_secret_2"})
            ),
            StripeAnswer::Charge(ChargeOutcome::RequiresAction {
                provider_ref: "pi_1".into(),
                client_secret: "pi_1_secret_2".into()
            })
        );
        assert!(matches!(
            read_payment_intent(200, &json!({"id": "pi_1", "status": "requires_action"})),
            StripeAnswer::Failed(_)
        ));
        assert!(matches!(
            read_payment_intent(
                200,
                &json!({"id": "pi_1", "status": "requires_payment_method"})
            ),
            StripeAnswer::Charge(ChargeOutcome::Declined { .. })
        ));
    }

    #[test]
    fn a_correct_signature_verifies() {
        let header = sign_webhook("{\"a\":1}", "whsec_x", 1000);
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &header, "whsec_x", 1010, 300),
            Ok(())
        );
        // Stripe may send several v1 signatures during a secret rotation.
        let rotated = format!("{header},v1={}", "00".repeat(32));
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &rotated, "whsec_x", 1010, 300),
            Ok(())
        );
    }

    #[test]
    fn tampered_foreign_old_or_malformed_signatures_fail() {
        let header = sign_webhook("{\"a\":1}", "whsec_x", 1000);
        assert_eq!(
            verify_webhook_signature("{\"a\":2}", &header, "whsec_x", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &header, "whsec_y", 1000, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &header, "whsec_x", 1300, 300),
            Ok(()),
            "exactly at the tolerance"
        );
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &header, "whsec_x", 1301, 300),
            Err(SignatureError::TooOld)
        );
        assert_eq!(
            verify_webhook_signature("{\"a\":1}", &header, "whsec_x", 699, 300),
            Err(SignatureError::TooOld),
            "a timestamp too far in the future"
        );
        for bad in ["", "t=1000", "v1=abcd", "t=x,v1=ab", "t=1000,v1=zz"] {
            assert!(
                verify_webhook_signature("{\"a\":1}", bad, "whsec_x", 1000, 300).is_err(),
                "{bad}"
            );
        }
    }

    // A fixed vector computed independently of this module, with Python's
    // standard library:
    //   hmac.new(SECRET.encode(), f"{T}.{BODY}".encode(), hashlib.sha256).hexdigest()
    // so a mistake shared by `sign_webhook` and the verifier cannot hide.
    const VECTOR_SECRET: &str = "whsec_test_vector_0123456789abcdef";
    const VECTOR_BODY: &str = r#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_3","metadata":{"order_id":"o1"}}}}"#;
    const VECTOR_HEADER: &str =
        "t=1767225600,v1=a507e99cc94789fe44436317aa40c6aff763cd2f48679ec4ebe956230c9663d9";
    const VECTOR_NOW: i64 = 1_767_225_600;

    #[test]
    fn an_independently_computed_signature_verifies() {
        assert_eq!(
            verify_webhook_signature(VECTOR_BODY, VECTOR_HEADER, VECTOR_SECRET, VECTOR_NOW, 300),
            Ok(())
        );
        assert_eq!(
            sign_webhook(VECTOR_BODY, VECTOR_SECRET, VECTOR_NOW),
            VECTOR_HEADER
        );
    }

    #[test]
    fn the_independent_vector_fails_with_one_byte_of_the_body_changed() {
        let changed = VECTOR_BODY.replace("pi_3", "pi_4");
        assert_eq!(changed.len(), VECTOR_BODY.len());
        assert_eq!(
            verify_webhook_signature(&changed, VECTOR_HEADER, VECTOR_SECRET, VECTOR_NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn processing_and_an_idempotency_error_are_outcomes_unknown_not_declines() {
        assert!(matches!(
            read_payment_intent(200, &json!({"id": "pi_1", "status": "processing"})),
            StripeAnswer::InFlight(_)
        ));
        let reused = json!({"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."}});
        assert!(matches!(
            read_payment_intent(400, &reused),
            StripeAnswer::InFlight(_)
        ));
        let invalid =
            json!({"error": {"type": "invalid_request_error", "message": "No such token"}});
        assert!(matches!(
            read_payment_intent(400, &invalid),
            StripeAnswer::Failed(_)
        ));
    }

    #[test]
    fn a_charge_already_refunded_counts_as_refunded() {
        assert_eq!(
            read_refund(200, &json!({"id": "re_1", "object": "refund"})),
            RefundAnswer::Refunded("re_1".into())
        );
        let already = json!({"error": {"type": "invalid_request_error", "code": "charge_already_refunded", "message": "Charge ch_1 has already been refunded."}});
        assert_eq!(read_refund(400, &already), RefundAnswer::AlreadyRefunded);
        assert!(matches!(
            read_refund(500, &json!({})),
            RefundAnswer::Retryable(_)
        ));
        assert!(matches!(
            read_refund(409, &json!({})),
            RefundAnswer::Retryable(_)
        ));
        let missing =
            json!({"error": {"type": "invalid_request_error", "code": "resource_missing"}});
        assert!(matches!(
            read_refund(400, &missing),
            RefundAnswer::Failed(_)
        ));
    }

    #[test]
    fn every_call_ends_before_the_lost_payment_timeout() {
        assert_eq!(call_timeout_ms(60_000, 0), Some(20_000));
        assert_eq!(call_timeout_ms(60_000, 40_000), Some(5_000));
        assert_eq!(call_timeout_ms(60_000, 44_600), None);
        assert_eq!(call_timeout_ms(8_000, 0), Some(6_000));
        for elapsed in (0..60_000).step_by(1_000) {
            if let Some(timeout) = call_timeout_ms(60_000, elapsed) {
                assert!(elapsed + timeout < 60_000, "{elapsed}");
            }
        }
    }

    #[test]
    fn reads_a_page_of_payment_intents() {
        let page = json!({"object": "list", "url": "/v1/payment_intents", "has_more": true, "data": [{"id": "pi_2"}, {"id": "pi_1"}]});
        let (intents, more) = read_intent_page(&page).unwrap();
        assert_eq!((intents.len(), more), (2, true));
        assert_eq!(read_intent_page(&json!({"error": {}})), None);
        assert_eq!(
            intent_page_query(1_700_000_000, Some("pi_1")),
            "limit=100&created%5Bgte%5D=1700000000&starting_after=pi_1"
        );
    }
}
