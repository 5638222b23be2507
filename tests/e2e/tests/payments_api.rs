//! The payments service with the offline `local` provider (the default), black-box.

use e2e::purchase::{pay, pay_concurrently, Purchase};
use e2e::{errors, eventually, listed_ticket, TestClient};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

#[tokio::test]
async fn returns_a_404_when_purchasing_an_order_that_does_not_exist() {
    let (client, _) = TestClient::signed_up().await;
    assert_eq!(
        pay(&client, &uuid::Uuid::new_v4().to_string(), "tok_visa")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        pay(&client, "garbage", "tok_visa").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn returns_a_401_when_purchasing_an_order_that_doesnt_belong_to_the_user() {
    let p = Purchase::new(json!(10)).await;
    let (intruder, _) = TestClient::signed_up().await;
    assert_eq!(
        pay(&intruder, p.order_id(), "tok_visa").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        pay(&TestClient::anonymous(), p.order_id(), "tok_visa")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        p.buyer
            .get_json(&format!("/api/orders/{}", p.order_id()))
            .await["status"],
        "created"
    );
}

#[tokio::test]
async fn returns_a_400_when_purchasing_a_cancelled_order() {
    let p = Purchase::new(json!(10)).await;
    p.buyer
        .delete(&format!("/api/orders/{}", p.order_id()))
        .await;
    let response = pay(&p.buyer, p.order_id(), "tok_visa").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Cannot pay for a cancelled order".into(), None)]
    );
}

#[tokio::test]
async fn requires_an_order_id_and_a_token() {
    let (client, _) = TestClient::signed_up().await;
    let response = client.post_json("/api/payments", json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let fields: Vec<_> = errors(response).await.into_iter().map(|(_, f)| f).collect();
    assert_eq!(fields, [Some("orderId".into()), Some("token".into())]);
}

#[tokio::test]
async fn returns_a_201_with_valid_inputs_charging_the_price_in_cents() {
    let p = Purchase::new(json!(42.5)).await;
    let response = pay(&p.buyer, p.order_id(), "tok_visa").await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let payment: Value = response.json().await.unwrap();
    assert_eq!(
        (payment["orderId"].clone(), payment["status"].clone()),
        (json!(p.order_id()), json!("succeeded"))
    );
    assert_eq!(
        (payment["amountCents"].clone(), payment["currency"].clone()),
        (json!(4250), json!("usd"))
    );
    assert!(payment["id"].as_str().unwrap().starts_with("pay_"));

    let order = p
        .buyer
        .get_json(&format!("/api/orders/{}", p.order_id()))
        .await;
    assert_eq!(
        (order["status"].clone(), order["paymentId"].clone()),
        (json!("complete"), payment["id"].clone())
    );
    let listed = p
        .buyer
        .get_json(&format!("/api/payments?orderId={}", p.order_id()))
        .await;
    assert_eq!(listed, json!([payment]));
}

#[tokio::test]
async fn a_paid_ticket_is_sold_for_good() {
    let p = Purchase::new(json!(10)).await;
    assert_eq!(
        pay(&p.buyer, p.order_id(), "pm_card_visa").await.status(),
        StatusCode::CREATED
    );
    let ticket_path = format!("/api/tickets/{}", p.ticket_id);
    let ticket = p.seller.get_json(&ticket_path).await;
    assert_eq!(
        (ticket["sold"].clone(), ticket["orderId"].clone()),
        (json!(true), Value::Null)
    );
    let (late_buyer, _) = TestClient::signed_up().await;
    assert_eq!(
        errors(late_buyer.place_order(&p.ticket_id).await).await,
        [("Ticket is already reserved".into(), None)]
    );
    let edit = p
        .seller
        .put_json(&ticket_path, json!({"title": "Again", "price": 5}))
        .await;
    assert_eq!(
        errors(edit).await,
        [("Cannot edit a sold ticket".into(), None)]
    );
    let cancel = p
        .buyer
        .delete(&format!("/api/orders/{}", p.order_id()))
        .await;
    assert_eq!(
        errors(cancel).await,
        [("Cannot cancel a completed order".into(), None)]
    );
    let again = pay(&p.buyer, p.order_id(), "tok_visa").await;
    assert_eq!(
        errors(again).await,
        [("This order has already been paid".into(), None)]
    );
    // The read models follow: sold, never offered again; the buyer's list says complete.
    let id = p.ticket_id.clone();
    eventually(
        Duration::from_secs(3),
        "the sale in the tickets list",
        || async {
            listed_ticket(&p.seller, "", &id)
                .await
                .filter(|t| t["sold"] == true)
        },
    )
    .await;
    assert!(listed_ticket(&p.seller, "&available=true", &id)
        .await
        .is_none());
    eventually(
        Duration::from_secs(3),
        "the buyer's list to say complete",
        || async {
            (p.buyer.get_json("/api/orders").await[0]["status"] == "complete").then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_declined_card_is_402_and_the_order_stays_payable() {
    let p = Purchase::new(json!(10)).await;
    let declined = pay(&p.buyer, p.order_id(), "tok_chargeDeclined").await;
    assert_eq!(declined.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        errors(declined).await,
        [("Your card was declined.".into(), None)]
    );
    assert_eq!(
        p.buyer
            .get_json(&format!("/api/orders/{}", p.order_id()))
            .await["status"],
        "created"
    );
    assert_eq!(
        p.buyer
            .get_json(&format!("/api/payments?orderId={}", p.order_id()))
            .await,
        json!([])
    );
    assert_eq!(
        pay(&p.buyer, p.order_id(), "tok_visa").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn ten_concurrent_pay_requests_charge_once_and_return_the_same_payment() {
    let p = Purchase::new(json!(30)).await;
    let mut ids = pay_concurrently(&p, "pay-button", 10).await;
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let payments = p
        .buyer
        .get_json(&format!("/api/payments?orderId={}", p.order_id()))
        .await;
    assert_eq!(
        payments.as_array().unwrap().len(),
        1,
        "one charge: {payments}"
    );
}

#[tokio::test]
async fn the_webhook_is_not_open_without_its_secret() {
    // The local-provider stack has no STRIPE_WEBHOOK_SECRET: every delivery is refused.
    let response = TestClient::anonymous()
        .post_json(
            "/api/payments/webhook",
            json!({"id": "evt_1", "type": "payment_intent.succeeded"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
