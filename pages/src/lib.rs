//! The Pages worker: server-rendered pages, static files from the Pages assets,
//! and `/api/*` forwarded to the service workers over service bindings.

mod account_pages;
mod auth_pages;
mod forms;
mod hardening;
mod order_pages;
mod services;
mod ticket_pages;
mod views;

use edge::reply;
use hardening::PagePolicy;
use worker::{event, Context, Env, Method, Request, Response};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    if path.starts_with("/static/") || path == "/favicon.ico" || path == "/robots.txt" {
        return hardening::static_file(env.assets("ASSETS")?.fetch_request(req).await?);
    }
    let request_id = reply::request_id(&req);
    if path.starts_with("/api/") {
        return services::forward(req, &env, &request_id).await;
    }
    let policy = PagePolicy::for_request(&req, &env);
    let response = match route(req, &env, &request_id).await {
        Ok(response) => {
            response
                .headers()
                .set(reply::REQUEST_ID_HEADER, &request_id)?;
            response
        }
        Err(err) => views::error_page(&err, &request_id)?,
    };
    policy.apply(&response)?;
    Ok(response)
}

async fn route(mut req: Request, env: &Env, request_id: &str) -> edge::ApiResult {
    let ctx = services::PageContext::load(&req, env, request_id).await?;
    let path = req.path();
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    match (req.method(), segments.as_slice()) {
        (Method::Get, []) => ticket_pages::home(&req, &ctx).await,
        (Method::Get, ["auth", "signup"]) => auth_pages::signup_form(&ctx),
        (Method::Post, ["auth", "signup"]) => auth_pages::signup(&mut req, &ctx).await,
        (Method::Get, ["auth", "signin"]) => auth_pages::signin_form(&ctx),
        (Method::Post, ["auth", "signin"]) => auth_pages::signin(&mut req, &ctx).await,
        (Method::Get, ["auth", "signout"]) => auth_pages::signout_form(&ctx),
        (Method::Post, ["auth", "signout"]) => auth_pages::signout(&req, &ctx).await,
        (Method::Get, ["tickets", "new"]) => ticket_pages::new_form(&ctx),
        (Method::Post, ["tickets", "new"]) => ticket_pages::create(&mut req, &ctx).await,
        (Method::Get, ["tickets", id]) => ticket_pages::show(&ctx, id).await,
        (Method::Get, ["tickets", id, "edit"]) => ticket_pages::edit_form(&ctx, id).await,
        (Method::Post, ["tickets", id, "edit"]) => ticket_pages::update(&mut req, &ctx, id).await,
        (Method::Post, ["tickets", id, "withdraw"]) => {
            ticket_pages::withdraw(&mut req, &ctx, id).await
        }
        (Method::Get, ["selling"]) => account_pages::selling(&req, &ctx).await,
        (Method::Get, ["my-tickets"]) => account_pages::my_tickets(&req, &ctx, None).await,
        (Method::Post, ["tickets", id, "resell"]) => {
            account_pages::resell(&mut req, &ctx, id).await
        }
        (Method::Post, ["tickets", id, "purchase"]) => {
            ticket_pages::purchase(&mut req, &ctx, id).await
        }
        (Method::Get, ["orders"]) => order_pages::list(&req, &ctx).await,
        (Method::Get, ["orders", id]) => order_pages::show(&ctx, id).await,
        (Method::Post, ["orders", id, "cancel"]) => order_pages::cancel(&mut req, &ctx, id).await,
        (Method::Post, ["orders", id, "pay"]) => order_pages::pay(&mut req, &ctx, id).await,
        _ => Err(domain::ApiError::NotFound),
    }
}
