//! Invariant 1 under a flash sale: a ticket is held by at most one live order,
//! whatever the number of concurrent buyers.
//!
//! Stack: api (see scripts/test.sh)

use e2e::{signed_up_buyers, OrderId, TestUser, TicketId};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Fires every request at the same moment (after a barrier) and returns
/// (status, body) per request. Each carries its own Idempotency-Key, so one
/// that wrangler's dev proxy drops is sent again safely.
async fn all_at_once(requests: Vec<(Arc<TestUser>, TicketId)>) -> Vec<(StatusCode, Value)> {
    let barrier = Arc::new(Barrier::new(requests.len()));
    let tasks = requests.into_iter().map(|(client, ticket_id)| {
        let barrier = barrier.clone();
        tokio::spawn(async move {
            let key = uuid::Uuid::new_v4().to_string();
            barrier.wait().await;
            client.place_order_keyed(&ticket_id, &key).await
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("a request task"))
        .collect()
}

/// `n` new buyers, each ordering `ticket` at the same moment.
async fn crowd_at_once(n: usize, ticket: &TicketId) -> Vec<(StatusCode, Value)> {
    let crowd = signed_up_buyers(n).await;
    all_at_once(crowd.iter().map(|b| (b.clone(), ticket.clone())).collect()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_racing_for_one_ticket_get_exactly_one_order() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Flash sale", json!(99)).await;
    let results = crowd_at_once(50, &ticket.id).await;

    let winners: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    let refused = results
        .iter()
        .filter(|(s, b)| {
            *s == StatusCode::BAD_REQUEST
                && b["errors"][0]["message"] == "Ticket is already reserved"
        })
        .count();
    let statuses: Vec<u16> = results.iter().map(|(s, _)| s.as_u16()).collect();
    assert_eq!((winners.len(), refused), (1, 49), "{statuses:?}");
    let held = seller.ticket(&ticket.id).await;
    assert_eq!(
        held["orderId"],
        OrderId::of(winners[0]),
        "the ticket is held by the winner's order"
    );
    assert_eq!(held["version"], 1, "exactly one hold was ever taken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_tickets_each_wanted_by_five_buyers_make_exactly_ten_orders() {
    let seller = TestUser::signed_up().await;
    let mut tickets = Vec::new();
    for n in 0..10 {
        tickets.push(
            seller
                .create_ticket(&format!("Row {n}"), json!(10 + n))
                .await
                .id,
        );
    }
    // 10 buyers, each firing at 5 of the tickets (a buyer may hold at most 5
    // unpaid orders: MAX_OPEN_ORDERS), so that each ticket meets 5 buyers.
    let crowd = signed_up_buyers(10).await;
    let tickets_ref = &tickets;
    let requests = crowd
        .iter()
        .enumerate()
        .flat_map(|(i, b)| (0..5).map(move |k| (b.clone(), tickets_ref[(i + k) % 10].clone())))
        .collect();

    let results = all_at_once(requests).await;

    assert!(
        results
            .iter()
            .all(|(s, _)| *s == StatusCode::CREATED || *s == StatusCode::BAD_REQUEST),
        "no 5xx"
    );
    let orders: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(orders.len(), 10);
    for ticket_id in &tickets {
        let for_ticket: Vec<&&Value> = orders
            .iter()
            .filter(|o| o["ticket"]["id"] == *ticket_id)
            .collect();
        assert_eq!(for_ticket.len(), 1, "one order for {ticket_id}");
        let held = seller.ticket(ticket_id).await;
        assert_eq!(held["orderId"], OrderId::of(for_ticket[0]));
    }
}

/// How many buyer slots the ticket's object has claimed (a test-build route).
async fn slot_claims(user: &TestUser, ticket_id: &TicketId) -> u64 {
    let response = user
        .get(&format!("/api/tickets/_test/claims?ticketId={ticket_id}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("a JSON body");
    body["claims"].as_u64().expect("a count of claims")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_on_a_free_ticket_claims_one_buyer_slot() {
    let seller = TestUser::signed_up().await;
    let ticket = seller.create_ticket("Burst", json!(40)).await;
    let results = crowd_at_once(30, &ticket.id).await;

    let statuses: Vec<u16> = results.iter().map(|(s, _)| s.as_u16()).collect();
    let won = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(won, 1, "{statuses:?}");
    // Arrivals during the winner's claim waited for it, then found the
    // ticket held: none claimed a slot only to give it back.
    assert_eq!(slot_claims(&seller, &ticket.id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_buyer_refused_for_their_limit_does_not_block_the_burst_behind_them() {
    let seller = TestUser::signed_up().await;
    // A buyer already holding MAX_OPEN_ORDERS (5) unpaid orders.
    let greedy = Arc::new(TestUser::signed_up().await);
    for n in 0..5 {
        let held = seller.create_ticket(&format!("Held {n}"), json!(5)).await;
        greedy.reserve(&held.id).await;
    }
    let ticket = seller.create_ticket("Contested", json!(40)).await;
    let mut requests = vec![(greedy.clone(), ticket.id.clone())];
    requests.extend(
        signed_up_buyers(20)
            .await
            .iter()
            .map(|b| (b.clone(), ticket.id.clone())),
    );

    let results = all_at_once(requests).await;

    let statuses: Vec<u16> = results.iter().map(|(s, _)| s.as_u16()).collect();
    assert!(
        [429, 400].contains(&statuses[0]),
        "the buyer at their limit is refused: {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    // At most the refused buyer's claim and the winner's.
    assert!(slot_claims(&seller, &ticket.id).await <= 2);
}
