//! The Stripe adapter against a local stub of Stripe's API and the signed
//! webhook. Runs against the stack scripts/test.sh starts with
//! PAYMENT_PROVIDER=stripe pointed at the stub and the default payment window,
//! so no test here races a deadline (those are in expiry_and_payment.rs).
//!
//! Stack: stripe (see scripts/test.sh)

use domain::http::stripe::sign_webhook;
use e2e::purchase::IN_PROGRESS;
use e2e::stripe_stub::{
    deliver, deliver_signed, intent_event, intent_event_of_attempt, purchase, webhook_secret,
    StripeStub, SECRET_KEY,
};
use e2e::{errors, eventually, now_ms};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

const NOT_CONFIRMED: &str =
    "The payment provider has not confirmed the payment yet; check the order again in a minute";

/// Stripe unreachable (503 on every try): the charge may or may not have
/// happened, so the order stays in flight instead of payable (expiry waits,
/// no second attempt can start). Retrying the same payment settles it with
/// the same provider key: one charge at most.
#[tokio::test]
async fn an_unreachable_provider_is_a_502_and_the_payment_stays_in_flight_until_retried() {
    let p = purchase(json!(13)).await;
    let response = p.pay("tok_down").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(errors(response).await, [(NOT_CONFIRMED.to_string(), None)]);
    let calls = StripeStub::shared().requests_about(p.order.id.as_str());
    assert!(
        !calls.is_empty() && calls.iter().all(|c| c.status == 503),
        "tried, and only refused: {calls:?}"
    );
    assert_eq!(p.order_now().await["status"], "awaiting:payment");
    assert_eq!(
        p.ticket_now().await["orderId"],
        p.order.id.as_str(),
        "still held"
    );
    let keys: Vec<_> = calls.iter().map(|c| c.idempotency_key.clone()).collect();
    assert_eq!(p.pay("tok_visa").await.status(), StatusCode::CREATED);
    let retry = StripeStub::shared().requests_about(p.order.id.as_str());
    assert_eq!(
        retry.last().unwrap().idempotency_key,
        keys[0],
        "same attempt"
    );
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1
    );
    assert_eq!(p.order_now().await["status"], "complete");
}

/// Stripe's 409: a request with this idempotency key is still running (a
/// double-submitted form). Not a decline: the order stays in flight, and
/// the charge's webhook completes it.
#[tokio::test]
async fn a_409_in_flight_leaves_the_payment_in_flight_and_the_webhook_completes_it() {
    let p = purchase(json!(19)).await;
    let response = p.pay("tok_in_flight").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(errors(response).await, [(NOT_CONFIRMED.to_string(), None)]);
    assert_eq!(p.order_now().await["status"], "awaiting:payment");
    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    assert_eq!(charges.len(), 1, "Stripe did charge");

    let event = intent_event("payment_intent.succeeded", &p, &charges[0]);
    let delivered = deliver_signed(&event).await;
    assert_eq!(delivered.status(), StatusCode::OK);
    assert_eq!(
        delivered.json::<Value>().await.unwrap()["outcome"],
        "completed"
    );
    assert_eq!(p.order_now().await["status"], "complete");
    let payments = p.payments().await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    assert_eq!(payments[0]["status"], "succeeded");
}

/// With the outcome unknown, Stripe's `payment_failed` webhook for the
/// attempt is what frees the order for another card.
#[tokio::test]
async fn a_payment_failed_webhook_for_the_attempt_in_flight_makes_the_order_payable() {
    let p = purchase(json!(18)).await;
    assert_eq!(p.pay("tok_down").await.status(), StatusCode::BAD_GATEWAY);
    let in_flight = p.order_now().await;
    assert_eq!(in_flight["status"], "awaiting:payment");
    let attempt = in_flight["version"].as_u64().unwrap();
    let failed = intent_event_of_attempt("payment_intent.payment_failed", &p, "pi_x", attempt);
    assert_eq!(deliver_signed(&failed).await.status(), StatusCode::OK);
    assert_eq!(p.order_now().await["status"], "created", "payable again");
    assert_eq!(p.pay("tok_visa").await.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_cancel_while_the_payment_is_in_flight_is_refused_and_the_payment_completes() {
    let p = purchase(json!(14)).await;
    let paying = p.start_paying("tok_slow").await;
    let response = p.buyer.cancel_order(&p.order.id).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [(
            "Cannot cancel an order while its payment is in progress".to_string(),
            None
        )]
    );
    let paid = paying.await.expect("the pay request");
    assert_eq!(paid.status(), StatusCode::CREATED);
    assert_eq!(p.order_now().await["status"], "complete");
    assert_eq!(p.ticket_now().await["sold"], true);
}

#[tokio::test]
async fn ten_concurrent_pay_requests_charge_once() {
    let p = purchase(json!(10)).await;
    let ids = p.pay_concurrently("one-click", 10).await;
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "the same payment for all: {ids:?}"
    );
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1,
        "charged once"
    );
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
async fn a_signed_event_without_its_amount_is_refused_and_records_nothing() {
    let p = purchase(json!(12)).await;
    let intent_id = format!("pi_no_amount_{}", uuid::Uuid::new_v4().simple());
    let payload = intent_event("payment_intent.succeeded", &p, &intent_id);
    let without_amount = payload.replace("\"amount\"", "\"amount_x\"");
    let refused = deliver_signed(&without_amount).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(refused).await,
        [(
            "The payment_intent.succeeded event's PaymentIntent cannot be read: missing field `amount`"
                .to_string(),
            None
        )]
    );
    assert_eq!(p.order_now().await["status"], "created");
    assert_eq!(
        p.payments().await.len(),
        0,
        "no charge recorded, none refunded"
    );
    assert_eq!(StripeStub::shared().requests_about(&intent_id).len(), 0);

    // The event id was not recorded: the whole event, delivered again, completes.
    let whole = deliver_signed(&payload).await;
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.json::<Value>().await.unwrap()["outcome"], "completed");
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

/// Idempotency-Key as Stripe's: a repeat sent while the first request runs
/// gets 409; once it finished, a repeat gets its very answer.
#[tokio::test]
async fn a_repeat_while_the_first_runs_is_409_and_after_it_gets_the_same_answer() {
    let p = purchase(json!(22)).await;
    let first = {
        let (buyer, order) = (p.buyer.client.clone(), p.order.id.clone());
        tokio::spawn(async move {
            buyer
                .pay_with_key(&order, "tok_slow", "slow-checkout")
                .await
        })
    };
    eventually("the first request in flight", || async {
        (p.order_now().await["status"] == "awaiting:payment").then_some(())
    })
    .await;
    let during = p
        .buyer
        .pay_with_key(&p.order.id, "tok_slow", "slow-checkout")
        .await;
    assert_eq!(during.status(), StatusCode::CONFLICT);
    assert_eq!(errors(during).await, [(IN_PROGRESS.to_string(), None)]);

    let first = first.await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let after = p
        .buyer
        .pay_with_key(&p.order.id, "tok_slow", "slow-checkout")
        .await;
    assert_eq!(after.status(), StatusCode::CREATED);
    assert_eq!(after.json::<Value>().await.unwrap(), first);
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1
    );
    // The key belongs to that order.
    let other = purchase(json!(23)).await;
    let reused = other
        .buyer
        .pay_with_key(&other.order.id, "tok_visa", "slow-checkout")
        .await;
    assert_eq!(reused.status(), StatusCode::CREATED, "keys are per buyer");
    let same_buyer_other_order = p
        .buyer
        .pay_with_key(&other.order.id, "tok_visa", "slow-checkout")
        .await;
    assert!(same_buyer_other_order.status().is_client_error());
}

/// The first request's answer was lost (a 502: Stripe's 409), and the
/// webhook recorded the payment first. A retry with the same key gets that
/// payment, not "already paid".
#[tokio::test]
async fn a_retry_after_an_unconfirmed_payment_gets_the_payment_the_webhook_recorded() {
    let p = purchase(json!(24)).await;
    let first = p
        .buyer
        .pay_with_key(&p.order.id, "tok_in_flight", "lost-answer")
        .await;
    assert_eq!(first.status(), StatusCode::BAD_GATEWAY);
    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    let event = intent_event("payment_intent.succeeded", &p, &charges[0]);
    assert_eq!(deliver_signed(&event).await.status(), StatusCode::OK);
    let recorded = p.payments().await;
    assert_eq!(recorded.len(), 1);

    let retry = p
        .buyer
        .pay_with_key(&p.order.id, "tok_in_flight", "lost-answer")
        .await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.json::<Value>().await.unwrap(), recorded[0]);
    let another_key = p
        .buyer
        .pay_with_key(&p.order.id, "tok_visa", "another-click")
        .await;
    assert_eq!(another_key.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(another_key).await,
        [("This order has already been paid".to_string(), None)]
    );
}

/// A `payment_failed` webhook names the attempt it is about (the order's
/// version when that attempt started, in the PaymentIntent's metadata). One
/// about an earlier, declined attempt arrives late, while a second attempt is
/// in flight: it must not knock the order back to `created`.
#[tokio::test]
async fn a_late_failure_of_an_earlier_attempt_leaves_the_attempt_in_flight_alone() {
    let p = purchase(json!(13)).await;
    let declined = p.pay("tok_chargeDeclined").await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED, "attempt 1");
    let paying = p.start_paying("tok_slow").await;
    let in_flight = p.order_now().await;
    let attempt = in_flight["version"].as_u64().unwrap();
    assert!(attempt > 1, "a second attempt: version {attempt}");

    let stale = intent_event_of_attempt("payment_intent.payment_failed", &p, "pi_declined", 1);
    assert_eq!(deliver_signed(&stale).await.status(), StatusCode::OK);
    assert_eq!(
        p.order_now().await,
        in_flight,
        "unchanged by the stale failure"
    );

    let response = paying.await.expect("the pay request");
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "attempt 2 completes"
    );
    assert_eq!(p.order_now().await["status"], "complete");
}

/// `payment:created` is consumed by payments (the record of a charge, written
/// even if the request that charged died). A copy of the event under another
/// payment id must not add a row or change the one there. The copy goes
/// through the real queue (the test build's injection route), followed by a marker
/// charge's event: once the marker is recorded, the copy has been consumed.
#[tokio::test]
async fn a_repeated_payment_event_leaves_the_payment_as_it_is() {
    let p = purchase(json!(21)).await;
    assert_eq!(p.pay("tok_visa").await.status(), StatusCode::CREATED);
    let before = p.payments().await;
    assert_eq!(before.len(), 1, "{before:?}");
    let charges = StripeStub::shared().charges_for_order(p.order.id.as_str());
    let event = |payment_id: &str, provider_ref: &str| {
        json!({
            "id": uuid::Uuid::new_v4().to_string(), "schemaVersion": 1, "subject": "payment:created",
            "aggregateVersion": 2, "occurredAt": "2026-11-25T12:00:00.000Z",
            "data": {"id": payment_id, "orderId": p.order.id.as_str(), "userId": p.buyer.id.as_str(),
                     "amountCents": 2100, "currency": "usd", "provider": "stripe", "providerRef": provider_ref},
        })
    };
    let marker_id = format!("pay_marker_{}", uuid::Uuid::new_v4().simple());
    let events = json!([
        event("pay_copy_of_the_charge", &charges[0]),
        event(
            &marker_id,
            &format!("pi_marker_{}", uuid::Uuid::new_v4().simple())
        ),
    ]);
    let response = p.buyer.post_json("/api/tickets/_test/events", events).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let after = eventually("the marker payment recorded", || async {
        let rows = p.payments().await;
        rows.iter()
            .any(|r| r["id"] == marker_id.as_str())
            .then_some(rows)
    })
    .await;
    let others: Vec<_> = after
        .iter()
        .filter(|r| r["id"] != marker_id.as_str())
        .collect();
    assert_eq!(
        others,
        [&before[0]],
        "the original row, unchanged: {after:?}"
    );
}

#[tokio::test]
async fn the_pay_page_mounts_stripe_elements_under_a_policy_that_lets_only_stripe_in() {
    let p = purchase(json!(8)).await;
    let page = p.buyer.get(&format!("/orders/{}", p.order.id)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .expect("a content policy")
        .to_string();
    for directive in [
        "default-src 'self';",
        "script-src 'self' https://js.stripe.com https://*.js.stripe.com;",
        "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;",
        "connect-src 'self' https://api.stripe.com;",
        "frame-ancestors 'none';",
        "form-action 'self'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"<div id="card-element" data-publishable-key="pk_test_stub"></div>"#),
        "{html}"
    );
    assert!(html.contains(r#"<script src="https://js.stripe.com/v3/">"#));
    for absent in ["tok_visa", "Test cards"] {
        assert!(
            !html.contains(absent),
            "{absent} offered with Stripe: {html}"
        );
    }
}

/// Stripe charged, then the connection dropped before its answer (a
/// timeout): the adapter retries with the same idempotency key, Stripe
/// replays the charge, and the order completes with one charge.
#[tokio::test]
async fn a_charge_whose_answer_was_lost_is_recovered_by_the_retry_with_the_same_key() {
    let p = purchase(json!(21)).await;
    assert_eq!(p.pay("tok_lost_answer").await.status(), StatusCode::CREATED);
    let calls = StripeStub::shared().requests_about(p.order.id.as_str());
    assert!(
        calls.len() >= 2,
        "the lost answer was asked again: {calls:?}"
    );
    assert!(calls
        .windows(2)
        .all(|w| w[0].idempotency_key == w[1].idempotency_key));
    assert_eq!(
        StripeStub::shared()
            .charges_for_order(p.order.id.as_str())
            .len(),
        1
    );
    assert_eq!(p.order_now().await["status"], "complete");
    assert_eq!(p.payments().await.len(), 1);
}

/// 3-D Secure: Stripe answers `requires_action`. The API answers 202 with
/// the client secret Stripe.js needs; the order stays in flight for the
/// authentication window (ten minutes, not the 60 s lost-payment timeout),
/// and the webhook of the authenticated charge completes it.
#[tokio::test]
async fn a_card_that_needs_3d_secure_gets_202_and_the_webhook_completes_the_order() {
    let p = purchase(json!(22)).await;
    let asked_at = now_ms();
    let response = p.pay("tok_threeDSecure2Required").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "requires_action");
    assert_eq!(body["orderId"], p.order.id.as_str());
    let secret = body["clientSecret"].as_str().expect("a client secret");
    let intent = secret.split("_secret_").next().unwrap().to_string();
    assert!(intent.starts_with("pi_stub_"), "{secret}");

    let waiting = p.order_now().await;
    assert_eq!(waiting["status"], "awaiting:payment");
    let until = e2e::iso_to_unix_ms(waiting["authenticationUntil"].as_str().expect("a window"));
    let window = until - asked_at;
    assert!(
        (590_000..=610_000).contains(&window),
        "ten minutes to authenticate: {window} ms"
    );
    assert!(StripeStub::shared()
        .charges_for_order(p.order.id.as_str())
        .is_empty());

    let attempt = StripeStub::shared()
        .attempt_asked_for(p.order.id.as_str())
        .expect("the attempt in the charge's metadata");
    let succeeded = intent_event_of_attempt("payment_intent.succeeded", &p, &intent, attempt);
    assert_eq!(deliver_signed(&succeeded).await.status(), StatusCode::OK);
    let paid = p.order_now().await;
    assert_eq!(paid["status"], "complete");
    assert_eq!(paid["authenticationUntil"], Value::Null);
    assert_eq!(p.payments().await.len(), 1);
}

/// The buyer failed the bank's check: Stripe's `payment_failed` for the
/// attempt makes the order payable again with another card.
#[tokio::test]
async fn a_failed_authentication_makes_the_order_payable_again() {
    let p = purchase(json!(23)).await;
    let response = p.pay("tok_threeDSecure2Required").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let attempt = StripeStub::shared()
        .attempt_asked_for(p.order.id.as_str())
        .expect("the attempt in the charge's metadata");
    let failed = intent_event_of_attempt("payment_intent.payment_failed", &p, "pi_x", attempt);
    assert_eq!(deliver_signed(&failed).await.status(), StatusCode::OK);
    assert_eq!(p.order_now().await["status"], "created");
    assert_eq!(p.pay("tok_visa").await.status(), StatusCode::CREATED);
    assert_eq!(p.order_now().await["status"], "complete");
}

/// The pay form's post: with Stripe Elements on, the page carries the
/// client secret for Stripe.js to open the bank's check, and does not
/// reload itself every 2 s under it.
#[tokio::test]
async fn the_pay_page_hands_a_3d_secure_payment_to_stripe_js() {
    let p = purchase(json!(24)).await;
    let attempt = uuid::Uuid::new_v4().to_string();
    let page = p
        .buyer
        .http
        .post(p.buyer.url(&format!("/orders/{}/pay", p.order.id)))
        .form(&[
            ("token", "pm_card_threeDSecure2Required"),
            ("attempt", attempt.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="payment-authentication""#),
        "{html}"
    );
    assert!(html.contains(r#"data-client-secret="pi_stub_"#), "{html}");
    assert!(html.contains("/static/stripe-elements.js"));
    assert!(
        !html.contains(r#"content="2; url="#),
        "no 2 s reload: {html}"
    );
    assert_eq!(p.order_now().await["status"], "awaiting:payment");
}
