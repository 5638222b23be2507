//! The Pages worker: server-rendered pages, static files from the Pages assets,
//! and `/api/*` forwarded to the service workers over service bindings.

mod auth_pages;
mod forms;
mod services;
mod views;

use edge::reply;
use worker::{event, Context, Env, Method, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if path.starts_with("/static/") || path == "/favicon.ico" || path == "/robots.txt" {
        return env.assets("ASSETS")?.fetch_request(req).await;
    }
    let request_id = reply::request_id(&req);
    if path.starts_with("/api/") {
        return services::forward(req, &env, &request_id).await;
    }
    let result = route(req, &env, &request_id).await;
    match result {
        Ok(response) => {
            response
                .headers()
                .set(reply::REQUEST_ID_HEADER, &request_id)?;
            Ok(response)
        }
        Err(err) => views::error_page(&err, &request_id),
    }
}

async fn route(mut req: Request, env: &Env, request_id: &str) -> edge::ApiResult {
    let ctx = services::PageContext::load(&req, env, request_id).await?;
    match (req.method(), req.path().as_str()) {
        (Method::Get, "/") => views::html(200, views::home::page(&ctx)),
        (Method::Get, "/auth/signup") => auth_pages::signup_form(&ctx),
        (Method::Post, "/auth/signup") => auth_pages::signup(&mut req, &ctx).await,
        (Method::Get, "/auth/signin") => auth_pages::signin_form(&ctx),
        (Method::Post, "/auth/signin") => auth_pages::signin(&mut req, &ctx).await,
        (Method::Get, "/auth/signout") => auth_pages::signout_form(&ctx),
        (Method::Post, "/auth/signout") => auth_pages::signout(&req, &ctx).await,
        _ => Err(domain::ApiError::NotFound),
    }
}
