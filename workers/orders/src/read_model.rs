//! The `orders` read model in D1: a user's orders, and where each order lives.

use domain::http::paging::{into_page, Cursor, PageRequest};
use domain::ids::{OrderId, TicketId, UserId};
use domain::money::Cents;
use domain::orders::{Order, OrderRecord, OrderView, TicketSnapshot};
use domain::{ApiError, OrInternal};
use edge::d1::{after_cursor, number, Statement};
use serde::Deserialize;
use worker::{wasm_bindgen::JsValue, Env};

const DB: &str = "ORDERS_DB";

/// Applies an order snapshot if it is newer than the stored one (the version
/// guard is in the statement: duplicates and stale events change nothing).
pub async fn apply(env: &Env, order: &Order) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("orders read model: apply")?;
    let reason = order.cancel_reason().map(|r| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
    });
    let changed = db
        .prepare(
            "INSERT INTO orders (id, user_id, ticket_id, ticket_title, ticket_price_cents, status, cancel_reason, expires_at, created_at, version, payment_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (id) DO UPDATE SET status = excluded.status, cancel_reason = excluded.cancel_reason, version = excluded.version, payment_id = excluded.payment_id \
             WHERE excluded.version > orders.version",
        )
        .bind(&[
            order.id.as_str().into(),
            order.user_id.as_str().into(),
            order.ticket.id.as_str().into(),
            order.ticket.title.as_str().into(),
            number(order.ticket.price.0),
            order.status().as_str().into(),
            reason.flatten().map_or(JsValue::NULL, |r| r.into()),
            number(order.expires_at),
            number(order.created_at),
            number(order.version as i64),
            order.payment_id().map_or(JsValue::NULL, JsValue::from_str),
        ])
        .changes("orders read model: apply")
        .await?;
    Ok(changed > 0)
}

#[derive(Deserialize)]
pub struct Location {
    pub ticket_id: String,
    pub user_id: UserId,
}

/// Which ticket's object holds an order, and whose order it is.
pub async fn locate(env: &Env, id: &OrderId) -> Result<Option<Location>, ApiError> {
    let db = env.d1(DB).context("orders read model: locate")?;
    db.prepare("SELECT ticket_id, user_id FROM orders WHERE id = ?1")
        .bind(&[id.as_str().into()])
        .first_row::<Location>("orders read model: locate")
        .await
}

#[derive(Deserialize)]
struct Row {
    id: String,
    user_id: String,
    ticket_id: String,
    ticket_title: String,
    ticket_price_cents: i64,
    status: String,
    cancel_reason: Option<String>,
    expires_at: i64,
    created_at: i64,
    version: i64,
    payment_id: Option<String>,
}

impl Row {
    /// The row as the `Order` it was written from, shown through the same
    /// view as the ticket's object uses.
    fn view(self) -> Result<OrderView, ApiError> {
        let order = Order::from(OrderRecord {
            id: OrderId::parse(&self.id).context("orders row id")?,
            user_id: self.user_id.into(),
            status: serde_json::from_value(self.status.into()).context("orders row status")?,
            cancel_reason: self
                .cancel_reason
                .map(|r| serde_json::from_value(r.into()))
                .transpose()
                .context("orders row cancel_reason")?,
            expires_at: self.expires_at,
            created_at: self.created_at,
            version: self.version as u64,
            ticket: TicketSnapshot {
                id: TicketId::parse(&self.ticket_id).context("orders row ticket_id")?,
                title: self.ticket_title,
                price: Cents(self.ticket_price_cents),
            },
            payment_started_at: None,
            payment_until: None,
            authentication_until: None,
            attempt: None,
            payment_id: self.payment_id,
        });
        Ok(order.view())
    }
}

pub async fn list_for_user(
    env: &Env,
    user_id: &str,
    page: &PageRequest,
) -> Result<(Vec<OrderView>, Option<Cursor>), ApiError> {
    let db = env.d1(DB).context("orders read model: list_for_user")?;
    let (after_time, after_id) = after_cursor(page.after.as_ref());
    let statement = db
        .prepare(
            "SELECT id, user_id, ticket_id, ticket_title, ticket_price_cents, status, cancel_reason, expires_at, created_at, version, payment_id \
             FROM orders WHERE user_id = ?1 AND (?2 IS NULL OR created_at < ?2 OR (created_at = ?2 AND id < ?3)) \
             ORDER BY created_at DESC, id DESC LIMIT ?4",
        )
        .bind(&[user_id.into(), after_time, after_id, number(page.limit as i64 + 1)]);
    let rows: Vec<Row> = statement
        .all_rows("orders read model: list_for_user")
        .await?;
    let (rows, next) = into_page(rows, page.limit, |last| Cursor {
        created_at: last.created_at,
        id: last.id.clone(),
    });
    let views = rows
        .into_iter()
        .map(Row::view)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, next))
}
