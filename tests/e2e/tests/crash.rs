//! A crash in the middle of a flash sale: the whole stack (wrangler and its
//! workerd) is killed with SIGKILL while 200 buyers race for 100 tickets and
//! the winners pay through the Stripe stub; then it starts again on the same
//! state. Stripe delivers its `payment_intent.succeeded` events (the stub
//! plays Stripe, which retries a webhook until it is answered 2xx). Then:
//! every ticket is free or sold, each sale has one completed order, every
//! charge went to a completed order or was refunded once, and the lists
//! agree with the ticket objects.
//!
//! Stack: crash (the test starts it with `e2e::stack::Stack`: a Stripe stack
//! with the short window and a 10 s lost-payment timeout, which it kills and
//! starts again on the same state)

use e2e::stack::{Settings, Stack};
use e2e::stripe_stub::{deliver_signed, succeeded_event, StripeStub};
use e2e::{
    eventually, eventually_within, signed_up_buyers, OrderId, TestClient, TestUser, TicketId,
    PASSWORD,
};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BUYERS: usize = 200;
const TICKETS: usize = 100;
/// Charges made before the kill: about a third of the tickets, so that
/// orders, charges and their completions are all under way.
const KILL_AFTER_CHARGES: usize = TICKETS / 3;
/// The lost-payment timeout (which scripts/test.sh shortens for this stack)
/// and then some.
fn lost_payment_patience() -> Duration {
    e2e::payment_timeout() + Duration::from_secs(30)
}
/// How long the list may take to catch up with the objects on its own.
const LIST_PATIENCE: Duration = Duration::from_secs(15);

/// One buyer's run at the sale: reserve, and pay if they won the ticket.
/// Errors (the stack dying under it) end the run; `answers` counts replies.
async fn buy(buyer: Arc<TestUser>, ticket: TicketId, answers: Arc<AtomicUsize>) {
    let place = buyer
        .http
        .post(buyer.url("/api/orders"))
        .json(&json!({ "ticketId": ticket.as_str() }))
        .send()
        .await;
    let Ok(placed) = place else { return };
    answers.fetch_add(1, Ordering::SeqCst);
    if placed.status() != StatusCode::CREATED {
        return;
    }
    let Ok(order) = placed.json::<Value>().await else {
        return;
    };
    let paid = buyer
        .http
        .post(buyer.url("/api/payments"))
        .json(&json!({ "orderId": order["id"], "token": "tok_visa" }))
        .send()
        .await;
    if paid.is_ok() {
        answers.fetch_add(1, Ordering::SeqCst);
    }
}

async fn signed_in(email: &str) -> TestClient {
    let client = TestClient::anonymous();
    let response = client.signin(email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK, "sign-in of {email}");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stack_killed_mid_sale_ends_exact_after_a_restart() {
    let mut stack = Stack::start(Settings::from_env("crash"), &Stack::log_of("crash"));
    std::env::set_var("TICKETING_BASE_URL", stack.base_url());
    StripeStub::shared().hold_charges_after(KILL_AFTER_CHARGES);
    let seller = TestUser::signed_up().await;
    let mut tickets = Vec::with_capacity(TICKETS);
    for n in 0..TICKETS {
        tickets.push(
            seller
                .create_ticket(&format!("Crash {n}"), json!(10 + n))
                .await
                .id,
        );
    }
    let crowd = signed_up_buyers(BUYERS).await;

    // The sale, and the kill in the middle of it.
    let answers = Arc::new(AtomicUsize::new(0));
    let runs: Vec<_> = crowd
        .iter()
        .enumerate()
        .map(|(n, buyer)| {
            tokio::spawn(buy(
                buyer.clone(),
                tickets[n % TICKETS].clone(),
                answers.clone(),
            ))
        })
        .collect();
    // The charges past a third wait at the stub, so the kill surely lands
    // while payments are in flight, however fast the sale runs.
    let stub = StripeStub::shared();
    let watching = async {
        while stub.charged_intents().len() < KILL_AFTER_CHARGES || stub.charges_held() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), watching)
        .await
        .expect("a third of the winners charged within a minute, and more paying");
    stack.kill();
    let (at_kill, held_at_kill) = (answers.load(Ordering::SeqCst), stub.charges_held());
    // Stripe executes a charge whose caller died: these are charged now.
    stub.release_charges();
    let _ = tokio::time::timeout(Duration::from_secs(30), join_all(runs)).await;
    let charged_before = stub.charged_intents().len();
    println!(
        "killed after {at_kill} answers with {held_at_kill} charges in flight; {charged_before} charges made"
    );
    assert!(
        held_at_kill > 0,
        "the kill came while payments were running"
    );

    // The clients made from now on go to the restarted stack.
    stack.restart();
    std::env::set_var("TICKETING_BASE_URL", stack.base_url());
    // Stripe delivers the event of every charge (and would retry until 2xx).
    let mut outcomes: HashMap<String, usize> = HashMap::new();
    for intent in StripeStub::shared().charged_intents() {
        let event = succeeded_event(&intent);
        let delivered = deliver_signed(&event).await;
        assert_eq!(delivered.status(), StatusCode::OK, "webhook for {intent}");
        let outcome = delivered.json::<Value>().await.unwrap_or_default()["outcome"].to_string();
        *outcomes.entry(outcome).or_default() += 1;
    }
    println!("webhook outcomes after the restart: {outcomes:?}");

    // Every hold ends (its alarm survived the crash): each ticket free or sold.
    let anyone = TestClient::anonymous();
    let mut sold = HashSet::new();
    for ticket in &tickets {
        // A payment the kill cut off before its charge is given up on after
        // the lost-payment timeout, not the payment window.
        let settled = eventually_within("every hold to end", lost_payment_patience(), || async {
            let now = anyone.get_json(&format!("/api/tickets/{ticket}")).await;
            now["orderId"].is_null().then_some(now)
        })
        .await;
        if settled["sold"] == true {
            sold.insert(ticket.as_str().to_string());
        }
    }

    // Every order of every buyer, from its ticket's object.
    let mut complete_per_ticket: HashMap<String, Vec<Value>> = HashMap::new();
    let mut orders_seen = 0;
    for buyer in &crowd {
        let client = signed_in(&buyer.email).await;
        let listed = eventually("the buyer's list to match the objects", || async {
            let listed = client.get_json("/api/orders").await;
            let listed = listed.as_array()?.clone();
            for order in &listed {
                let id = OrderId(order["id"].as_str()?.to_string());
                let truth = client.order(&id).await;
                if truth["status"] != order["status"] {
                    return None;
                }
            }
            Some(listed)
        })
        .await;
        for order in listed {
            orders_seen += 1;
            let status = order["status"].as_str().unwrap_or_default().to_string();
            assert!(
                status == "complete" || status == "cancelled",
                "no order is left in flight: {order}"
            );
            let payments = client
                .get_json(&format!(
                    "/api/payments?orderId={}",
                    order["id"].as_str().unwrap()
                ))
                .await;
            let succeeded: Vec<&Value> = payments
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["status"] == "succeeded")
                .collect();
            if status == "complete" {
                assert_eq!(succeeded.len(), 1, "paid once: {order} {payments}");
                assert_eq!(succeeded[0]["id"], order["paymentId"]);
                let ticket = order["ticket"]["id"].as_str().unwrap().to_string();
                complete_per_ticket.entry(ticket).or_default().push(order);
            } else {
                assert!(
                    succeeded.is_empty(),
                    "a cancelled order keeps no charge: {payments}"
                );
            }
        }
    }
    assert!(orders_seen > 0);
    for (ticket, complete) in &complete_per_ticket {
        assert_eq!(
            complete.len(),
            1,
            "one sale per ticket: {ticket}: {complete:?}"
        );
        assert!(sold.contains(ticket), "a paid order's ticket is sold");
    }
    assert_eq!(
        sold.len(),
        complete_per_ticket.len(),
        "every sold ticket has its completed order"
    );

    // Every charge: its order completed with it, or refunded exactly once.
    let stub = StripeStub::shared();
    for intent in stub.charged_intents() {
        let id = intent["id"].as_str().unwrap();
        let refunds = stub.refunds_made(id);
        let order_id = intent["metadata"]["order_id"].as_str().unwrap();
        let completed_by_it = complete_per_ticket
            .values()
            .flatten()
            .any(|o| o["id"] == order_id);
        assert!(
            completed_by_it && refunds == 0 || !completed_by_it && refunds == 1,
            "charge {id} of order {order_id}: completed {completed_by_it}, refunds {refunds}"
        );
    }

    // The list agrees with the objects. Locally a queue keeps its messages in
    // memory (miniflare's broker), so the kill loses an event that was sent
    // but not yet consumed, which Cloudflare's Queues would keep; a ticket
    // whose last event was lost so stays behind in the list. Such a list is
    // repaired as docs/events.md tells an operator to (republish), and then
    // every ticket must agree.
    let mut behind: Vec<&TicketId> = tickets.iter().collect();
    let settling = Instant::now();
    while !behind.is_empty() && settling.elapsed() < LIST_PATIENCE {
        let mut still = Vec::new();
        for ticket in behind {
            if list_agrees(&anyone, ticket).await.is_none() {
                still.push(ticket);
            }
        }
        behind = still;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("tickets the list lost the last event of: {}", behind.len());
    let admin = TestClient::admin();
    for ticket in &behind {
        let repair = admin
            .post_json(
                "/api/tickets/admin/republish",
                json!({ "ticketId": ticket.as_str() }),
            )
            .await;
        assert_eq!(repair.status(), StatusCode::OK);
    }
    for ticket in &tickets {
        eventually("the list to match the object", || {
            list_agrees(&anyone, ticket)
        })
        .await;
    }
}

/// The market list shows the ticket as its object does: sold or not, and
/// held by the same order.
async fn list_agrees(anyone: &TestClient, ticket: &TicketId) -> Option<()> {
    let truth = anyone.get_json(&format!("/api/tickets/{ticket}")).await;
    let listed = anyone.listed_ticket("", ticket).await?;
    (listed["sold"] == truth["sold"] && listed["orderId"] == truth["orderId"]).then_some(())
}
