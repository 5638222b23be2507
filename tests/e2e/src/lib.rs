//! Helpers for the black-box tests in `tests/`: a `TestUser` per test (a unique
//! email, so tests run in parallel against one stack) whose client has one
//! method per endpoint, typed ids, and `eventually` for whatever settles
//! asynchronously (queues, alarms, pages fed by read models).

pub mod browser;
pub mod cloudflare_stub;
pub mod csrf;
pub mod live;
pub mod load;
pub mod purchase;
pub use stack;
pub mod stripe_stub;
pub mod stub_server;

use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};
use std::fmt;
use std::future::Future;
use std::ops::{Deref, Index};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "correct-horse";

/// How long `eventually` (and the browser's waits) keep trying before they
/// fail. Generous on purpose: it bounds a wait, it is not a latency target
/// (`make bench` measures those, and the expiry tests assert theirs).
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The running stack, started by the runner (run-tests) or the test itself.
pub fn base_url() -> String {
    std::env::var("TICKETING_BASE_URL")
        .expect("TICKETING_BASE_URL is not set: run the black-box tests with `make test`")
}

/// The stack's JWT key, so tests can forge expired or foreign tokens.
pub fn jwt_key() -> String {
    std::env::var("TICKETING_JWT_KEY").expect("TICKETING_JWT_KEY is not set: run with `make test`")
}

/// The stack's payment window (its EXPIRATION_WINDOW_SECONDS), as
/// scripts/test.sh passes it on.
pub fn expiration_window() -> Duration {
    let seconds = std::env::var("TICKETING_EXPIRATION_WINDOW_SECONDS")
        .expect("TICKETING_EXPIRATION_WINDOW_SECONDS is not set: run with `make test`");
    Duration::from_secs(seconds.parse().expect("a whole number of seconds"))
}

/// The stack's lost-payment timeout (its PAYMENT_TIMEOUT_SECONDS), as
/// scripts/test.sh passes it on.
pub fn payment_timeout() -> Duration {
    let seconds = std::env::var("TICKETING_PAYMENT_TIMEOUT_SECONDS")
        .expect("TICKETING_PAYMENT_TIMEOUT_SECONDS is not set: run with `make test`");
    Duration::from_secs(seconds.parse().expect("a whole number of seconds"))
}

/// A client address no other test uses (from TEST-NET-3 and the benchmark
/// range), for the per-address limits.
pub fn unique_address() -> String {
    let n = uuid::Uuid::new_v4().as_u128();
    format!(
        "198.{}.{}.{}",
        18 + (n % 2),
        (n >> 8) % 256,
        1 + (n >> 16) % 254
    )
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Ids as the API hands them out. Tests never look inside; wrapping them keeps
/// a ticket's id from being passed where an order's is wanted.
macro_rules! id_type {
    ($($name:ident),*) => {$(
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub String);

        impl $name {
            /// The `id` field of a JSON object the API answered.
            pub fn of(json: &Value) -> Self {
                let id = json["id"].as_str().unwrap_or_else(|| panic!("no id in {json}"));
                Self(id.to_string())
            }

            /// A well-formed id that nothing has.
            pub fn unknown() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl IdOf for $name {
            fn id_of(json: &Value) -> Self {
                Self::of(json)
            }
        }

        /// So that `assert_eq!(order["ticket"]["id"], ticket.id)` reads as it says.
        impl PartialEq<$name> for Value {
            fn eq(&self, id: &$name) -> bool {
                self == id.as_str()
            }
        }
    )*};
}

id_type!(UserId, TicketId, OrderId, PaymentId);

/// Reads an id type from the JSON the API answered (for `Created`).
pub trait IdOf {
    fn id_of(json: &Value) -> Self;
}

/// Something the API created: its typed id, and the JSON it answered, which a
/// test reads like the JSON itself (`order["expiresAt"]`).
#[derive(Clone, Debug)]
pub struct Created<Id> {
    pub id: Id,
    pub json: Value,
}

pub type Ticket = Created<TicketId>;
pub type Order = Created<OrderId>;

impl<Id: IdOf> Created<Id> {
    /// What a POST answered with 201 Created, which it must have (`what`
    /// names the request in the failure).
    async fn from_201(response: Response, what: &str) -> Self {
        assert_eq!(response.status(), StatusCode::CREATED, "{what}");
        let json: Value = response.json().await.expect("a JSON body");
        Created {
            id: Id::id_of(&json),
            json,
        }
    }
}

impl<Id> Index<&str> for Created<Id> {
    type Output = Value;

    fn index(&self, field: &str) -> &Value {
        &self.json[field]
    }
}

impl Order {
    /// `expiresAt` in Unix milliseconds.
    pub fn expires_at_ms(&self) -> i64 {
        iso_to_unix_ms(self["expiresAt"].as_str().expect("an expiresAt"))
    }

    /// `createdAt` in Unix milliseconds.
    pub fn created_at_ms(&self) -> i64 {
        iso_to_unix_ms(self["createdAt"].as_str().expect("a createdAt"))
    }
}

/// One HTTP user agent with its own cookie jar, with one method per endpoint.
/// `signup`, `signin`, `signout`, `get_*`, `place_order`, `update_ticket`,
/// `cancel_order` and `pay` hand back the raw response, for tests of what is
/// refused; the others assert success and return what was asked for.
#[derive(Clone)]
pub struct TestClient {
    pub http: Client,
    pub base: String,
}

/// A user signed up by the test, holding the session cookie. It derefs to its
/// client, so `seller.create_ticket(..)` reads like the journey.
pub struct TestUser {
    pub client: TestClient,
    pub id: UserId,
    pub email: String,
}

impl TestUser {
    /// A fresh user (unique email), signed up and holding the session cookie.
    pub async fn signed_up() -> Self {
        Self::signed_up_with(TestClient::anonymous()).await
    }

    /// A fresh user signed up through `client` (e.g. one with an address).
    pub async fn signed_up_with(client: TestClient) -> Self {
        let email = unique_email();
        let response = client.signup(&email, PASSWORD).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::CREATED, "sign-up of {email}: {text}");
        let body: Value = serde_json::from_str(&text).expect("the new user");
        assert_eq!(body["email"], email.as_str(), "sign-up of {email}");
        TestUser {
            client,
            id: UserId::of(&body),
            email,
        }
    }
}

impl Deref for TestUser {
    type Target = TestClient;

    fn deref(&self) -> &TestClient {
        &self.client
    }
}

impl TestClient {
    pub fn anonymous() -> Self {
        Self::with_headers(header::HeaderMap::new())
    }

    /// A client whose requests come from `address`, as Cloudflare says in
    /// `CF-Connecting-IP`. Local runs carry no real address, so only clients
    /// made here meet the per-address limits.
    pub fn from_address(address: &str) -> Self {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            "cf-connecting-ip",
            address.parse().expect("an address is a valid header value"),
        );
        Self::with_headers(headers)
    }

    /// The operator: every request carries the stack's `ADMIN_TOKEN` (the
    /// admin routes: dead letters, read-model repair).
    pub fn admin() -> Self {
        let token = std::env::var("TICKETING_ADMIN_TOKEN")
            .expect("TICKETING_ADMIN_TOKEN is not set: run with `make test`");
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
        Self::with_headers(headers)
    }

    /// A client with its own cookie jar that follows no redirects and sends
    /// `headers` with every request.
    fn with_headers(headers: header::HeaderMap) -> Self {
        let http = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .expect("an HTTP client");
        Self {
            http,
            base: base_url(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    // --- any route ------------------------------------------------------------

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// A GET that must answer 200, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn put_json(&self, path: &str, body: Value) -> Response {
        self.http
            .put(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.http
            .delete(self.url(path))
            .send()
            .await
            .expect("DELETE")
    }

    // --- auth -----------------------------------------------------------------

    pub async fn signup(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/users/signup",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn signin(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/users/signin",
            json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn signout(&self) -> Response {
        self.post_json("/api/users/signout", json!({})).await
    }

    /// `currentUser` from GET /api/users/currentuser: null when signed out.
    pub async fn current_user(&self) -> Value {
        self.get_json("/api/users/currentuser").await["currentUser"].clone()
    }

    // --- tickets --------------------------------------------------------------

    /// Lists a ticket for sale, which must succeed.
    pub async fn create_ticket(&self, title: &str, price: Value) -> Ticket {
        let response = self
            .post_json("/api/tickets", json!({ "title": title, "price": price }))
            .await;
        Created::from_201(response, &format!("listing {title:?}")).await
    }

    pub async fn get_ticket(&self, id: &TicketId) -> Response {
        self.get(&format!("/api/tickets/{id}")).await
    }

    /// The ticket as its Durable Object holds it now.
    pub async fn ticket(&self, id: &TicketId) -> Value {
        self.get_json(&format!("/api/tickets/{id}")).await
    }

    pub async fn update_ticket(&self, id: &TicketId, title: &str, price: Value) -> Response {
        self.put_json(
            &format!("/api/tickets/{id}"),
            json!({ "title": title, "price": price }),
        )
        .await
    }

    /// The tickets read model's row for `id` (GET /api/tickets?limit=100
    /// plus `query`, e.g. `&available=true`), if listed.
    pub async fn listed_ticket(&self, query: &str, id: &TicketId) -> Option<Value> {
        let page = self
            .get_json(&format!("/api/tickets?limit=100{query}"))
            .await;
        page.as_array()?.iter().find(|t| t["id"] == *id).cloned()
    }

    // --- orders ---------------------------------------------------------------

    /// POST /api/orders with an Idempotency-Key, as a careful client sends
    /// it: when wrangler's dev proxy drops the request
    /// ([`dropped_by_the_dev_proxy`]), it is sent again with the same key,
    /// which names the same order. Answers the status and JSON body.
    pub async fn place_order_keyed(&self, ticket: &TicketId, key: &str) -> (StatusCode, Value) {
        let mut tries = 0;
        loop {
            tries += 1;
            let response = self
                .http
                .post(self.url("/api/orders"))
                .header("idempotency-key", key)
                .json(&json!({ "ticketId": ticket.as_str() }))
                .send()
                .await
                .expect("POST");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            if dropped_by_the_dev_proxy(status, &text) && tries < 3 {
                continue;
            }
            return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
        }
    }

    pub async fn place_order(&self, ticket: &TicketId) -> Response {
        self.post_json("/api/orders", json!({ "ticketId": ticket.as_str() }))
            .await
    }

    /// Places an order that must succeed: the ticket is now held for this user.
    pub async fn reserve(&self, ticket: &TicketId) -> Order {
        let response = self.place_order(ticket).await;
        Created::from_201(response, &format!("ordering {ticket}")).await
    }

    pub async fn get_order(&self, id: &OrderId) -> Response {
        self.get(&format!("/api/orders/{id}")).await
    }

    /// The order as its ticket's Durable Object holds it now.
    pub async fn order(&self, id: &OrderId) -> Value {
        self.get_json(&format!("/api/orders/{id}")).await
    }

    pub async fn cancel_order(&self, id: &OrderId) -> Response {
        self.delete(&format!("/api/orders/{id}")).await
    }

    /// The user's orders, newest first (the orders read model).
    pub async fn orders(&self) -> Vec<Value> {
        let list = self.get_json("/api/orders").await;
        list.as_array().expect("a list of orders").clone()
    }

    // --- payments -------------------------------------------------------------

    pub async fn pay(&self, order: &OrderId, token: &str) -> Response {
        self.post_json(
            "/api/payments",
            json!({ "orderId": order.as_str(), "token": token }),
        )
        .await
    }

    /// `pay` with an `Idempotency-Key`: what a retry of one checkout sends.
    pub async fn pay_with_key(&self, order: &OrderId, token: &str, key: &str) -> Response {
        self.http
            .post(self.url("/api/payments"))
            .header("idempotency-key", key)
            .json(&json!({ "orderId": order.as_str(), "token": token }))
            .send()
            .await
            .expect("POST")
    }

    /// The order's charges (GET /api/payments?orderId=).
    pub async fn payments(&self, order: &OrderId) -> Vec<Value> {
        let list = self
            .get_json(&format!("/api/payments?orderId={order}"))
            .await;
        list.as_array().expect("a list of payments").clone()
    }
}

/// Whether an answer is wrangler's dev proxy failing its own fetch to the
/// worker (seen under bursts of concurrent POSTs, and when the worker answers
/// before a long upload ends), not the worker's: no deployed copy has this
/// proxy. Wrangler 4.168 answers a plain-text 500 "Network connection lost."
/// (4.86 answered 503 "Your worker restarted mid-request"; it still does
/// when the worker did reload). Our workers answer every error in JSON. The
/// client may send the request again, which is safe with an Idempotency-Key.
pub fn dropped_by_the_dev_proxy(status: StatusCode, body: &str) -> bool {
    (status == StatusCode::INTERNAL_SERVER_ERROR
        && body.starts_with("Error: Network connection lost."))
        || (status == StatusCode::SERVICE_UNAVAILABLE
            && body.starts_with("Your worker restarted mid-request"))
}

/// `n` buyers, signed up ten at a time: a stampede is its orders, and 50
/// concurrent PBKDF2 sign-ups sometimes make wrangler's dev proxy drop a
/// request ([`dropped_by_the_dev_proxy`]), which no deployed copy does.
pub async fn signed_up_buyers(n: usize) -> Vec<std::sync::Arc<TestUser>> {
    let mut buyers = Vec::with_capacity(n);
    while buyers.len() < n {
        let batch = (n - buyers.len()).min(10);
        buyers.extend(
            futures::future::join_all(
                (0..batch).map(|_| async { std::sync::Arc::new(TestUser::signed_up().await) }),
            )
            .await,
        );
    }
    buyers
}

/// Polls `check` until it returns `Some`, and returns that; fails the test,
/// naming `what` it waited for, once `PATIENCE` has passed. Everything that
/// settles asynchronously (read models fed by queues, alarms, pages built from
/// read models) is awaited this way, never with a fixed sleep.
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(what, PATIENCE, check).await
}

/// [`eventually`] with another bound, for what waits on a longer deadline
/// of the product (the lost-payment timeout).
pub async fn eventually_within<T, F, Fut>(what: &str, patience: Duration, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < patience,
            "gave up waiting for {what}: still not so after {patience:?} ({attempts} checks)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Returns once the wall clock (which the API's timestamps use) has passed
/// `unix_ms`; at once if it already has.
pub async fn wait_until(unix_ms: i64) {
    let ahead = unix_ms - now_ms();
    if ahead > 0 {
        tokio::time::sleep(Duration::from_millis(ahead as u64)).await;
    }
}

/// The `Set-Cookie` header of a response, which must be there.
pub fn set_cookie(response: &Response) -> String {
    response
        .headers()
        .get(header::SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .expect("ASCII")
        .to_string()
}

/// The session token inside a `Set-Cookie: session=...` header.
pub fn session_token(set_cookie: &str) -> String {
    set_cookie
        .strip_prefix("session=")
        .and_then(|rest| rest.split(';').next())
        .expect("a session cookie")
        .to_string()
}

/// A 429 with the JSON error body `message`, a sane Retry-After (at most
/// `max_seconds`) and no session cookie: how every abuse limit refuses.
pub async fn assert_limited(response: Response, message: &str, max_seconds: u64, what: &str) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{what}");
    let retry_after: u64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{what}: a Retry-After in seconds"));
    assert!(
        (1..=max_seconds).contains(&retry_after),
        "{what}: Retry-After {retry_after}"
    );
    assert!(
        response.headers().get("set-cookie").is_none(),
        "{what}: no session"
    );
    assert_eq!(errors(response).await, [(message.into(), None)], "{what}");
}

/// The error messages of a JSON error body, with their fields.
pub async fn errors(response: Response) -> Vec<(String, Option<String>)> {
    let body: Value = response.json().await.expect("a JSON error body");
    body["errors"]
        .as_array()
        .expect("an errors array")
        .iter()
        .map(|e| {
            let message = e["message"].as_str().expect("a message").to_string();
            (
                message,
                e.get("field").and_then(Value::as_str).map(Into::into),
            )
        })
        .collect()
}

/// Unix milliseconds of an ISO 8601 UTC timestamp as the API writes them
/// (`2026-11-25T20:42:26.283Z`).
pub fn iso_to_unix_ms(iso: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(iso)
        .unwrap_or_else(|e| panic!("{iso:?} is not ISO 8601: {e}"))
        .timestamp_millis()
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}
