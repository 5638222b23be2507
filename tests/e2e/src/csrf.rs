//! State-changing requests sent as a page of some site would send them, with
//! the user's cookies, for the CSRF tests: the same write from another
//! site's page (refused) and from ours (taken).

use crate::{errors, TestClient};
use reqwest::{header, Method, Response, StatusCode};
use serde_json::Value;

/// A site that is not ours.
pub const FOREIGN_ORIGIN: &str = "https://evil.example";

/// What the CSRF guard answers (shared/edge/src/csrf.rs).
pub const REFUSAL: &str = "Cross-site request refused";

/// A write to the API (JSON, or no body) or a form post to a page.
pub struct Write {
    method: Method,
    path: String,
    body: Body,
}

enum Body {
    None,
    Json(Value),
    Form(Vec<(String, String)>),
}

impl Write {
    /// `method path` on the API, with a JSON body unless `Value::Null`.
    pub fn api(method: Method, path: impl Into<String>, body: Value) -> Self {
        let body = if body.is_null() {
            Body::None
        } else {
            Body::Json(body)
        };
        Write {
            method,
            path: path.into(),
            body,
        }
    }

    /// A form of the pages posting `fields` (none for a button-only form).
    pub fn form(path: impl Into<String>, fields: &[(&str, &str)]) -> Self {
        let fields = fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Write {
            method: Method::POST,
            path: path.into(),
            body: Body::Form(fields),
        }
    }

    /// Sends it with `client`'s cookies, from a page of `origin`.
    pub async fn send(&self, client: &TestClient, origin: &str) -> Response {
        let request = client
            .http
            .request(self.method.clone(), client.url(&self.path))
            .header(header::ORIGIN, origin);
        let request = match &self.body {
            Body::None => request,
            Body::Json(json) => request.json(json),
            Body::Form(fields) => request.form(fields),
        };
        request.send().await.expect(&self.path)
    }

    /// Sent from another site's page with `client`'s session, it is refused:
    /// 403, no cookie set, and the guard's reason (JSON from the API, the
    /// error page from the pages).
    pub async fn assert_refused_from_another_site(&self, client: &TestClient) {
        let what = format!("{} {} from {FOREIGN_ORIGIN}", self.method, self.path);
        let response = self.send(client, FOREIGN_ORIGIN).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{what}");
        assert!(
            response.headers().get(header::SET_COOKIE).is_none(),
            "{what}: a refused request set a cookie"
        );
        if let Body::Form(_) = self.body {
            let page = response.text().await.expect("the error page");
            let reason = format!(r#"<p class="error-banner">{REFUSAL}</p>"#);
            assert!(page.contains(&reason), "{what}: {page}");
        } else {
            assert_eq!(
                errors(response).await,
                [(REFUSAL.to_string(), None)],
                "{what}"
            );
        }
    }

    /// Sent from our own pages, it is taken: a 2xx from the API, a 303 (to
    /// the page that shows the outcome) from a form. Returns the response.
    pub async fn send_from_our_site(&self, client: &TestClient) -> Response {
        let what = format!("{} {} from our site", self.method, self.path);
        let response = self.send(client, client.base.trim_end_matches('/')).await;
        if let Body::Form(_) = self.body {
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{what}");
        } else {
            assert!(response.status().is_success(), "{what}: {response:?}");
        }
        response
    }
}

/// Where a form post sent the browser (its 303's Location).
pub fn redirect_location(response: &Response) -> &str {
    response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
}
