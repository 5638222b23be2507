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
//! number of times (Stripe in trouble), to show a refund owed is not lost;
//! `refunded_elsewhere` makes them answer 400 `charge_already_refunded` (as
//! after a refund from the dashboard).
//! `tok_processing` answers a PaymentIntent still `processing`;
//! `tok_idempotency_error` answers 400 `idempotency_error` (the key was used
//! with other parameters); `tok_hang` never answers within the test.
//! `GET /v1/payment_intents` lists every PaymentIntent made, newest first,
//! with `created[gte]`, `limit` and `starting_after` (Stripe's pagination);
//! `charge_out_of_band` makes a succeeded one for an order, as a charge whose
//! request died and whose webhook never came. `hold_charges_after` keeps
//! every charge past a count waiting (in flight) until `release_charges`,
//! so a test can act while payments are surely under way. The stub sends no
//! webhooks: the tests deliver them, or withhold them.

use crate::purchase::Purchase;
use crate::TestClient;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
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
        domain::http::stripe::sign_webhook(payload, &webhook_secret(), crate::now_ms() / 1000);
    deliver(payload, &signature).await
}

/// A tag of this test process in every id the stub makes: the test binaries
/// of one stack each run their own stub, and the stack's D1 keeps their
/// charges side by side (a PaymentIntent id is unique there).
fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string())
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
    /// PaymentIntents whose refunds answer `charge_already_refunded`.
    refunded_elsewhere: HashSet<String>,
    /// Every PaymentIntent made, oldest first, as the list answers it.
    listed: Vec<Value>,
}

#[derive(Clone)]
pub struct StripeStub {
    state: Arc<Mutex<State>>,
    gate: Arc<ChargeGate>,
}

/// Charges past `after` wait until the gate opens (see `hold_charges_after`).
struct ChargeGate {
    after: Mutex<Option<usize>>,
    open: tokio::sync::watch::Sender<bool>,
    waiting: AtomicUsize,
}

impl Default for ChargeGate {
    fn default() -> Self {
        ChargeGate {
            after: Mutex::new(None),
            open: tokio::sync::watch::Sender::new(true),
            waiting: AtomicUsize::new(0),
        }
    }
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
                gate: Arc::default(),
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

    /// From now on, a charge request that finds `n` charges made waits,
    /// unanswered, until `release_charges`.
    pub fn hold_charges_after(&self, n: usize) {
        *self.gate.after.lock().unwrap() = Some(n);
        self.gate.open.send_replace(false);
    }

    /// Charge requests waiting at the gate now.
    pub fn charges_held(&self) -> usize {
        self.gate.waiting.load(Ordering::SeqCst)
    }

    /// Lets the held charge requests go on (Stripe executes a charge whose
    /// caller has gone), and no longer holds any.
    pub fn release_charges(&self) {
        *self.gate.after.lock().unwrap() = None;
        self.gate.open.send_replace(true);
    }

    /// Waits at the gate if it holds this charge request.
    async fn pass_the_gate(&self) {
        let Some(after) = *self.gate.after.lock().unwrap() else {
            return;
        };
        if self.state.lock().unwrap().charges.len() < after {
            return;
        }
        let mut open = self.gate.open.subscribe();
        self.gate.waiting.fetch_add(1, Ordering::SeqCst);
        let _ = open.wait_for(|open| *open).await;
        self.gate.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// The next `n` refunds of `intent_id` answer 500 (and refund nothing).
    pub fn fail_refunds_of(&self, intent_id: &str, n: usize) {
        let mut state = self.state.lock().unwrap();
        state.failing_refunds.insert(intent_id.to_string(), n);
    }

    /// Refunds of `intent_id` answer 400 `charge_already_refunded`.
    pub fn refunded_elsewhere(&self, intent_id: &str) {
        let mut state = self.state.lock().unwrap();
        state.refunded_elsewhere.insert(intent_id.to_string());
    }

    /// A succeeded PaymentIntent for the purchase's order (attempt 1) of
    /// `amount_cents` in `currency`, made without any request of ours (a
    /// charge whose request died); no webhook is sent. Answers the intent.
    pub fn charge_out_of_band(&self, p: &Purchase, amount_cents: i64, currency: &str) -> Value {
        let mut state = self.state.lock().unwrap();
        state.intents += 1;
        let intent = json!({
            "id": format!("pi_stub_{}_{}", run_id(), state.intents), "object": "payment_intent",
            "amount": amount_cents, "currency": currency, "status": "succeeded",
            "created": crate::now_ms() / 1000,
            "metadata": {"order_id": p.order.id.as_str(), "ticket_id": p.ticket_id.as_str(),
                         "user_id": p.buyer.id.as_str(), "attempt": "1"},
        });
        let id = intent["id"].as_str().unwrap_or_default().to_string();
        state.charges.push((id, p.order.id.to_string()));
        state.charged_intents.push(intent.clone());
        state.listed.push(intent.clone());
        intent
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

    /// The payment attempt of the last charge request for an order, as its
    /// metadata told Stripe (and as Stripe's webhooks then tell it back).
    pub fn attempt_asked_for(&self, order_id: &str) -> Option<u64> {
        let requests = self.requests_about(order_id);
        let charge = requests
            .iter()
            .rev()
            .find(|r| r.path == "/v1/payment_intents")?;
        charge.field("metadata[attempt]")?.parse().ok()
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
        let query = req.uri().query().unwrap_or_default().to_string();
        let listing = req.method() == hyper::Method::GET;
        let body = crate::stub_server::body(req).await;
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
        if form.iter().any(|(_, v)| v == "tok_slow") {
            tokio::time::sleep(SLOW_CHARGE).await;
        }
        if form.iter().any(|(_, v)| v == "tok_hang") {
            tokio::time::sleep(std::time::Duration::from_secs(300)).await;
            return None;
        }
        if !listing && path == "/v1/payment_intents" {
            self.pass_the_gate().await;
        }
        if listing {
            let (status, json) = self.list(authorization.as_deref(), &path, &query);
            return Some(
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from(json.to_string())))
                    .expect("a response"),
            );
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

    /// `GET /v1/payment_intents`, as Stripe pages it.
    fn list(&self, authorization: Option<&str>, path: &str, query: &str) -> (u16, Value) {
        if authorization != Some(&format!("Bearer {SECRET_KEY}")) {
            return (
                401,
                json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
            );
        }
        if path != "/v1/payment_intents" {
            return (
                404,
                json!({"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}),
            );
        }
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let since: i64 = params
            .get("created[gte]")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let limit: usize = params
            .get("limit")
            .and_then(|v| v.parse().ok())
            .unwrap_or(10)
            .clamp(1, 100);
        let state = self.state.lock().unwrap();
        let newest_first = state
            .listed
            .iter()
            .rev()
            .filter(|i| i["created"].as_i64().unwrap_or(0) >= since);
        let mut after: Vec<&Value> = match params.get("starting_after") {
            Some(cursor) => newest_first
                .skip_while(|i| i["id"] != cursor.as_str())
                .skip(1)
                .collect(),
            None => newest_first.collect(),
        };
        let has_more = after.len() > limit;
        after.truncate(limit);
        (
            200,
            json!({"object": "list", "url": "/v1/payment_intents", "has_more": has_more, "data": after}),
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
                let id = format!("pi_stub_{}_{}", run_id(), state.intents);
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
                let created = crate::now_ms() / 1000;
                let intent = |status: &str| json!({"id": id, "object": "payment_intent", "amount": amount, "currency": field("currency"), "status": status, "created": created, "metadata": metadata});
                match token {
                    "tok_processing" => (200, intent("processing")),
                    "tok_idempotency_error" => {
                        return error(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        );
                    }
                    "tok_in_flight" => {
                        state.charges.push((
                            id.clone(),
                            field("metadata[order_id]").unwrap_or_default().to_string(),
                        ));
                        state.charged_intents.push(intent("succeeded"));
                        state.listed.push(intent("succeeded"));
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
                        state.listed.push(intent("succeeded"));
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
                if state.refunded_elsewhere.contains(&intent) {
                    return (
                        400,
                        json!({"error": {"type": "invalid_request_error", "code": "charge_already_refunded",
                               "message": format!("Charge ch_{intent} has already been refunded.")}}),
                    );
                }
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
                let id = format!("re_stub_{}_{}", run_id(), state.refunds);
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
