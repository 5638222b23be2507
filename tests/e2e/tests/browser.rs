//! The browser journey: real Chromium against the running stack, forms without JavaScript.
//!
//! Stack: api (see scripts/test.sh)

use e2e::browser::{one_journey_at_a_time, Browser};
use e2e::{base_url, eventually, unique_email, OrderId, TestUser, PASSWORD};
use fantoccini::Locator;
use reqwest::{header, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_visitor_signs_up_signs_out_and_signs_in_again() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let browser = Browser::launch().await;
    let email = unique_email();

    // A bad email shows its error next to the field and keeps what was typed.
    browser.goto(&format!("{base}/auth/signup")).await;
    browser.fill("#email", "not-an-email").await;
    browser.fill("#password", PASSWORD).await;
    browser.click("button[type=submit].primary").await;
    assert_eq!(browser.text("#email-error").await, "Email must be valid");
    browser.assert_content_policy_holds().await;
    let kept = browser
        .client
        .find(Locator::Css("#email"))
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

/// The value of an input, as the browser holds it.
async fn input_value(browser: &Browser, css: &str) -> Option<String> {
    let field = browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.prop("value").await.expect("value")
}

async fn current_path(browser: &Browser) -> String {
    browser
        .client
        .current_url()
        .await
        .expect("current URL")
        .path()
        .to_string()
}

#[tokio::test]
async fn a_seller_lists_a_ticket_and_a_buyer_reserves_it_then_cancels() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let title = format!("Concert {}", uuid::Uuid::new_v4().simple());

    // The seller: a bad price is shown next to its field, with the title kept.
    let seller = Browser::launch().await;
    seller.sign_up(&base).await;
    seller.click("a[href='/tickets/new']").await;
    seller.text("#price").await;
    seller.fill("#title", &title).await;
    seller.fill("#price", "-5").await;
    seller.click("button[type=submit].primary").await;
    assert_eq!(
        seller.text("#price-error").await,
        "Price must be greater than 0"
    );
    assert!(!seller.has("#title-error").await, "the title was fine");
    assert_eq!(input_value(&seller, "#title").await, Some(title.clone()));

    seller.fill("#price", "12.5").await;
    seller.click("button[type=submit].primary").await;
    assert_eq!(seller.text("[data-testid=ticket-title]").await, title);
    assert_eq!(seller.text("[data-testid=ticket-price]").await, "$12.50");
    assert_eq!(
        seller.text("[data-testid=ticket-status]").await,
        "Available"
    );
    assert!(seller.has("[data-testid=edit]").await, "the owner may edit");
    assert!(!seller.has("[data-testid=purchase]").await, "nor buy it");
    let ticket_path = current_path(&seller).await;
    assert!(
        ticket_path.starts_with("/tickets/") && ticket_path != "/tickets/new",
        "landed on {ticket_path}"
    );

    // The buyer, in a session of their own, reserves it...
    let buyer = Browser::launch().await;
    buyer.sign_up(&base).await;
    buyer.goto(&format!("{base}{ticket_path}")).await;
    assert_eq!(buyer.text("[data-testid=ticket-title]").await, title);
    buyer.click("[data-testid=purchase]").await;
    let countdown = buyer.text("[data-testid=countdown]").await;
    assert!(countdown.ends_with("seconds left to pay"), "{countdown}");
    let seconds: u32 = buyer
        .text("#seconds-left")
        .await
        .parse()
        .expect("a number of seconds");
    assert!(seconds > 0, "{seconds} seconds left");
    assert_eq!(buyer.text("[data-testid=order-status]").await, "Created");
    let order_path = current_path(&buyer).await;
    assert!(order_path.starts_with("/orders/"), "landed on {order_path}");
    buyer.screenshot("../../target/browser-order.png").await;

    // ...then cancels, which frees the ticket again.
    buyer.click("[data-testid=cancel-order]").await;
    assert_eq!(
        buyer.text("[data-testid=order-outcome]").await,
        "Order cancelled"
    );
    assert_eq!(buyer.text("[data-testid=order-status]").await, "Cancelled");
    assert!(!buyer.has("[data-testid=countdown]").await);
    assert_eq!(current_path(&buyer).await, order_path);
    buyer.goto(&format!("{base}{ticket_path}")).await;
    assert_eq!(buyer.text("[data-testid=ticket-status]").await, "Available");
    buyer.goto(&format!("{base}/orders")).await;
    let listed = buyer.text("[data-testid=order-row]").await;
    assert!(
        listed.starts_with(&title) && listed.ends_with("Cancelled"),
        "at once: {listed}"
    );

    buyer.close().await;
    seller.close().await;
}

/// Lists a ticket through the sell form; the ticket's path.
async fn list_a_ticket(seller: &Browser, title: &str, price: &str) -> String {
    seller.click("a[href='/tickets/new']").await;
    seller.text("#price").await;
    seller.fill("#title", title).await;
    seller.fill("#price", price).await;
    seller.click("button[type=submit].primary").await;
    assert_eq!(seller.text("[data-testid=ticket-title]").await, title);
    let ticket_path = current_path(seller).await;
    assert!(
        ticket_path.starts_with("/tickets/") && ticket_path != "/tickets/new",
        "landed on {ticket_path}"
    );
    ticket_path
}

/// Whether the start page offers the ticket at `ticket_path`, on any of its
/// pages: other tests list tickets too, so it may be past the first.
async fn on_the_start_page(browser: &Browser, base: &str, ticket_path: &str) -> bool {
    let mut page = format!("{base}/");
    loop {
        browser.goto(&page).await;
        browser.text("#for-sale").await;
        if browser.has(&format!("a[href='{ticket_path}']")).await {
            return true;
        }
        let Ok(next) = browser.client.find(Locator::Css("a[rel=next]")).await else {
            return false;
        };
        let href = next.attr("href").await.expect("href").expect("a link");
        page = format!("{base}{href}");
    }
}

#[tokio::test]
async fn a_buyer_pays_and_the_ticket_is_sold() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let title = format!("Opera {}", uuid::Uuid::new_v4().simple());

    let seller = Browser::launch().await;
    seller.sign_up(&base).await;
    let ticket_path = list_a_ticket(&seller, &title, "20").await;
    // The seller sees their new listing on the start page at once, whatever
    // the queue's delay.
    assert!(
        on_the_start_page(&seller, &base, &ticket_path).await,
        "the new listing at once"
    );

    // For sale: on the start page and buyable.
    let buyer = Browser::launch().await;
    buyer.sign_up(&base).await;
    assert!(on_the_start_page(&buyer, &base, &ticket_path).await);
    buyer.goto(&format!("{base}{ticket_path}")).await;
    assert_eq!(buyer.text("[data-testid=ticket-status]").await, "Available");
    assert_eq!(buyer.text("[data-testid=ticket-title]").await, title);
    buyer.click("[data-testid=purchase]").await;
    assert_eq!(buyer.text("[data-testid=pay]").await, "Pay $20.00");
    assert_eq!(
        input_value(&buyer, "#token").await.as_deref(),
        Some("tok_visa")
    );
    let order_path = current_path(&buyer).await;
    assert!(order_path.starts_with("/orders/"), "landed on {order_path}");
    // The order page runs its countdown script under the policy.
    buyer.assert_content_policy_holds().await;
    let seconds_left = || async {
        let text = buyer.text("#seconds-left").await;
        text.parse::<u32>().unwrap_or_else(|_| panic!("{text:?}"))
    };
    let served = seconds_left().await;
    eventually("the countdown script to tick", || async {
        (seconds_left().await < served).then_some(())
    })
    .await;

    // A declined card: the reason above the form, the token kept, the order still payable.
    buyer.fill("#token", "tok_chargeDeclined").await;
    buyer.click("[data-testid=pay]").await;
    assert_eq!(
        buyer.text("[data-testid=payment-error]").await,
        "Your card was declined."
    );
    assert_eq!(
        input_value(&buyer, "#token").await.as_deref(),
        Some("tok_chargeDeclined")
    );
    assert_eq!(buyer.text("[data-testid=order-status]").await, "Created");

    // A good card: back on the order, now with its receipt and nothing left to do.
    buyer.fill("#token", "tok_visa").await;
    buyer.click("[data-testid=pay]").await;
    let receipt = buyer.text("[data-testid=receipt]").await;
    assert!(
        receipt.starts_with("Paid $20.00 — payment "),
        "receipt: {receipt}"
    );
    assert_eq!(buyer.text("[data-testid=order-status]").await, "Complete");
    assert_eq!(current_path(&buyer).await, order_path);
    for gone in ["countdown", "cancel-order", "pay", "payment-error"] {
        let css = format!("[data-testid={gone}]");
        assert!(!buyer.has(&css).await, "{gone} on a paid order");
    }
    buyer.screenshot("../../target/browser-paid.png").await;

    // The start page stops offering it once the read model has caught up.
    eventually("the sold ticket to leave the start page", || async {
        (!on_the_start_page(&buyer, &base, &ticket_path).await).then_some(())
    })
    .await;

    // The buyer's list says so at once (a read model, read through for
    // the buyer's live orders).
    buyer.goto(&format!("{base}/orders")).await;
    let listed = buyer.text("[data-testid=order-row]").await;
    assert!(
        listed.starts_with(&title) && listed.contains("$") && listed.ends_with("Complete"),
        "{listed}"
    );

    buyer.goto(&format!("{base}{ticket_path}")).await;
    assert_eq!(buyer.text("[data-testid=ticket-status]").await, "Sold");
    assert!(
        !buyer.has("[data-testid=purchase]").await,
        "sold: no Purchase"
    );

    buyer.close().await;
    seller.close().await;
}

#[tokio::test]
async fn one_pay_form_submitted_twice_is_one_payment() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Double click", json!(30)).await;

    let buyer = Browser::launch().await;
    buyer.sign_up(&base).await;
    buyer.goto(&format!("{base}/tickets/{}", ticket.id)).await;
    buyer.click("[data-testid=purchase]").await;
    assert_eq!(buyer.text("[data-testid=pay]").await, "Pay $30.00");
    let order_path = current_path(&buyer).await;
    let order = OrderId(
        order_path
            .strip_prefix("/orders/")
            .expect(&order_path)
            .into(),
    );
    // The rendered form: its one attempt id, and the card it pays with.
    let attempt = buyer
        .client
        .find(Locator::Css("form input[name=attempt]"))
        .await
        .expect("the pay form's attempt")
        .attr("value")
        .await
        .expect("value")
        .expect("an attempt id");
    assert!(uuid::Uuid::parse_str(&attempt).is_ok(), "{attempt:?}");
    let token = input_value(&buyer, "#token").await.expect("a token");

    // Submitted once by the browser...
    buyer.click("[data-testid=pay]").await;
    let receipt = buyer.text("[data-testid=receipt]").await;
    let as_buyer = buyer.session_client().await;
    let payments = as_buyer.payments(&order).await;
    assert_eq!(payments.len(), 1, "{payments:?}");
    let payment_id = payments[0]["id"]
        .as_str()
        .expect("a payment id")
        .to_string();
    assert!(receipt.ends_with(&payment_id), "receipt: {receipt}");

    // ...and the same form posted again (a double click, a resent POST): taken
    // as the same payment, back to the paid order, nothing charged twice.
    let pay_path = format!("{order_path}/pay");
    let resubmit = |attempt: String| {
        as_buyer
            .http
            .post(as_buyer.url(&pay_path))
            .header(header::ORIGIN, base.as_str())
            .form(&[("attempt", attempt), ("token", token.clone())])
            .send()
    };
    let again = resubmit(attempt.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(again.headers()[header::LOCATION], order_path.as_str());
    assert_eq!(as_buyer.payments(&order).await, payments, "one payment");

    // A form rendered anew is another attempt: refused, the order being paid.
    let other = resubmit(uuid::Uuid::new_v4().to_string()).await.unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    let page = other.text().await.unwrap();
    assert!(page.contains("This order has already been paid"), "{page}");
    assert_eq!(
        as_buyer.payments(&order).await,
        payments,
        "still one payment"
    );
    assert_eq!(
        as_buyer.order(&order).await["paymentId"],
        payment_id.as_str()
    );

    buyer.close().await;
}

#[tokio::test]
async fn a_seller_lists_for_an_event_a_buyer_finds_it_and_the_seller_withdraws_it() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (event, venue) = (format!("Jazz night {tag}"), format!("Blue Note {tag}"));

    // The sell form names the event; the ticket page shows it, priced in dollars.
    let seller = Browser::launch().await;
    seller.sign_up(&base).await;
    seller.click("a[href='/tickets/new']").await;
    seller.text("#price").await;
    seller.fill("#title", "Table for two").await;
    seller.fill("#price", "45").await;
    seller.fill("[name='event.name']", &event).await;
    seller.fill("[name='event.venue']", &venue).await;
    // A datetime-local input takes its value in this form whatever the locale.
    seller
        .client
        .execute(
            "document.querySelector(\"[name='event.startsAt']\").value = '2030-06-01T20:00'",
            vec![],
        )
        .await
        .expect("set the start");
    seller.click("button[type=submit].primary").await;
    assert_eq!(seller.text("[data-testid=ticket-event]").await, event);
    assert_eq!(seller.text("[data-testid=ticket-price]").await, "$45.00");
    let ticket_path = current_path(&seller).await;

    // A buyer searches by venue with the form (no script), sorted by price,
    // sees the event, its date and the price, and opens it by its row.
    let buyer = Browser::launch().await;
    buyer.goto(&format!("{base}/")).await;
    buyer.fill("#q", &venue.to_uppercase()).await;
    buyer
        .client
        .find(Locator::Css("#sort option[value=price]"))
        .await
        .expect("the sort control")
        .click()
        .await
        .expect("choose a sort");
    buyer.click(".search button[type=submit]").await;
    let row = buyer.text("[data-testid=tickets] tbody tr").await;
    assert!(row.contains(&event) && row.contains(&venue), "{row}");
    assert!(
        row.contains("Sat 1 Jun 2030, 20:00 UTC") && row.contains("$45.00"),
        "{row}"
    );
    let url = buyer.client.current_url().await.expect("url");
    assert!(
        url.query().is_some_and(|q| q.contains("sort=price")),
        "{url}"
    );
    buyer.assert_content_policy_holds().await;
    buyer.set_window_size(390, 844).await;
    buyer
        .screenshot("../../target/browser-search-phone.png")
        .await;
    buyer.set_window_size(1200, 900).await;
    buyer.screenshot("../../target/browser-search.png").await;
    // The date cell is not a link, yet what a click there lands on is the
    // title's link: it covers the whole row.
    let under_the_date = buyer
        .client
        .execute(
            "const r = document.querySelector('[data-testid=tickets] tbody tr td:nth-child(3)').getBoundingClientRect();
             return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2).getAttribute('href');",
            vec![],
        )
        .await
        .expect("what the date cell's middle is");
    assert_eq!(under_the_date, json!(ticket_path));
    buyer
        .click("[data-testid=tickets] tbody tr a.row-link")
        .await;
    assert_eq!(buyer.text("[data-testid=ticket-event]").await, event);
    assert_eq!(current_path(&buyer).await, ticket_path);

    // The seller withdraws it: gone from the search, shown on /selling.
    seller.click("[data-testid=withdraw]").await;
    assert_eq!(
        seller.text("[data-testid=ticket-status]").await,
        "Withdrawn"
    );
    buyer.goto(&format!("{base}/?q={tag}")).await;
    assert!(buyer
        .text("[data-testid=no-tickets]")
        .await
        .contains("No tickets match"));
    seller.click("a[href='/selling']").await;
    let listing = seller.text("[data-testid=listings] tbody tr").await;
    assert!(
        listing.contains("Table for two") && listing.contains("Withdrawn"),
        "{listing}"
    );
    assert_eq!(seller.text("[data-testid=listed]").await, "1");
    assert_eq!(seller.text("[data-testid=sold]").await, "0");
    assert_eq!(seller.text("[data-testid=earned]").await, "$0.00");
    seller.screenshot("../../target/browser-selling.png").await;

    buyer.close().await;
    seller.close().await;
}

/// Buys the ticket at `ticket_path` through its page and the pay form (the
/// local provider's test card); answers the receipt.
async fn buy_in_the_browser(buyer: &Browser, base: &str, ticket_path: &str, pay: &str) -> String {
    buyer.goto(&format!("{base}{ticket_path}")).await;
    buyer.click("[data-testid=purchase]").await;
    assert_eq!(buyer.text("[data-testid=pay]").await, pay);
    buyer.click("[data-testid=pay]").await;
    buyer.text("[data-testid=receipt]").await
}

#[tokio::test]
async fn a_ticket_is_bought_resold_at_the_cap_and_bought_again() {
    let _journey = one_journey_at_a_time().await;
    let base = base_url();
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let event = format!("Quartet {tag}");

    // A seller lists a ticket for an event.
    let seller = Browser::launch().await;
    seller.sign_up(&base).await;
    seller.click("a[href='/tickets/new']").await;
    seller.text("#price").await;
    seller.fill("#title", "Row C").await;
    seller.fill("#price", "45").await;
    seller.fill("[name='event.name']", &event).await;
    seller.fill("[name='event.venue']", "Wigmore Hall").await;
    seller
        .client
        .execute(
            "document.querySelector(\"[name='event.startsAt']\").value = '2031-02-01T19:30'",
            vec![],
        )
        .await
        .expect("set the start");
    seller.click("button[type=submit].primary").await;
    let listing_path = current_path(&seller).await;

    // A fan buys it and finds it under My tickets, with what they paid.
    let reseller = Browser::launch().await;
    reseller.sign_up(&base).await;
    let receipt = buy_in_the_browser(&reseller, &base, &listing_path, "Pay $45.00").await;
    assert!(receipt.starts_with("Paid $45.00"), "{receipt}");
    reseller.click("a[href='/my-tickets']").await;
    let owned = eventually("the bought ticket under My tickets", || async {
        reseller.goto(&format!("{base}/my-tickets")).await;
        let row = reseller.text("main").await;
        row.contains(&event).then_some(row)
    })
    .await;
    assert!(
        owned.contains("$45.00") && owned.contains("At most $45.00"),
        "{owned}"
    );

    // Above the cap: refused next to the form, with the cap; at the cap: listed.
    let price_box = "[data-testid=my-tickets] form.resell input[name=price]";
    reseller.fill(price_box, "60").await;
    reseller.click("[data-testid=resell]").await;
    assert_eq!(
        reseller.text("[data-testid=my-tickets] .field-error").await,
        "Price must be at most $45.00 (the resale cap on what you paid)"
    );
    reseller.fill(price_box, "45").await;
    reseller.click("[data-testid=resell]").await;
    let listed = reseller.text("[data-testid=my-tickets] tbody tr").await;
    assert!(listed.contains("Available at $45.00"), "{listed}");
    reseller.set_window_size(390, 844).await;
    reseller
        .screenshot("../../target/browser-my-tickets-phone.png")
        .await;
    reseller.set_window_size(1200, 900).await;
    reseller
        .screenshot("../../target/browser-my-tickets.png")
        .await;
    let resale_path = reseller
        .client
        .find(Locator::Css("[data-testid=my-tickets] tbody tr a"))
        .await
        .expect("the ticket's link")
        .attr("href")
        .await
        .expect("href")
        .expect("a link");

    // A third user buys the resale; its history shows both sales.
    let fan = Browser::launch().await;
    fan.sign_up(&base).await;
    let receipt = buy_in_the_browser(&fan, &base, &resale_path, "Pay $45.00").await;
    assert!(receipt.starts_with("Paid $45.00"), "{receipt}");
    let theirs = eventually("the resale under the fan's tickets", || async {
        fan.goto(&format!("{base}/my-tickets")).await;
        fan.client
            .find(Locator::Css("[data-testid=my-tickets] tbody tr a"))
            .await
            .ok()
    })
    .await;
    theirs.click().await.expect("open the ticket");
    let history = fan.text("[data-testid=custody] tbody").await;
    assert_eq!(history.matches("$45.00").count(), 2, "{history}");
    assert!(history.contains("You"), "{history}");
    assert!(fan.has("[data-testid=owned]").await);
    fan.screenshot("../../target/browser-ticket-history.png")
        .await;

    // Both sellers see their sale and what it earned.
    for (who, browser) in [("seller", &seller), ("reseller", &reseller)] {
        let earned = eventually(&format!("the {who}'s sale on /selling"), || async {
            browser.goto(&format!("{base}/selling")).await;
            let sold = browser.text("[data-testid=sold]").await;
            (sold == "1").then_some(browser.text("[data-testid=earned]").await)
        })
        .await;
        assert_eq!(earned, "$45.00", "{who}");
        let row = browser.text("[data-testid=listings] tbody tr").await;
        assert!(
            row.contains("Sold") && row.contains("Row C"),
            "{who}: {row}"
        );
    }
    seller
        .screenshot("../../target/browser-selling-sold.png")
        .await;

    fan.close().await;
    reseller.close().await;
    seller.close().await;
}
