//! The live channels under load (issue 13): 1,000 WebSocket watchers on one
//! hot ticket while 50 buyers race for it, and what the watchers cost the
//! ticket's reservations.

use e2e::live::{self, Socket};
use e2e::load::{self, Stats};
use e2e::{TestUser, TicketId};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub const WATCHERS: usize = 1_000;
const BUYERS: usize = 50;
const RACES: usize = 5;

pub struct Figures {
    /// Per race and watcher: from the winning 201 at the client to that
    /// watcher's `reserved` message, in µs (negative: the message came first,
    /// since the object tells its watchers as it commits, before it answers).
    pub after_win_us: Vec<i64>,
    /// The same messages, from the moment the race's requests went out.
    pub after_start_us: Vec<i64>,
    /// Watchers that never heard of a race's hold within 10 s.
    pub missed: usize,
    pub races: usize,
    /// 50 buyers racing for a free ticket no one watches, then for the
    /// watched one: one wins and holds it, the others are refused.
    pub races_load: [Stats; 2],
    /// The worst case: every request a change told to every watcher
    /// (reserve + cancel by one buyer, back to back), unwatched then watched.
    pub cycles: [Stats; 2],
}

/// A watcher's socket, read in its own task: every ticket message it gets,
/// as (version, state, when), goes to `heard`.
async fn watcher(path: String, heard: mpsc::UnboundedSender<(i64, String, Instant)>) {
    let socket: Socket = live::open(&path).await;
    let (_, mut incoming) = socket.split();
    while let Some(Ok(message)) = incoming.next().await {
        let at = Instant::now();
        let Ok(text) = message.to_text() else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let ticket = &message["ticket"];
        let version = ticket["version"].as_i64().unwrap_or(-1);
        let state = ticket["state"].as_str().unwrap_or_default().to_string();
        if heard.send((version, state, at)).is_err() {
            return;
        }
    }
}

fn signed_us(at: Instant, since: Instant) -> i64 {
    match at.checked_duration_since(since) {
        Some(after) => after.as_micros() as i64,
        None => -(since.duration_since(at).as_micros() as i64),
    }
}

/// `BUYERS` buyers race for `ticket`, free at the start, for the scenario's
/// time: the first to get there holds it, every other attempt is refused
/// (both are answers the bench counts) until the hold expires and the next
/// wins. The last winner cancels afterwards.
async fn race(buyers: &[Arc<TestUser>], ticket: &TicketId) -> Stats {
    type Winners = std::sync::Mutex<Vec<(Arc<TestUser>, String)>>;
    let won: Arc<Winners> = Arc::default();
    let attempt = {
        let (buyers, ticket, won) = (buyers.to_vec(), ticket.clone(), won.clone());
        move |worker: usize, _| {
            let (buyer, ticket, won) = (buyers[worker].clone(), ticket.clone(), won.clone());
            async move {
                let response = buyer.place_order(&ticket).await;
                match response.status() {
                    StatusCode::CREATED => {
                        let order: Value = response.json().await.unwrap_or_default();
                        let id = order["id"].as_str().unwrap_or_default().to_string();
                        won.lock().unwrap().push((buyer, id));
                        true
                    }
                    StatusCode::BAD_REQUEST => true,
                    _ => false,
                }
            }
        }
    };
    let stats = load::run("race", buyers.len(), crate::seconds(), attempt).await;
    // More than one if a hold expired meanwhile (the bench's short window):
    // the ticket was free again and someone else won it.
    let winners = std::mem::take(&mut *won.lock().unwrap());
    assert!(!winners.is_empty(), "someone wins the race");
    for (buyer, order) in winners {
        // An expired hold cannot be cancelled (400); the last one is freed.
        let _ = buyer.delete(&format!("/api/orders/{order}")).await;
    }
    stats
}

/// Reserve + cancel by one buyer on `ticket`, back to back: each cycle is
/// two commits of the ticket's object, each sent to all of its watchers.
async fn cycles(name: &str, buyer: Arc<TestUser>, ticket: TicketId) -> Stats {
    load::run(name, 1, crate::seconds(), move |_, _| {
        let (buyer, ticket) = (buyer.clone(), ticket.clone());
        async move {
            let response = buyer.place_order(&ticket).await;
            if response.status() != StatusCode::CREATED {
                return false;
            }
            let order: Value = response.json().await.unwrap_or_default();
            let path = format!("/api/orders/{}", order["id"].as_str().unwrap_or_default());
            buyer.delete(&path).await.status() == StatusCode::NO_CONTENT
        }
    })
    .await
}

pub async fn measure(seller: &TestUser) -> Figures {
    let hot = seller
        .create_ticket("Watched hot ticket", json!(80))
        .await
        .id;
    let quiet = seller.create_ticket("Unwatched ticket", json!(80)).await.id;
    let buyers = e2e::signed_up_buyers(BUYERS).await;
    let cyclist = Arc::new(TestUser::signed_up().await);

    // 1,000 watchers, connected 50 at a time; each first gets the state.
    let (heard, mut hearing) = mpsc::unbounded_channel();
    let path = format!("/api/tickets/{hot}/live");
    let mut tasks = Vec::with_capacity(WATCHERS);
    for batch in 0..WATCHERS / 50 {
        for _ in 0..50 {
            tasks.push(tokio::spawn(watcher(path.clone(), heard.clone())));
        }
        let connected = (batch + 1) * 50;
        let mut firsts = 0;
        while firsts < 50 {
            let (version, _, _) = tokio::time::timeout(Duration::from_secs(30), hearing.recv())
                .await
                .expect("each watcher's first message")
                .expect("the watchers running");
            assert_eq!(version, 0, "{connected} watchers: the state first");
            firsts += 1;
        }
    }
    drop(heard);

    // The races: all 50 at once; the winner cancels before the next one.
    let (mut after_win_us, mut after_start_us) = (Vec::new(), Vec::new());
    let mut missed = 0;
    let mut version = 0;
    for _ in 0..RACES {
        let started = Instant::now();
        let answers = futures::future::join_all(buyers.iter().map(|buyer| {
            let (buyer, hot) = (buyer.clone(), hot.clone());
            async move {
                let response = buyer.place_order(&hot).await;
                let at = Instant::now();
                let order: Value = if response.status() == StatusCode::CREATED {
                    response.json().await.unwrap_or_default()
                } else {
                    Value::Null
                };
                (buyer, order, at)
            }
        }))
        .await;
        let winners: Vec<_> = answers
            .iter()
            .filter(|(_, order, _)| !order.is_null())
            .collect();
        assert_eq!(winners.len(), 1, "one winner per race");
        let (winner, order, won_at) = winners[0];
        version += 1;
        let held = version;
        // Every watcher's `reserved` message for this hold.
        let mut waiting = WATCHERS;
        let give_up = tokio::time::Instant::now() + Duration::from_secs(10);
        while waiting > 0 {
            match tokio::time::timeout_at(give_up, hearing.recv()).await {
                Ok(Some((v, state, at))) if v == held && state == "reserved" => {
                    after_win_us.push(signed_us(at, *won_at));
                    after_start_us.push(signed_us(at, started));
                    waiting -= 1;
                }
                Ok(Some(_)) => {} // the freeing of the race before
                _ => break,
            }
        }
        missed += waiting;
        let path = format!("/api/orders/{}", order["id"].as_str().unwrap_or_default());
        assert_eq!(winner.delete(&path).await.status(), StatusCode::NO_CONTENT);
        version += 1;
    }
    after_win_us.sort_unstable();
    after_start_us.sort_unstable();

    // Reservations with and without the watchers, interleaved, twice each.
    // The watchers' messages are drained meanwhile so they never back up.
    let drain = tokio::spawn(async move { while hearing.recv().await.is_some() {} });
    let (mut watched, mut unwatched) = (Vec::new(), Vec::new());
    let (mut watched_races, mut unwatched_races) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        unwatched_races.push(race(&buyers, &quiet).await);
        watched_races.push(race(&buyers, &hot).await);
        unwatched.push(cycles("cycles, unwatched", cyclist.clone(), quiet.clone()).await);
        watched.push(cycles("cycles, 1,000 watchers", cyclist.clone(), hot.clone()).await);
    }
    for task in tasks {
        task.abort();
    }
    drain.abort();
    Figures {
        after_win_us,
        after_start_us,
        missed,
        races: RACES,
        races_load: [
            load::merge("50 buyers race, unwatched ticket", unwatched_races),
            load::merge("50 buyers race, 1,000 watchers", watched_races),
        ],
        cycles: [
            load::merge("reserve + cancel, unwatched ticket", unwatched),
            load::merge("reserve + cancel, 1,000 watchers", watched),
        ],
    }
}

fn percentile_ms(sorted: &[i64], q: f64) -> f64 {
    // `crate::percentile` answers -1 for no figures; these may be negative.
    if sorted.is_empty() {
        return f64::NAN;
    }
    crate::percentile(sorted, q) as f64 / 1000.0
}

pub fn report(figures: &Figures) {
    println!(
        "\nLive: {WATCHERS} WebSocket watchers on one hot ticket, {BUYERS} buyers racing for it ({} races)",
        figures.races
    );
    for (what, figures_us) in [
        ("winning 201 at the client", &figures.after_win_us),
        ("the race's start", &figures.after_start_us),
    ] {
        println!(
            "  {what} -> each watcher's message ({} messages): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            figures_us.len(),
            percentile_ms(figures_us, 0.5),
            percentile_ms(figures_us, 0.99),
            percentile_ms(figures_us, 1.0),
        );
    }
    println!("  watchers that missed a hold: {}", figures.missed);
    load::report(&figures.races_load);
    let [unwatched, watched] = &figures.races_load;
    println!(
        "  reservation attempts per second, with / without 1,000 watchers: {:.2}   [target: >= 0.90]",
        watched.per_second() / unwatched.per_second()
    );
    load::report(&figures.cycles);
    let [unwatched, watched] = &figures.cycles;
    println!(
        "  worst case, every request a change sent to each watcher: with / without: {:.2}",
        watched.per_second() / unwatched.per_second()
    );
}
