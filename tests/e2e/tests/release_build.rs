//! What `wrangler deploy` ships: the release build has no test-only code, and
//! a deploy that kept the public example session key refuses sessions.
//!
//! Stack: release (see scripts/test.sh): the release build, with the
//! committed settings and the example JWT_KEY of .dev.vars.example.

use e2e::{errors, unique_email, TestClient, TestUser, PASSWORD};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn the_release_build_has_no_test_routes() {
    let client = TestClient::anonymous();
    let test_routes = [
        "/api/tickets/_test/events",
        "/api/tickets/_test/faults",
        "/api/tickets/_test/fail-next",
        "/api/tickets/_test/bench-write",
        "/api/orders/_test/fail-next",
        "/api/payments/_test/fail-next",
        "/api/payments/_test/reconcile",
        "/api/users/_test/legacy-user",
        "/api/users/_test/password-scheme",
    ];
    for path in test_routes {
        for method in [Method::POST, Method::GET] {
            let response = client
                .http
                .request(method.clone(), client.url(path))
                .json(&json!([]))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(errors(response).await, [("Not found".into(), None)]);
        }
    }
}

/// This stack has no ADMIN_TOKEN: the operator's routes are closed to
/// everyone (503), whatever token is presented, and not open.
#[tokio::test]
async fn without_an_admin_token_the_admin_routes_are_closed() {
    let client = TestClient::anonymous();
    let routes = [
        (Method::GET, "/api/tickets/admin/dead-letters"),
        (Method::POST, "/api/orders/admin/dead-letters/redrive"),
        (Method::POST, "/api/payments/admin/dead-letters/redrive"),
        (Method::POST, "/api/tickets/admin/republish"),
    ];
    for (method, path) in routes {
        for token in ["", "Bearer ", "Bearer guess"] {
            let response = client
                .http
                .request(method.clone(), client.url(path))
                .header("authorization", token)
                .json(&json!({ "all": true }))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path}"
            );
            assert_eq!(
                errors(response).await,
                [(
                    "Admin routes are not configured (no ADMIN_TOKEN secret)".into(),
                    None
                )]
            );
        }
    }
}

/// The local stack runs with the example key, which serves loopback hosts
/// only: the same requests to a public host name are refused.
const PUBLIC_HOST: &str = "tickets.example.com";
const NOT_CONFIGURED: &str = "Sessions are not configured";

#[tokio::test]
async fn the_example_session_key_signs_no_session_for_a_public_host() {
    let client = TestClient::anonymous();
    let email = unique_email();
    let body = json!({ "email": email, "password": PASSWORD });
    for path in ["/api/users/signup", "/api/users/signin"] {
        let response = client
            .http
            .post(client.url(path))
            .header("host", PUBLIC_HOST)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
        assert_eq!(errors(response).await, [(NOT_CONFIGURED.into(), None)]);
    }
    // Nothing was created: on loopback, the email is still free.
    assert_eq!(
        client.signup(&email, PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn the_example_session_key_accepts_no_session_for_a_public_host() {
    let user = TestUser::signed_up().await;
    let ticket = user.create_ticket("On loopback", json!(5)).await;
    // The same session, sent to the public host name.
    for (method, path) in [
        (Method::GET, "/api/users/currentuser".to_string()),
        (Method::GET, "/api/orders".to_string()),
        (Method::PUT, format!("/api/tickets/{}", ticket.id)),
    ] {
        let response = user
            .http
            .request(method.clone(), user.url(&path))
            .header("host", PUBLIC_HOST)
            .json(&json!({ "title": "Taken over", "price": 1 }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}"
        );
        assert_eq!(errors(response).await, [(NOT_CONFIGURED.into(), None)]);
    }
    assert_eq!(user.ticket(&ticket.id).await["title"], "On loopback");
    assert_eq!(user.current_user().await["email"], user.email.as_str());
}
