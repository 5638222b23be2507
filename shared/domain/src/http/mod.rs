//! The domain's boundary with HTTP and the outside services: what a request
//! or a provider's message looks like, and what an answer's status is. The
//! marketplace's rules (the desk, listings, orders) never depend on a status
//! code; they answer `Refusal`s, which `error` maps to HTTP.

pub mod error;
pub mod fields;
pub mod paging;
pub mod session;
pub mod stripe;
