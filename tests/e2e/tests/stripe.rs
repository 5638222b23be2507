//! The Stripe adapter against a local stub of Stripe's API, the signed
//! webhook, refunds, and the race between expiry and payment. Runs against the
//! stack scripts/test.sh starts with PAYMENT_PROVIDER=stripe pointed at the
//! stub, and a short EXPIRATION_WINDOW_SECONDS.

use domain::stripe::sign_webhook;
use e2e::purchase::Purchase;
use e2e::stripe_stub::{StripeStub, SECRET_KEY};
use e2e::{errors, eventually, now_ms, wait_until, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A purchase on the Stripe stack: the stub must be listening before anything pays.
async fn purchase(price: Value) -> Purchase {
    StripeStub::shared();
    Purchase::new(price).await
}

fn webhook_secret() -> String {
    std::env::var("TICKETING_STRIPE_WEBHOOK_SECRET")
        .expect("TICKETING_STRIPE_WEBHOOK_SECRET: run with `make test`")
}

#[tokio::test]
async fn creates_a_confirmed_payment_intent_with_the_exact_request_stripe_expects() {
    let p = purchase(json!(19.99)).await;
    let response = p.pay("tok_visa").await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let calls = StripeStub::shared().requests_about(p.order.id.as_str());
    assert_eq!(calls.len(), 1, "{calls:?}");
    let call = &calls[0];
    assert_eq!(call.path, "/v1/payment_intents");
    assert_eq!(
        call.authorization.as_deref(),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(
        call.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        call.idempotency_key.as_deref(),
        Some(format!("order-{}-charge-v1", p.order.id).as_str())
    );
    assert_eq!(call.field("amount"), Some("1999"));
    assert_eq!(call.field("currency"), Some("usd"));
    assert_eq!(call.field("confirm"), Some("true"));
    assert_eq!(
        call.field("payment_method_data[card][token]"),
        Some("tok_visa")
    );
    assert_eq!(
        call.field("metadata[ticket_id]"),
        Some(p.ticket_id.as_str())
    );
    assert_eq!(call.field("metadata[user_id]"), Some(p.buyer.id.as_str()));
    assert_eq!(p.order_now().await["status"], "complete");
}

#[tokio::test]
async fn a_card_declined_error_is_402_and_a_new_attempt_gets_a_new_idempotency_key() {
    let p = purchase(json!(10)).await;
    let declined = p.pay("pm_card_chargeDeclined").await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        errors(declined).await,
        [("Your card was declined.".into(), None)]
    );
    assert_eq!(p.order_now().await["status"], "created", "still payable");

    assert_eq!(p.pay("pm_card_visa").await.status(), StatusCode::CREATED);
    let keys: Vec<Option<String>> = StripeStub::shared()
        .requests_about(p.order.id.as_str())
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(keys.len(), 2);
    assert_ne!(
        keys[0], keys[1],
        "a cached decline must not be replayed to the second card"
    );
}

#[tokio::test]
async fn a_5xx_is_retried_with_the_same_idempotency_key_and_charges_once() {
    let p = purchase(json!(10)).await;
    assert_eq!(p.pay("tok_flaky").await.status(), StatusCode::CREATED);
    let calls = StripeStub::shared().requests_about(p.order.id.as_str());
    let statuses: Vec<u16> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [503, 200]);
    assert_eq!(calls[0].idempotency_key, calls[1].idempotency_key);
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1
    );
}

#[tokio::test]
async fn ten_concurrent_pay_requests_charge_once() {
    let p = purchase(json!(10)).await;
    let mut ids = p.pay_concurrently("one-click", 10).await;
    ids.dedup();
    assert_eq!(ids.len(), 1, "the same payment for all: {ids:?}");
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1,
        "charged once"
    );
}

fn intent_event(kind: &str, p: &Purchase, intent_id: &str) -> String {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": intent_id, "object": "payment_intent", "amount": p.order["ticket"]["priceCents"], "currency": "usd",
            "status": if kind == "payment_intent.succeeded" { "succeeded" } else { "requires_payment_method" },
            "metadata": {"order_id": p.order.id.as_str(), "ticket_id": p.ticket_id.as_str(), "user_id": p.buyer.id.as_str()},
        }},
    })
    .to_string()
}

async fn deliver(payload: &str, signature: &str) -> reqwest::Response {
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

#[tokio::test]
async fn a_correctly_signed_webhook_completes_the_order_once_even_when_replayed() {
    let p = purchase(json!(12)).await;
    let payload = intent_event(
        "payment_intent.succeeded",
        &p,
        &format!("pi_hook_{}", uuid::Uuid::new_v4().simple()),
    );
    let signature = sign_webhook(&payload, &webhook_secret(), now_ms() / 1000);
    let first = deliver(&payload, &signature).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.json::<Value>().await.unwrap()["outcome"], "completed");
    assert_eq!(p.order_now().await["status"], "complete");

    let replay = deliver(&payload, &signature).await;
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(replay.json::<Value>().await.unwrap()["duplicate"], true);
    assert_eq!(p.payments().await.len(), 1);
    assert_eq!(p.ticket_now().await["sold"], true);
}

#[tokio::test]
async fn badly_signed_webhooks_are_refused_and_change_nothing() {
    let p = purchase(json!(12)).await;
    let payload = intent_event("payment_intent.succeeded", &p, "pi_forged");
    let now = now_ms() / 1000;
    let tampered = payload.replace("\"amount\"", "\"amount_x\"");
    for (body, signature) in [
        (
            payload.clone(),
            sign_webhook(&payload, "whsec_someone_else", now),
        ),
        (tampered, sign_webhook(&payload, &webhook_secret(), now)),
        (
            payload.clone(),
            sign_webhook(&payload, &webhook_secret(), now - 3600),
        ),
        (payload.clone(), "t=1,v1=zz".to_string()),
        (payload.clone(), String::new()),
    ] {
        assert_eq!(
            deliver(&body, &signature).await.status(),
            StatusCode::BAD_REQUEST,
            "{signature}"
        );
    }
    assert_eq!(p.order_now().await["status"], "created");
}

#[tokio::test]
async fn a_payment_failed_webhook_leaves_the_order_payable() {
    let p = purchase(json!(12)).await;
    let payload = intent_event("payment_intent.payment_failed", &p, "pi_failed");
    let response = deliver(
        &payload,
        &sign_webhook(&payload, &webhook_secret(), now_ms() / 1000),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(p.order_now().await["status"], "created");
}

#[tokio::test]
async fn a_payment_that_succeeds_after_expiry_is_refunded() {
    let p = purchase(json!(15)).await;
    eventually("the order to expire", || async {
        (p.order_now().await["status"] == "cancelled").then_some(())
    })
    .await;
    let intent_id = format!("pi_late_{}", uuid::Uuid::new_v4().simple());
    let payload = intent_event("payment_intent.succeeded", &p, &intent_id);
    let response = deliver(
        &payload,
        &sign_webhook(&payload, &webhook_secret(), now_ms() / 1000),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap()["outcome"],
        "refunded"
    );

    let refunds: Vec<_> = StripeStub::shared()
        .requests_about(&intent_id)
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0].idempotency_key.as_deref(),
        Some(format!("refund-{intent_id}").as_str())
    );
    let order = p.order_now().await;
    assert_eq!(
        (order["status"].clone(), order["cancelReason"].clone()),
        (json!("cancelled"), json!("expired"))
    );
    let payments = p.payments().await;
    assert_eq!(
        payments.first().map(|p| &p["status"]),
        Some(&json!("refunded")),
        "recorded as refunded: {payments:?}"
    );
    assert_eq!(p.ticket_now().await["sold"], false);
}

/// Pays at the very edge of expiry, again and again: either the payment wins
/// (complete, sold, one successful charge) or expiry wins (cancelled, and no
/// charge kept); never both, never a charge without one of them.
#[tokio::test]
async fn expiry_and_payment_never_both_win() {
    let mut tally = (0, 0);
    for offset_ms in [300i64, 150, 80, 40, 20, 10, 0, -10, -40, -100] {
        let p = purchase(json!(20)).await;
        // The stimulus, not a wait for a result: pay `offset_ms` before the deadline.
        wait_until(p.order.expires_at_ms() - offset_ms).await;
        let status = p.pay("tok_visa").await.status();
        let order = eventually("a final status", || async {
            let order = p.order_now().await;
            matches!(order["status"].as_str(), Some("complete" | "cancelled")).then_some(order)
        })
        .await;
        let payments = p.payments().await;
        let kept = payments
            .iter()
            .filter(|p| p["status"] == "succeeded")
            .count();
        let charges = StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len();
        let sold = p.ticket_now().await["sold"] == true;
        match order["status"].as_str() {
            Some("complete") => {
                assert_eq!(
                    (status, kept, charges, sold),
                    (StatusCode::CREATED, 1, 1, true),
                    "offset {offset_ms}: {order}"
                );
                tally.0 += 1;
            }
            _ => {
                assert!(
                    status.is_client_error(),
                    "offset {offset_ms}: expired but the payment answered {status}"
                );
                assert_eq!(
                    (kept, sold),
                    (0, false),
                    "offset {offset_ms}: no charge kept for a cancelled order"
                );
                assert!(
                    charges == 0 || payments.first().is_some_and(|p| p["status"] == "refunded"),
                    "offset {offset_ms}: a charge was refunded"
                );
                tally.1 += 1;
            }
        }
    }
    println!("expiry/payment race: {} paid, {} expired", tally.0, tally.1);
}
