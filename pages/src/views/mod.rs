//! HTML, rendered with maud (compile-time templates, escaped by default).

pub mod account;
pub mod auth;
pub mod format;
pub mod home;
pub mod orders;
pub mod tickets;

use crate::forms::FormErrors;
use crate::services::PageContext;
use domain::{ApiError, OrInternal};
use edge::ApiResult;
use maud::{html, Markup, DOCTYPE};
use worker::Response;

/// A page; `hardening` adds its headers (no caching, the content policy).
pub fn html(status: u16, page: Markup) -> ApiResult {
    Ok(Response::from_html(page.into_string())
        .or_internal()?
        .with_status(status))
}

/// 303 so the browser follows with a GET (post/redirect/get).
pub fn redirect(location: &str) -> ApiResult {
    let response = Response::empty().or_internal()?.with_status(303);
    response.headers().set("location", location).or_internal()?;
    Ok(response)
}

pub fn layout(ctx: &PageContext, title: &str, body: Markup) -> Markup {
    layout_with_head(ctx, title, html! {}, body)
}

/// A page's live script (docs/live.md), after the helpers it shares with
/// the others; both deferred, so they run in this order once the page is parsed.
pub fn live_script(name: &str) -> Markup {
    html! {
        script src="/static/live.js" defer {}
        script src=(format!("/static/{name}")) defer {}
    }
}

/// The layout with extra `<head>` content (a refresh, a script).
pub fn layout_with_head(ctx: &PageContext, title: &str, head: Markup, body: Markup) -> Markup {
    document(title, head, Some(site_nav(ctx)), body)
}

/// The links of the header, by who is signed in.
fn site_nav(ctx: &PageContext) -> Markup {
    html! {
        nav {
            @if let Some(user) = &ctx.user {
                a href="/tickets/new" { "Sell a ticket" }
                a href="/my-tickets" { "My tickets" }
                a href="/selling" { "Selling" }
                a href="/orders" { "My orders" }
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
}

/// The page every route renders into. `nav` is `None` on the error page,
/// which may have no idea who is signed in (loading the visitor can be what failed).
fn document(title: &str, head: Markup, nav: Option<Markup>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Ticketing" }
                link rel="stylesheet" href="/static/app.css";
                (head)
            }
            body {
                header.site-header {
                    a.brand href="/" { "Ticketing" }
                    @if let Some(nav) = nav { (nav) }
                }
                main.container { (body) }
            }
        }
    }
}

/// One labelled input with its error messages; ids are `name` and `name-error`.
pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub autocomplete: &'a str,
    pub inputmode: Option<&'a str>,
}

impl Field<'_> {
    pub fn render(&self, errors: &FormErrors) -> Markup {
        let messages = errors.for_field(self.name);
        let invalid = !messages.is_empty();
        let error_id = format!("{}-error", self.name);
        html! {
            div.field.invalid[invalid] {
                label for=(self.name) { (self.label) }
                input id=(self.name) name=(self.name) type=(self.kind) value=(self.value)
                    autocomplete=(self.autocomplete) inputmode=[self.inputmode]
                    aria-invalid=[invalid.then_some("true")]
                    aria-describedby=[invalid.then_some(error_id.as_str())];
                @if invalid {
                    p.field-error id=(error_id) { (messages.join("; ")) }
                }
            }
        }
    }
}

/// Messages about the form as a whole, above it.
pub fn general_errors(errors: &FormErrors) -> Markup {
    html! {
        @for message in &errors.general {
            p.error-banner role="alert" { (message) }
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
    let page = document(
        "Error",
        html! {},
        None,
        html! {
            h1 { (err.status()) }
            p.error-banner { (message) }
            p { a href="/" { "Back to the start page" } }
        },
    );
    let response = Response::from_html(page.into_string())?.with_status(err.status());
    response
        .headers()
        .set(edge::reply::REQUEST_ID_HEADER, request_id)?;
    Ok(response)
}
