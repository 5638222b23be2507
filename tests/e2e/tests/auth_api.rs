//! The auth service's contract, black-box over HTTP. Test names follow the
//! original app's test cases (`../shared/seed/behaviour.md`) where there is one.
//!
//! Stack: api (see scripts/test.sh)

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use domain::http::session::SessionKey;
use e2e::purchase::Purchase;
use e2e::{
    errors, session_token, set_cookie, unique_email, OrderId, TestClient, TestUser, PASSWORD,
};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// --- signup -----------------------------------------------------------------

#[tokio::test]
async fn signup_returns_a_201_on_successful_signup() {
    let client = TestClient::anonymous();
    let email = unique_email();
    let response = client.signup(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], email);
    assert!(uuid::Uuid::parse_str(body["id"].as_str().unwrap()).is_ok());
    // The account exists: its password signs it in, as the same user.
    let other_device = TestClient::anonymous();
    let signin = other_device.signin(&email, PASSWORD).await;
    assert_eq!(signin.status(), StatusCode::OK);
    assert_eq!(signin.json::<Value>().await.unwrap(), body);
}

#[tokio::test]
async fn signup_returns_a_400_with_an_invalid_email() {
    let response = TestClient::anonymous()
        .signup("not-an-email", PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Email must be valid".into(), Some("email".into()))]
    );
}

#[tokio::test]
async fn signup_returns_a_400_with_an_invalid_password() {
    for password in ["p", "  abcdefg  ", &"x".repeat(129)] {
        let response = TestClient::anonymous()
            .signup(&unique_email(), password)
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{password:?}");
        assert_eq!(
            errors(response).await,
            [(
                "Password must be between 8 and 128 characters".into(),
                Some("password".into())
            )]
        );
    }
}

#[tokio::test]
async fn signup_returns_a_400_with_missing_email_and_password() {
    let client = TestClient::anonymous();
    let response = client.post_json("/api/users/signup", json!({})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let fields: Vec<_> = errors(response).await.into_iter().map(|(_, f)| f).collect();
    assert_eq!(fields, [Some("email".into()), Some("password".into())]);
}

#[tokio::test]
async fn signup_disallows_duplicate_emails() {
    let user = TestUser::signed_up().await;
    let response = TestClient::anonymous().signup(&user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(errors(response).await, [("Email in use".into(), None)]);
}

#[tokio::test]
async fn signup_sets_a_cookie_after_successful_signup() {
    let client = TestClient::anonymous();
    let email = unique_email();
    let response = client.signup(&email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = set_cookie(&response);
    assert!(cookie.starts_with("session=ey"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing from {cookie}"
        );
    }
    // Plain-HTTP localhost is the one place a Secure cookie would be dropped.
    assert!(!cookie.contains("Secure"), "{cookie}");
    // And it is the new user's session.
    assert_eq!(client.current_user().await["email"], email.as_str());
}

#[tokio::test]
async fn emails_are_trimmed_and_compared_case_insensitively() {
    let local = uuid::Uuid::new_v4().simple().to_string();
    let client = TestClient::anonymous();
    let response = client
        .signup(&format!("  Mixed.{local}@Example.COM "), PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["email"], format!("mixed.{local}@example.com"));

    let again = TestClient::anonymous()
        .signup(&format!("MIXED.{local}@example.com"), PASSWORD)
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    let signin = TestClient::anonymous()
        .signin(&format!("mixed.{local}@EXAMPLE.com"), PASSWORD)
        .await;
    assert_eq!(signin.status(), StatusCode::OK);
}

#[tokio::test]
async fn twenty_concurrent_signups_of_one_email_give_exactly_one_201() {
    let email = unique_email();
    let attempts = (0..20).map(|_| {
        let email = email.clone();
        async move {
            TestClient::anonymous()
                .signup(&email, PASSWORD)
                .await
                .status()
        }
    });
    let statuses = join_all(attempts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let in_use = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((created, in_use), (1, 19), "{statuses:?}");
}

// --- signin -----------------------------------------------------------------

#[tokio::test]
async fn signin_fails_when_an_email_that_does_not_exist_is_supplied() {
    let response = TestClient::anonymous()
        .signin(&unique_email(), PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Invalid credentials".into(), None)]
    );
}

#[tokio::test]
async fn signin_fails_when_an_incorrect_password_is_supplied() {
    let user = TestUser::signed_up().await;
    let response = TestClient::anonymous()
        .signin(&user.email, "wrong-password")
        .await;
    assert!(response.headers().get("set-cookie").is_none());
    // Same status and message as an unknown email: no account enumeration.
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [("Invalid credentials".into(), None)]
    );
}

#[tokio::test]
async fn signin_requires_a_valid_email_and_a_password() {
    let response = TestClient::anonymous().signin("nope", "  ").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(response).await,
        [
            ("Email must be valid".into(), Some("email".into())),
            ("You must supply a password".into(), Some("password".into()))
        ]
    );
}

#[tokio::test]
async fn signin_responds_with_a_cookie_when_given_valid_credentials() {
    let user = TestUser::signed_up().await;
    let client = TestClient::anonymous();
    let response = client.signin(&user.email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response).starts_with("session=ey"));
    let me = client.current_user().await;
    assert_eq!(me["email"], user.email.as_str());
    assert_eq!(me["id"], user.id);
}

// --- signout and currentuser -----------------------------------------------

#[tokio::test]
async fn signout_clears_the_cookie_after_signing_out() {
    let user = TestUser::signed_up().await;
    let response = user.signout().await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response);
    assert!(
        cookie.starts_with("session=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    assert_eq!(response.json::<Value>().await.unwrap(), json!({}));
    assert_eq!(user.current_user().await, Value::Null);
}

#[tokio::test]
async fn currentuser_responds_with_details_about_the_current_user() {
    let user = TestUser::signed_up().await;
    let me = user.current_user().await;
    assert_eq!(me["email"], user.email.as_str());
    assert_eq!(me["id"], user.id);
    assert!(me["iat"].as_i64().unwrap() <= now() + 5);
}

#[tokio::test]
async fn currentuser_responds_with_null_if_not_authenticated() {
    assert_eq!(TestClient::anonymous().current_user().await, Value::Null);
}

/// Signs a new user up; their session token and id.
async fn new_session() -> (String, Value) {
    let response = TestClient::anonymous()
        .signup(&unique_email(), PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token = session_token(&set_cookie(&response));
    let user: Value = response.json().await.unwrap();
    (token, user["id"].clone())
}

#[tokio::test]
async fn a_bearer_token_works_like_the_cookie() {
    let (token, id) = new_session().await;
    let cookieless = TestClient::anonymous();
    let body: Value = cookieless
        .http
        .get(cookieless.url("/api/users/currentuser"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["currentUser"]["id"], id, "{body}");
}

#[tokio::test]
async fn sessions_expire_after_the_configured_lifetime() {
    let (token, _) = new_session().await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&B64URL.decode(payload).unwrap()).unwrap();
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert_eq!(lifetime, 7 * 24 * 3600);
}

async fn current_user_with_token(token: &str) -> Value {
    let client = TestClient::anonymous();
    let response = client
        .http
        .get(client.url("/api/users/currentuser"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a bad token is never an error"
    );
    response.json::<Value>().await.unwrap()["currentUser"].clone()
}

#[tokio::test]
async fn tampered_expired_and_unsigned_tokens_are_signed_out() {
    let key = SessionKey::new(e2e::jwt_key().as_bytes()).unwrap();
    let valid = key.issue("u-1", "a@example.com", now(), 60);
    assert_eq!(
        current_user_with_token(&valid).await["id"],
        "u-1",
        "the stack's key signs valid tokens"
    );

    let expired = key.issue("u-1", "a@example.com", now() - 120, 60);
    let foreign = SessionKey::new(&[7; 32])
        .unwrap()
        .issue("u-1", "a@example.com", now(), 60);
    let parts: Vec<&str> = valid.split('.').collect();
    let forged_payload =
        B64URL.encode(r#"{"id":"admin","email":"x@example.com","iat":0,"exp":99999999999}"#);
    let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    let none_header = B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{forged_payload}.");
    for token in [expired, foreign, tampered, unsigned, "garbage".into()] {
        assert_eq!(
            current_user_with_token(&token).await,
            Value::Null,
            "{token}"
        );
    }
}

// --- bad input, unknown routes (CSRF: tests/csrf.rs) ---------------------------

#[tokio::test]
async fn bad_bodies_get_a_4xx_json_error_and_change_nothing() {
    let client = TestClient::anonymous();
    let email = unique_email();
    let cases: Vec<(&str, Vec<u8>, StatusCode)> = vec![
        (
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            b"[1,2,3]".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            json!({"email": 42, "password": true})
                .to_string()
                .into_bytes(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "text/plain",
            json!({"email": email, "password": PASSWORD})
                .to_string()
                .into_bytes(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "application/json",
            vec![b' '; 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (content_type, body, status) in cases {
        let response = client
            .http
            .post(client.url("/api/users/signup"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{content_type}");
        assert!(!errors(response).await.is_empty());
    }
    // None of them created the account.
    assert_eq!(
        client.signin(&email, PASSWORD).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let client = TestClient::anonymous();
    for (method, path, status) in [
        ("GET", "/api/users/nope", StatusCode::NOT_FOUND),
        ("GET", "/api/nothing-here", StatusCode::NOT_FOUND),
        (
            "DELETE",
            "/api/users/signup",
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        ("GET", "/api/users/signin", StatusCode::METHOD_NOT_ALLOWED),
    ] {
        let response = client
            .http
            .request(method.parse().unwrap(), client.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("json"));
        assert!(!errors(response).await.is_empty());
    }
}

/// One row of the route table: who calls `METHOD /path`, with what body,
/// and the status the route answers that with.
struct Call<'a> {
    client: &'a TestClient,
    route: String,
    body: Body,
    status: u16,
}

enum Body {
    None,
    Json(Value),
    Form(&'static [(&'static str, &'static str)]),
}

fn call<'a>(client: &'a TestClient, route: &str, status: u16) -> Call<'a> {
    Call {
        client,
        route: route.to_string(),
        body: Body::None,
        status,
    }
}

impl Call<'_> {
    fn json(self, body: Value) -> Self {
        Call {
            body: Body::Json(body),
            ..self
        }
    }

    fn form(self, fields: &'static [(&'static str, &'static str)]) -> Self {
        Call {
            body: Body::Form(fields),
            ..self
        }
    }

    /// Sends it, with `request_id` as the caller's `x-request-id` if given.
    async fn send(&self, request_id: Option<&str>) -> reqwest::Response {
        let (method, path) = self.route.split_once(' ').expect("METHOD /path");
        let client = self.client;
        let mut request = client
            .http
            .request(method.parse().expect("a method"), client.url(path));
        request = match &self.body {
            Body::None => request,
            Body::Json(json) => request.json(json),
            Body::Form(fields) => request.form(fields),
        };
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        request.send().await.expect(&self.route)
    }
}

/// The request id a response carries, which it must.
fn request_id_of(response: &reqwest::Response, route: &str) -> String {
    let id = response
        .headers()
        .get("x-request-id")
        .unwrap_or_else(|| panic!("{route}: no x-request-id"));
    id.to_str().expect("ASCII").to_string()
}

#[tokio::test]
async fn every_route_answers_with_the_request_id() {
    let p = Purchase::new(json!(10)).await;
    let anyone = &TestClient::anonymous();
    let (seller, buyer): (&TestClient, &TestClient) = (&p.seller, &p.buyer);
    let (ticket, order, unknown) = (&p.ticket_id, &p.order.id, OrderId::unknown());
    // Every route of every service (through the pages' /api forwarding, as
    // browsers call them), every page and form, and unknown paths: each with
    // a caller and a body it answers, and the status that is, so that a row
    // is known to reach the handler it names.
    let table = [
        call(anyone, "GET /api/users/currentuser", 200),
        call(anyone, "POST /api/users/signup", 400).json(json!({})),
        call(anyone, "POST /api/users/signin", 400).json(json!({})),
        call(anyone, "POST /api/users/signout", 200),
        call(seller, "POST /api/tickets", 400).json(json!({})),
        call(anyone, "GET /api/tickets", 200),
        call(anyone, &format!("GET /api/tickets/{ticket}"), 200),
        call(seller, &format!("PUT /api/tickets/{ticket}"), 400).json(json!({})),
        call(buyer, "POST /api/orders", 400).json(json!({})),
        call(buyer, "GET /api/orders", 200),
        call(buyer, &format!("GET /api/orders/{order}"), 200),
        call(buyer, &format!("DELETE /api/orders/{unknown}"), 404),
        call(buyer, "POST /api/payments", 400).json(json!({})),
        call(buyer, &format!("GET /api/payments?orderId={order}"), 200),
        call(anyone, "POST /api/payments/webhook", 400).json(json!({})),
        call(anyone, "GET /api/users/nope", 404),
        call(anyone, "DELETE /api/users/signup", 405),
        call(anyone, "GET /api/nothing-here", 404),
        call(anyone, "GET /", 200),
        call(anyone, "GET /auth/signup", 200),
        call(anyone, "POST /auth/signup", 400).form(&[]),
        call(anyone, "GET /auth/signin", 200),
        call(anyone, "POST /auth/signin", 400).form(&[]),
        call(anyone, "GET /auth/signout", 200),
        call(anyone, "POST /auth/signout", 303).form(&[]),
        call(seller, "GET /tickets/new", 200),
        call(seller, "POST /tickets/new", 400).form(&[]),
        call(anyone, &format!("GET /tickets/{ticket}"), 200),
        call(seller, &format!("GET /tickets/{ticket}/edit"), 200),
        call(seller, &format!("POST /tickets/{ticket}/edit"), 400).form(&[]),
        // Held by the buyer's own order already: refused, and shown so.
        call(buyer, &format!("POST /tickets/{ticket}/purchase"), 400).form(&[]),
        call(buyer, "GET /orders", 200),
        call(buyer, &format!("GET /orders/{order}"), 200),
        call(buyer, &format!("POST /orders/{unknown}/cancel"), 404).form(&[]),
        call(buyer, &format!("POST /orders/{order}/pay"), 402)
            .form(&[("token", "tok_chargeDeclined")]),
        call(anyone, "GET /nothing-here", 404),
    ];
    for row in &table {
        let route = &row.route;
        // A caller's id (the pages pass theirs on to the services) comes back...
        let ours = format!("e2e-{}", uuid::Uuid::new_v4().simple());
        let response = row.send(Some(&ours)).await;
        assert_eq!(response.status().as_u16(), row.status, "{route}");
        assert_eq!(request_id_of(&response, route), ours, "{route}");

        // ...and without one, the answer has a fresh one.
        let response = row.send(None).await;
        assert_eq!(response.status().as_u16(), row.status, "{route}");
        let fresh = request_id_of(&response, route);
        assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{route}: {fresh:?}");
    }
}
