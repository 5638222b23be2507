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
/// lets the UNIQUE index answer without parsing error messages.
pub async fn insert(env: &Env, user: &NewUser) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("users: insert")?;
    let changed = db
        .prepare(
            "INSERT INTO users (id, email, password_hash, created_at) \
             VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) \
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(&[
            user.id.as_str().into(),
            user.email.as_str().into(),
            user.password_hash.to_phc().into(),
        ])
        .changes("users: insert")
        .await?;
    Ok(changed == 1)
}

pub async fn find_by_email(env: &Env, email: &Email) -> Result<Option<StoredUser>, ApiError> {
    let db = env.d1(DB).context("users: find_by_email")?;
    db.prepare("SELECT id, email, password_hash FROM users WHERE email = ?1")
        .bind(&[email.as_str().into()])
        .first_row::<StoredUser>("users: find_by_email")
        .await
}
