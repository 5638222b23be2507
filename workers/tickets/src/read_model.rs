//! The `tickets` read model in D1: fed by `ticket:*` events, read by GET /api/tickets.

use domain::http::paging::{into_page, Cursor, PageRequest};
use domain::ids::{OrderId, TicketId};
use domain::money::Cents;
use domain::ticket_search::{like_pattern, Scope, Search, Sort, NO_EVENT_STARTS_AT};
use domain::tickets::{EventDetails, Ticket, TicketRecord, TicketView};
use domain::{ApiError, OrInternal};
use edge::d1::{after_cursor, number, Statement};
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
    event_name: Option<String>,
    venue: Option<String>,
    starts_at: Option<i64>,
    held_until: Option<i64>,
    sold_at: Option<i64>,
    withdrawn: i64,
    closed: i64,
    unlisted: i64,
    paid_cents: Option<i64>,
}

const COLUMNS: &str = "id, title, price_cents, user_id, version, order_id, sold_to, created_at, \
    event_name, venue, starts_at, held_until, sold_at, withdrawn, closed, unlisted, paid_cents";

impl Row {
    /// The row as the `Ticket` it was written from, shown to `viewer`
    /// through the same view as the ticket's object uses.
    fn view(self, viewer: Option<&str>) -> Result<TicketView, ApiError> {
        let order_id = |raw: Option<String>| raw.as_deref().map(OrderId::parse).transpose();
        let ticket = Ticket::from(TicketRecord {
            id: TicketId::parse(&self.id).context("tickets row id")?,
            title: self.title,
            price: Cents(self.price_cents),
            user_id: self.user_id.into(),
            version: self.version as u64,
            order_id: order_id(self.order_id).context("tickets row order_id")?,
            sold_to: order_id(self.sold_to).context("tickets row sold_to")?,
            created_at: self.created_at,
            event: match (self.event_name, self.venue, self.starts_at) {
                (Some(name), Some(venue), Some(starts_at)) => Some(EventDetails {
                    name,
                    venue,
                    starts_at,
                }),
                _ => None,
            },
            held_until: self.held_until,
            sold_at: self.sold_at,
            withdrawn: self.withdrawn != 0,
            closed: self.closed != 0,
            unlisted: self.unlisted != 0,
            paid: self.paid_cents.map(Cents),
            // The chain of custody lives in the ticket's object only.
            custody: Vec::new(),
        });
        Ok(ticket.view_for(viewer))
    }
}

/// Applies a ticket snapshot if it is newer than the stored one. The version
/// guard is inside the statement, so duplicates and reordered deliveries are
/// harmless and concurrent consumers cannot interleave a read and a write.
pub async fn apply(env: &Env, ticket: &Ticket) -> Result<bool, ApiError> {
    let db = env.d1(DB).context("tickets read model: apply")?;
    // The columns are the stored record's flags.
    let ticket = TicketRecord::from(ticket.clone());
    let changed = db
        .prepare(
            "INSERT INTO tickets (id, title, price_cents, user_id, version, order_id, sold, sold_to, created_at, \
               event_name, venue, starts_at, held_until, sold_at, withdrawn, closed, unlisted, paid_cents) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) \
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, price_cents = excluded.price_cents, \
               version = excluded.version, order_id = excluded.order_id, sold = excluded.sold, sold_to = excluded.sold_to, \
               event_name = excluded.event_name, venue = excluded.venue, starts_at = excluded.starts_at, \
               held_until = excluded.held_until, sold_at = excluded.sold_at, withdrawn = excluded.withdrawn, \
               closed = excluded.closed, unlisted = excluded.unlisted, paid_cents = excluded.paid_cents \
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
            text_or_null(ticket.event.as_ref().map(|e| e.name.as_str())),
            text_or_null(ticket.event.as_ref().map(|e| e.venue.as_str())),
            number_or_null(ticket.event.as_ref().map(|e| e.starts_at)),
            number_or_null(ticket.held_until),
            number_or_null(ticket.sold_at),
            number(ticket.withdrawn as i64),
            number(ticket.closed as i64),
            number(ticket.unlisted as i64),
            number_or_null(ticket.paid.map(|p| p.0)),
        ])
        .changes("tickets read model: apply")
        .await?;
    Ok(changed > 0)
}

fn text_or_null(text: Option<&str>) -> JsValue {
    text.map_or(JsValue::NULL, JsValue::from)
}

fn number_or_null(n: Option<i64>) -> JsValue {
    n.map_or(JsValue::NULL, number)
}

/// On the market at `now` (an SQL parameter): closed and withdrawn
/// listings leave it; the alarm closes a listing at its start, and `now`
/// covers a late alarm.
fn on_market(now: &str) -> String {
    format!("withdrawn = 0 AND closed = 0 AND unlisted = 0 AND (starts_at IS NULL OR starts_at > {now})")
}

/// Neither held nor sold.
const AVAILABLE: &str = "order_id IS NULL AND sold = 0";

/// The search: the LIKE `pattern` (an SQL parameter) in the title, the
/// event's name or its venue.
fn matching(pattern: &str) -> String {
    format!(
        "(title LIKE {pattern} ESCAPE '\\' OR event_name LIKE {pattern} ESCAPE '\\' OR venue LIKE {pattern} ESCAPE '\\')"
    )
}

/// The SQL key of a sort (`Sort::key` computes the same from a row).
fn key_column(sort: Sort) -> String {
    match sort {
        Sort::Newest => "created_at".into(),
        Sort::Price | Sort::PriceDescending => "price_cents".into(),
        Sort::StartsAt => format!("COALESCE(starts_at, {NO_EVENT_STARTS_AT})"),
    }
}

/// One page of a search (`domain::ticket_search`), and the cursor of the
/// next page if there is one. The cursor is the last row's (sort key, id).
pub async fn list(
    env: &Env,
    page: &PageRequest,
    search: &Search,
    viewer: Option<&str>,
    now: i64,
) -> Result<(Vec<TicketView>, Option<Cursor>), ApiError> {
    let db = env.d1(DB).context("tickets read model: list")?;
    let (after_key, after_id) = after_cursor(page.after.as_ref());
    let key = key_column(search.sort);
    let (later, direction) = if search.sort.ascending() {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut binds = vec![after_key, after_id, number(page.limit as i64 + 1)];
    let mut conditions = vec![format!(
        "(?1 IS NULL OR {key} {later} ?1 OR ({key} = ?1 AND id {later} ?2))"
    )];
    let mut bind = |value: JsValue| {
        binds.push(value);
        format!("?{}", binds.len())
    };
    match &search.scope {
        Scope::Market { available_only } => {
            let now = bind(number(now));
            conditions.push(on_market(&now));
            if *available_only {
                conditions.push(AVAILABLE.into());
            }
        }
        Scope::Seller(user_id) => {
            let user = bind(user_id.as_str().into());
            conditions.push(format!("user_id = {user} AND unlisted = 0"));
        }
        Scope::Owner(user_id) => {
            // What they bought and still hold, listed for resale or not.
            let user = bind(user_id.as_str().into());
            conditions.push(format!(
                "user_id = {user} AND paid_cents IS NOT NULL AND sold = 0"
            ));
        }
    }
    if let Some(pattern) = &search.pattern {
        let p = bind(pattern.as_str().into());
        conditions.push(matching(&p));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM tickets WHERE {} ORDER BY {key} {direction}, id {direction} LIMIT ?3",
        conditions.join(" AND ")
    );
    let statement = db.prepare(&sql).bind(&binds);
    let rows: Vec<Row> = statement.all_rows("tickets read model: list").await?;
    let sort = search.sort;
    let (rows, next) = into_page(rows, page.limit, |last| Cursor {
        created_at: sort.key(last.created_at, last.price_cents, last.starts_at),
        id: last.id.clone(),
    });
    let views = rows
        .into_iter()
        .map(|row| row.view(viewer))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, next))
}

/// The tickets with these ids, as the list shows them (a list watcher's
/// first message: what its page shows, as it is now).
pub async fn by_ids(env: &Env, ids: &[String]) -> Result<Vec<TicketView>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let db = env.d1(DB).context("tickets read model: by ids")?;
    let ids = serde_json::to_string(ids).or_internal()?;
    let statement = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM tickets WHERE id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(&[ids.into()]);
    let rows: Vec<Row> = statement.all_rows("tickets read model: by ids").await?;
    rows.into_iter().map(|row| row.view(None)).collect()
}

/// Tickets put on sale after `since` (ms) that are still for sale and match
/// the search: what a list watcher has not seen yet, oldest first.
pub async fn listed_since(
    env: &Env,
    since: i64,
    q: Option<&str>,
    now: i64,
    limit: u32,
) -> Result<Vec<TicketView>, ApiError> {
    let db = env.d1(DB).context("tickets read model: listed since")?;
    let pattern = q.map_or(JsValue::NULL, |q| like_pattern(q).into());
    let statement = db
        .prepare(format!(
            "SELECT {COLUMNS} FROM tickets WHERE created_at > ?1 AND {} AND {AVAILABLE} \
               AND (?3 IS NULL OR {}) ORDER BY created_at, id LIMIT ?4",
            on_market("?2"),
            matching("?3")
        ))
        .bind(&[number(since), number(now), pattern, number(limit.into())]);
    let rows: Vec<Row> = statement
        .all_rows("tickets read model: listed since")
        .await?;
    rows.into_iter().map(|row| row.view(None)).collect()
}

/// A seller's totals: listings, sales, and what the sales earned.
#[derive(Debug, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SalesTotals {
    pub listed: i64,
    pub sold: i64,
    pub earned_cents: i64,
}

pub async fn sales_totals(env: &Env, user_id: &str) -> Result<SalesTotals, ApiError> {
    let db = env.d1(DB).context("tickets read model: totals")?;
    let statement = db
        .prepare(
            "SELECT COUNT(*) AS listed, COALESCE(SUM(sold), 0) AS sold, \
               COALESCE(SUM(CASE WHEN sold = 1 THEN price_cents ELSE 0 END), 0) AS earned_cents \
             FROM tickets WHERE user_id = ?1 AND unlisted = 0",
        )
        .bind(&[user_id.into()]);
    #[derive(Deserialize)]
    struct Totals {
        listed: i64,
        sold: i64,
        earned_cents: i64,
    }
    let rows: Vec<Totals> = statement.all_rows("tickets read model: totals").await?;
    let totals = rows.into_iter().next().unwrap_or(Totals {
        listed: 0,
        sold: 0,
        earned_cents: 0,
    });
    Ok(SalesTotals {
        listed: totals.listed,
        sold: totals.sold,
        earned_cents: totals.earned_cents,
    })
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
    let rows: Vec<IdRow> = statement.all_rows("tickets read model: ids").await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}
