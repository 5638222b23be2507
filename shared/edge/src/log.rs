//! One JSON line per event of interest, tagged with the request id.
//!
//! Lines never carry an email address, a client address or a limiter key in
//! clear: what names one goes through [`fingerprint`] or [`redacted_key`].

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn event(request_id: &str, name: &str, fields: Value) {
    let line = json!({ "requestId": request_id, "event": name, "fields": fields });
    worker::console_log!("{line}");
}

pub fn error(request_id: &str, name: &str, cause: &str) {
    let line = json!({ "requestId": request_id, "event": name, "level": "error", "cause": cause });
    worker::console_error!("{line}");
}

/// A short, stable stand-in for a value logs must not show (an email, a
/// client address): the first 12 hex digits of its SHA-256. One value always
/// gives the same digits, so an operator can still group lines about it, or
/// check a value they already know; a list of candidates could be hashed too,
/// so it hides a value from readers of the logs, it does not make it secret.
pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// A limiter key (`signin:<email>`, `address:<ip>`, `buyer:<user id>`) as a
/// log line may show it: its kind in clear, the rest fingerprinted.
pub fn redacted_key(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, value)) => format!("{kind}:{}", fingerprint(value)),
        None => fingerprint(key),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_a_short_stable_hash() {
        let email = "alice@example.com";
        assert_eq!(fingerprint(email), fingerprint(email));
        assert_ne!(fingerprint(email), fingerprint("bob@example.com"));
        assert_eq!(fingerprint(email).len(), 12);
        assert!(fingerprint(email).bytes().all(|b| b.is_ascii_hexdigit()));
        // SHA-256("abc") starts ba7816bf8f01.
        assert_eq!(fingerprint("abc"), "ba7816bf8f01");
    }

    #[test]
    fn a_redacted_key_keeps_its_kind_and_hides_its_value() {
        let key = "signin:alice@example.com";
        let shown = redacted_key(key);
        assert_eq!(
            shown,
            format!("signin:{}", fingerprint("alice@example.com"))
        );
        assert!(!shown.contains("alice"));
        assert!(!redacted_key("address:203.0.113.9").contains("203.0.113"));
        assert!(!redacted_key("no-kind@example.com").contains("example"));
    }
}
