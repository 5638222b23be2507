//! D1 helpers.

use domain::{ApiError, OrInternal};
use worker::D1Result;

/// How many rows a write changed: how an `ON CONFLICT DO NOTHING` insert or
/// a version-guarded upsert tells whether it applied.
pub fn rows_changed(result: &D1Result) -> Result<usize, ApiError> {
    Ok(result
        .meta()
        .or_internal()?
        .and_then(|meta| meta.changes)
        .unwrap_or(0))
}
