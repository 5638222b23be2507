//! The marketplace's domain: values parsed once at the edge, the reservation
//! state machine, events, the session token, and the one error type every
//! worker answers with.
//!
//! Nothing here knows about `worker`; time and randomness are passed in, so all
//! of it unit-tests natively with `cargo test`.

pub mod admin;
pub mod dead_letters;
pub mod desk;
pub mod error;
pub mod events;
pub mod fields;
pub mod idempotency;
pub mod ids;
pub mod limits;
pub mod list_feed;
pub mod live;
pub mod money;
pub mod orders;
pub mod paging;
pub mod password;
pub mod payments;
pub mod session;
pub mod stripe;
pub mod ticket_search;
pub mod tickets;
pub mod time;
pub mod users;

pub use error::{ApiError, FieldError, OrInternal};
