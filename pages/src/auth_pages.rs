//! Sign-up, sign-in and sign-out pages: plain form posts that work without
//! JavaScript, backed by the auth service's API.

use crate::forms::{read_form, value, FormErrors};
use crate::services::{PageContext, Service};
use crate::views::{self, auth::AuthForm};
use domain::OrInternal;
use edge::ApiResult;
use serde_json::json;
use worker::{Method, Request};

pub fn signup_form(ctx: &PageContext) -> ApiResult {
    views::html(
        200,
        views::auth::page(ctx, AuthForm::Signup, "", &FormErrors::default()),
    )
}

pub fn signin_form(ctx: &PageContext) -> ApiResult {
    views::html(
        200,
        views::auth::page(ctx, AuthForm::Signin, "", &FormErrors::default()),
    )
}

pub fn signout_form(ctx: &PageContext) -> ApiResult {
    views::html(200, views::auth::signout_page(ctx))
}

pub async fn signup(req: &mut Request, ctx: &PageContext) -> ApiResult {
    submit(req, ctx, AuthForm::Signup).await
}

pub async fn signin(req: &mut Request, ctx: &PageContext) -> ApiResult {
    submit(req, ctx, AuthForm::Signin).await
}

async fn submit(req: &mut Request, ctx: &PageContext, form: AuthForm) -> ApiResult {
    let fields = read_form(req).await?;
    let email = value(&fields, "email");
    let password = value(&fields, "password");
    let path = match form {
        AuthForm::Signup => "/api/users/signup",
        AuthForm::Signin => "/api/users/signin",
    };
    let reply = ctx
        .call(
            Service::Auth,
            Method::Post,
            path,
            Some(json!({ "email": email, "password": password })),
        )
        .await?;
    match reply.status {
        200 | 201 => redirect_home(reply.set_cookie.as_deref()),
        // Invalid input, or an abuse limit: the form again, with the message.
        400 | 429 => views::html(
            reply.status,
            views::auth::page(ctx, form, email, &FormErrors::from_api(&reply.body)),
        ),
        _ => Err(reply.unexpected(Service::Auth)),
    }
}

pub async fn signout(req: &Request, ctx: &PageContext) -> ApiResult {
    edge::csrf::refuse_cross_site(req)?;
    let reply = ctx
        .call(Service::Auth, Method::Post, "/api/users/signout", None)
        .await?;
    redirect_home(reply.set_cookie.as_deref())
}

/// Home, with the session cookie the auth service set or cleared.
fn redirect_home(set_cookie: Option<&str>) -> ApiResult {
    let response = views::redirect("/")?;
    if let Some(cookie) = set_cookie {
        response.headers().set("set-cookie", cookie).or_internal()?;
    }
    Ok(response)
}
