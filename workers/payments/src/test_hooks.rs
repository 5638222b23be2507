//! Test-only routes, compiled only with the `test-hooks` Cargo feature (which
//! only `make test` and `make bench` turn on): a release build answers 404.
//! - `POST`/`GET /api/payments/_test/fail-next`: arm or read this worker's fault
//!   switches (`edge::faults`).

use edge::router::Route;

pub fn routes() -> Vec<Route> {
    edge::routes![
        Post "/api/payments/_test/fail-next" anyone => edge::faults::arm_route,
        Get  "/api/payments/_test/fail-next" anyone => edge::faults::armed_route,
    ]
}
