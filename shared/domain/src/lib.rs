//! The marketplace's domain: values parsed once at the edge, state machines, the
//! session token, and the one error type every worker answers with.
//!
//! Nothing here knows about `worker`; time and randomness are passed in, so all
//! of it unit-tests natively with `cargo test`.

pub mod error;
pub mod password;
pub mod session;
pub mod users;

pub use error::{ApiError, FieldError, OrInternal};
