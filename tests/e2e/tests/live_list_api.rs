//! The list's live channel: a WebSocket at `/api/tickets/live` that tells a
//! watcher of the tickets on its page and of new listings matching its
//! search, fed by the tickets consumer (docs/live.md).
//!
//! Stack: api (see scripts/test.sh)

use e2e::live::{self, next_of, Socket};
use e2e::{errors, now_ms, TestClient, TestUser, TicketId};
use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

async fn watch_list(query: &str) -> Socket {
    live::open(&format!("/api/tickets/live?{query}")).await
}

/// A word that only this test's titles contain, so that other tests'
/// listings on the shared stack do not match its watchers' search.
fn tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

fn state_and_version(view: &Value) -> (Option<&str>, Option<i64>) {
    (view["state"].as_str(), view["version"].as_i64())
}

/// The next `ticket` message that is not a repeat of `shown`: the consumer
/// may pass on a change the watcher already got as its first message (the
/// route wrote the list first), which a client drops by its version.
async fn next_newer(socket: &mut Socket, shown: &Value) -> Value {
    loop {
        let view = next_of(socket, "ticket").await;
        if view["id"] != shown["id"] || view["version"].as_i64() > shown["version"].as_i64() {
            return view;
        }
    }
}

#[tokio::test]
async fn a_list_watcher_hears_of_its_page_and_of_new_listings_that_match_its_search() {
    let tag = tag();
    let seller = TestUser::signed_up().await;
    let buyer = TestUser::signed_up().await;
    let on_page = seller
        .create_ticket(&format!("On page {tag}"), json!(10))
        .await;
    let mut socket = watch_list(&format!("ids={}&q={tag}", on_page.id)).await;

    // First, the ticket on its page as it is now.
    let first = next_of(&mut socket, "ticket").await;
    assert_eq!(first["id"], on_page.id.to_string());
    assert_eq!(state_and_version(&first), (Some("available"), Some(0)));

    // Its hold.
    let order = buyer.reserve(&on_page.id).await;
    let held = next_newer(&mut socket, &first).await;
    assert_eq!(first["id"], held["id"]);
    assert_eq!(state_and_version(&held), (Some("reserved"), Some(1)));

    // A listing that does not match the search says nothing; one that does
    // comes as `listed`, with the ticket's view.
    seller.create_ticket("Some other show", json!(5)).await;
    let matching = seller.create_ticket(&format!("New {tag}"), json!(12)).await;
    let listed = next_of(&mut socket, "listed").await;
    assert_eq!(listed, seller.ticket(&matching.id).await);

    // A change of a ticket not on the page says nothing either: the next
    // message is the page's ticket freed, not the new one held.
    let other_buyer = TestUser::signed_up().await;
    other_buyer.reserve(&matching.id).await;
    e2e::eventually("the new ticket held in the read model", || async {
        let list = TestClient::anonymous()
            .get_json(&format!("/api/tickets?q={tag}&available=true"))
            .await;
        (list.as_array().map(Vec::len) == Some(0)).then_some(())
    })
    .await;
    buyer.cancel_order(&order.id).await;
    let freed = next_newer(&mut socket, &held).await;
    assert_eq!(freed["id"], on_page.id.to_string());
    assert_eq!(state_and_version(&freed), (Some("available"), Some(2)));
}

#[tokio::test]
async fn a_watcher_that_moves_to_another_page_hears_of_that_page() {
    let tag = tag();
    let seller = TestUser::signed_up().await;
    let first_page = seller
        .create_ticket(&format!("First {tag}"), json!(10))
        .await;
    let second_page = seller
        .create_ticket(&format!("Second {tag}"), json!(10))
        .await;
    // Searching for the tag: an unfiltered watch also hears of every other
    // test's new listings.
    let mut socket = watch_list(&format!("ids={}&q={tag}", first_page.id)).await;
    next_of(&mut socket, "ticket").await;
    let ids = json!({"type": "watch", "ids": [second_page.id.to_string()]});
    socket
        .send(Message::text(ids.to_string()))
        .await
        .expect("send the new page");
    // The feed reads the move in its own time: edit the new page's ticket
    // until the watcher hears of the edit (each edit is a new price; an
    // earlier change of the ticket, its listing, may come first).
    let deadline = std::time::Instant::now() + e2e::PATIENCE;
    for price in 11.. {
        let title = format!("Second {tag}");
        let edited = seller
            .update_ticket(&second_page.id, &title, json!(price))
            .await;
        assert_eq!(edited.status(), StatusCode::OK);
        while let Some((kind, heard)) = live::next_within(&mut socket, live::WITHIN).await {
            assert_eq!(
                (kind.as_str(), &heard["id"]),
                ("ticket", &json!(second_page.id.to_string()))
            );
            if heard["priceCents"] == price * 100 {
                return;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the move never took");
    }
}

#[tokio::test]
async fn a_watcher_that_reconnects_is_told_what_was_listed_since_its_page() {
    let tag = tag();
    let seller = TestUser::signed_up().await;
    let since = now_ms();
    let first = seller.create_ticket(&format!("One {tag}"), json!(10)).await;
    seller.create_ticket("Not this one", json!(10)).await;
    let second = seller.create_ticket(&format!("Two {tag}"), json!(10)).await;
    let mut socket = watch_list(&format!("q={}&since={since}", tag.to_uppercase())).await;
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(next_of(&mut socket, "listed").await["id"].clone());
    }
    assert_eq!(
        heard,
        [json!(first.id.to_string()), json!(second.id.to_string())]
    );
}

#[tokio::test]
async fn the_list_channel_needs_the_upgrade_and_a_good_query() {
    let plain = TestClient::anonymous().get("/api/tickets/live").await;
    assert_eq!(plain.status(), StatusCode::UPGRADE_REQUIRED);
    let bad = TestClient::anonymous()
        .get("/api/tickets/live?ids=nope&since=soon")
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(bad).await,
        [
            (
                "Ids must be ticket ids, separated by commas".into(),
                Some("ids".into())
            ),
            (
                "Since must be a time in milliseconds".into(),
                Some("since".into())
            )
        ]
    );
    assert_eq!(
        live::connect("/api/tickets/live?ids=nope", None)
            .await
            .err(),
        Some(400)
    );
    // A watcher of nothing in particular connects, and hears nothing of an
    // unknown id it asked for.
    let unknown = TicketId::of(&json!({"id": uuid::Uuid::new_v4().to_string()}));
    let mut socket = watch_list(&format!("ids={unknown}&q={}", tag())).await;
    socket.send(Message::text("ping")).await.expect("a ping");
    let answer = tokio::time::timeout(live::WITHIN, futures::StreamExt::next(&mut socket))
        .await
        .expect("an answer");
    assert_eq!(answer.unwrap().unwrap(), Message::text("pong"));
}
