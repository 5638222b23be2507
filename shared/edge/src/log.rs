//! One JSON line per event of interest, tagged with the request id.

use serde_json::{json, Value};

pub fn event(request_id: &str, name: &str, fields: Value) {
    let line = json!({ "requestId": request_id, "event": name, "fields": fields });
    worker::console_log!("{line}");
}

pub fn error(request_id: &str, name: &str, cause: &str) {
    let line = json!({ "requestId": request_id, "event": name, "level": "error", "cause": cause });
    worker::console_error!("{line}");
}
