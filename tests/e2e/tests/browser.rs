//! The browser journey: real Chromium against the running stack, forms without JavaScript.

use e2e::browser::Browser;
use e2e::{base_url, unique_email, PASSWORD};

#[tokio::test]
async fn a_visitor_signs_up_signs_out_and_signs_in_again() {
    let base = base_url();
    let browser = Browser::launch().await;
    let email = unique_email();

    // A bad email shows its error next to the field and keeps what was typed.
    browser.goto(&format!("{base}/auth/signup")).await;
    browser.fill("#email", "not-an-email").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].primary").await;
    assert_eq!(browser.text("#email-error").await, "Email must be valid");
    let kept = browser
        .client
        .find(fantoccini::Locator::Css("#email"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("not-an-email"));

    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].primary").await;
    assert_eq!(browser.text("[data-testid=signed-in-as]").await, email);
    browser
        .screenshot("../../target/browser-signed-in.png")
        .await;

    browser.click(".site-header button.link").await;
    browser.text("a[href='/auth/signin']").await;
    assert!(
        !browser.has("[data-testid=signed-in-as]").await,
        "signed out"
    );

    browser.goto(&format!("{base}/auth/signin")).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].primary").await;
    assert_eq!(browser.text("[data-testid=signed-in-as]").await, email);
    browser.close().await;
}
