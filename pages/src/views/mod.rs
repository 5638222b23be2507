//! HTML, rendered with maud (compile-time templates, escaped by default).

pub mod auth;
pub mod home;

use crate::services::PageContext;
use domain::{ApiError, OrInternal};
use edge::ApiResult;
use maud::{html, Markup, DOCTYPE};
use worker::Response;

pub fn html(status: u16, page: Markup) -> ApiResult {
    let response = Response::from_html(page.into_string())
        .or_internal()?
        .with_status(status);
    response
        .headers()
        .set("cache-control", "no-store")
        .or_internal()?;
    Ok(response)
}

pub fn layout(ctx: &PageContext, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ticketing" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.site-header {
                    a.brand href="/" { "Ticketing" }
                    nav {
                        @if let Some(user) = &ctx.user {
                            span.who data-testid="signed-in-as" { (user.email) }
                            form.inline method="post" action="/auth/signout" {
                                button.link type="submit" { "Sign out" }
                            }
                        } @else {
                            a href="/auth/signup" { "Sign up" }
                            a href="/auth/signin" { "Sign in" }
                        }
                    }
                }
                main.container { (body) }
            }
        }
    }
}

/// Errors on page routes are pages too; API routes answer JSON instead.
pub fn error_page(err: &ApiError, request_id: &str) -> worker::Result<Response> {
    if let ApiError::Internal(cause) = err {
        edge::log::error(request_id, "page_error", cause);
    }
    let message = err
        .errors()
        .into_iter()
        .map(|e| e.message)
        .collect::<Vec<_>>()
        .join("; ");
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Error · Ticketing" }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                header.site-header { a.brand href="/" { "Ticketing" } }
                main.container {
                    h1 { (err.status()) }
                    p.error-banner { (message) }
                    p { a href="/" { "Back to the start page" } }
                }
            }
        }
    };
    let response = Response::from_html(page.into_string())?.with_status(err.status());
    response
        .headers()
        .set(edge::reply::REQUEST_ID_HEADER, request_id)?;
    Ok(response)
}
