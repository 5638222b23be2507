//! Money in integer cents. Prices arrive as JSON numbers (`20`, `19.99`) or
//! strings from HTML forms (`"19.99"`); both are parsed from their decimal
//! text, so no binary floating point ever touches an amount.

use crate::http::error::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cents(pub i64);

/// The marketplace's one currency (ISO 4217, as Stripe spells it): prices
/// are listed in it and payments charge it: one constant, never a setting.
pub const CURRENCY: &str = "usd";

/// The smallest price: what a card network can charge (Stripe's minimum
/// charge amount for USD). A lower price could be listed but never paid.
pub const MIN_PRICE: Cents = Cents(50);

/// `$12.50`: an amount as a buyer reads it, with its currency.
pub fn display(amount: Cents) -> String {
    format!("${amount}")
}

/// The largest price we accept: one million in the currency's main unit.
pub const MAX_PRICE: Cents = Cents(100_000_000);

impl Cents {
    /// Parses a positive price with at most two decimals.
    pub fn parse_price(value: Option<&Value>) -> Result<Cents, FieldError> {
        let text = match value {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.trim().to_string(),
            _ => String::new(),
        };
        Self::parse_decimal(&text)
    }

    pub fn parse_decimal(text: &str) -> Result<Cents, FieldError> {
        let must_be_positive = || FieldError::new("price", "Price must be greater than 0");
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
            return Err(must_be_positive());
        }
        if fraction.len() > 2 {
            return Err(FieldError::new(
                "price",
                "Price must have at most two decimal places",
            ));
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| too_high())?
        };
        let fraction: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| must_be_positive())?;
        let cents = whole
            .checked_mul(100)
            .and_then(|c| c.checked_add(fraction))
            .ok_or_else(too_high)?;
        match cents {
            0 => Err(must_be_positive()),
            c if c < MIN_PRICE.0 => Err(FieldError::new(
                "price",
                "Price must be at least $0.50 (the smallest amount a card can be charged)",
            )),
            c if c > MAX_PRICE.0 => Err(too_high()),
            c => Ok(Cents(c)),
        }
    }

    /// The amount in the main unit, for JSON clients of the original API.
    pub fn as_decimal_number(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

fn too_high() -> FieldError {
    FieldError::new("price", "Price must be at most 1000000")
}

impl fmt::Display for Cents {
    /// `12.50`: always two decimals, as prices are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Cents, String> {
        Cents::parse_price(Some(&v)).map_err(|e| e.message)
    }

    #[test]
    fn parses_numbers_and_strings_exactly() {
        assert_eq!(parse(json!(20)), Ok(Cents(2000)));
        assert_eq!(parse(json!(19.99)), Ok(Cents(1999)));
        assert_eq!(parse(json!(0.5)), Ok(Cents(50)));
        assert_eq!(parse(json!("5.5")), Ok(Cents(550)));
        assert_eq!(parse(json!(" 7 ")), Ok(Cents(700)));
        assert_eq!(parse(json!(".5")), Ok(Cents(50)));
        assert_eq!(parse(json!("0.50")), Ok(MIN_PRICE));
        assert_eq!(parse(json!("1000000")), Ok(MAX_PRICE));
    }

    #[test]
    fn refuses_what_no_card_can_be_charged() {
        for v in [json!(0.49), json!("0.01"), json!(".1")] {
            assert_eq!(
                parse(v.clone()),
                Err(
                    "Price must be at least $0.50 (the smallest amount a card can be charged)"
                        .into()
                ),
                "{v}"
            );
        }
    }

    #[test]
    fn refuses_zero_negative_and_non_numbers() {
        for v in [
            json!(0),
            json!(-10),
            json!("-1"),
            json!("abc"),
            json!(""),
            json!(null),
            json!(true),
            json!([]),
            json!("1e3"),
            json!("."),
            json!("1.2.3"),
        ] {
            assert_eq!(
                parse(v.clone()),
                Err("Price must be greater than 0".into()),
                "{v}"
            );
        }
        assert_eq!(
            Cents::parse_price(None).map_err(|e| e.message),
            Err("Price must be greater than 0".into())
        );
    }

    #[test]
    fn refuses_fractions_of_a_cent_and_absurd_amounts() {
        assert_eq!(
            parse(json!(1.234)),
            Err("Price must have at most two decimal places".into())
        );
        assert_eq!(
            parse(json!(1000000.01)),
            Err("Price must be at most 1000000".into())
        );
        assert_eq!(
            parse(json!("99999999999999999999999")),
            Err("Price must be at most 1000000".into())
        );
    }

    #[test]
    fn shows_two_decimals() {
        assert_eq!(Cents(1250).to_string(), "12.50");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(1999).as_decimal_number(), 19.99);
    }
}
