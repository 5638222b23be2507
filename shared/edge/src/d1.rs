//! D1 helpers.

use domain::paging::Cursor;
use domain::{ApiError, OrInternal};
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

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

/// All rows of a bound query; `what` names it in the error of a failure.
pub async fn all<T: DeserializeOwned>(
    statement: worker::Result<D1PreparedStatement>,
    what: &str,
) -> Result<Vec<T>, ApiError> {
    statement
        .context(what)?
        .all()
        .await
        .context(what)?
        .results()
        .context(what)
}

/// How many rows a write changed: how an `ON CONFLICT DO NOTHING` insert or
/// a version-guarded upsert tells whether it applied.
pub fn rows_changed(result: &D1Result) -> Result<usize, ApiError> {
    Ok(result
        .meta()
        .or_internal()?
        .and_then(|meta| meta.changes)
        .unwrap_or(0))
}
