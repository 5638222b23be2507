//! The live ticket page in the browser: two parties, one watching the page,
//! the other holding the ticket until the short window expires it.
//!
//! Stack: expiry (see scripts/test.sh): a 3-second payment window.

use e2e::browser::{one_journey_at_a_time, Browser};
use e2e::{base_url, eventually_within, now_ms, TestUser};
use fantoccini::Locator;
use serde_json::json;
use std::time::{Duration, Instant};

/// How soon the page must show a change, plus the time one look takes.
const WITHIN: Duration = Duration::from_millis(1_000);

/// The status text and whether Purchase is enabled, as the page shows them now.
async fn shown(browser: &Browser) -> (String, bool) {
    let status = browser.text("[data-testid=ticket-status]").await;
    let purchase = browser
        .client
        .find(Locator::Css("[data-testid=purchase]"))
        .await
        .expect("the Purchase button");
    let enabled = purchase.is_enabled().await.expect("enabled?");
    (status, enabled)
}

async fn within_a_second(browser: &Browser, what: &str, wanted: (&str, bool)) -> Duration {
    let started = Instant::now();
    eventually_within(what, WITHIN, || async {
        let (status, enabled) = shown(browser).await;
        (status == wanted.0 && enabled == wanted.1).then_some(())
    })
    .await;
    started.elapsed()
}

#[tokio::test]
async fn an_open_ticket_page_follows_a_hold_its_expiry_and_a_price_change() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let seller = TestUser::signed_up().await;
    let holder = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Live seats", json!(20)).await;

    // A signed-in visitor opens the ticket page and leaves it open.
    let watcher = Browser::launch().await;
    watcher.sign_up(&base).await;
    watcher.goto(&format!("{base}/tickets/{}", ticket.id)).await;
    assert_eq!(shown(&watcher).await, ("Available".into(), true));
    watcher.assert_content_policy_holds().await;
    // No need to wait for the page's socket: a hold made before it opens
    // arrives as the state it is sent first.
    // Someone else holds it: the page says so and Purchase goes grey, no reload.
    let order = holder.reserve(&ticket.id).await;
    within_a_second(&watcher, "Reserved on the open page", ("Reserved", false)).await;
    let held_until = watcher.text("[data-testid=held-until]").await;
    assert!(held_until.starts_with("until "), "{held_until:?}");

    // The hold expires: the page offers the ticket again.
    e2e::wait_until(order.expires_at_ms()).await;
    let late = within_a_second(
        &watcher,
        "Available again after the expiry",
        ("Available", true),
    )
    .await;
    assert!(
        now_ms() - order.expires_at_ms() < 2_000,
        "shown {late:?} after looking"
    );

    // The seller changes the price: the open page shows it.
    let edited = seller
        .update_ticket(&ticket.id, "Live seats", json!(35))
        .await;
    assert!(edited.status().is_success());
    eventually_within("the new price on the open page", WITHIN, || async {
        (watcher.text("[data-testid=ticket-price]").await == "$35.00").then_some(())
    })
    .await;
    watcher
        .screenshot("../../target/browser-live-ticket.png")
        .await;
    watcher.close().await;
}

#[tokio::test]
async fn an_open_order_page_moves_on_at_the_deadline_and_when_paid_in_another_tab() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    e2e::stripe_stub::StripeStub::shared(); // this stack pays through the Stripe stub
    let seller = TestUser::signed_up().await;
    let expiring = seller.create_ticket("Deadline", json!(20)).await;
    let paid = seller.create_ticket("Paid elsewhere", json!(20)).await;

    let buyer = Browser::launch().await;
    buyer.sign_up(&base).await;
    let tab = buyer.session_client().await;

    // Left open past its deadline: it shows the expiry the moment the server
    // applies it (before the page's own refresh, a second after the deadline).
    buyer.goto(&format!("{base}/tickets/{}", expiring.id)).await;
    buyer.click("[data-testid=purchase]").await;
    buyer.text("[data-testid=countdown]").await;
    let orders = tab.orders().await;
    let expires_at = e2e::iso_to_unix_ms(orders[0]["expiresAt"].as_str().expect("expiresAt"));
    e2e::wait_until(expires_at).await;
    eventually_within(
        "Order expired, from the server",
        Duration::from_millis(900),
        || async {
            let shown = buyer.text("[data-testid=order-status]").await;
            (shown == "Cancelled (expired)").then_some(())
        },
    )
    .await;

    // Paid in another tab: the open order page shows the receipt at once.
    buyer.goto(&format!("{base}/tickets/{}", paid.id)).await;
    buyer.click("[data-testid=purchase]").await;
    buyer.text("[data-testid=countdown]").await;
    let order = e2e::OrderId::of(
        &json!({"id": buyer.client.current_url().await.unwrap().path().trim_start_matches("/orders/")}),
    );
    let started = Instant::now();
    assert_eq!(
        tab.pay(&order, "tok_visa").await.status(),
        reqwest::StatusCode::CREATED
    );
    eventually_within("the receipt on the open page", WITHIN, || async {
        buyer.has("[data-testid=receipt]").await.then_some(())
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    buyer.close().await;
}
