//! How money and times read on every page.

use domain::money::Cents;

/// `12.50`: prices are shown from their cents, never from the float (form values).
pub fn price(cents: i64) -> String {
    Cents(cents).to_string()
}

/// `$12.50`: a price as a buyer reads it, with its currency.
pub fn money(cents: i64) -> String {
    domain::money::display(Cents(cents))
}

/// `Sat 31 Dec 2026, 20:00 UTC` from the API's ISO 8601 time.
pub fn when(iso: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(iso)
        .map(|t| t.format("%a %-d %b %Y, %H:%M UTC").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_dates() {
        assert_eq!(
            when("2026-12-31T20:00:00.000Z"),
            "Thu 31 Dec 2026, 20:00 UTC"
        );
        assert_eq!(when("garbage"), "garbage");
    }
}
