//! A ticket for sale: its input types and its state.

use crate::error::{ApiError, FieldError};
use crate::fields::both;
use crate::ids::{OrderId, TicketId};
use crate::money::Cents;
use crate::time::iso8601;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MAX_TITLE_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl TryFrom<String> for Title {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Title::parse(Some(&Value::String(raw))).map_err(|e| e.message)
    }
}

impl From<Title> for String {
    fn from(title: Title) -> String {
        title.0
    }
}

impl Title {
    pub fn parse(value: Option<&Value>) -> Result<Title, FieldError> {
        let title = value.and_then(Value::as_str).unwrap_or("").trim();
        if title.is_empty() {
            return Err(FieldError::new("title", "Title is required"));
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err(FieldError::new(
                "title",
                "Title must be at most 120 characters",
            ));
        }
        Ok(Title(title.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The body of POST and PUT /api/tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketInput {
    pub title: Title,
    pub price: Cents,
}

impl TicketInput {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (title, price) = both(
            Title::parse(body.get("title")),
            Cents::parse_price(body.get("price")),
        )?;
        Ok(Self { title, price })
    }
}

/// A ticket as its Durable Object keeps it, and as `ticket:*` events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    #[serde(rename = "priceCents")]
    pub price: Cents,
    pub user_id: String,
    /// 0 on creation, +1 on every change (edit, hold, release, sale).
    pub version: u64,
    /// The live order holding the ticket, if any.
    pub order_id: Option<OrderId>,
    /// The order that bought it; a sold ticket never changes again.
    pub sold_to: Option<OrderId>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl Ticket {
    pub fn is_free(&self) -> bool {
        self.order_id.is_none() && self.sold_to.is_none()
    }

    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id.to_string(),
            title: self.title.clone(),
            price: self.price.as_decimal_number(),
            price_cents: self.price.0,
            user_id: self.user_id.clone(),
            version: self.version,
            order_id: self.order_id.as_ref().map(ToString::to_string),
            sold: self.sold_to.is_some(),
            created_at: iso8601(self.created_at),
        }
    }
}

/// A ticket as the HTTP API shows it: the original's fields (`price` in the
/// main unit) plus `priceCents`, `orderId`, `sold` and `createdAt`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketView {
    pub id: String,
    pub title: String,
    pub price: f64,
    pub price_cents: i64,
    pub user_id: String,
    pub version: u64,
    pub order_id: Option<String>,
    pub sold: bool,
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_are_trimmed_and_required() {
        assert_eq!(
            Title::parse(Some(&json!("  Concert "))).unwrap().as_str(),
            "Concert"
        );
        for v in [json!(""), json!("   "), json!(5), json!(null)] {
            assert_eq!(
                Title::parse(Some(&v)).unwrap_err().message,
                "Title is required"
            );
        }
        assert!(
            Title::parse(Some(&json!("é".repeat(120)))).is_ok(),
            "120 characters"
        );
        assert_eq!(
            Title::parse(Some(&json!("x".repeat(121))))
                .unwrap_err()
                .message,
            "Title must be at most 120 characters"
        );
    }

    #[test]
    fn a_title_crosses_json_unchanged() {
        let title = Title::parse(Some(&json!("Opera"))).unwrap();
        let json = serde_json::to_string(&title).unwrap();
        assert_eq!(json, r#""Opera""#);
        assert_eq!(serde_json::from_str::<Title>(&json).unwrap(), title);
        assert!(
            serde_json::from_str::<Title>(r#""  ""#).is_err(),
            "the rule holds on the way in"
        );
    }

    #[test]
    fn input_reports_both_fields() {
        let Err(ApiError::Validation(errors)) =
            TicketInput::parse(&json!({"title": "", "price": -10}))
        else {
            panic!("expected validation errors");
        };
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            ["Title is required", "Price must be greater than 0"]
        );
    }

    #[test]
    fn views_show_price_both_ways() {
        let ticket = Ticket {
            id: TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            title: "Show".into(),
            price: Cents(1999),
            user_id: "u".into(),
            version: 0,
            order_id: None,
            sold_to: None,
            created_at: 0,
        };
        let view = ticket.view();
        assert_eq!(
            (view.price, view.price_cents, view.sold),
            (19.99, 1999, false)
        );
        assert_eq!(view.created_at, "1970-01-01T00:00:00.000Z");
    }
}
