//! The payments service with the offline `local` provider (the default), black-box.
//!
//! Stack: api (see scripts/test.sh)

use domain::http::stripe::sign_webhook;
use e2e::purchase::Purchase;
use e2e::{errors, eventually, now_ms, OrderId, PaymentId, TestClient, TestUser};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn returns_a_404_when_purchasing_an_order_that_does_not_exist() {
    let client = TestUser::signed_up().await;
    for order in [OrderId::unknown(), OrderId("garbage".into())] {
        let response = client.pay(&order, "tok_visa").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{order}");
        assert_eq!(errors(response).await, [("Not found".into(), None)]);
    }
}

#[tokio::test]
async fn returns_a_401_when_purchasing_an_order_that_doesnt_belong_to_the_user() {
    let p = Purchase::new(json!(10)).await;
    let intruder = TestUser::signed_up().await;
    for response in [
        intruder.pay(&p.order.id, "tok_visa").await,
        TestClient::anonymous().pay(&p.order.id, "tok_visa").await,
    ] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(errors(response).await, [("Not authorized".into(), None)]);
    }
    assert_eq!(p.order_now().await, p.order.json, "not paid");
    assert_eq!(p.payments().await, Vec::<Value>::new(), "no charge");
}

#[tokio::test]
async fn returns_a_400_when_purchasing_a_cancelled_order() {
    let p = Purchase::new(json!(10)).await;
    assert_eq!(
        p.buyer.cancel_order(&p.order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    let cancelled = p.order_now().await;
    let response = p.pay("tok_visa").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Cannot pay for a cancelled order".into(), None)]
    );
    assert_eq!(p.order_now().await, cancelled, "still cancelled");
    assert_eq!(p.payments().await, Vec::<Value>::new(), "no charge");
}

#[tokio::test]
async fn requires_an_order_id_and_a_token() {
    let client = TestUser::signed_up().await;
    let response = client.post_json("/api/payments", json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [
            ("OrderId must be provided".into(), Some("orderId".into())),
            ("A card token must be provided".into(), Some("token".into()))
        ]
    );
}

#[tokio::test]
async fn returns_a_201_with_valid_inputs_charging_the_price_in_cents() {
    let p = Purchase::new(json!(42.5)).await;
    let response = p.pay("tok_visa").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let payment: Value = response.json().await.unwrap();
    assert_eq!(payment["orderId"], p.order.id);
    assert_eq!(payment["status"], "succeeded");
    assert_eq!(
        (payment["amountCents"].clone(), payment["currency"].clone()),
        (json!(4250), json!("usd"))
    );
    let payment_id = PaymentId::of(&payment);
    assert!(payment_id.as_str().starts_with("pay_"), "{payment_id}");

    let order = p.order_now().await;
    assert_eq!(order["status"], "complete");
    assert_eq!(order["paymentId"], payment_id);
    assert_eq!(p.payments().await, [payment]);
}

#[tokio::test]
async fn a_paid_ticket_is_sold_for_good() {
    let p = Purchase::new(json!(10)).await;
    assert_eq!(p.pay("pm_card_visa").await.status(), StatusCode::CREATED);
    let ticket = p.ticket_now().await;
    assert_eq!(
        (ticket["sold"].clone(), ticket["orderId"].clone()),
        (json!(true), Value::Null)
    );
    let late_buyer = TestUser::signed_up().await;
    assert_eq!(
        errors(late_buyer.place_order(&p.ticket_id).await).await,
        [("Ticket is already reserved".into(), None)]
    );
    let edit = p
        .seller
        .update_ticket(&p.ticket_id, "Again", json!(5))
        .await;
    assert_eq!(
        errors(edit).await,
        [("Cannot edit a sold ticket".into(), None)]
    );
    let cancel = p.buyer.cancel_order(&p.order.id).await;
    assert_eq!(
        errors(cancel).await,
        [("Cannot cancel a completed order".into(), None)]
    );
    let again = p.pay("tok_visa").await;
    assert_eq!(
        errors(again).await,
        [("This order has already been paid".into(), None)]
    );
    // The read models follow: sold, never offered again; the buyer's list says complete.
    eventually("the sale in the tickets list", || async {
        p.seller
            .listed_ticket("", &p.ticket_id)
            .await
            .filter(|t| t["sold"] == true)
    })
    .await;
    assert!(p
        .seller
        .listed_ticket("&available=true", &p.ticket_id)
        .await
        .is_none());
    eventually("the buyer's list to say complete", || async {
        let orders = p.buyer.orders().await;
        (orders.first()?["status"] == "complete").then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_declined_card_is_402_and_the_order_stays_payable() {
    let p = Purchase::new(json!(10)).await;
    let declined = p.pay("tok_chargeDeclined").await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        errors(declined).await,
        [("Your card was declined.".into(), None)]
    );
    assert_eq!(p.order_now().await["status"], "created");
    assert_eq!(p.payments().await, Vec::<Value>::new());
    let paid = p.pay("tok_visa").await;
    assert_eq!(paid.status(), StatusCode::CREATED);
    let payment: Value = paid.json().await.unwrap();
    assert_eq!(p.order_now().await["paymentId"], payment["id"]);
    assert_eq!(p.payments().await, [payment]);
}

#[tokio::test]
async fn ten_concurrent_pay_requests_charge_once_and_return_the_same_payment() {
    let p = Purchase::new(json!(30)).await;
    let mut ids = p.pay_concurrently("pay-button", 10).await;
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let payments = p.payments().await;
    assert_eq!(payments.len(), 1, "one charge: {payments:?}");
    // Once it is done, the same click again gets that payment.
    let again = p
        .buyer
        .pay_with_key(&p.order.id, "tok_visa", "pay-button")
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(
        again.json::<Value>().await.unwrap()["id"],
        ids[0].0.as_str()
    );
}

#[tokio::test]
async fn repeating_a_finished_payment_with_its_idempotency_key_returns_it_and_charges_once() {
    let p = Purchase::new(json!(15)).await;
    let first = p
        .buyer
        .pay_with_key(&p.order.id, "tok_visa", "checkout-1")
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let payment: Value = first.json().await.unwrap();
    assert_eq!(
        p.order_now().await["status"],
        "complete",
        "the first finished"
    );

    // The same checkout retried (a lost response, a reload): the same payment.
    let retry = p
        .buyer
        .pay_with_key(&p.order.id, "tok_visa", "checkout-1")
        .await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.json::<Value>().await.unwrap(), payment);
    assert_eq!(
        p.payments().await,
        std::slice::from_ref(&payment),
        "one charge"
    );

    // Another checkout of the same order is not a retry: refused, nothing charged.
    let other = p
        .buyer
        .pay_with_key(&p.order.id, "tok_visa", "checkout-2")
        .await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(other).await,
        [("This order has already been paid".into(), None)]
    );
    assert_eq!(p.order_now().await["paymentId"], payment["id"]);
    assert_eq!(p.payments().await, [payment], "still one charge");
}

/// A `payment_intent.succeeded` event for the purchase's order, as Stripe sends it.
fn succeeded_event(p: &Purchase) -> String {
    json!({
        "id": format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "type": "payment_intent.succeeded",
        "data": { "object": {
            "id": format!("pi_{}", uuid::Uuid::new_v4().simple()),
            "amount": 1000,
            "currency": "usd",
            "metadata": {
                "order_id": p.order.id.as_str(),
                "ticket_id": p.ticket_id.as_str(),
                "user_id": p.buyer.id.as_str(),
            },
        }},
    })
    .to_string()
}

#[tokio::test]
async fn the_webhook_is_not_open_without_its_secret() {
    // The local-provider stack has no STRIPE_WEBHOOK_SECRET: every delivery
    // is refused, unsigned or signed with an empty secret (what a missing
    // secret read as "" would accept), and completes nothing.
    let p = Purchase::new(json!(10)).await;
    let payload = succeeded_event(&p);
    let empty_secret_signature = sign_webhook(&payload, "", now_ms() / 1000);
    let client = TestClient::anonymous();
    for signature in [Some(empty_secret_signature), None] {
        let mut request = client
            .http
            .post(client.url("/api/payments/webhook"))
            .header("content-type", "application/json")
            .body(payload.clone());
        if let Some(signature) = &signature {
            request = request.header("stripe-signature", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{signature:?}");
        assert_eq!(
            errors(response).await,
            [(
                "Webhooks are not configured (STRIPE_WEBHOOK_SECRET)".into(),
                None
            )]
        );
    }
    assert_eq!(p.order_now().await, p.order.json, "not completed");
    assert_eq!(
        p.payments().await,
        Vec::<Value>::new(),
        "no payment recorded"
    );
    assert_eq!(p.ticket_now().await["sold"], false);
}

/// The local provider (test cards approve) serves loopback hosts only: the
/// same stack asked under a public host name answers as an unconfigured
/// deploy, whatever PAYMENT_PROVIDER says.
#[tokio::test]
async fn the_local_provider_refuses_a_public_host() {
    const PUBLIC_HOST: &str = "tickets.example.com";
    let client = TestClient::anonymous();
    let webhook = |host: Option<&'static str>| {
        let mut request = client
            .http
            .post(client.url("/api/payments/webhook"))
            .header("stripe-signature", "t=1,v1=00")
            .body("{}");
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.send()
    };
    let public = webhook(Some(PUBLIC_HOST)).await.unwrap();
    assert_eq!(public.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        errors(public).await,
        [("Payments are not configured".into(), None)]
    );
    // On loopback the local provider is configured: the webhook goes on to
    // its own check (no webhook secret with the local provider).
    let local = webhook(None).await.unwrap();
    assert_eq!(local.status(), StatusCode::BAD_REQUEST);

    // A pay request under the public host changes nothing either.
    let p = Purchase::new(json!(10)).await;
    let paid = p
        .buyer
        .http
        .post(p.buyer.url("/api/payments"))
        .header("host", PUBLIC_HOST)
        .json(&json!({ "orderId": p.order.id.as_str(), "token": "tok_visa" }))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(p.order_now().await["status"], "created");
    assert!(p.payments().await.is_empty());
}
