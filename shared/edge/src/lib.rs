//! What every worker does the same way, written once: read a JSON body within
//! a size limit, find the current user, refuse cross-site writes, tag each
//! request with an id, log one JSON line per event, and turn an `ApiError` into
//! the contract's JSON response.

pub mod body;
pub mod config;
pub mod crypto;
pub mod csrf;
pub mod d1;
pub mod dead_letters;
pub mod desk_client;
pub mod events;
pub mod fanout;
#[cfg(feature = "test-hooks")]
pub mod faults;
pub mod limits;
pub mod log;
pub mod object_call;
pub mod open_orders;
pub mod outbound;
pub mod paging;
pub mod reply;
pub mod request_url;
pub mod router;
pub mod session;

pub use domain::{ApiError, OrInternal};
pub use request_url::RequestUrl;

/// Every worker's (and the pages') allocator: talc, a few KB smaller in the
/// wasm than Rust's default dlmalloc, and faster. A worker's isolate runs
/// one thread, which is what `WasmDynamicTalc` assumes.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Handlers answer with this; `reply::finish` makes it a response.
pub type ApiResult<T = worker::Response> = Result<T, ApiError>;

/// Unix time in seconds, as the domain wants it.
pub fn now_seconds() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}

/// Unix time in milliseconds.
pub fn now_ms() -> i64 {
    worker::Date::now().as_millis() as i64
}
