//! `make bench`: latency and throughput of the local stack, measured in one
//! run so that the ratios between scenarios hold on a noisy machine.

mod live;

use e2e::load::{self, Stats};
use e2e::{iso_to_unix_ms, now_ms, set_cookie, TestClient, TestUser, TicketId, PASSWORD};
use futures::future::join_all;
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CONCURRENCY: usize = 8;

fn seconds() -> Duration {
    let secs = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

fn percentile(sorted: &[i64], q: f64) -> i64 {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * q).round() as usize)
        .copied()
        .unwrap_or(-1)
}

/// A GET scenario: `ok` is a 200 (or `expect`).
fn get(
    client: &TestClient,
    path: String,
    cookie: Option<String>,
    expect: StatusCode,
) -> impl Fn(usize, usize) -> futures::future::BoxFuture<'static, bool> + Clone {
    let (http, url) = (client.http.clone(), client.url(&path));
    move |_, _| {
        let (http, url, cookie) = (http.clone(), url.clone(), cookie.clone());
        Box::pin(async move {
            let mut request = http.get(url);
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            request.send().await.is_ok_and(|r| r.status() == expect)
        })
    }
}

/// Successful reservations: (ticket, createdAt, expiresAt) in server time.
type Wins = Arc<Mutex<Vec<(TicketId, i64, i64)>>>;

/// Holds that overlapped: a ticket won again before the previous hold
/// expired (nobody cancels in these scenarios, so a hold lasts its window).
fn oversells(wins: &Wins) -> usize {
    let mut per_ticket: HashMap<TicketId, Vec<(i64, i64)>> = HashMap::new();
    for (ticket, created, expires) in wins.lock().unwrap().iter() {
        per_ticket
            .entry(ticket.clone())
            .or_default()
            .push((*created, *expires));
    }
    per_ticket
        .values_mut()
        .map(|holds| {
            holds.sort_unstable();
            holds
                .windows(2)
                .filter(|pair| pair[1].0 < pair[0].1)
                .count()
        })
        .sum()
}

/// CONCURRENCY new buyers, one per client.
async fn crowd() -> Vec<Arc<TestUser>> {
    join_all((0..CONCURRENCY).map(|_| async { Arc::new(TestUser::signed_up().await) })).await
}

/// The baseline of the reservation figures: one hop to the tickets worker.
async fn trivial_route(anonymous: &TestClient) -> Stats {
    let not_found = get(
        anonymous,
        "/api/tickets/not-a-uuid".into(),
        None,
        StatusCode::NOT_FOUND,
    );
    load::run(
        "GET /api/tickets/not-a-uuid (trivial 404)",
        CONCURRENCY,
        seconds(),
        not_found,
    )
    .await
}

fn print_holds_ratio(fresh_holds_per_second: f64, trivial_per_second: f64) {
    println!(
        "successful holds (fresh, one per request) / trivial route: {:.2}   [target: >= 0.5]",
        fresh_holds_per_second / trivial_per_second
    );
}

/// (c) Fresh holds: every request holds a ticket no one holds. Enough
/// tickets are listed first (more than the stack can hold in the time),
/// and the bench stack lifts MAX_OPEN_ORDERS (scripts/bench.sh), so this
/// measures holds, not refusals or the abuse limit.
async fn fresh_holds(seller: &TestUser, buyers: &[Arc<TestUser>]) -> Stats {
    let fresh: Vec<TicketId> = {
        let titles: Vec<String> = (0..600 * seconds().as_secs() as usize)
            .map(|n| format!("Fresh {n}"))
            .collect();
        futures::stream::iter(titles)
            .map(|title| {
                let seller = &seller;
                async move { seller.create_ticket(&title, json!(5)).await.id }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await
    };
    // The holds are measured once the 3,000 `ticket:created` events are
    // consumed, not beside that backlog: a hold queued behind them (its
    // `ticket:updated`) shows in the list when they are through.
    // (By version: the short window may expire the hold before it shows.)
    let marker = seller.create_ticket("Queue marker", json!(5)).await.id;
    buyers[0].reserve(&marker).await;
    let held_version = seller.ticket(&marker).await["version"]
        .as_u64()
        .expect("a ticket's version");
    e2e::eventually_within(
        "the ticket events before the holds consumed",
        Duration::from_secs(120),
        || async {
            let listed = seller.listed_ticket("", &marker).await?;
            (listed["version"].as_u64()? >= held_version).then_some(())
        },
    )
    .await;
    let fresh = Arc::new(fresh);
    let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let hold = {
        let buyers = buyers.to_vec();
        move |worker: usize, _| {
            let (buyers, fresh, taken) = (buyers.clone(), fresh.clone(), taken.clone());
            async move {
                let n = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(ticket) = fresh.get(n) else {
                    return false; // ran out: counted as errors, and visible
                };
                buyers[worker].place_order(ticket).await.status() == StatusCode::CREATED
            }
        }
    };
    load::run(
        "POST /api/orders, fresh holds",
        CONCURRENCY,
        seconds(),
        hold,
    )
    .await
}

/// Buyers each from an address of their own (`CF-Connecting-IP`).
async fn crowd_with_addresses() -> Vec<Arc<TestUser>> {
    join_all((0..CONCURRENCY).map(|_| async {
        let client = TestClient::from_address(&e2e::unique_address());
        Arc::new(TestUser::signed_up_with(client).await)
    }))
    .await
}

/// `BENCH_ONLY=money`: fresh holds and sequential payments, from addresses.
async fn money_routes(seller: &TestUser) {
    let buyers = crowd_with_addresses().await;
    let rows = vec![
        trivial_route(&TestClient::anonymous()).await,
        fresh_holds(seller, &buyers).await,
    ];
    load::report(&rows);
    let payer = &buyers[0];
    let mut pay_ms = Vec::new();
    for n in 0..40 {
        let ticket = seller.create_ticket(&format!("Paid {n}"), json!(25)).await;
        let order_id = payer.reserve(&ticket.id).await.id;
        let started = Instant::now();
        let response = payer.pay(&order_id, "tok_visa").await;
        assert_eq!(response.status(), StatusCode::CREATED, "paying {order_id}");
        pay_ms.push(started.elapsed().as_micros() as i64);
    }
    pay_ms.sort_unstable();
    println!(
        "POST /api/payments, local provider, from an address, sequential (40 orders): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&pay_ms, 0.5) as f64 / 1000.0,
        percentile(&pay_ms, 0.99) as f64 / 1000.0
    );
}

#[tokio::main]
async fn main() {
    // A stack of its own (`make bench`), unless TICKETING_BASE_URL names one.
    let _stack = std::env::var("TICKETING_BASE_URL").is_err().then(|| {
        let stack = e2e::stack::Stack::start(
            e2e::stack::Settings::for_stack("bench", None),
            &e2e::stack::Stack::log_of("bench"),
        );
        for (name, value) in stack.test_env() {
            std::env::set_var(name, value);
        }
        stack
    });
    let seller = TestUser::signed_up().await;
    // `BENCH_ONLY=live`: the live channels' figures alone (quicker, to iterate on them).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("live") {
        live::report(&live::measure(&seller).await);
        return;
    }
    // `BENCH_ONLY=holds`: the trivial route and fresh holds alone (quicker,
    // to iterate on the cost of a hold).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("holds") {
        let buyers = crowd().await;
        let rows = vec![
            trivial_route(&TestClient::anonymous()).await,
            fresh_holds(&seller, &buyers).await,
        ];
        load::report(&rows);
        print_holds_ratio(rows[1].per_second(), rows[0].per_second());
        return;
    }
    // `BENCH_ONLY=money`: the two routes money safety checks (holds and
    // payments), from client addresses as in production, so every
    // per-address limit is counted. Run against two stacks (before and
    // after a change) in turn to compare them in one sitting.
    if std::env::var("BENCH_ONLY").as_deref() == Ok("money") {
        money_routes(&seller).await;
        return;
    }
    let email = TestUser::signed_up().await.email;
    let anonymous = TestClient::anonymous();
    let signin = anonymous.signin(&email, PASSWORD).await;
    let cookie = set_cookie(&signin)
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let base = anonymous.base.clone();
    let buyers: Vec<Arc<TestUser>> = crowd().await;
    // Buyers of their own for the expiring orders (MAX_OPEN_ORDERS each).
    let expiry_buyers: Vec<Arc<TestUser>> = crowd().await;
    let sample = seller.create_ticket("Baseline", json!(10)).await;
    let sample_path = format!("/api/tickets/{}", sample.id);

    let mut auth_rows: Vec<Stats> = Vec::new();
    auth_rows.push(
        load::run(
            "GET /static/app.css (static asset)",
            CONCURRENCY,
            seconds(),
            get(&anonymous, "/static/app.css".into(), None, StatusCode::OK),
        )
        .await,
    );
    auth_rows.push(
        load::run(
            "GET /api/users/currentuser (anonymous)",
            CONCURRENCY,
            seconds(),
            get(
                &anonymous,
                "/api/users/currentuser".into(),
                None,
                StatusCode::OK,
            ),
        )
        .await,
    );
    auth_rows.push(
        load::run(
            "GET /api/users/currentuser (signed in)",
            CONCURRENCY,
            seconds(),
            get(
                &anonymous,
                "/api/users/currentuser".into(),
                Some(cookie.clone()),
                StatusCode::OK,
            ),
        )
        .await,
    );
    auth_rows.push(
        load::run(
            "GET / (page, signed in)",
            CONCURRENCY,
            seconds(),
            get(&anonymous, "/".into(), Some(cookie), StatusCode::OK),
        )
        .await,
    );
    let signin = {
        let (http, url) = (anonymous.http.clone(), anonymous.url("/api/users/signin"));
        move |_, _| {
            let (http, url, email) = (http.clone(), url.clone(), email.clone());
            async move {
                let body = json!({ "email": email, "password": PASSWORD });
                // From an address, as in production: every abuse limit is
                // checked (a new address each time, so none is reached).
                http.post(url)
                    .header("cf-connecting-ip", e2e::unique_address())
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        }
    };
    auth_rows.push(
        load::run(
            "POST /api/users/signin (PBKDF2 100k)",
            CONCURRENCY,
            seconds(),
            signin,
        )
        .await,
    );

    // --- reservations ---------------------------------------------------------
    let mut rows: Vec<Stats> = Vec::new();
    rows.push(trivial_route(&anonymous).await);
    rows.push(
        load::run(
            "GET /api/tickets/:id (Durable Object read)",
            CONCURRENCY,
            seconds(),
            get(&anonymous, sample_path, None, StatusCode::OK),
        )
        .await,
    );
    // The list, plain and searched + sorted (one page of 20 each). Titles
    // with "Spread" are listed below; here "Baseline" and these 60 match.
    for n in 0..60 {
        seller
            .create_ticket(&format!("Listed {n}"), json!(5 + n))
            .await;
    }
    for (name, path) in [
        (
            "GET /api/tickets (list, newest, 20)",
            "/api/tickets?limit=20",
        ),
        (
            "GET /api/tickets?q=listed&sort=price (search + sort, 20)",
            "/api/tickets?limit=20&q=listed&sort=price",
        ),
    ] {
        rows.push(
            load::run(
                name,
                CONCURRENCY,
                seconds(),
                get(&anonymous, path.into(), None, StatusCode::OK),
            )
            .await,
        );
    }

    // --- read-model lag --------------------------------------------------------
    // How soon everyone's list shows a change that travels by event: a hold
    // (ticket:updated from the object) and a sale. Measured before the
    // reservation load, whose hundreds of expiring holds queue events of
    // their own for a while after it. A new listing is written
    // to the list by its own request (read-your-writes), so it is there at once.
    let mut listing_ms = Vec::new();
    let mut hold_ms = Vec::new();
    let mut sale_ms = Vec::new();
    let listed_with = |ticket: TicketId, field: &'static str, want: Value| {
        let seller = &seller;
        async move {
            let started = Instant::now();
            while seller
                .listed_ticket("", &ticket)
                .await
                .is_none_or(|t| t[field] != want)
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            started.elapsed().as_millis() as i64
        }
    };
    for n in 0..10 {
        let created = Instant::now();
        let ticket = seller
            .create_ticket(&format!("Visible {n}"), json!(5))
            .await
            .id;
        let _ = listed_with(ticket.clone(), "id", json!(ticket.as_str())).await;
        listing_ms.push(created.elapsed().as_millis() as i64);
        let order = expiry_buyers[n % CONCURRENCY].reserve(&ticket).await;
        hold_ms.push(listed_with(ticket.clone(), "orderId", json!(order.id.as_str())).await);
        let paid = expiry_buyers[n % CONCURRENCY]
            .pay(&order.id, "tok_visa")
            .await;
        assert_eq!(paid.status(), StatusCode::CREATED, "paying {}", order.id);
        sale_ms.push(listed_with(ticket, "sold", json!(true)).await);
    }
    for figures in [&mut listing_ms, &mut hold_ms, &mut sale_ms] {
        figures.sort_unstable();
    }

    // Expiry under load: 20 orders whose short window ends while the
    // reservation scenarios below run. Each ticket's live channel says when
    // its alarm has expired the hold (no polling, which would add load).
    let window = std::env::var("TICKETING_EXPIRATION_WINDOW_SECONDS").unwrap_or_default();
    let mut watchers = Vec::new();
    for n in 0..20 {
        let ticket = seller
            .create_ticket(&format!("Expiring {n}"), json!(5))
            .await;
        let order = expiry_buyers[n % CONCURRENCY].reserve(&ticket.id).await;
        // Opened once held: its first message is the hold, the next the expiry.
        let mut channel = e2e::live::open(&format!("/api/tickets/{}/live", ticket.id)).await;
        watchers.push(tokio::spawn(async move {
            let expires_at = order.expires_at_ms();
            let give_up = Duration::from_secs(60);
            while let Some((_, view)) = e2e::live::next_within(&mut channel, give_up).await {
                if view["state"] == "available" {
                    return Some(now_ms() - expires_at);
                }
            }
            None
        }));
    }

    // The floor of a hold: one key written in a ticket's object, through the
    // same worker-to-object plumbing (a test-build route).
    let bare = seller.create_ticket("Bare write", json!(5)).await.id;
    let bare_write = {
        let (http, url) = (
            anonymous.http.clone(),
            anonymous.url("/api/tickets/_test/bench-write"),
        );
        move |_, _| {
            let (http, url, bare) = (http.clone(), url.clone(), bare.clone());
            async move {
                http.post(url)
                    .json(&json!({ "ticketId": bare.as_str() }))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        }
    };
    rows.push(
        load::run(
            "POST bare Durable Object write (test route)",
            CONCURRENCY,
            seconds(),
            bare_write,
        )
        .await,
    );

    // (a) One hot ticket: every buyer tries to reserve it; one may win.
    let hot = seller.create_ticket("Hot ticket", json!(50)).await.id;
    let hot_wins: Wins = Arc::default();
    let attempt = |tickets: Arc<Vec<TicketId>>, wins: Wins| {
        let buyers = buyers.clone();
        move |worker: usize, iteration: usize| {
            let (buyers, tickets, wins) = (buyers.clone(), tickets.clone(), wins.clone());
            async move {
                let ticket = &tickets[(worker * 7919 + iteration) % tickets.len()];
                let response = buyers[worker].place_order(ticket).await;
                match response.status() {
                    StatusCode::CREATED => {
                        let order: Value = response.json().await.unwrap_or_default();
                        let at = |field: &str| order[field].as_str().map_or(0, iso_to_unix_ms);
                        wins.lock().unwrap().push((
                            ticket.clone(),
                            at("createdAt"),
                            at("expiresAt"),
                        ));
                        true
                    }
                    // Refused: the expected answer once it is held, or once
                    // the buyer holds MAX_OPEN_ORDERS unpaid orders.
                    StatusCode::BAD_REQUEST | StatusCode::TOO_MANY_REQUESTS => true,
                    _ => false,
                }
            }
        }
    };
    rows.push(
        load::run(
            "POST /api/orders, one hot ticket",
            CONCURRENCY,
            seconds(),
            attempt(Arc::new(vec![hot]), hot_wins.clone()),
        )
        .await,
    );

    // (b) The same crowd spread over 100 tickets.
    let mut spread = Vec::new();
    for n in 0..100 {
        spread.push(
            seller
                .create_ticket(&format!("Spread {n}"), json!(5))
                .await
                .id,
        );
    }
    let spread_wins: Wins = Arc::default();
    rows.push(
        load::run(
            "POST /api/orders, 100 tickets",
            CONCURRENCY,
            seconds(),
            attempt(Arc::new(spread), spread_wins.clone()),
        )
        .await,
    );

    rows.push(fresh_holds(&seller, &buyers).await);

    // (d) Reservations that succeed and end: each buyer reserves and cancels its own tickets in turn.
    let mut own: Vec<Vec<TicketId>> = Vec::new();
    for worker in 0..CONCURRENCY {
        let mut tickets = Vec::new();
        for n in 0..4 {
            tickets.push(
                seller
                    .create_ticket(&format!("Cycle {worker}.{n}"), json!(5))
                    .await
                    .id,
            );
        }
        own.push(tickets);
    }
    let own = Arc::new(own);
    // Buyers of their own: the crowd above may still hold MAX_OPEN_ORDERS
    // unpaid orders each until they expire.
    let cyclists: Vec<Arc<TestUser>> = crowd().await;
    let cycle = {
        let buyers = cyclists.clone();
        move |worker: usize, iteration: usize| {
            let (buyers, own) = (buyers.clone(), own.clone());
            async move {
                let ticket = &own[worker][iteration % own[worker].len()];
                let response = buyers[worker].place_order(ticket).await;
                if response.status() != StatusCode::CREATED {
                    return false;
                }
                let order: Value = response.json().await.unwrap_or_default();
                let path = format!("/api/orders/{}", order["id"].as_str().unwrap_or_default());
                buyers[worker].delete(&path).await.status() == StatusCode::NO_CONTENT
            }
        }
    };
    rows.push(
        load::run(
            "reserve + cancel cycles (successful holds)",
            CONCURRENCY,
            seconds(),
            cycle,
        )
        .await,
    );

    let oversold = oversells(&hot_wins) + oversells(&spread_wins);
    let mut lateness = Vec::new();
    for watcher in join_all(watchers).await {
        lateness.push(watcher.expect("a watcher").expect("every order expires"));
    }
    lateness.sort_unstable();

    // --- payments through the local provider (one at a time) -----------------
    // Each order is paid right after it is placed: the bench stack's payment window is short.
    let mut pay_ms = Vec::new();
    for n in 0..40 {
        let ticket = seller
            .create_ticket(&format!("Payable {n}"), json!(25))
            .await;
        let order_id = buyers[0].reserve(&ticket.id).await.id;
        let started = Instant::now();
        let response = buyers[0].pay(&order_id, "tok_visa").await;
        assert_eq!(response.status(), StatusCode::CREATED, "paying {order_id}");
        pay_ms.push(started.elapsed().as_micros() as i64);
    }
    pay_ms.sort_unstable();

    let live = live::measure(&seller).await;

    println!(
        "\n{CONCURRENCY} concurrent clients, {} s per scenario, against {base}\n",
        seconds().as_secs()
    );
    println!("Auth (ratios against the static asset):");
    load::report(&auth_rows);
    println!("\nReservations (ratios against the trivial route of the tickets worker):");
    load::report(&rows);
    let rate = |name: &str| {
        rows.iter()
            .find(|r| r.name.starts_with(name))
            .map_or(0.0, Stats::per_second)
    };
    println!(
        "\nlist with q and sort / plain list (requests per second): {:.2}",
        rate("GET /api/tickets?q=") / rate("GET /api/tickets (list")
    );
    println!(
        "hot ticket / bare object write: {:.2}   [target: >= 0.8]",
        rate("POST /api/orders, one hot ticket") / rate("POST bare Durable Object write")
    );
    print_holds_ratio(
        rate("POST /api/orders, fresh holds"),
        rate("GET /api/tickets/not-a-uuid"),
    );
    println!(
        "\noversells: {oversold} (hot ticket won {} time(s), 100 tickets won {} time(s))",
        hot_wins.lock().unwrap().len(),
        spread_wins.lock().unwrap().len()
    );
    println!(
        "expiry lateness after expiresAt, during the reservation load (window {window} s, 20 orders, seen on each ticket's live channel): p50 {} ms, max {} ms   [target: p50 <= 100 ms, max <= 500 ms]",
        percentile(&lateness, 0.5),
        percentile(&lateness, 1.0)
    );
    println!(
        "POST /api/payments, local provider, sequential (40 orders): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&pay_ms, 0.5) as f64 / 1000.0,
        percentile(&pay_ms, 0.99) as f64 / 1000.0
    );
    for (what, figures) in [
        (
            "POST /api/tickets -> listed (its own request writes the list)",
            &listing_ms,
        ),
        ("a hold -> shown in GET /api/tickets (by event)", &hold_ms),
        ("a sale -> shown in GET /api/tickets (by event)", &sale_ms),
    ] {
        println!(
            "{what} (10 tickets): p50 {} ms, max {} ms   [target: p50 <= 250 ms, max <= 1000 ms]",
            percentile(figures, 0.5),
            percentile(figures, 1.0)
        );
    }
    live::report(&live);
}
