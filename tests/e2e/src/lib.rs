//! Helpers for the black-box tests in `tests/`: a client per test user, unique
//! emails so tests run in parallel against one stack, and the stack's address.

pub mod browser;
pub mod load;
pub mod purchase;
pub mod stripe_stub;

use reqwest::{header, Client, Response, StatusCode};
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct-horse";

/// The running stack, started by `scripts/test.sh`.
pub fn base_url() -> String {
    std::env::var("TICKETING_BASE_URL")
        .expect("TICKETING_BASE_URL is not set: run the black-box tests with `make test`")
}

/// The stack's JWT key, so tests can forge expired or foreign tokens.
pub fn jwt_key() -> String {
    std::env::var("TICKETING_JWT_KEY").expect("TICKETING_JWT_KEY is not set: run with `make test`")
}

pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// One HTTP user agent with its own cookie jar.
pub struct TestClient {
    pub http: Client,
    pub base: String,
}

impl TestClient {
    pub fn anonymous() -> Self {
        let http = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            http,
            base: base_url(),
        }
    }

    /// A fresh user, signed up and holding the session cookie.
    pub async fn signed_up() -> (Self, String) {
        let client = Self::anonymous();
        let email = unique_email();
        let response = client.signup(&email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::CREATED, "sign-up of {email}");
        (client, email)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST")
    }

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

    /// Lists a ticket for sale and returns it.
    pub async fn create_ticket(&self, title: &str, price: Value) -> Value {
        let response = self
            .post_json("/api/tickets", json!({ "title": title, "price": price }))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "creating a ticket");
        response.json().await.expect("a ticket")
    }

    pub async fn place_order(&self, ticket_id: &str) -> Response {
        self.post_json("/api/orders", json!({ "ticketId": ticket_id }))
            .await
    }

    /// Places an order that must succeed and returns it.
    pub async fn order(&self, ticket_id: &str) -> Value {
        let response = self.place_order(ticket_id).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "ordering {ticket_id}"
        );
        response.json().await.expect("an order")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON")
    }

    pub async fn current_user(&self) -> Value {
        let response = self.get("/api/users/currentuser").await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<Value>().await.expect("JSON")["currentUser"].clone()
    }
}

/// Polls `check` until it returns `Some` or `within` has passed; read models
/// are fed by queues and become consistent within about a second locally.
pub async fn eventually<T, F, Fut>(within: std::time::Duration, what: &str, check: F) -> T
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The tickets read model's row for `id`, if listed.
pub async fn listed_ticket(client: &TestClient, query: &str, id: &str) -> Option<Value> {
    let page: Value = client
        .get_json(&format!("/api/tickets?limit=100{query}"))
        .await;
    page.as_array()?.iter().find(|t| t["id"] == id).cloned()
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
