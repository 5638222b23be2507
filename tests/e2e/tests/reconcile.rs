//! Every Stripe outcome reconciled: the payments worker's cron finds the
//! charges whose webhook never came (the stub sends none) and owed refunds,
//! and the webhook and the adapter read Stripe's odder answers right.
//! The cron's function runs through the test build's
//! `POST /api/payments/_test/reconcile`, as if at a given time.
//!
//! Stack: stripe (see scripts/test.sh)

use e2e::purchase::Purchase;
use e2e::stripe_stub::{deliver_signed, purchase, succeeded_event, StripeStub};
use e2e::{errors, now_ms, payment_timeout, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOT_CONFIRMED: &str =
    "The payment provider has not confirmed the payment yet; check the order again in a minute";
const MINUTE_MS: i64 = 60 * 1000;

/// A reconciliation settles every charge the stub made, so the tests of this
/// file take turns: each sees its own charges settled by its own runs.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the cron's reconciliation as if at `at_ms`; what it did.
async fn reconcile_at(at_ms: i64) -> Value {
    let client = TestClient::anonymous();
    let response = client
        .post_json("/api/payments/_test/reconcile", json!({ "atMs": at_ms }))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// When a charge made now is the reconciliation's to settle: its request
/// has had the lost-payment timeout, and a minute more.
fn once_settled_by_now() -> i64 {
    now_ms() + payment_timeout().as_millis() as i64 + MINUTE_MS + 1000
}

fn lists(done: &Value, what: &str, intent: &str) -> bool {
    done[what]
        .as_array()
        .is_some_and(|ids| ids.iter().any(|id| id == intent))
}

fn statuses(payments: Vec<Value>) -> Vec<Value> {
    payments.into_iter().map(|p| p["status"].clone()).collect()
}

/// A purchase whose buyer cancelled the order, and a charge for it that
/// Stripe made anyway (a request that died, with its webhook withheld).
async fn cancelled_with_a_charge() -> (Purchase, String) {
    let p = purchase(json!(12)).await;
    assert!(p
        .buyer
        .cancel_order(&p.order.id)
        .await
        .status()
        .is_success());
    let intent = StripeStub::shared().charge_out_of_band(&p, 1200, "usd");
    (p, intent["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_charge_whose_webhook_never_came_completes_its_order() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let p = purchase(json!(19)).await;
    let response = p.pay("tok_in_flight").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    assert_eq!(charges.len(), 1, "Stripe did charge");

    // Too soon: the request that charged may still be settling it.
    let early = reconcile_at(now_ms()).await;
    assert!(!lists(&early, "completed", &charges[0]), "{early}");
    assert_eq!(p.order_now().await["status"], "awaiting:payment");

    let done = reconcile_at(once_settled_by_now()).await;
    assert!(lists(&done, "completed", &charges[0]), "{done}");
    assert_eq!(p.order_now().await["status"], "complete");
    assert_eq!(statuses(p.payments().await), [json!("succeeded")]);
    assert_eq!(StripeStub::shared().refunds_made(&charges[0]), 0);

    let again = reconcile_at(once_settled_by_now()).await;
    assert!(
        !lists(&again, "completed", &charges[0]),
        "settled once: {again}"
    );
}

#[tokio::test]
async fn a_charge_for_a_cancelled_order_is_refunded() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (p, intent) = cancelled_with_a_charge().await;
    let done = reconcile_at(once_settled_by_now()).await;
    assert!(lists(&done, "refunded", &intent), "{done}");
    assert_eq!(StripeStub::shared().refunds_made(&intent), 1);
    assert_eq!(statuses(p.payments().await), [json!("refunded")]);
    assert_eq!(p.order_now().await["status"], "cancelled");
}

#[tokio::test]
async fn an_owed_refund_is_retried_with_backoff() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (p, intent) = cancelled_with_a_charge().await;
    let stub = StripeStub::shared();
    stub.fail_refunds_of(&intent, 3); // one refund's three tries
    let refund_calls = || {
        stub.requests_about(&intent)
            .iter()
            .filter(|r| r.path == "/v1/refunds")
            .count()
    };
    let start = once_settled_by_now();
    reconcile_at(start).await;
    assert_eq!(statuses(p.payments().await), [json!("refund_owed")]);
    assert_eq!(refund_calls(), 3);

    // Not due yet: the first retry waits five minutes.
    let waiting = reconcile_at(start + 4 * MINUTE_MS).await;
    assert!(!lists(&waiting, "refundsRetried", &intent), "{waiting}");
    assert_eq!(refund_calls(), 3);

    let due = reconcile_at(start + 5 * MINUTE_MS + 1000).await;
    assert!(lists(&due, "refundsRetried", &intent), "{due}");
    assert_eq!(stub.refunds_made(&intent), 1);
    assert_eq!(statuses(p.payments().await), [json!("refunded")]);
}

#[tokio::test]
async fn a_refund_still_owed_after_a_day_is_an_alert() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (p, intent) = cancelled_with_a_charge().await;
    let stub = StripeStub::shared();
    stub.fail_refunds_of(&intent, 1000);
    let start = once_settled_by_now();
    let first = reconcile_at(start).await;
    let alert = |done: &Value| {
        done["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["alert"] == "refund_owed" && a["providerRef"] == intent.as_str())
    };
    assert!(!alert(&first), "{first}");
    let next_day = reconcile_at(now_ms() + 25 * 60 * MINUTE_MS).await;
    assert!(alert(&next_day), "{next_day}");
    assert_eq!(statuses(p.payments().await), [json!("refund_owed")]);

    // Stripe recovers: the next due try refunds it, and the alert ends.
    stub.fail_refunds_of(&intent, 0);
    let recovered = reconcile_at(now_ms() + 32 * 60 * MINUTE_MS).await;
    assert!(lists(&recovered, "refundsRetried", &intent), "{recovered}");
    assert!(!alert(&recovered), "{recovered}");
    assert_eq!(statuses(p.payments().await), [json!("refunded")]);
}

#[tokio::test]
async fn a_charge_already_refunded_counts_as_refunded() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let (p, intent) = cancelled_with_a_charge().await;
    StripeStub::shared().refunded_elsewhere(&intent);
    let charged = StripeStub::shared()
        .charged_intents()
        .into_iter()
        .find(|i| i["id"] == intent.as_str())
        .unwrap();
    let delivered = deliver_signed(&succeeded_event(&charged)).await;
    assert_eq!(delivered.status(), StatusCode::OK);
    assert_eq!(
        delivered.json::<Value>().await.unwrap()["outcome"],
        "refunded"
    );
    assert_eq!(statuses(p.payments().await), [json!("refunded")]);
}

#[tokio::test]
async fn events_about_payment_intents_that_are_not_ours_are_ignored_with_200() {
    let _turn = ONE_AT_A_TIME.lock().await;
    for (kind, metadata) in [
        ("payment_intent.succeeded", json!({})),
        ("payment_intent.payment_failed", json!({})),
        (
            "payment_intent.succeeded",
            json!({"order_id": "ord_from_another_shop"}),
        ),
        (
            "payment_intent.payment_failed",
            json!({"order_id": "x", "ticket_id": "y", "user_id": "z", "attempt": "1"}),
        ),
    ] {
        let event = json!({
            "id": format!("evt_{}", uuid::Uuid::new_v4().simple()), "object": "event", "type": kind,
            "data": {"object": {"id": "pi_someone_else", "object": "payment_intent", "amount": 500,
                                "currency": "usd", "status": "succeeded", "metadata": metadata}},
        });
        let delivered = deliver_signed(&event.to_string()).await;
        assert_eq!(delivered.status(), StatusCode::OK, "{event}");
        assert_eq!(
            delivered.json::<Value>().await.unwrap()["outcome"],
            "ignored: not ours"
        );
    }
    assert_eq!(
        StripeStub::shared().requests_about("pi_someone_else").len(),
        0
    );
}

/// Decided: a charge whose amount or currency is not the order's is never
/// completed; it is refunded at once (docs/payments.md).
#[tokio::test]
async fn a_charge_that_differs_from_its_order_is_refunded_not_completed() {
    let _turn = ONE_AT_A_TIME.lock().await;
    for (amount, currency) in [(100, "usd"), (1900, "eur")] {
        let p = purchase(json!(19)).await;
        let intent = StripeStub::shared().charge_out_of_band(&p, amount, currency);
        let delivered = deliver_signed(&succeeded_event(&intent)).await;
        assert_eq!(delivered.status(), StatusCode::OK);
        let outcome = delivered.json::<Value>().await.unwrap()["outcome"].clone();
        assert!(
            outcome.as_str().unwrap().starts_with("refunded"),
            "{outcome}"
        );
        assert_eq!(
            p.order_now().await["status"],
            "created",
            "{amount} {currency}"
        );
        assert_eq!(statuses(p.payments().await), [json!("refunded")]);
        let id = intent["id"].as_str().unwrap();
        assert_eq!(StripeStub::shared().refunds_made(id), 1);
    }
}

#[tokio::test]
async fn processing_and_an_idempotency_error_are_outcomes_unknown_not_declines() {
    let _turn = ONE_AT_A_TIME.lock().await;
    for token in ["tok_processing", "tok_idempotency_error"] {
        let p = purchase(json!(8)).await;
        let response = p.pay(token).await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{token}");
        assert_eq!(errors(response).await, [(NOT_CONFIRMED.to_string(), None)]);
        assert_eq!(
            p.order_now().await["status"],
            "awaiting:payment",
            "{token}: the attempt stays in flight, no second card"
        );
    }
}
