//! Where expiry meets payment, against the Stripe stub on a stack with a
//! short EXPIRATION_WINDOW_SECONDS: an order is charged only while it can
//! still be sold, and a charge that lands on an expired order is refunded,
//! as Stripe's own record of requests shows.
//!
//! Stack: expiry (see scripts/test.sh: payment window 3 s, 3-D Secure window
//! 5 s, lost-payment timeout `PAYMENT_TIMEOUT_SECONDS` 8 s)

use e2e::purchase::Purchase;
use e2e::stripe_stub::{deliver_signed, intent_event, purchase, StripeStub};
use e2e::{errors, eventually, now_ms, wait_until};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Refund requests the stub received for a PaymentIntent.
fn refunds_of(intent_id: &str) -> usize {
    StripeStub::shared()
        .requests_about(intent_id)
        .iter()
        .filter(|r| r.path == "/v1/refunds" && r.status == 200)
        .count()
}

async fn final_order(p: &Purchase) -> Value {
    eventually("a final status", || async {
        let order = p.order_now().await;
        matches!(order["status"].as_str(), Some("complete" | "cancelled")).then_some(order)
    })
    .await
}

#[tokio::test]
async fn paying_an_expired_order_is_refused_with_its_reason_and_charges_nothing() {
    let p = purchase(json!(11)).await;
    let order = final_order(&p).await;
    assert_eq!(
        (order["status"].clone(), order["cancelReason"].clone()),
        (json!("cancelled"), json!("expired"))
    );
    let response = p.pay("tok_visa").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Cannot pay for an expired order".to_string(), None)]
    );
    assert!(StripeStub::shared()
        .charges_for_order(p.order.id.as_str())
        .is_empty());
    assert!(p.payments().await.is_empty());
}

#[tokio::test]
async fn a_payment_that_succeeds_after_expiry_is_refunded() {
    let p = purchase(json!(15)).await;
    final_order(&p).await;
    let intent_id = format!("pi_late_{}", uuid::Uuid::new_v4().simple());
    let payload = intent_event("payment_intent.succeeded", &p, &intent_id);
    let response = deliver_signed(&payload).await;
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

/// A refund that fails is owed, not forgotten: the charge's payment is
/// recorded `refund_owed`, the webhook answers 5xx and is not recorded as
/// handled, so Stripe's next delivery of the same event does the refund.
#[tokio::test]
async fn a_refund_that_fails_stays_owed_until_the_webhook_is_delivered_again() {
    let p = purchase(json!(17)).await;
    final_order(&p).await;
    let intent_id = format!("pi_late_{}", uuid::Uuid::new_v4().simple());
    // Every try of the first delivery (the adapter tries 3 times) fails.
    StripeStub::shared().fail_refunds_of(&intent_id, 3);
    let payload = intent_event("payment_intent.succeeded", &p, &intent_id);
    let first = deliver_signed(&payload).await;
    assert!(first.status().is_server_error(), "{}", first.status());
    assert_eq!(refunds_of(&intent_id), 0);
    let statuses = |payments: Vec<Value>| -> Vec<Value> {
        payments.iter().map(|p| p["status"].clone()).collect()
    };
    assert_eq!(statuses(p.payments().await), [json!("refund_owed")]);

    let again = deliver_signed(&payload).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<Value>().await.unwrap()["outcome"], "refunded");
    assert_eq!(refunds_of(&intent_id), 1);
    assert_eq!(statuses(p.payments().await), [json!("refunded")]);

    let replay = deliver_signed(&payload).await;
    assert_eq!(replay.json::<Value>().await.unwrap()["duplicate"], true);
    assert_eq!(refunds_of(&intent_id), 1, "refunded once");
    assert_eq!(p.order_now().await["cancelReason"], "expired");
}

/// A charge made through POST /api/payments that lands after the order was
/// given up on. The payment's own attempt keeps expiry waiting, so the order
/// is released here by a `payment_intent.payment_failed` webhook that
/// arrives after the deadline while the (slow) charge is still in flight.
#[tokio::test]
async fn a_charge_through_the_api_that_lands_on_an_expired_order_is_refunded() {
    let p = purchase(json!(16)).await;
    let paying = p.start_paying("tok_slow").await;
    wait_until(p.order.expires_at_ms() + 50).await;
    let failed = intent_event("payment_intent.payment_failed", &p, "pi_failed_meanwhile");
    assert_eq!(deliver_signed(&failed).await.status(), StatusCode::OK);
    assert_eq!(p.order_now().await["cancelReason"], "expired");

    let response = paying.await.expect("the pay request");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [(
            "The order expired before the payment went through; the charge was refunded"
                .to_string(),
            None
        )]
    );
    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    assert_eq!(charges.len(), 1, "the slow charge was made");
    assert_eq!(refunds_of(&charges[0]), 1, "and refunded at Stripe");
    let order = p.order_now().await;
    assert_eq!(
        (order["status"].clone(), order["cancelReason"].clone()),
        (json!("cancelled"), json!("expired"))
    );
    assert_eq!(p.ticket_now().await["sold"], false);
}

/// Pays at set offsets around the deadline, from clearly before to clearly
/// after: each time either the payment wins (complete, sold, one charge, no
/// refund) or expiry wins (cancelled, not sold, every charge refunded at
/// Stripe); never both. Both outcomes must occur across the offsets, so the
/// race is really run.
#[tokio::test]
async fn expiry_and_payment_never_both_win() {
    let (mut paid, mut expired) = (0, 0);
    for offset_ms in [1_000i64, 300, 150, 80, 40, 20, 0, -20, -100, -500] {
        let p = purchase(json!(20)).await;
        // The stimulus, not a wait for a result: pay `offset_ms` before the deadline.
        wait_until(p.order.expires_at_ms() - offset_ms).await;
        let status = p.pay("tok_visa").await.status();
        let order = final_order(&p).await;
        let kept = p
            .payments()
            .await
            .iter()
            .filter(|p| p["status"] == "succeeded")
            .count();
        let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
        let refunded: usize = charges.iter().map(|c| refunds_of(c)).sum();
        let sold = p.ticket_now().await["sold"] == true;
        if order["status"] == "complete" {
            assert_eq!(
                (status, kept, charges.len(), refunded, sold),
                (StatusCode::CREATED, 1, 1, 0, true),
                "offset {offset_ms}: {order}"
            );
            paid += 1;
        } else {
            assert!(
                status.is_client_error(),
                "offset {offset_ms}: expired but the payment answered {status}"
            );
            assert_eq!(
                (kept, sold, refunded),
                (0, false, charges.len()),
                "offset {offset_ms}: every charge of a cancelled order is refunded"
            );
            expired += 1;
        }
    }
    println!("expiry/payment race: {paid} paid, {expired} expired");
    assert!(
        paid > 0 && expired > 0,
        "both sides must win somewhere: {paid} paid, {expired} expired"
    );
}

/// The buyer never finishes the bank's 3-D Secure check. The order waits
/// past its own payment window (3 s here) for the authentication window
/// (AUTHENTICATION_WINDOW_SECONDS, 5 s here), then is released like any
/// unpaid one: expired, the ticket free. An authentication that still
/// succeeds afterwards is refunded.
#[tokio::test]
async fn a_3d_secure_check_never_finished_releases_the_order_when_its_window_ends() {
    let p = purchase(json!(26)).await;
    let response = p.pay("tok_threeDSecure2Required").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    let secret = body["clientSecret"].as_str().expect("a client secret");
    let intent_id = secret.split("_secret_").next().unwrap().to_string();

    wait_until(p.order.expires_at_ms() + 500).await;
    let waiting = p.order_now().await;
    assert_eq!(
        waiting["status"], "awaiting:payment",
        "past its payment window"
    );
    let window_end = e2e::iso_to_unix_ms(waiting["authenticationUntil"].as_str().unwrap());
    let order = final_order(&p).await;
    assert!(
        e2e::now_ms() >= window_end,
        "released only when the window ended"
    );
    assert_eq!(
        (order["status"].clone(), order["cancelReason"].clone()),
        (json!("cancelled"), json!("expired"))
    );
    assert_eq!(p.ticket_now().await["orderId"], Value::Null, "free again");

    let late = intent_event("payment_intent.succeeded", &p, &intent_id);
    let response = deliver_signed(&late).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["outcome"],
        "refunded"
    );
    assert_eq!(refunds_of(&intent_id), 1);
}

/// Stripe charged, but payments never learns it (its answer stays 409
/// "still running"). The order waits past its own payment window for the
/// charge's outcome, until the lost-payment timeout (PAYMENT_TIMEOUT_SECONDS,
/// 8 s here) that payments set when the attempt started, then is released
/// like any unpaid order. The charge's webhook, arriving later, is refunded.
#[tokio::test]
async fn a_charge_never_confirmed_releases_the_order_at_the_lost_payment_timeout() {
    let timeout_ms = e2e::payment_timeout().as_millis() as i64;
    let p = purchase(json!(27)).await;
    let started = now_ms();
    let response = p.pay("tok_in_flight").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);

    wait_until(p.order.expires_at_ms() + 500).await;
    assert_eq!(
        p.order_now().await["status"],
        "awaiting:payment",
        "past its payment window, the charge is still waited for"
    );
    let order = final_order(&p).await;
    assert!(
        now_ms() >= started + timeout_ms,
        "released only at the lost-payment timeout"
    );
    assert_eq!(
        (order["status"].clone(), order["cancelReason"].clone()),
        (json!("cancelled"), json!("expired"))
    );
    assert_eq!(p.ticket_now().await["orderId"], Value::Null, "free again");

    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    assert_eq!(charges.len(), 1, "Stripe did charge");
    let late = intent_event("payment_intent.succeeded", &p, &charges[0]);
    let response = deliver_signed(&late).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["outcome"],
        "refunded"
    );
    assert_eq!(refunds_of(&charges[0]), 1);
}

/// Stripe takes the request and never answers: every call has a timeout
/// that ends the charge, retries included, before the lost-payment timeout
/// (8 s here), so the buyer hears "not confirmed yet" and the attempt stays
/// in flight for the webhook or the reconciliation to settle.
#[tokio::test]
async fn a_stripe_call_that_never_answers_is_given_up_before_the_lost_payment_timeout() {
    let timeout = e2e::payment_timeout();
    let p = purchase(json!(14)).await;
    let started = std::time::Instant::now();
    let response = tokio::time::timeout(timeout, p.pay("tok_hang"))
        .await
        .expect("the pay request answers before the lost-payment timeout");
    assert!(started.elapsed() < timeout, "{:?}", started.elapsed());
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(
        errors(response).await,
        [(
            "The payment provider has not confirmed the payment yet; check the order again in a minute".to_string(),
            None
        )]
    );
}
