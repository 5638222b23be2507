//! Routes of `/api/users`, with the original app's messages and status codes.

use crate::abuse::AbuseLimits;
use crate::pepper;
use crate::users::{self, NewUser};
use domain::http::session::{cleared_session_cookie, session_cookie};
use domain::password::{PasswordHash, Pepper, PBKDF2_ITERATIONS, SALT_LEN};
use domain::users::{SigninRequest, SignupRequest};
use domain::{ApiError, OrInternal};
use edge::router::{Ctx, Route};
use edge::session::{cookie_must_be_secure, SessionConfig};
use edge::RequestUrl;
use edge::{crypto, reply, ApiResult};
use serde_json::json;
use worker::{Request, Response};

pub fn table() -> Vec<Route> {
    #[allow(unused_mut)] // extended only in the test build
    let mut routes = edge::routes![
        Get  "/api/users/currentuser" anyone => current_user,
        Post "/api/users/signup"      anyone => signup,
        Post "/api/users/signin"      anyone => signin,
        Post "/api/users/signout"     anyone => signout,
    ];
    #[cfg(feature = "test-hooks")]
    routes.extend(crate::test_hooks::routes());
    routes
}

async fn current_user(cx: Ctx) -> ApiResult {
    let user = SessionConfig::for_request(&cx.env, &cx.req, &cx.request_id)?.current_user(&cx.req);
    reply::json(200, &json!({ "currentUser": user }))
}

async fn signup(mut cx: Ctx) -> ApiResult {
    AbuseLimits::for_request(&cx).count_request().await?;
    let input = SignupRequest::parse(&cx.json_body().await?)?;
    let (req, env) = (&cx.req, &cx.env);
    let session = SessionConfig::for_request(env, req, &cx.request_id)?;
    let pepper = pepper::for_request(env, req, &cx.request_id)?;
    let salt = crypto::random_salt()?;
    let derived = crypto::pbkdf2_sha256(input.password.expose(), &salt, PBKDF2_ITERATIONS).await?;
    let user = NewUser {
        id: uuid::Uuid::new_v4().to_string(),
        email: input.email,
        password_hash: PasswordHash::peppered(salt, &derived, &pepper),
    };
    // The UNIQUE index decides races between concurrent sign-ups of one email.
    if !users::insert(env, &user).await? {
        return Err(ApiError::BadRequest("Email in use".into()));
    }
    signed_in(req, &session, 201, &user.id, user.email.as_str())
}

async fn signin(mut cx: Ctx) -> ApiResult {
    // Both limits are checked before any hashing: that is what they protect.
    let limits = AbuseLimits::for_request(&cx);
    limits.count_request().await?;
    let input = SigninRequest::parse(&cx.json_body().await?)?;
    let attempt = limits.start_attempt(&input.email).await?;
    let (req, env) = (&cx.req, &cx.env);
    let session = SessionConfig::for_request(env, req, &cx.request_id)?;
    let pepper = pepper::for_request(env, req, &cx.request_id)?;
    let invalid = || ApiError::BadRequest("Invalid credentials".into());
    let password = input.password.expose();
    let Some(user) = users::find_by_email(env, &input.email).await? else {
        // Spend the same time as a real check so timing does not reveal which
        // emails have accounts.
        crypto::pbkdf2_sha256(password, &[0; SALT_LEN], PBKDF2_ITERATIONS).await?;
        return Err(invalid());
    };
    let stored = PasswordHash::parse(&user.password_hash).or_internal()?;
    let derived = crypto::pbkdf2_sha256(password, &stored.salt, stored.iterations).await?;
    if !stored.matches(&derived, &pepper) {
        return Err(invalid());
    }
    attempt.succeeded(&cx.request_id).await;
    if stored.needs_rehash() {
        upgrade_hash(&cx, &user.id, &stored, &derived, password, &pepper).await;
    }
    signed_in(req, &session, 200, &user.id, &user.email)
}

/// Replaces a hash made before the pepper (or with fewer iterations) now
/// that the password is known: `derived` is the key that just matched
/// `stored`. The sign-in succeeds even if this fails: the old hash still
/// verifies, and the next sign-in tries again.
async fn upgrade_hash(
    cx: &Ctx,
    user_id: &str,
    stored: &PasswordHash,
    derived: &[u8],
    password: &str,
    pepper: &Pepper,
) {
    let upgraded = async {
        let hash = match stored.peppered_from_match(derived, pepper) {
            Some(hash) => hash,
            None => {
                let salt = crypto::random_salt()?;
                let derived = crypto::pbkdf2_sha256(password, &salt, PBKDF2_ITERATIONS).await?;
                PasswordHash::peppered(salt, &derived, pepper)
            }
        };
        users::set_password_hash(&cx.env, user_id, &hash).await
    };
    if let Err(e) = upgraded.await {
        edge::log::error(
            &cx.request_id,
            "password_hash_upgrade_failed",
            &e.to_string(),
        );
    }
}

async fn signout(cx: Ctx) -> ApiResult {
    let secure = cookie_must_be_secure(&RequestUrl::of(&cx.req)?);
    let response = reply::json(200, &json!({}))?;
    response
        .headers()
        .set("set-cookie", &cleared_session_cookie(secure))
        .or_internal()?;
    Ok(response)
}

fn signed_in(
    req: &Request,
    session: &SessionConfig,
    status: u16,
    id: &str,
    email: &str,
) -> ApiResult {
    let token = session
        .key
        .issue(id, email, edge::now_seconds(), session.ttl_seconds);
    let secure = cookie_must_be_secure(&RequestUrl::of(req)?);
    let response: Response = reply::json(status, &json!({ "id": id, "email": email }))?;
    response
        .headers()
        .set(
            "set-cookie",
            &session_cookie(&token, session.ttl_seconds, secure),
        )
        .or_internal()?;
    Ok(response)
}
