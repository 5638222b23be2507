//! The object's test-only routes (Cargo feature `test-hooks`), all behind
//! this one seam: the fault switch of its event sends, the bench's bare
//! write, and the count of slot claims (`crate::test_hooks` reaches them).

use super::TicketObject;
use crate::test_hooks::{BENCH_WRITE_PATH, CLAIMS_PATH, FAIL_SENDS_PATH};
use worker::{Request, Response, Result};

/// The answer of the hook at the request's path, if there is one.
pub async fn answer(object: &TicketObject, req: &mut Request) -> Option<Result<Response>> {
    let path = req.path();
    Some(match path.as_str() {
        FAIL_SENDS_PATH => fail_sends(object, req).await,
        BENCH_WRITE_PATH => bench_write(object).await,
        CLAIMS_PATH => Response::from_json(&object.claims.get()),
        _ => return None,
    })
}

/// The next `n` event sends fail (a queue in trouble).
async fn fail_sends(object: &TicketObject, req: &mut Request) -> Result<Response> {
    let n: u32 = edge::body::read_internal(req).await?;
    object.store().inject_send_failures(n).await?;
    Response::from_json(&n)
}

/// One key written: what a hold costs at the least.
async fn bench_write(object: &TicketObject) -> Result<Response> {
    object.store().bench_write(edge::now_ms()).await?;
    Response::from_json(&true)
}
