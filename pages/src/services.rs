//! Talking to the service workers over their service bindings.

use domain::session::CurrentUser;
use domain::{ApiError, OrInternal};
use edge::reply::{self, REQUEST_ID_HEADER};
use serde::Deserialize;
use serde_json::Value;
use worker::{Env, Fetcher, Headers, Method, Request, RequestInit, Response};

/// Which service owns an `/api/...` path.
fn binding_for(path: &str) -> Option<&'static str> {
    let service = path.strip_prefix("/api/")?.split('/').next()?;
    match service {
        "users" => Some("AUTH"),
        "tickets" => Some("TICKETS"),
        "orders" => Some("ORDERS"),
        _ => None,
    }
}

/// Forwards an API request unchanged (method, URL, headers, body) to its service.
pub async fn forward(req: Request, env: &Env, request_id: &str) -> worker::Result<Response> {
    let Some(binding) = binding_for(&req.path()) else {
        return reply::finish(Err(ApiError::NotFound), request_id);
    };
    let headers = req.headers().clone();
    headers.set(REQUEST_ID_HEADER, request_id)?;
    let mut init = RequestInit::new();
    init.with_method(req.method()).with_headers(headers);
    if !matches!(req.method(), Method::Get | Method::Head) {
        init.with_body(req.inner().body().map(Into::into));
    }
    let forwarded = Request::new_with_init(req.url()?.as_str(), &init)?;
    match env.service(binding)?.fetch_request(forwarded).await {
        Ok(response) => Ok(response),
        Err(e) => reply::finish(
            Err(ApiError::internal(format!("{binding} unreachable: {e}"))),
            request_id,
        ),
    }
}

/// What every page needs: who is signed in, the site's origin, and how to call the API.
pub struct PageContext {
    pub user: Option<CurrentUser>,
    pub origin: String,
    pub request_id: String,
    cookie: Option<String>,
    auth: Fetcher,
}

/// A service's answer: its status, its JSON body and the cookie it set.
pub struct ApiReply {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<String>,
}

impl PageContext {
    pub async fn load(req: &Request, env: &Env, request_id: &str) -> Result<Self, ApiError> {
        let url = req.url().or_internal()?;
        let mut ctx = PageContext {
            user: None,
            origin: url.origin().ascii_serialization(),
            request_id: request_id.to_string(),
            cookie: req.headers().get("cookie").ok().flatten(),
            auth: env.service("AUTH").or_internal()?,
        };
        // Anonymous visitors need no round trip.
        if ctx
            .cookie
            .as_deref()
            .is_some_and(|c| c.contains(domain::session::SESSION_COOKIE))
        {
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Current {
                current_user: Option<CurrentUser>,
            }
            let reply = ctx
                .call_auth(Method::Get, "/api/users/currentuser", None)
                .await?;
            ctx.user = serde_json::from_value::<Current>(reply.body)
                .or_internal()?
                .current_user;
        }
        Ok(ctx)
    }

    /// Calls the auth service as the browser would, with the browser's cookie.
    pub async fn call_auth(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<ApiReply, ApiError> {
        let headers = Headers::new();
        headers
            .set(REQUEST_ID_HEADER, &self.request_id)
            .or_internal()?;
        if let Some(cookie) = &self.cookie {
            headers.set("cookie", cookie).or_internal()?;
            // Same-origin by construction: the browser already passed our CSRF check.
            headers.set("origin", &self.origin).or_internal()?;
        }
        let mut init = RequestInit::new();
        init.with_method(method);
        if let Some(body) = body {
            headers
                .set("content-type", "application/json")
                .or_internal()?;
            init.with_body(Some(body.to_string().into()));
        }
        init.with_headers(headers);
        let request =
            Request::new_with_init(&format!("{}{path}", self.origin), &init).or_internal()?;
        let mut response = self.auth.fetch_request(request).await.or_internal()?;
        let set_cookie = response.headers().get("set-cookie").ok().flatten();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok(ApiReply {
            status: response.status_code(),
            body,
            set_cookie,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::binding_for;

    #[test]
    fn routes_api_paths_to_their_service() {
        assert_eq!(binding_for("/api/users/signin"), Some("AUTH"));
        assert_eq!(binding_for("/api/users"), Some("AUTH"));
        assert_eq!(binding_for("/api/usersx/signin"), None);
        assert_eq!(binding_for("/api/"), None);
    }
}
