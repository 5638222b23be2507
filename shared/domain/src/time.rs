//! Time is passed into the domain as Unix milliseconds; this formats it.

use chrono::{DateTime, SecondsFormat};

/// ISO 8601 in UTC with milliseconds: `2026-11-25T20:01:26.000Z`.
pub fn iso8601(unix_ms: i64) -> String {
    DateTime::from_timestamp_millis(unix_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_milliseconds_in_utc() {
        assert_eq!(
            super::iso8601(1_795_000_000_123),
            "2026-11-18T11:06:40.123Z"
        );
    }
}
