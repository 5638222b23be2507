//! The auth worker: `/api/users/*`. Thin: parse, call the domain, persist, answer.

mod routes;
mod users;

use edge::reply;
use worker::{event, Context, Env, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let request_id = reply::request_id(&req);
    let result = routes::handle(req, &env).await;
    reply::finish(result, &request_id)
}
