//! The `tickets` read model in D1: fed by `ticket:*` events, read by GET /api/tickets.

use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::paging::{into_page, Cursor, PageRequest};
use domain::tickets::{Ticket, TicketView};
use domain::{ApiError, OrInternal};
use edge::d1::{after_cursor, number};
use serde::Deserialize;
use worker::{wasm_bindgen::JsValue, Env};

const DB: &str = "TICKETS_DB";

#[derive(Deserialize)]
struct Row {
    id: String,
    title: String,
    price_cents: i64,
    user_id: String,
    version: i64,
    order_id: Option<String>,
    sold_to: Option<String>,
    created_at: i64,
}

impl Row {
    /// The row as the `Ticket` it was written from, shown through the same
    /// view as the ticket's object uses.
    fn view(self) -> Result<TicketView, ApiError> {
        let order_id = |raw: Option<String>| raw.as_deref().map(OrderId::parse).transpose();
        let ticket = Ticket {
            id: TicketId::parse(&self.id).context("tickets row id")?,
            title: self.title,
            price: Cents(self.price_cents),
            user_id: self.user_id,
            version: self.version as u64,
            order_id: order_id(self.order_id).context("tickets row order_id")?,
            sold_to: order_id(self.sold_to).context("tickets row sold_to")?,
            created_at: self.created_at,
        };
        Ok(ticket.view())
    }
}

/// Applies a ticket snapshot if it is newer than the stored one. The version
/// guard is inside the statement, so duplicates and reordered deliveries are
/// harmless and concurrent consumers cannot interleave a read and a write.
pub async fn apply(env: &Env, ticket: &Ticket) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("tickets read model: apply")?;
    let result = db
        .prepare(
            "INSERT INTO tickets (id, title, price_cents, user_id, version, order_id, sold, sold_to, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, price_cents = excluded.price_cents, \
               version = excluded.version, order_id = excluded.order_id, sold = excluded.sold, sold_to = excluded.sold_to \
             WHERE excluded.version > tickets.version",
        )
        .bind(&[
            ticket.id.as_str().into(),
            ticket.title.as_str().into(),
            number(ticket.price.0),
            ticket.user_id.as_str().into(),
            number(ticket.version as i64),
            ticket.order_id.as_ref().map_or(JsValue::NULL, |id| id.as_str().into()),
            number(ticket.sold_to.is_some() as i64),
            ticket.sold_to.as_ref().map_or(JsValue::NULL, |id| id.as_str().into()),
            number(ticket.created_at),
        ])
        .context("tickets read model: apply")?
        .run()
        .await
        .context("tickets read model: apply")?;
    Ok(edge::d1::rows_changed(&result)? > 0)
}

/// One page, newest first, and the cursor of the next page if there is one.
pub async fn list(
    env: &Env,
    page: &PageRequest,
    available_only: bool,
) -> Result<(Vec<TicketView>, Option<Cursor>), ApiError> {
    let db = env.d1(DB).context("tickets read model: list")?;
    let (after_time, after_id) = after_cursor(page.after.as_ref());
    let statement = db
        .prepare(
            "SELECT id, title, price_cents, user_id, version, order_id, sold_to, created_at FROM tickets \
             WHERE (?1 IS NULL OR created_at < ?1 OR (created_at = ?1 AND id < ?2)) \
               AND (?3 = 0 OR (order_id IS NULL AND sold = 0)) \
             ORDER BY created_at DESC, id DESC LIMIT ?4",
        )
        .bind(&[after_time, after_id, number(available_only as i64), number(page.limit as i64 + 1)]);
    let rows: Vec<Row> = edge::d1::all(statement, "tickets read model: list").await?;
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

/// Ticket ids in id order after `after`: the repair's walk over every
/// ticket the read model knows (`crate::republish`).
pub async fn ids_after(
    env: &Env,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<String>, ApiError> {
    #[derive(Deserialize)]
    struct IdRow {
        id: String,
    }
    let db = env.d1(DB).context("tickets read model: ids")?;
    let statement = db
        .prepare("SELECT id FROM tickets WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2")
        .bind(&[
            after.map_or(JsValue::NULL, JsValue::from),
            number(limit.into()),
        ]);
    let rows: Vec<IdRow> = edge::d1::all(statement, "tickets read model: ids").await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}
