//! Hardened responses: every page carries the content policy and the other
//! security headers; API answers and static files are never sniffed, API
//! answers never cached. (Plain HTTP here, so no Strict-Transport-Security;
//! the unit tests of pages/src/hardening.rs cover HTTPS.)
//!
//! Stack: api (see scripts/test.sh)

use e2e::purchase::Purchase;
use e2e::{unique_email, TestClient, TestUser, PASSWORD};
use reqwest::{Response, StatusCode};
use serde_json::json;

/// The policy of a site without Stripe Elements (this stack sets no
/// STRIPE_PUBLISHABLE_KEY).
const POLICY: &str =
    "default-src 'self'; script-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("ASCII"))
}

/// The headers every page carries, whatever its status.
fn assert_page_headers(response: &Response, what: &str) {
    assert_eq!(
        header(response, "content-security-policy"),
        Some(POLICY),
        "{what}"
    );
    assert_eq!(
        header(response, "x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(response, "referrer-policy"),
        Some("strict-origin-when-cross-origin"),
        "{what}"
    );
    assert_eq!(
        header(response, "cache-control"),
        Some("no-store"),
        "{what}"
    );
    assert_eq!(
        header(response, "strict-transport-security"),
        None,
        "{what}: plain HTTP"
    );
}

/// Markup the policy would block: inline scripts, style elements, style and
/// event-handler attributes.
fn assert_no_inline_code(html: &str, what: &str) {
    let lower = html.to_ascii_lowercase();
    for (at, _) in lower.match_indices("<script") {
        let tag = &lower[at..at + lower[at..].find('>').expect("a closed tag")];
        assert!(tag.contains(" src="), "inline script in {what}: {tag}");
    }
    for blocked in [
        "<style",
        " style=",
        " onclick=",
        " onload=",
        " onsubmit=",
        "javascript:",
    ] {
        assert!(!lower.contains(blocked), "{blocked} in {what}");
    }
}

#[tokio::test]
async fn every_page_carries_the_content_policy_and_no_inline_code() {
    let p = Purchase::new(json!(12)).await;
    let anonymous = TestClient::anonymous();
    let ticket = format!("/tickets/{}", p.ticket_id);
    let order = format!("/orders/{}", p.order.id);
    let pages: [(&TestClient, &str, StatusCode); 9] = [
        (&anonymous, "/", StatusCode::OK),
        (&anonymous, "/auth/signup", StatusCode::OK),
        (&anonymous, "/auth/signin", StatusCode::OK),
        (&anonymous, "/orders", StatusCode::SEE_OTHER),
        (&anonymous, "/no/such/page", StatusCode::NOT_FOUND),
        (&p.buyer.client, ticket.as_str(), StatusCode::OK),
        (&p.buyer.client, order.as_str(), StatusCode::OK),
        (&p.buyer.client, "/orders", StatusCode::OK),
        (&p.seller.client, "/tickets/new", StatusCode::OK),
    ];
    for (client, path, status) in pages {
        let response = client.get(path).await;
        assert_eq!(response.status(), status, "GET {path}");
        assert_page_headers(&response, &format!("GET {path}"));
        let html = response.text().await.unwrap();
        assert_no_inline_code(&html, path);
    }

    // Form posts, their redirects and the pages they re-render.
    let email = unique_email();
    let form = [("email", email.as_str()), ("password", PASSWORD)];
    let visitor = TestClient::anonymous();
    let signed_up = visitor
        .http
        .post(visitor.url("/auth/signup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    assert_page_headers(&signed_up, "the sign-up redirect");
    let refused = visitor
        .http
        .post(visitor.url("/auth/signin"))
        .form(&[("email", email.as_str()), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_page_headers(&refused, "a refused sign-in");
}

#[tokio::test]
async fn api_answers_are_neither_sniffed_nor_cached() {
    let user = TestUser::signed_up().await;
    let anonymous = TestClient::anonymous();
    let responses = [
        (
            "signed-up user",
            anonymous.signup(&unique_email(), PASSWORD).await,
        ),
        ("current user", user.get("/api/users/currentuser").await),
        ("orders", user.get("/api/orders").await),
        ("tickets", anonymous.get("/api/tickets").await),
        ("401", anonymous.get("/api/orders").await),
        ("400", user.post_json("/api/tickets", json!({})).await),
        ("404 of a service", user.get("/api/orders/nope").await),
        ("404 of the site", anonymous.get("/api/nothing").await),
        ("403", {
            let request = user.http.post(user.url("/api/users/signout"));
            request
                .header("origin", "https://evil.example")
                .send()
                .await
                .unwrap()
        }),
    ];
    for (what, response) in responses {
        assert_eq!(
            header(&response, "x-content-type-options"),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-store"),
            "{what}"
        );
        assert!(
            header(&response, "content-type").is_some_and(|t| t.starts_with("application/json")),
            "{what}"
        );
    }
}

#[tokio::test]
async fn static_files_are_not_sniffed() {
    let client = TestClient::anonymous();
    for (path, kind) in [
        ("/static/app.css", "text/css"),
        ("/static/countdown.js", "javascript"),
    ] {
        let response = client.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
        let served_as = header(&response, "content-type").unwrap_or_default();
        assert!(served_as.contains(kind), "{path} served as {served_as}");
    }
}
