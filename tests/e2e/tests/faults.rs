//! Faults injected into the real stack (test builds only, Cargo feature
//! `test-hooks`): the system ends exact once the fault clears.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{eventually, TestUser};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Instant;

/// A queue in trouble: the ticket's object fails its next 3 event sends.
/// The events stay in its outbox and go again with backoff (1 s, 2 s, 4 s),
/// so the list ends up exact; the object itself answers right all along.
#[tokio::test]
async fn events_that_fail_to_send_are_sent_again_until_the_list_is_exact() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Flaky queue", json!(40)).await;
    eventually("the new ticket listed", || {
        seller.listed_ticket("&available=true", &ticket.id)
    })
    .await;
    let armed = seller
        .post_json(
            "/api/tickets/_test/faults",
            json!({ "ticketId": ticket.id.as_str(), "failNextSends": 3 }),
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
    println!("the hold reached the list after {waited:?} (3 failed sends)");
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
