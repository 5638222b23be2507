//! D1 helpers. Rows are read from their JSON form (`JSON.stringify` of
//! what D1 returns, then `serde_json`): every row type then has one reader,
//! the one our requests and events already use, instead of a second one for
//! JS values (`serde_wasm_bindgen`, through `worker`'s `results`/`first`).

use domain::http::paging::Cursor;
use domain::{ApiError, OrInternal};
use js_sys::{Promise, Reflect, JSON};
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use worker::D1PreparedStatement;

/// An integer as a D1 parameter. D1's JS API has no BigInt, and Unix
/// milliseconds fit a double exactly.
pub fn number(n: i64) -> JsValue {
    JsValue::from_f64(n as f64)
}

/// The `(created_at, id)` parameters of a newest-first page query, NULL for
/// the first page: `WHERE ?a IS NULL OR created_at < ?a OR (created_at = ?a AND id < ?b)`.
pub fn after_cursor(after: Option<&Cursor>) -> (JsValue, JsValue) {
    match after {
        Some(cursor) => (number(cursor.created_at), JsValue::from_str(&cursor.id)),
        None => (JsValue::NULL, JsValue::NULL),
    }
}

/// The ways to run a bound statement, at the end of its chain:
/// `db.prepare(..).bind(..).first_row("users: find").await`. `what` names
/// the query in the error of a failure.
#[allow(async_fn_in_trait)] // used in single-threaded wasm only
pub trait Statement {
    /// Every row.
    async fn all_rows<T: DeserializeOwned>(self, what: &str) -> Result<Vec<T>, ApiError>;
    /// The first row, if any.
    async fn first_row<T: DeserializeOwned>(self, what: &str) -> Result<Option<T>, ApiError>;
    /// Runs a write; answers how many rows it changed: how an `ON CONFLICT
    /// DO NOTHING` insert or a version-guarded upsert tells whether it applied.
    async fn changes(self, what: &str) -> Result<usize, ApiError>;
}

impl Statement for worker::Result<D1PreparedStatement> {
    async fn all_rows<T: DeserializeOwned>(self, what: &str) -> Result<Vec<T>, ApiError> {
        let statement = self.context(what)?;
        let result = settle(statement.inner().all(), what).await?;
        let rows = Reflect::get(&result, &"results".into()).unwrap_or(JsValue::UNDEFINED);
        if rows.is_undefined() || rows.is_null() {
            return Ok(Vec::new());
        }
        from_js(&rows, what)
    }

    async fn first_row<T: DeserializeOwned>(self, what: &str) -> Result<Option<T>, ApiError> {
        let statement = self.context(what)?;
        let row = settle(statement.inner().first(None), what).await?;
        if row.is_undefined() || row.is_null() {
            return Ok(None);
        }
        from_js(&row, what).map(Some)
    }

    async fn changes(self, what: &str) -> Result<usize, ApiError> {
        let statement = self.context(what)?;
        let result = settle(statement.inner().run(), what).await?;
        let changes = Reflect::get(&result, &"meta".into())
            .and_then(|meta| Reflect::get(&meta, &"changes".into()))
            .ok()
            .and_then(|changes| changes.as_f64())
            .unwrap_or(0.0);
        Ok(changes as usize)
    }
}

/// Awaits a D1 call; its error, with D1's cause (the SQL error), as a 500.
async fn settle(call: Result<Promise, JsValue>, what: &str) -> Result<JsValue, ApiError> {
    let outcome = match call {
        Ok(promise) => JsFuture::from(promise).await,
        Err(thrown) => Err(thrown),
    };
    outcome.map_err(|thrown| ApiError::Internal(format!("{what}: {}", describe(&thrown))))
}

fn describe(thrown: &JsValue) -> String {
    let Some(error) = thrown.dyn_ref::<js_sys::Error>() else {
        return format!("{thrown:?}");
    };
    let message = String::from(error.message());
    match error.cause().dyn_ref::<js_sys::Error>() {
        Some(cause) => format!("{message}: {}", String::from(cause.message())),
        None => message,
    }
}

fn from_js<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, ApiError> {
    let json: String = JSON::stringify(value)
        .map(String::from)
        .map_err(|_| ApiError::Internal(format!("{what}: a row is not JSON")))?;
    serde_json::from_str(&json).context(what)
}
