//! The auth worker: `/api/users/*`. Thin: parse, call the domain, persist, answer.

mod abuse;
mod limit_object;
mod pepper;
mod routes;
#[cfg(feature = "test-hooks")]
mod test_hooks;
mod users;

use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    edge::router::serve(req, env, &routes::table()).await
}
