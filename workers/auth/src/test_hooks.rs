//! Test-only routes, compiled only with the `test-hooks` Cargo feature (which
//! only `make test` and `make bench` turn on): a release build answers 404.
//! - `POST /api/users/_test/legacy-user` `{email, password}`: an account as
//!   the code before the pepper stored it: PBKDF2 alone, the email trimmed and
//!   lower-cased but not normalised, any non-empty password.
//! - `GET /api/users/_test/password-scheme?email=`: `{"scheme"}`, the
//!   algorithm of that account's stored hash (never the hash).

use crate::users;
use domain::password::{PasswordHash, Scheme, PBKDF2_ITERATIONS};
use domain::users::Email;
use domain::{ApiError, OrInternal};
use edge::router::{Ctx, Route};
use edge::{crypto, reply, ApiResult, RequestUrl};
use serde_json::json;

pub fn routes() -> Vec<Route> {
    edge::routes![
        Post "/api/users/_test/legacy-user" anyone => legacy_user,
        Get  "/api/users/_test/password-scheme" anyone => password_scheme,
    ]
}

async fn legacy_user(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    let text = |name: &str| body[name].as_str().unwrap_or_default().trim().to_string();
    let (email, password) = (text("email").to_lowercase(), text("password"));
    if email.is_empty() || password.is_empty() {
        return Err(ApiError::BadRequest(
            "email and password are required".into(),
        ));
    }
    let salt = crypto::random_salt()?;
    let derived = crypto::pbkdf2_sha256(&password, &salt, PBKDF2_ITERATIONS).await?;
    let hash = PasswordHash {
        scheme: Scheme::Unpeppered,
        iterations: PBKDF2_ITERATIONS,
        salt,
        hash: derived,
    };
    let id = uuid::Uuid::new_v4().to_string();
    users::insert_as_stored(&cx.env, &id, &email, &hash).await?;
    reply::json(201, &json!({ "id": id, "email": email }))
}

async fn password_scheme(cx: Ctx) -> ApiResult {
    let raw = RequestUrl::of(&cx.req)?
        .query_param("email")
        .unwrap_or_default();
    let email = Email::parse(&raw).map_err(|e| ApiError::BadRequest(e.message))?;
    let user = users::find_by_email(&cx.env, &email)
        .await?
        .ok_or(ApiError::NotFound)?;
    let stored = PasswordHash::parse(&user.password_hash).or_internal()?;
    let scheme = stored
        .to_phc()
        .split('$')
        .nth(1)
        .unwrap_or_default()
        .to_string();
    reply::json(
        200,
        &json!({ "scheme": scheme, "iterations": stored.iterations }),
    )
}
