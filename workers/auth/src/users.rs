//! The users table in auth's D1 database: all of auth's SQL is here.

use domain::password::PasswordHash;
use domain::users::Email;
use domain::{ApiError, OrInternal};
use edge::d1::Statement;
use serde::Deserialize;
use worker::Env;

const DB: &str = "USERS_DB";

pub struct NewUser {
    pub id: String,
    pub email: Email,
    pub password_hash: PasswordHash,
}

#[derive(Deserialize)]
pub struct StoredUser {
    pub id: String,
    pub email: String,
    pub password_hash: String,
}

/// Inserts the user; `false` when the email is taken. `ON CONFLICT DO NOTHING`
/// lets the UNIQUE index answer without parsing error messages; the `NOT
/// EXISTS` finds a row stored, before emails were normalised, under the
/// decomposed spelling of the same address.
pub async fn insert(env: &Env, user: &NewUser) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("users: insert")?;
    let changed = db
        .prepare(
            "INSERT INTO users (id, email, password_hash, created_at) \
             SELECT ?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now') \
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = ?4) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&[
            user.id.as_str().into(),
            user.email.as_str().into(),
            user.password_hash.to_phc().into(),
            user.email.decomposed().into(),
        ])
        .changes("users: insert")
        .await?;
    Ok(changed == 1)
}

/// The account of `email`, stored under its NFC spelling or, for a row
/// from before emails were normalised, its decomposed one.
pub async fn find_by_email(env: &Env, email: &Email) -> Result<Option<StoredUser>, ApiError> {
    let db = env.d1(DB).context("users: find_by_email")?;
    db.prepare(
        "SELECT id, email, password_hash FROM users WHERE email IN (?1, ?2) \
         ORDER BY email = ?1 DESC LIMIT 1",
    )
    .bind(&[email.as_str().into(), email.decomposed().into()])
    .first_row::<StoredUser>("users: find_by_email")
    .await
}

/// Replaces a user's password hash (an old one upgraded at sign-in).
pub async fn set_password_hash(env: &Env, id: &str, hash: &PasswordHash) -> Result<(), ApiError> {
    let db = env.d1(DB).context("users: set_password_hash")?;
    db.prepare("UPDATE users SET password_hash = ?2 WHERE id = ?1")
        .bind(&[id.into(), hash.to_phc().into()])
        .changes("users: set_password_hash")
        .await
        .map(drop)
}

/// Stores an account exactly as given (the test build's legacy accounts).
#[cfg(feature = "test-hooks")]
pub async fn insert_as_stored(
    env: &Env,
    id: &str,
    email: &str,
    hash: &PasswordHash,
) -> Result<(), ApiError> {
    let db = env.d1(DB).context("users: insert_as_stored")?;
    db.prepare(
        "INSERT INTO users (id, email, password_hash, created_at) \
         VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
    )
    .bind(&[id.into(), email.into(), hash.to_phc().into()])
    .changes("users: insert_as_stored")
    .await
    .map(drop)
}
