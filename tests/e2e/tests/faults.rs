//! Faults injected into the real stack (test builds only, Cargo feature
//! `test-hooks`): the system ends exact once the fault clears.
//!
//! Stack: faults (see scripts/test.sh)

use e2e::{eventually, TestClient, TestUser};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Instant;
use tokio::sync::Mutex;

/// A worker's fault switches count down on any event or call, not only this
/// test's: the tests of this file run one at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

/// Arms `service`'s fault switches (`edge::faults`); answers what is armed.
async fn fail_next(service: &str, faults: Value) -> Value {
    let response = TestClient::anonymous()
        .post_json(&format!("/api/{service}/_test/fail-next"), faults)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "arming {service}");
    response.json().await.expect("JSON")
}

async fn faults_left(service: &str) -> Value {
    TestClient::anonymous()
        .get_json(&format!("/api/{service}/_test/fail-next"))
        .await
}

/// Waits for the dead letter of `subject` about `aggregate_id` in `service`.
async fn dead_letter(service: &str, subject: &str, aggregate_id: &str) -> Value {
    let admin = TestClient::admin();
    eventually(
        &format!("the {subject} event to become a dead letter"),
        || async {
            let listed = admin
                .get_json(&format!("/api/{service}/admin/dead-letters"))
                .await;
            listed["deadLetters"]
                .as_array()?
                .iter()
                .find(|d| {
                    d["message"]["subject"] == subject && d["message"]["data"]["id"] == aggregate_id
                })
                .cloned()
        },
    )
    .await
}

/// A queue in trouble: the ticket's object fails its next 4 event sends (the
/// hold's two events, twice). The events stay in its outbox and go again
/// with backoff (1 s, then 1 s, 2 s, 4 s …), so the list ends up exact; the
/// object itself answers right all along.
#[tokio::test]
async fn events_that_fail_to_send_are_sent_again_until_the_list_is_exact() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Flaky queue", json!(40)).await;
    eventually("the new ticket listed", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;
    let armed = seller
        .post_json(
            "/api/tickets/_test/faults",
            json!({ "ticketId": ticket.id.as_str(), "failNextSends": 4 }),
        )
        .await;
    assert_eq!(armed.status(), StatusCode::ACCEPTED);

    let buyer = TestUser::signed_up().await;
    let reserved_at = Instant::now();
    let order = buyer.reserve(&ticket.id).await;
    // The source of truth knows at once, and keeps serving while sends fail.
    assert_eq!(seller.ticket(&ticket.id).await["orderId"], order.id);

    eventually("the list to show the hold", || async {
        let listed = seller.listed_ticket("", &ticket.id).await?;
        (listed["orderId"] == order.id).then_some(())
    })
    .await;
    let waited = reserved_at.elapsed();
    println!("the hold reached the list after {waited:?} (4 failed sends)");
    assert!(
        waited.as_millis() >= 2_000,
        "sent again only after backing off: {waited:?}"
    );
    // And the sends that follow go at once again (the backoff was reset).
    assert_eq!(
        buyer.cancel_order(&order.id).await.status(),
        StatusCode::NO_CONTENT
    );
    eventually("the list to show it free", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;
}

/// D1 in trouble: each consumer fails its next 2 writes. They are retried
/// after a delay (1 s, then 2 s), so the lists, "my orders" and the payments
/// end exact, each fault having fired.
#[tokio::test]
async fn consumer_writes_that_fail_are_retried_until_every_read_model_is_exact() {
    let _serial = SERIAL.lock().await;
    for service in ["tickets", "orders", "payments"] {
        fail_next(service, json!({ "consumerWrites": 2 })).await;
    }
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Flaky database", json!(25)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );

    eventually("the list to show the ticket sold", || async {
        let listed = seller.listed_ticket("", &ticket.id).await?;
        (listed["sold"] == true).then_some(())
    })
    .await;
    eventually("my orders to show it paid", || async {
        let mine = buyer.orders().await;
        let listed = mine.iter().find(|o| o["id"] == order.id)?;
        (listed["status"] == "complete").then_some(())
    })
    .await;
    assert_eq!(buyer.payments(&order.id).await.len(), 1, "one charge");
    // Payments wrote its row when it charged; its consumer's retried write
    // of payment:created (the backstop) comes when the event does.
    for service in ["tickets", "orders", "payments"] {
        eventually(
            &format!("every injected fault of {service} to fire"),
            || async { (faults_left(service).await["consumerWrites"] == 0).then_some(()) },
        )
        .await;
    }
    assert_eq!(buyer.payments(&order.id).await.len(), 1, "still one");
}

/// A consumer that keeps failing gives the event up (after seconds in this
/// stack, DEAD_LETTER_AFTER_SECONDS) to its dead-letter queue, whose consumer
/// keeps it with its error. Meanwhile the list is wrong (a hold's
/// ticket:updated never landed: it offers a held ticket); the operator
/// redrives the event once the fault has cleared, and the list is exact. A
/// second redrive sends nothing.
#[tokio::test]
async fn an_event_that_keeps_failing_becomes_a_dead_letter_that_can_be_redriven() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Dead letter", json!(30)).await;
    let buyer = TestUser::signed_up().await;

    fail_next("tickets", json!({ "consumerWrites": 1_000_000 })).await;
    let order = buyer.reserve(&ticket.id).await;
    let dead = dead_letter("tickets", "ticket:updated", ticket.id.as_str()).await;
    fail_next("tickets", json!({ "consumerWrites": 0 })).await;
    assert_eq!(dead["queue"], "ticket-events");
    assert!(
        dead["error"]
            .as_str()
            .unwrap_or_default()
            .contains("injected fault"),
        "the consumer's error is kept: {dead}"
    );
    assert_eq!(dead["redrivenAt"], Value::Null);
    let stale = seller.listed_ticket("", &ticket.id).await.expect("listed");
    assert_eq!(
        stale["orderId"],
        Value::Null,
        "drifted: the hold is missing"
    );

    let redriven = redrive("tickets", json!([dead["id"]])).await;
    assert_eq!(redriven, 1);
    eventually("the list to show the hold", || async {
        let listed = seller.listed_ticket("", &ticket.id).await?;
        (listed["orderId"] == order.id).then_some(())
    })
    .await;
    assert_eq!(
        redrive("tickets", json!([dead["id"]])).await,
        0,
        "sent once"
    );
    let kept = listed_dead_letter("tickets", &dead["id"]).await;
    assert_ne!(kept["redrivenAt"], Value::Null, "marked redriven");
}

/// The orders and payments consumers keep their dead letters the same way
/// (their own queue, table and admin route). "My orders" stays right
/// meanwhile: a buyer's live orders are read from their objects.
#[tokio::test]
async fn the_orders_and_payments_consumers_keep_their_dead_letters_too() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Dead letters", json!(35)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;

    fail_next("orders", json!({ "consumerWrites": 1_000_000 })).await;
    fail_next("payments", json!({ "consumerWrites": 1_000_000 })).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    let completed = dead_letter("orders", "order:completed", order.id.as_str()).await;
    let payment = eventually("the payment:created dead letter", || async {
        let admin = TestClient::admin();
        let listed = admin.get_json("/api/payments/admin/dead-letters").await;
        listed["deadLetters"]
            .as_array()?
            .iter()
            .find(|d| d["message"]["data"]["orderId"] == order.id)
            .cloned()
    })
    .await;
    fail_next("orders", json!({ "consumerWrites": 0 })).await;
    fail_next("payments", json!({ "consumerWrites": 0 })).await;
    assert_eq!(payment["queue"], "payment-events");
    let mine = buyer.orders().await;
    let listed = mine.iter().find(|o| o["id"] == order.id).expect("listed");
    assert_eq!(listed["status"], "complete", "read from its object");

    assert_eq!(redrive("orders", json!([completed["id"]])).await, 1);
    assert_eq!(
        redrive("payments", json!({}))
            .await
            .as_u64()
            .map(|n| n >= 1),
        Some(true)
    );
    assert_eq!(redrive("orders", json!([completed["id"]])).await, 0);
}

async fn redrive(service: &str, ids: Value) -> Value {
    let body = if ids.is_array() {
        json!({ "ids": ids })
    } else {
        ids
    };
    let response = TestClient::admin()
        .post_json(&format!("/api/{service}/admin/dead-letters/redrive"), body)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json::<Value>().await.expect("JSON")["redriven"].clone()
}

async fn listed_dead_letter(service: &str, id: &Value) -> Value {
    let listed = TestClient::admin()
        .get_json(&format!("/api/{service}/admin/dead-letters"))
        .await;
    listed["deadLetters"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["id"] == *id)
        .cloned()
        .expect("still listed")
}

/// The admin routes are the operator's: no token or a wrong one is refused
/// and changes nothing.
#[tokio::test]
async fn the_admin_routes_want_the_admin_token() {
    let stranger = TestUser::signed_up().await;
    for service in ["tickets", "orders", "payments"] {
        let path = format!("/api/{service}/admin/dead-letters");
        assert_eq!(stranger.get(&path).await.status(), StatusCode::UNAUTHORIZED);
        let redrive = stranger
            .post_json(&format!("{path}/redrive"), json!({}))
            .await;
        assert_eq!(redrive.status(), StatusCode::UNAUTHORIZED);
    }
    let republish = stranger
        .post_json("/api/tickets/admin/republish", json!({ "all": true }))
        .await;
    assert_eq!(republish.status(), StatusCode::UNAUTHORIZED);
    let bad = TestClient::admin()
        .post_json("/api/tickets/admin/republish", json!({ "ticketId": 7 }))
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

/// A list that drifted (the ticket:updated of a hold died, so the list
/// offers a held ticket) is made exact from the ticket's object:
/// republishing sends the current state as ordinary versioned events.
/// Republishing what a list already has changes nothing.
#[tokio::test]
async fn republishing_repairs_a_list_from_the_ticket_objects() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Lost to the list", json!(45)).await;
    let buyer = TestUser::signed_up().await;
    fail_next("tickets", json!({ "consumerWrites": 1_000_000 })).await;
    let order = buyer.reserve(&ticket.id).await;
    let dead = dead_letter("tickets", "ticket:updated", ticket.id.as_str()).await;
    fail_next("tickets", json!({ "consumerWrites": 0 })).await;
    assert_eq!(dead["message"]["data"]["orderId"], order.id);
    let stale = seller.listed_ticket("", &ticket.id).await.expect("listed");
    assert_eq!(
        stale["orderId"],
        Value::Null,
        "drifted: the hold is missing"
    );

    let admin = TestClient::admin();
    let republish = |body: Value| {
        let admin = &admin;
        async move {
            let response = admin.post_json("/api/tickets/admin/republish", body).await;
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.expect("JSON")
        }
    };
    let answer = republish(json!({ "ticketId": ticket.id.as_str() })).await;
    assert_eq!(answer["tickets"], 1);
    assert_eq!(answer["events"], 2, "the ticket and its order");
    let listed = eventually("the list to show the hold again", || async {
        let listed = seller.listed_ticket("", &ticket.id).await?;
        (listed["orderId"] == order.id).then_some(listed)
    })
    .await;
    assert_eq!(listed["title"], "Lost to the list");

    // The walk over every known ticket, a page at a time.
    let mut after = Value::Null;
    let mut tickets = 0;
    loop {
        let page = republish(json!({ "all": true, "after": after })).await;
        tickets += page["tickets"].as_u64().expect("a count");
        if page["next"].is_null() {
            break;
        }
        after = page["next"].clone();
    }
    assert!(tickets >= 1);
    let again = seller.listed_ticket("", &ticket.id).await.expect("listed");
    assert_eq!(again["version"], listed["version"], "nothing changed");
}

/// The call that records a charge in the ticket's object fails after the
/// money moved: the order stays `awaiting:payment` (nothing can expire it
/// from under the charge), and a retry with the same Idempotency-Key
/// completes it with the one charge.
#[tokio::test]
async fn a_charge_whose_order_could_not_be_completed_is_completed_by_the_retry() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Flaky object call", json!(55)).await;
    let buyer = TestUser::signed_up().await;
    let order = buyer.reserve(&ticket.id).await;
    fail_next("payments", json!({ "settleCalls": 1 })).await;
    let key = uuid::Uuid::new_v4().to_string();

    let failed = buyer.pay_with_key(&order.id, "tok_visa", &key).await;
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(faults_left("payments").await["settleCalls"], 0);
    assert_eq!(buyer.order(&order.id).await["status"], "awaiting:payment");

    let retried = buyer.pay_with_key(&order.id, "tok_visa", &key).await;
    assert_eq!(retried.status(), StatusCode::CREATED);
    assert_eq!(buyer.order(&order.id).await["status"], "complete");
    let payments = buyer.payments(&order.id).await;
    assert_eq!(payments.len(), 1, "one charge: {payments:?}");
}

#[tokio::test]
async fn a_bought_ticket_is_issued_once_when_the_first_tries_to_create_it_fail() {
    let _serial = SERIAL.lock().await;
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let listing = seller.create_ticket("Issued late", json!(18)).await;
    let order = buyer.reserve(&listing.id).await;

    // The sale is one write in the listing's object (order complete, listing
    // sold, the new ticket in its outbox); creating the buyer's ticket is the
    // second write, done by the tickets consumer. It fails three times here.
    fail_next("tickets", json!({"consumerWrites": 3})).await;
    assert_eq!(
        buyer.pay(&order.id, "tok_visa").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        seller.ticket(&listing.id).await["state"],
        "sold",
        "sold at once"
    );

    // Its id is not the order's: it is found in what the buyer owns.
    let owned = eventually(
        "the buyer's ticket is created once the fault clears",
        || async {
            let owned = buyer.get_json("/api/tickets?owner=me").await;
            (owned.as_array()?.len() == 1).then_some(owned)
        },
    )
    .await;
    let issued = format!(
        "/api/tickets/{}",
        owned[0]["id"].as_str().unwrap_or_default()
    );
    let mine = buyer.get_json(&issued).await;
    assert_eq!(
        faults_left("tickets").await["consumerWrites"],
        0,
        "every fault fired"
    );
    assert_eq!(mine["userId"], buyer.id.as_str());
    assert_eq!(mine["state"], "owned");
    assert_eq!(
        mine["version"], 0,
        "created once: redeliveries changed nothing"
    );
    let custody = buyer.get_json(&format!("{issued}/custody")).await;
    assert_eq!(custody.as_array().map(Vec::len), Some(1), "{custody}");
    assert_ne!(owned[0]["id"], order.id.as_str());
    let record = seller.ticket(&listing.id).await;
    assert_eq!(
        (record["state"].as_str(), record["userId"].as_str()),
        (Some("sold"), Some(seller.id.as_str()))
    );
}
