//! `make bench`: latency and throughput of the local stack, measured in one
//! run so that the ratios between scenarios hold on a noisy machine.

use e2e::load::{self, Stats};
use e2e::{set_cookie, TestClient, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

const CONCURRENCY: usize = 8;

fn seconds() -> Duration {
    let secs = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    Duration::from_secs(secs)
}

#[tokio::main]
async fn main() {
    let client = TestClient::anonymous();
    let (_, email) = TestClient::signed_up().await;
    let signin = client.signin(&email, PASSWORD).await;
    let cookie = set_cookie(&signin)
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string();
    let http = client.http.clone();
    let base = client.base.clone();

    let mut rows: Vec<Stats> = Vec::new();
    let get = |path: &'static str, cookie: Option<String>| {
        let (http, url) = (http.clone(), format!("{base}{path}"));
        move |_, _| {
            let (http, url, cookie) = (http.clone(), url.clone(), cookie.clone());
            async move {
                let mut request = http.get(url);
                if let Some(cookie) = cookie {
                    request = request.header("cookie", cookie);
                }
                request
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        }
    };
    // Baselines first: a static file (platform only), then a route that does no work.
    rows.push(
        load::run(
            "GET /static/app.css (static asset)",
            CONCURRENCY,
            seconds(),
            get("/static/app.css", None),
        )
        .await,
    );
    rows.push(
        load::run(
            "GET /api/users/currentuser (anonymous)",
            CONCURRENCY,
            seconds(),
            get("/api/users/currentuser", None),
        )
        .await,
    );
    rows.push(
        load::run(
            "GET /api/users/currentuser (signed in)",
            CONCURRENCY,
            seconds(),
            get("/api/users/currentuser", Some(cookie.clone())),
        )
        .await,
    );
    rows.push(
        load::run(
            "GET / (page, signed in)",
            CONCURRENCY,
            seconds(),
            get("/", Some(cookie)),
        )
        .await,
    );
    let signin = {
        let (http, url) = (http.clone(), format!("{base}/api/users/signin"));
        move |_, _| {
            let (http, url, email) = (http.clone(), url.clone(), email.clone());
            async move {
                let body = json!({ "email": email, "password": PASSWORD });
                http.post(url)
                    .json(&body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == StatusCode::OK)
            }
        }
    };
    rows.push(
        load::run(
            "POST /api/users/signin (PBKDF2 100k)",
            CONCURRENCY,
            seconds(),
            signin,
        )
        .await,
    );

    println!(
        "\n{CONCURRENCY} concurrent clients, {} s per scenario, against {base}\n",
        seconds().as_secs()
    );
    load::report(&rows);
}
