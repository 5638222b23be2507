//! The marketplace's domain: values parsed once at the edge, the reservation
//! desk (`desk`, over `tickets` and `orders`), events, limits and payments.
//! What belongs to HTTP and the outside services sits apart, in `http`: the
//! one error type every worker answers with (and its status codes), request
//! fields and paging, the session token (the JWT), and Stripe's signatures
//! and JSON.
//!
//! Nothing here knows about `worker`; time and randomness are passed in, so all
//! of it unit-tests natively with `cargo test`.

pub mod admin;
pub mod dead_letters;
pub mod desk;
pub mod events;
pub mod http;
pub mod idempotency;
pub mod ids;
pub mod limits;
pub mod list_feed;
pub mod live;
pub mod money;
pub mod orders;
pub mod password;
pub mod payments;
pub mod ticket_search;
pub mod tickets;
pub mod time;
pub mod users;

pub use http::error::{ApiError, FieldError, OrInternal};
