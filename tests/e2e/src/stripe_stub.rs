//! A stand-in for Stripe's API on loopback, for the Stripe adapter's tests.
//! It checks what Stripe checks (the secret key, the idempotency key, the
//! form), answers with Stripe's documented response shapes, replays the saved
//! answer for a reused idempotency key, and records every request.
//!
//! Tokens: `tok_visa`/`pm_card_visa` succeed; `tok_chargeDeclined`/
//! `pm_card_chargeDeclined` are declined (402 card_error); `tok_flaky`
//! answers 503 once per idempotency key, then succeeds; `tok_down` always
//! answers 503 (Stripe is unreachable); `tok_slow` succeeds after
//! `SLOW_CHARGE`, so a test can act while a payment is in flight;
//! `tok_in_flight` charges but answers 409 `idempotency_key_in_use` (as
//! while the request were still running), then replays the success;
//! `tok_lost_answer` charges, then drops the connection without an answer
//! (a timeout after Stripe charged), and replays the success to a retry.
//! `tok_threeDSecure2Required`/`pm_card_threeDSecure2Required` need 3-D
//! Secure: `requires_action` with a `client_secret`, nothing charged.
//! `fail_refunds_of` makes the refunds of one PaymentIntent answer 500 a
//! number of times (Stripe in trouble), to show a refund owed is not lost.

use crate::purchase::Purchase;
use crate::TestClient;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

pub const SECRET_KEY: &str = "sk_test_stub";

/// How long a `tok_slow` charge takes: longer than the expiry stack's window.
pub const SLOW_CHARGE: std::time::Duration = std::time::Duration::from_secs(5);

/// A purchase on a Stripe stack: the stub must be listening before anything pays.
pub async fn purchase(price: Value) -> Purchase {
    StripeStub::shared();
    Purchase::new(price).await
}

/// The stack's STRIPE_WEBHOOK_SECRET.
pub fn webhook_secret() -> String {
    std::env::var("TICKETING_STRIPE_WEBHOOK_SECRET")
        .expect("TICKETING_STRIPE_WEBHOOK_SECRET: run with `make test`")
}

/// A Stripe event about a PaymentIntent of the purchase's first payment
/// attempt, as Stripe sends it.
pub fn intent_event(kind: &str, p: &Purchase, intent_id: &str) -> String {
    intent_event_of_attempt(kind, p, intent_id, 1)
}

/// [`intent_event`] for payment attempt `attempt` (the order's version when
/// that attempt started: 1 for the first).
pub fn intent_event_of_attempt(kind: &str, p: &Purchase, intent_id: &str, attempt: u64) -> String {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": intent_id, "object": "payment_intent", "amount": p.order["ticket"]["priceCents"], "currency": "usd",
            "status": if kind == "payment_intent.succeeded" { "succeeded" } else { "requires_payment_method" },
            "metadata": {"order_id": p.order.id.as_str(), "ticket_id": p.ticket_id.as_str(), "user_id": p.buyer.id.as_str(), "attempt": attempt.to_string()},
        }},
    })
    .to_string()
}

/// Stripe's `payment_intent.succeeded` event for a PaymentIntent the stub charged.
pub fn succeeded_event(intent: &Value) -> String {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": intent},
    })
    .to_string()
}

/// POSTs a webhook delivery with its `Stripe-Signature` header.
pub async fn deliver(payload: &str, signature: &str) -> reqwest::Response {
    let client = TestClient::anonymous();
    client
        .http
        .post(client.url("/api/payments/webhook"))
        .header("stripe-signature", signature)
        .header("content-type", "application/json")
        .body(payload.to_string())
        .send()
        .await
        .unwrap()
}

/// Delivers a webhook signed with the stack's secret, now.
pub async fn deliver_signed(payload: &str) -> reqwest::Response {
    let signature =
        domain::stripe::sign_webhook(payload, &webhook_secret(), crate::now_ms() / 1000);
    deliver(payload, &signature).await
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
    pub status: u16,
}

impl Recorded {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    recorded: Vec<Recorded>,
    saved: HashMap<String, (u16, Value)>,
    flaked: HashSet<String>,
    /// Refunds still to fail, per PaymentIntent.
    failing_refunds: HashMap<String, usize>,
    intents: usize,
    refunds: usize,
    /// Charges actually made: (PaymentIntent id, order id). Replays of a
    /// saved answer are not charges.
    charges: Vec<(String, String)>,
    /// The PaymentIntent of each charge, as Stripe would put it in its
    /// `payment_intent.succeeded` event.
    charged_intents: Vec<Value>,
    /// The PaymentIntent of each refund actually made (not replays).
    refunded: Vec<String>,
}

#[derive(Clone)]
pub struct StripeStub {
    state: Arc<Mutex<State>>,
}

impl StripeStub {
    /// The stub for this test process, listening on TICKETING_STRIPE_STUB_PORT
    /// (the port the stack's STRIPE_API_BASE points at).
    pub fn shared() -> &'static StripeStub {
        static STUB: OnceLock<StripeStub> = OnceLock::new();
        STUB.get_or_init(|| {
            let port: u16 = std::env::var("TICKETING_STRIPE_STUB_PORT")
                .expect("TICKETING_STRIPE_STUB_PORT: run with `make test`")
                .parse()
                .expect("a port");
            let stub = StripeStub {
                state: Arc::default(),
            };
            let listener =
                std::net::TcpListener::bind(("127.0.0.1", port)).expect("the stub's port");
            let server = stub.clone();
            crate::stub_server::serve_in_background(listener, move |req| {
                let stub = server.clone();
                async move { stub.answer(req).await }
            });
            stub
        })
    }

    /// The next `n` refunds of `intent_id` answer 500 (and refund nothing).
    pub fn fail_refunds_of(&self, intent_id: &str, n: usize) {
        let mut state = self.state.lock().unwrap();
        state.failing_refunds.insert(intent_id.to_string(), n);
    }

    /// Requests whose form mentions `needle` (e.g. an order id in metadata, or a PaymentIntent id).
    pub fn requests_about(&self, needle: &str) -> Vec<Recorded> {
        let state = self.state.lock().unwrap();
        state
            .recorded
            .iter()
            .filter(|r| r.form.iter().any(|(_, v)| v == needle))
            .cloned()
            .collect()
    }

    /// Every charge made so far, as its PaymentIntent.
    pub fn charged_intents(&self) -> Vec<Value> {
        self.state.lock().unwrap().charged_intents.clone()
    }

    /// Refunds actually made (not replays) of a PaymentIntent.
    pub fn refunds_made(&self, intent_id: &str) -> usize {
        let state = self.state.lock().unwrap();
        state.refunded.iter().filter(|i| *i == intent_id).count()
    }

    /// Charges actually made (not replays of a saved answer) for an order.
    pub fn charges_for_order(&self, order_id: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state
            .charges
            .iter()
            .filter(|(_, order)| order == order_id)
            .map(|(pi, _)| pi.clone())
            .collect()
    }

    async fn answer(&self, req: Request<Incoming>) -> Option<Response<Full<Bytes>>> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let (authorization, idempotency_key, content_type) = (
            header("authorization"),
            header("idempotency-key"),
            header("content-type"),
        );
        let path = req.uri().path().to_string();
        let body = crate::stub_server::body(req).await;
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        if form.iter().any(|(_, v)| v == "tok_slow") {
            tokio::time::sleep(SLOW_CHARGE).await;
        }
        let lose_answer = path == "/v1/payment_intents"
            && form.iter().any(|(_, v)| v == "tok_lost_answer")
            && idempotency_key.as_ref().is_some_and(|key| {
                let state = self.state.lock().unwrap();
                !state.saved.contains_key(&format!("{path} {key}"))
            });
        let (status, json) = self.decide(
            &path,
            authorization.as_deref(),
            idempotency_key.as_deref(),
            &form,
        );
        self.state.lock().unwrap().recorded.push(Recorded {
            path,
            authorization,
            idempotency_key,
            content_type,
            form,
            status,
        });
        if lose_answer {
            return None;
        }
        Some(
            Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(json.to_string())))
                .expect("a response"),
        )
    }

    fn decide(
        &self,
        path: &str,
        authorization: Option<&str>,
        key: Option<&str>,
        form: &[(String, String)],
    ) -> (u16, Value) {
        let error = |status: u16, kind: &str, message: &str| {
            (status, json!({"error": {"type": kind, "message": message}}))
        };
        if authorization != Some(&format!("Bearer {SECRET_KEY}")) {
            return error(401, "invalid_request_error", "Invalid API Key provided");
        }
        let Some(key) = key else {
            return error(
                400,
                "invalid_request_error",
                "This test stub requires an Idempotency-Key",
            );
        };
        let mut state = self.state.lock().unwrap();
        let cache_key = format!("{path} {key}");
        if let Some(saved) = state.saved.get(&cache_key) {
            // Stripe replays the first answer for a reused key.
            return (saved.0, saved.1.clone());
        }
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let answer = match path {
            "/v1/payment_intents" => {
                let token = field("payment_method")
                    .or(field("payment_method_data[card][token]"))
                    .unwrap_or("");
                if token == "tok_down"
                    || token == "tok_flaky" && state.flaked.insert(key.to_string())
                {
                    // A 503 from in front of the API: nothing executed, nothing saved.
                    return error(503, "api_error", "Service temporarily unavailable");
                }
                state.intents += 1;
                let id = format!("pi_stub_{}", state.intents);
                let metadata: serde_json::Map<String, Value> = form
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((
                            k.strip_prefix("metadata[")?.strip_suffix(']')?.to_string(),
                            Value::String(v.clone()),
                        ))
                    })
                    .collect();
                let amount: i64 = field("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
                let intent = |status: &str| json!({"id": id, "object": "payment_intent", "amount": amount, "currency": field("currency"), "status": status, "metadata": metadata});
                match token {
                    "tok_in_flight" => {
                        state.charges.push((
                            id.clone(),
                            field("metadata[order_id]").unwrap_or_default().to_string(),
                        ));
                        state.charged_intents.push(intent("succeeded"));
                        state.saved.insert(cache_key, (200, intent("succeeded")));
                        return error(
                            409,
                            "idempotency_error",
                            "There is currently another in-progress request using this Idempotent Key",
                        );
                    }
                    "tok_threeDSecure2Required" | "pm_card_threeDSecure2Required" => {
                        let mut waiting = intent("requires_action");
                        waiting["client_secret"] = json!(format!("{id}_secret_stub"));
                        waiting["next_action"] = json!({"type": "use_stripe_sdk"});
                        (200, waiting)
                    }
                    "tok_visa" | "pm_card_visa" | "tok_flaky" | "tok_slow" | "tok_lost_answer" => {
                        state.charges.push((
                            id.clone(),
                            field("metadata[order_id]").unwrap_or_default().to_string(),
                        ));
                        state.charged_intents.push(intent("succeeded"));
                        (200, intent("succeeded"))
                    }
                    "tok_chargeDeclined" | "pm_card_chargeDeclined" => (
                        402,
                        json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
                               "message": "Your card was declined.", "payment_intent": intent("requires_payment_method")}}),
                    ),
                    _ => error(400, "invalid_request_error", "No such token"),
                }
            }
            "/v1/refunds" => {
                let intent = field("payment_intent").unwrap_or_default().to_string();
                if let Some(left @ 1..) = state.failing_refunds.get_mut(&intent) {
                    *left -= 1;
                    return error(
                        500,
                        "api_error",
                        "An error occurred with our connection to Stripe",
                    );
                }
                state.refunds += 1;
                state.refunded.push(intent.clone());
                let id = format!("re_stub_{}", state.refunds);
                (
                    200,
                    json!({"id": id, "object": "refund", "status": "succeeded", "payment_intent": field("payment_intent")}),
                )
            }
            _ => error(404, "invalid_request_error", "Unrecognized request URL"),
        };
        state.saved.insert(cache_key, answer.clone());
        answer
    }
}
