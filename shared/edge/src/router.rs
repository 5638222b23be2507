//! One small router for every service worker: a table of method, path
//! pattern, who may call it and the handler. Written here once so that each
//! worker's routes read in one screen (`routes!` at the top of its
//! `routes.rs`), and the 404/405, CSRF, sign-in and request-id rules live in
//! one place.
//!
//! Who may call a route is part of its handler's type: `user` handlers take
//! the `CurrentUser`, so a handler's signature says it needs one.

use crate::desk_client::DeskClient;
use crate::session::SessionConfig;
use crate::{body, csrf, reply, ApiResult};
use domain::http::session::CurrentUser;
use domain::idempotency::IdempotencyKey;
use domain::ids::TicketId;
use domain::ApiError;
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use worker::{Env, Method, Request, Response};

pub type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult>>>;

/// Who may call a route, and the handler that serves it.
pub enum Handler {
    /// Anyone; a cross-site write is refused (403).
    Anyone(fn(Ctx) -> HandlerFuture),
    /// A signed-in user (else 401); a cross-site write is refused (403).
    User(fn(Ctx, CurrentUser) -> HandlerFuture),
    /// A machine that signs its requests (Stripe): no session and no CSRF
    /// check, the handler verifies the signature.
    Signed(fn(Ctx) -> HandlerFuture),
    /// The operator, with `Authorization: Bearer <ADMIN_TOKEN>` (else 401;
    /// 503 when no token is configured). No cookie is involved, so no CSRF
    /// check is needed.
    Admin(fn(Ctx) -> HandlerFuture),
}

pub struct Route {
    pub method: Method,
    /// `/api/orders/:id`: literal segments and `:name` parameters.
    pub pattern: &'static str,
    pub handler: Handler,
}

/// What a handler gets: the request, the environment, the request id and
/// the path's parameters.
pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub request_id: String,
    params: Vec<(&'static str, String)>,
}

impl Ctx {
    /// A `:name` parameter of the route's pattern ("" if the pattern has none).
    pub fn param(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(key, _)| *key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// The `Idempotency-Key` header, if sent (400 if malformed).
    pub fn idempotency_key(&self) -> ApiResult<Option<IdempotencyKey>> {
        let header = self.req.headers().get("idempotency-key").ok().flatten();
        IdempotencyKey::parse_header(header.as_deref())
    }

    /// The object of `ticket_id`, called on behalf of this request.
    pub fn desk(&self, ticket_id: &TicketId) -> ApiResult<DeskClient> {
        DeskClient::for_ticket(&self.env, ticket_id, &self.request_id)
    }

    /// The JSON body, within the default size limit.
    pub async fn json_body(&mut self) -> ApiResult<Value> {
        body::read_json(&mut self.req, body::DEFAULT_LIMIT).await
    }
}

/// The table as a worker writes it:
/// ```ignore
/// edge::routes![
///     Get  "/api/orders"     user => list,
///     Post "/api/orders"     user => place,
///     Get  "/api/orders/:id" user => show,
/// ]
/// ```
/// Access is `anyone`, `user`, `signed` or `admin` (see `Handler`).
#[macro_export]
macro_rules! routes {
    ($($method:ident $pattern:literal $access:ident => $handler:path),* $(,)?) => {
        vec![$($crate::router::Route {
            method: ::worker::Method::$method,
            pattern: $pattern,
            handler: $crate::routes!(@handler $access $handler),
        }),*]
    };
    (@handler anyone $handler:path) => {
        $crate::router::Handler::Anyone(|cx| Box::pin($handler(cx)))
    };
    (@handler user $handler:path) => {
        $crate::router::Handler::User(|cx, user| Box::pin($handler(cx, user)))
    };
    (@handler signed $handler:path) => {
        $crate::router::Handler::Signed(|cx| Box::pin($handler(cx)))
    };
    (@handler admin $handler:path) => {
        $crate::router::Handler::Admin(|cx| Box::pin($handler(cx)))
    };
}

/// Serves one request with a worker's table: finds the route (JSON 404 for
/// an unknown path, 405 for a known path with another method), applies its
/// access rule, runs the handler and tags the response with the request id.
pub async fn serve(req: Request, env: Env, routes: &[Route]) -> worker::Result<Response> {
    let request_id = reply::request_id(&req);
    let result = dispatch(req, env, routes, request_id.clone()).await;
    reply::finish(result, &request_id)
}

async fn dispatch(req: Request, env: Env, routes: &[Route], request_id: String) -> ApiResult {
    let path = req.path();
    let method = req.method();
    let mut path_known = false;
    for route in routes {
        let Some(params) = match_path(route.pattern, &path) else {
            continue;
        };
        path_known = true;
        if route.method != method {
            continue;
        }
        let cx = Ctx {
            req,
            env,
            request_id,
            params,
        };
        return match route.handler {
            Handler::Signed(handler) => handler(cx).await,
            Handler::Admin(handler) => {
                let authorization = cx.req.headers().get("authorization").ok().flatten();
                let url = crate::RequestUrl::of(&cx.req).ok();
                domain::admin::authorize(
                    crate::config::setting(&cx.env, "ADMIN_TOKEN").as_deref(),
                    authorization.as_deref(),
                    url.as_ref().map(crate::RequestUrl::host),
                )?;
                handler(cx).await
            }
            Handler::Anyone(handler) => {
                csrf::refuse_cross_site(&cx.req)?;
                handler(cx).await
            }
            Handler::User(handler) => {
                csrf::refuse_cross_site(&cx.req)?;
                let user = SessionConfig::for_request(&cx.env, &cx.req, &cx.request_id)?
                    .require_user(&cx.req)?;
                handler(cx, user).await
            }
        };
    }
    Err(if path_known {
        ApiError::MethodNotAllowed
    } else {
        ApiError::NotFound
    })
}

/// The `:name` parameters if `path` fits `pattern` (a trailing slash is ignored).
fn match_path(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut wanted = pattern.trim_end_matches('/').split('/');
    let mut given = path.trim_end_matches('/').split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(want), Some(part)) => match want.strip_prefix(':') {
                Some(name) if !part.is_empty() => params.push((name, part.to_string())),
                None if want == part => {}
                _ => return None,
            },
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::match_path;

    #[test]
    fn literal_paths_match_exactly_with_or_without_a_trailing_slash() {
        assert_eq!(match_path("/api/orders", "/api/orders"), Some(vec![]));
        assert_eq!(match_path("/api/orders", "/api/orders/"), Some(vec![]));
        assert_eq!(match_path("/api/orders", "/api/order"), None);
        assert_eq!(match_path("/api/orders", "/api/orders/x"), None);
        assert_eq!(match_path("/api/orders/x", "/api/orders"), None);
    }

    #[test]
    fn parameters_take_one_non_empty_segment() {
        assert_eq!(
            match_path("/api/orders/:id", "/api/orders/abc"),
            Some(vec![("id", "abc".to_string())])
        );
        assert_eq!(match_path("/api/orders/:id", "/api/orders/a/b"), None);
        assert_eq!(match_path("/api/orders/:id", "/api/orders//"), None);
        assert_eq!(
            match_path("/api/tickets/:id/live", "/api/tickets//live"),
            None
        );
        assert_eq!(
            match_path("/api/tickets/:id/live", "/api/tickets/7/live"),
            Some(vec![("id", "7".to_string())])
        );
    }
}
