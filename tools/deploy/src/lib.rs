//! `make deploy` and `make deploy-check`. The committed wrangler configs are
//! the single source: they are checked against each other offline, and a
//! deploy generates each environment's configs from them (names, database
//! ids) into `target/deploy/<env>/`, leaving the repository untouched.

pub mod check;
pub mod config;
pub mod deploy;
pub mod environment;
pub mod generate;
pub mod order;
pub mod project_root;
pub mod wrangler;
