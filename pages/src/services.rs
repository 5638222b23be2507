//! Talking to the service workers over their service bindings.

use crate::forms::FormErrors;
use domain::http::session::CurrentUser;
use domain::limits::ClientAddress;
use domain::{ApiError, OrInternal};
use edge::reply::{self, REQUEST_ID_HEADER};
use edge::RequestUrl;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use worker::{Env, Headers, Method, Request, Response};

/// Which service owns an `/api/...` path, by its binding.
fn binding_for(path: &str) -> Option<&'static str> {
    Service::owning(path).map(Service::binding)
}

/// Forwards an API request unchanged (method, URL, headers, body) to its service.
pub async fn forward(req: Request, env: &Env, request_id: &str) -> worker::Result<Response> {
    let Some(binding) = binding_for(&req.path()) else {
        return reply::finish(Err(ApiError::NotFound), request_id);
    };
    let headers = req.headers().clone();
    headers.set(REQUEST_ID_HEADER, request_id)?;
    let body = match req.method() {
        Method::Get | Method::Head => None,
        _ => req.inner().body().map(Into::into),
    };
    let forwarded = edge::outbound::request(req.method(), &req.inner().url(), &headers, body)?;
    match env.service(binding)?.fetch_request(forwarded).await {
        Ok(response) => Ok(response),
        Err(e) => reply::finish(
            Err(ApiError::internal(format!("{binding} unreachable: {e}"))),
            request_id,
        ),
    }
}

/// The service workers the pages call, by their binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Auth,
    Tickets,
    Orders,
    Payments,
}

impl Service {
    /// The service an `/api/<service>/...` path belongs to.
    fn owning(path: &str) -> Option<Service> {
        let service = path.strip_prefix("/api/")?.split('/').next()?;
        match service {
            "users" => Some(Service::Auth),
            "tickets" => Some(Service::Tickets),
            "orders" => Some(Service::Orders),
            "payments" => Some(Service::Payments),
            _ => None,
        }
    }

    /// The name of its service binding (the `[[services]]` of the root `wrangler.toml`).
    fn binding(self) -> &'static str {
        match self {
            Service::Auth => "AUTH",
            Service::Tickets => "TICKETS",
            Service::Orders => "ORDERS",
            Service::Payments => "PAYMENTS",
        }
    }
}

/// What every page needs: who is signed in, the site's origin, and how to call the API.
pub struct PageContext {
    pub user: Option<CurrentUser>,
    pub origin: String,
    pub request_id: String,
    cookie: Option<String>,
    /// The browser's address (`CF-Connecting-IP`), passed on so that the
    /// services' abuse limits count the browser, not this worker.
    client_address: Option<String>,
    env: Env,
}

/// A service's answer: its status, its JSON body, the cookie it set and the
/// cursor of the next page of a list.
pub struct ApiReply {
    pub status: u16,
    pub body: Value,
    pub set_cookie: Option<String>,
    pub next_cursor: Option<String>,
}

impl ApiReply {
    /// The body as the type the service documents.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        serde_json::from_value(self.body).or_internal()
    }

    /// A status the page has no answer of its own for, as the error page shows it.
    pub fn unexpected(&self, service: Service) -> ApiError {
        match self.status {
            400 => ApiError::BadRequest(FormErrors::from_api(&self.body).all().join("; ")),
            401 => ApiError::NotAuthorized,
            404 => ApiError::NotFound,
            // Not set up (payments, sessions): the service's own words.
            503 => ApiError::ServiceUnavailable(FormErrors::from_api(&self.body).all().join("; ")),
            status => ApiError::internal(format!("{} answered {status}", service.binding())),
        }
    }
}

impl PageContext {
    pub async fn load(req: &Request, env: &Env, request_id: &str) -> Result<Self, ApiError> {
        let url = RequestUrl::of(req)?;
        let mut ctx = PageContext {
            user: None,
            origin: url.origin().to_string(),
            request_id: request_id.to_string(),
            cookie: req.headers().get("cookie").ok().flatten(),
            client_address: req.headers().get(ClientAddress::HEADER).ok().flatten(),
            env: env.clone(),
        };
        // Anonymous visitors need no round trip.
        if ctx
            .cookie
            .as_deref()
            .is_some_and(|c| c.contains(domain::http::session::SESSION_COOKIE))
        {
            #[derive(Deserialize)]
            #[serde(rename_all = "camelCase")]
            struct Current {
                current_user: Option<CurrentUser>,
            }
            let reply = ctx
                .call(Service::Auth, Method::Get, "/api/users/currentuser", None)
                .await?;
            ctx.user = reply.parse::<Current>()?.current_user;
        }
        Ok(ctx)
    }

    /// Whether the signed-in user is `user_id`.
    pub fn is_user(&self, user_id: &str) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id)
    }

    /// A setting of the Pages project, when it is set and not blank.
    pub fn var(&self, name: &str) -> Option<String> {
        edge::config::setting(&self.env, name)
    }

    /// Calls a service as the browser would, with the browser's cookie.
    pub async fn call(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<ApiReply, ApiError> {
        self.call_with_headers(service, method, path, body, &[])
            .await
    }

    /// [`PageContext::call`] with extra request headers (an `Idempotency-Key`).
    pub async fn call_with_headers(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<Value>,
        extra_headers: &[(&str, &str)],
    ) -> Result<ApiReply, ApiError> {
        let headers = Headers::new();
        for (name, value) in extra_headers {
            headers.set(name, value).or_internal()?;
        }
        headers
            .set(REQUEST_ID_HEADER, &self.request_id)
            .or_internal()?;
        if let Some(address) = &self.client_address {
            headers.set(ClientAddress::HEADER, address).or_internal()?;
        }
        if let Some(cookie) = &self.cookie {
            headers.set("cookie", cookie).or_internal()?;
            // Same-origin by construction: the browser already passed our CSRF check.
            headers.set("origin", &self.origin).or_internal()?;
        }
        if body.is_some() {
            headers
                .set("content-type", "application/json")
                .or_internal()?;
        }
        let body = body.map(|body| body.to_string().into());
        let url = format!("{}{path}", self.origin);
        let request = edge::outbound::request(method, &url, &headers, body).or_internal()?;
        let fetcher = self.env.service(service.binding()).or_internal()?;
        let mut response = fetcher.fetch_request(request).await.or_internal()?;
        let header = |name: &str| response.headers().get(name).ok().flatten();
        let set_cookie = header("set-cookie");
        let next_cursor = header("link").as_deref().and_then(next_cursor);
        // 204 and error pages of the platform have no JSON: Null says "nothing".
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok(ApiReply {
            status: response.status_code(),
            body,
            set_cookie,
            next_cursor,
        })
    }
}

/// The `cursor` of the `rel="next"` URL in a `Link` header.
fn next_cursor(link: &str) -> Option<String> {
    link.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        if !params.split(';').any(|p| p.trim() == r#"rel="next""#) {
            return None;
        }
        let url = RequestUrl::parse(target.trim().strip_prefix('<')?.strip_suffix('>')?)?;
        url.query_param("cursor").filter(|c| !c.is_empty())
    })
}

/// One page of an API list (`api_query` has its filters; the page size and
/// the page's `?cursor=` are added), and the link to this page's next page.
pub async fn list_page<T: serde::de::DeserializeOwned>(
    ctx: &PageContext,
    req: &worker::Request,
    service: Service,
    api_query: &str,
    page_path: &str,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    const PAGE_SIZE: u32 = 20;
    let cursor = crate::forms::query(req, "cursor")?;
    let joiner = if api_query.contains('?') { '&' } else { '?' };
    let path = format!(
        "{api_query}{joiner}limit={PAGE_SIZE}{}",
        cursor_query(cursor.as_deref())
    );
    let reply = ctx.call(service, worker::Method::Get, &path, None).await?;
    if reply.status != 200 {
        return Err(reply.unexpected(service));
    }
    let next = next_page_link(page_path, reply.next_cursor.as_deref());
    Ok((reply.parse()?, next))
}

/// A `&cursor=` to append to an API list query, from the page's own query string.
pub fn cursor_query(cursor: Option<&str>) -> String {
    match cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => format!("&cursor={}", encode(cursor)),
        None => String::new(),
    }
}

/// The page's own URL for the next page of a list, when the API has one.
/// `page_path` may carry a query already (`/?q=jazz&sort=price`), which it keeps.
pub fn next_page_link(page_path: &str, next_cursor: Option<&str>) -> Option<String> {
    let joiner = if page_path.contains('?') { '&' } else { '?' };
    next_cursor.map(|cursor| format!("{page_path}{joiner}cursor={}", encode(cursor)))
}

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::{binding_for, cursor_query, next_cursor, next_page_link};

    #[test]
    fn routes_api_paths_to_their_service() {
        assert_eq!(binding_for("/api/users/signin"), Some("AUTH"));
        assert_eq!(binding_for("/api/users"), Some("AUTH"));
        assert_eq!(binding_for("/api/usersx/signin"), None);
        assert_eq!(binding_for("/api/"), None);
    }

    #[test]
    fn finds_the_next_cursor_in_a_link_header() {
        let link = r#"<http://x/api/tickets?available=true&limit=20&cursor=MTc5NTox>; rel="next""#;
        assert_eq!(next_cursor(link).as_deref(), Some("MTc5NTox"));
        let two = r#"<http://x/a?cursor=p>; rel="prev", <http://x/a?cursor=n>; rel="next""#;
        assert_eq!(next_cursor(two).as_deref(), Some("n"));
        assert_eq!(next_cursor(r#"<http://x/a?cursor=p>; rel="prev""#), None);
        assert_eq!(next_cursor(r#"<http://x/a>; rel="next""#), None);
        assert_eq!(next_cursor("garbage"), None);
    }

    #[test]
    fn passes_a_cursor_on_encoded() {
        assert_eq!(cursor_query(None), "");
        assert_eq!(cursor_query(Some("")), "");
        assert_eq!(cursor_query(Some("a b&c")), "&cursor=a+b%26c");
        assert_eq!(
            next_page_link("/", Some("x=")).as_deref(),
            Some("/?cursor=x%3D")
        );
        assert_eq!(next_page_link("/orders", None), None);
        assert_eq!(
            next_page_link("/?q=jazz&sort=price", Some("c")).as_deref(),
            Some("/?q=jazz&sort=price&cursor=c"),
            "the search is kept"
        );
    }
}
