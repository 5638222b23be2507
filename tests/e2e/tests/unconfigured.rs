//! A deploy with the committed settings (`PAYMENT_PROVIDER = "stripe"`) whose
//! `STRIPE_SECRET_KEY` secret was never set: every payment is refused with 503
//! and changes nothing; nothing falls back to the local provider, which would
//! approve test cards with no money moving.
//!
//! Stack: release (see scripts/test.sh): the release build, with the
//! committed settings and no Stripe secret.

use e2e::errors;
use e2e::purchase::Purchase;
use reqwest::StatusCode;
use serde_json::{json, Value};

const NOT_CONFIGURED: &str = "Payments are not configured";

#[tokio::test]
async fn a_test_card_is_refused_with_503_and_nothing_changes() {
    let p = Purchase::new(json!(20)).await;
    let before = p.order_now().await;
    for token in ["tok_visa", "pm_card_visa"] {
        let response = p.pay(token).await;
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{token}"
        );
        assert_eq!(errors(response).await, [(NOT_CONFIGURED.into(), None)]);
    }
    assert_eq!(p.order_now().await, before, "the order is untouched");
    assert_eq!(before["status"], "created");
    let ticket = p.ticket_now().await;
    assert_eq!(
        ticket["orderId"], p.order.id,
        "the ticket is still reserved"
    );
    assert_eq!(ticket["sold"], false);
    assert_eq!(p.payments().await, Vec::<Value>::new());
}

#[tokio::test]
async fn the_pay_form_offers_no_test_card_and_shows_the_refusal() {
    let p = Purchase::new(json!(20)).await;
    let page_path = format!("/orders/{}", p.order.id);
    let page = p.buyer.get(&page_path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"data-testid="pay""#), "a pay form: {html}");
    for absent in ["tok_visa", "tok_chargeDeclined", "Test cards"] {
        assert!(!html.contains(absent), "{absent} offered: {html}");
    }

    let attempt = uuid::Uuid::new_v4().to_string();
    let paid = p
        .buyer
        .http
        .post(p.buyer.url(&format!("{page_path}/pay")))
        .form(&[("token", "tok_visa"), ("attempt", attempt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = paid.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"data-testid="payment-error">{NOT_CONFIGURED}</p>"#
        )),
        "{html}"
    );
    assert_eq!(p.order_now().await["status"], "created");
}
