//! Test builds only (Cargo feature `test-hooks`): "fail the next N calls of
//! X" inside one worker, armed through its `/api/<service>/_test/fail-next`
//! route. The count lives in the worker's isolate: locally each worker runs
//! in one, and the route answers what is left, so a test sees each fault
//! fire. The ticket object's own switch (failed event sends) is in the
//! tickets worker.

use crate::router::Ctx;
use crate::{reply, ApiResult};
use domain::ApiError;
use serde_json::{json, Value};
use std::cell::Cell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A consumer's write to its read model (before the write).
    ConsumerWrite,
    /// The payments worker's call to a ticket's object that records a charge
    /// (`CompletePayment`, after the money moved).
    SettleCall,
}

const ALL: [(Fault, &str); 2] = [
    (Fault::ConsumerWrite, "consumerWrites"),
    (Fault::SettleCall, "settleCalls"),
];

thread_local! {
    static LEFT: [Cell<u32>; 2] = const { [Cell::new(0), Cell::new(0)] };
}

fn slot(fault: Fault) -> usize {
    fault as usize
}

/// An injected failure if `fault` is armed (counting it down).
pub fn check(fault: Fault) -> Result<(), ApiError> {
    let fired = LEFT.with(|left| {
        let cell = &left[slot(fault)];
        let n = cell.get();
        cell.set(n.saturating_sub(1));
        n > 0
    });
    if fired {
        Err(ApiError::Internal(format!("injected fault: {fault:?}")))
    } else {
        Ok(())
    }
}

fn counts() -> Value {
    let mut out = json!({});
    for (fault, name) in ALL {
        out[name] = LEFT.with(|left| left[slot(fault)].get()).into();
    }
    out
}

/// `POST …/_test/fail-next` `{"consumerWrites": n, "settleCalls": n}` (either
/// or both) arms; `GET` answers what is left of each.
pub async fn arm_route(mut cx: Ctx) -> ApiResult {
    let body = cx.json_body().await?;
    for (fault, name) in ALL {
        match &body[name] {
            Value::Null => {}
            n => {
                let n = n
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| ApiError::field(name, "A whole number is needed"))?;
                LEFT.with(|left| left[slot(fault)].set(n));
            }
        }
    }
    reply::json(200, &counts())
}

pub async fn armed_route(_cx: Ctx) -> ApiResult {
    reply::json(200, &counts())
}
