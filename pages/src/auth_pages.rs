//! Sign-up, sign-in and sign-out pages: plain form posts that work without
//! JavaScript, backed by the auth service's API.

use crate::forms::{read_form, FormErrors};
use crate::services::PageContext;
use crate::views::{self, auth::AuthForm};
use domain::{ApiError, OrInternal};
use edge::ApiResult;
use serde_json::json;
use worker::{Method, Request, Response};

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
    let email = fields.get("email").map(String::as_str).unwrap_or("");
    let password = fields.get("password").map(String::as_str).unwrap_or("");
    let path = match form {
        AuthForm::Signup => "/api/users/signup",
        AuthForm::Signin => "/api/users/signin",
    };
    let reply = ctx
        .call_auth(
            Method::Post,
            path,
            Some(json!({ "email": email, "password": password })),
        )
        .await?;
    match reply.status {
        200 | 201 => redirect_home(reply.set_cookie.as_deref()),
        400 => views::html(
            400,
            views::auth::page(ctx, form, email, &FormErrors::from_api(&reply.body)),
        ),
        status => Err(ApiError::internal(format!(
            "auth answered {status} to {path}"
        ))),
    }
}

pub async fn signout(req: &Request, ctx: &PageContext) -> ApiResult {
    edge::csrf::refuse_cross_site(req)?;
    let reply = ctx
        .call_auth(Method::Post, "/api/users/signout", None)
        .await?;
    redirect_home(reply.set_cookie.as_deref())
}

/// 303 so the browser follows with a GET (post/redirect/get).
fn redirect_home(set_cookie: Option<&str>) -> ApiResult {
    let response = Response::empty().or_internal()?.with_status(303);
    response.headers().set("location", "/").or_internal()?;
    if let Some(cookie) = set_cookie {
        response.headers().set("set-cookie", cookie).or_internal()?;
    }
    Ok(response)
}
