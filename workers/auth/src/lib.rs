//! The auth worker: `/api/users/*`. Thin: parse, call the domain, persist, answer.

mod abuse;
mod limit_object;
mod routes;
mod users;

use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    edge::router::serve(req, env, &routes::table()).await
}
