//! A ticket for sale: its input types and its state.

mod listing;

pub use listing::{Listing, TicketRecord};

use crate::http::error::{ApiError, FieldError};
use crate::http::fields::both;
use crate::ids::{OrderId, TicketId, UserId};
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
    /// Stored tickets and events are read with the rules they were written
    /// under (required, at most 120 characters), not the character rule
    /// added later, so a title stored before it still loads.
    fn try_from(raw: String) -> Result<Self, String> {
        Title::measured(Some(&Value::String(raw))).map_err(|e| e.message)
    }
}

impl From<Title> for String {
    fn from(title: Title) -> String {
        title.0
    }
}

impl Title {
    /// A title typed by a seller: required, at most 120 characters, and free
    /// of characters that hide or reorder what buyers read.
    pub fn parse(value: Option<&Value>) -> Result<Title, FieldError> {
        let title = Self::measured(value)?;
        if title.0.chars().any(is_refused_in_title) {
            return Err(FieldError::new(
                "title",
                "Title must not contain control characters or invisible formatting \
                 characters (such as bidirectional overrides)",
            ));
        }
        Ok(title)
    }

    fn measured(value: Option<&Value>) -> Result<Title, FieldError> {
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

/// Controls (Cc: tabs, newlines, escapes), format characters (Cf: the
/// bidirectional overrides and isolates U+202A-U+202E and U+2066-U+2069,
/// zero-width spaces, tags) and line or paragraph separators: each can make a
/// title read differently from what it says ("Trojan Source"). Zero-width
/// joiners and non-joiners stay: emoji sequences and several scripts need them.
fn is_refused_in_title(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    let refused_category = matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    );
    refused_category && !matches!(c, '\u{200C}' | '\u{200D}')
}

pub const MAX_EVENT_TEXT_CHARS: usize = 120;

/// What a listing is a ticket for: an event's name, its venue and when it
/// starts (Unix ms). At `starts_at` the listing closes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDetails {
    pub name: String,
    pub venue: String,
    pub starts_at: i64,
}

fn event_text(
    value: Option<&Value>,
    field: &str,
    required: &str,
    too_long: &str,
) -> Result<String, FieldError> {
    let text = value.and_then(Value::as_str).unwrap_or("").trim();
    if text.is_empty() {
        return Err(FieldError::new(field, required));
    }
    if text.chars().count() > MAX_EVENT_TEXT_CHARS {
        return Err(FieldError::new(field, too_long));
    }
    Ok(text.to_string())
}

/// An ISO 8601 date and time with an offset (`2026-12-31T20:00:00Z`,
/// `2026-12-31T21:00:00+01:00`), as Unix ms.
pub fn parse_instant(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

impl EventDetails {
    /// `event: {name, venue, startsAt}`; every field's error at once, each
    /// named `event.<field>`. The start must be after `now`.
    pub fn parse(value: &Value, now: i64) -> Result<EventDetails, Vec<FieldError>> {
        let Some(event) = value.as_object() else {
            return Err(vec![FieldError::new(
                "event",
                "Event must be an object with name, venue and startsAt",
            )]);
        };
        let name = event_text(
            event.get("name"),
            "event.name",
            "Event name is required",
            "Event name must be at most 120 characters",
        );
        let venue = event_text(
            event.get("venue"),
            "event.venue",
            "Venue is required",
            "Venue must be at most 120 characters",
        );
        let starts_at = match event
            .get("startsAt")
            .and_then(Value::as_str)
            .and_then(parse_instant)
        {
            None => Err(FieldError::new(
                "event.startsAt",
                "Start must be an ISO 8601 date and time, such as 2026-12-31T20:00:00Z",
            )),
            Some(t) if t <= now => Err(FieldError::new(
                "event.startsAt",
                "Start must be in the future",
            )),
            Some(t) => Ok(t),
        };
        match (name, venue, starts_at) {
            (Ok(name), Ok(venue), Ok(starts_at)) => Ok(EventDetails {
                name,
                venue,
                starts_at,
            }),
            (name, venue, starts_at) => Err([name.err(), venue.err(), starts_at.err()]
                .into_iter()
                .flatten()
                .collect()),
        }
    }

    pub fn view(&self) -> EventView {
        EventView {
            name: self.name.clone(),
            venue: self.venue.clone(),
            starts_at: iso8601(self.starts_at),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    pub name: String,
    pub venue: String,
    pub starts_at: String,
}

/// What a request says about the listing's event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EventField {
    /// Not in the body: a new listing has none, an edit keeps the one it had.
    Unchanged,
    /// `event: null`: the edit removes it.
    Removed,
    Given(EventDetails),
}

/// The body of POST and PUT /api/tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketInput {
    pub title: Title,
    pub price: Cents,
    #[serde(default = "unchanged")]
    pub event: EventField,
}

fn unchanged() -> EventField {
    EventField::Unchanged
}

impl TicketInput {
    /// Every field's error at once; `now` is the time the event must start after.
    pub fn parse(body: &Value, now: i64) -> Result<Self, ApiError> {
        let fields = both(
            Title::parse(body.get("title")),
            Cents::parse_price(body.get("price")),
        );
        let event = match body.get("event") {
            None => Ok(EventField::Unchanged),
            Some(Value::Null) => Ok(EventField::Removed),
            Some(value) => EventDetails::parse(value, now).map(EventField::Given),
        };
        match (fields, event) {
            (Ok((title, price)), Ok(event)) => Ok(Self {
                title,
                price,
                event,
            }),
            (fields, event) => {
                let mut errors = match fields {
                    Err(ApiError::Validation(errors)) => errors,
                    _ => Vec::new(),
                };
                errors.extend(event.err().unwrap_or_default());
                Err(ApiError::Validation(errors))
            }
        }
    }
}

/// Where a listing stands, as its seller and buyers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ListingState {
    Available,
    Reserved,
    Sold,
    /// Its event has started: no new holds.
    Closed,
    /// Its seller took it off the market.
    Withdrawn,
    /// Bought, and owned by its buyer; not for sale until they resell it.
    Owned,
}

/// One change of hands in a ticket's chain of custody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// The seller's and the buyer's user ids.
    pub from: UserId,
    pub to: UserId,
    #[serde(rename = "priceCents")]
    pub price: Cents,
    /// Unix ms.
    pub at: i64,
    /// The listing that sold.
    pub listing: TicketId,
}

/// How far above what its owner paid a ticket may be resold: a percentage
/// (`RESALE_CAP_PERCENT`; 100, face value, by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResaleCap {
    pub percent: u32,
}

impl Default for ResaleCap {
    fn default() -> Self {
        ResaleCap { percent: 100 }
    }
}

impl ResaleCap {
    /// From the setting: a whole percentage from 1 to 1000; unset, 100.
    pub fn from_setting(raw: Option<&str>) -> Result<ResaleCap, String> {
        match raw.map(str::trim) {
            None | Some("") => Ok(ResaleCap::default()),
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=1000).contains(p))
                .map(|percent| ResaleCap { percent })
                .ok_or_else(|| {
                    format!(
                        "RESALE_CAP_PERCENT must be a whole number from 1 to 1000, not {text:?}"
                    )
                }),
        }
    }

    /// The highest resale price of a ticket its owner bought for `paid`.
    pub fn max_price(self, paid: Cents) -> Cents {
        Cents(paid.0 * i64::from(self.percent) / 100)
    }
}

/// A ticket as its Durable Object keeps it, and as `ticket:*` events carry
/// it. Where it stands on the market is its `listing`, which carries what
/// that state has; it is stored and sent flat (`TicketRecord`), as before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TicketRecord", into = "TicketRecord")]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    pub price: Cents,
    pub user_id: UserId,
    /// 0 on creation, +1 on every change (edit, hold, release, sale): the
    /// desk's `evolve` steps it, no rule.
    pub version: u64,
    /// Unix milliseconds.
    pub created_at: i64,
    /// The event the ticket is for, if the seller named one.
    pub event: Option<EventDetails>,
    pub listing: Listing,
    /// What its owner paid, for a ticket issued by a purchase: the resale cap's base.
    pub paid: Option<Cents>,
    /// Every sale that led to this ticket, oldest first.
    pub custody: Vec<Transfer>,
}

impl Ticket {
    /// A ticket as it starts: version 0, for sale, no event, no history.
    pub fn new(
        id: TicketId,
        title: String,
        price: Cents,
        user_id: UserId,
        created_at: i64,
    ) -> Ticket {
        Ticket {
            id,
            title,
            price,
            user_id,
            version: 0,
            created_at,
            event: None,
            listing: Listing::ForSale,
            paid: None,
            custody: Vec::new(),
        }
    }

    /// The live order holding the ticket, if any.
    pub fn order_id(&self) -> Option<&OrderId> {
        match &self.listing {
            Listing::Held { order_id, .. } => Some(order_id),
            _ => None,
        }
    }

    /// The order that bought it, if it sold.
    pub fn sold_to(&self) -> Option<&OrderId> {
        match &self.listing {
            Listing::Sold { order_id, .. } => Some(order_id),
            _ => None,
        }
    }

    /// When the live order's hold ends, Unix ms.
    pub fn held_until(&self) -> Option<i64> {
        match self.listing {
            Listing::Held { until, .. } => until,
            _ => None,
        }
    }

    /// When it sold, Unix ms.
    pub fn sold_at(&self) -> Option<i64> {
        match self.listing {
            Listing::Sold { at, .. } => at,
            _ => None,
        }
    }

    /// Neither held nor sold.
    pub fn is_free(&self) -> bool {
        !matches!(self.listing, Listing::Held { .. } | Listing::Sold { .. })
    }

    /// Whether its event has started at `now` (whether or not the alarm has
    /// closed it yet: the rules ask this, so a late alarm lets nothing through).
    pub fn has_started(&self, now: i64) -> bool {
        self.listing.is_closed() || self.event.as_ref().is_some_and(|e| now >= e.starts_at)
    }

    pub fn state(&self) -> ListingState {
        match self.listing {
            Listing::ForSale => ListingState::Available,
            Listing::Held { .. } => ListingState::Reserved,
            Listing::Sold { .. } => ListingState::Sold,
            Listing::Withdrawn => ListingState::Withdrawn,
            Listing::Closed { .. } => ListingState::Closed,
            Listing::Owned => ListingState::Owned,
        }
    }

    /// Whether `viewer` may see this ticket at all: a bought ticket that is
    /// not listed for resale is its owner's business only (the others get
    /// a 404, as for a ticket that does not exist).
    pub fn visible_to(&self, viewer: Option<&str>) -> bool {
        !self.listing.is_owned() || viewer == Some(self.user_id.as_str())
    }

    /// The ticket as `viewer` (signed in, or not) sees it: what its owner
    /// paid is theirs alone to see.
    pub fn view_for(&self, viewer: Option<&str>) -> TicketView {
        let mut view = self.view();
        if viewer == Some(self.user_id.as_str()) {
            view.paid_cents = self.paid.map(|p| p.0);
        }
        view
    }

    /// The ticket as anyone may see it: never what its owner paid.
    pub fn view(&self) -> TicketView {
        TicketView {
            id: self.id.to_string(),
            title: self.title.clone(),
            price: self.price.as_decimal_number(),
            price_cents: self.price.0,
            user_id: self.user_id.to_string(),
            version: self.version,
            order_id: self.order_id().map(ToString::to_string),
            sold: self.sold_to().is_some(),
            created_at: iso8601(self.created_at),
            event: self.event.as_ref().map(EventDetails::view),
            state: self.state(),
            held_until: self.held_until().map(iso8601),
            sold_at: self.sold_at().map(iso8601),
            currency: crate::money::CURRENCY.to_string(),
            paid_cents: None,
            resale_max_cents: None,
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
    /// The listing's event, or null.
    pub event: Option<EventView>,
    pub state: ListingState,
    pub held_until: Option<String>,
    pub sold_at: Option<String>,
    /// The currency of `price` and `priceCents` (ISO 4217, lower case).
    pub currency: String,
    /// What the owner paid, for a ticket bought here, shown to its owner
    /// only; else null.
    pub paid_cents: Option<i64>,
    /// The highest price it may be resold at, shown to its owner only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resale_max_cents: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_an_owner_paid_and_an_unlisted_ticket_are_the_owners_to_see() {
        let mut bought = Ticket::new(
            TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            "Stalls".into(),
            Cents(2500),
            "buyer".into(),
            0,
        );
        bought.paid = Some(Cents(2500));
        bought.listing = Listing::Owned;
        assert!(bought.visible_to(Some("buyer")));
        assert!(!bought.visible_to(Some("someone")));
        assert!(!bought.visible_to(None));
        assert_eq!(bought.view_for(Some("buyer")).paid_cents, Some(2500));
        // Listed for resale, anyone sees it, but not what was paid.
        bought.listing = Listing::ForSale;
        assert!(bought.visible_to(None));
        assert_eq!(bought.view_for(None).paid_cents, None);
        assert_eq!(bought.view_for(Some("someone")).paid_cents, None);
        assert_eq!(bought.view().paid_cents, None);
    }

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
    fn titles_refuse_controls_and_bidirectional_overrides() {
        let message = "Title must not contain control characters or invisible formatting \
                       characters (such as bidirectional overrides)";
        for refused in [
            "Concert\u{202E}tpircs",
            "Opera \u{2066}isolated\u{2069}",
            "\u{202A}a\u{202B}b\u{202C}c\u{202D}d",
            "\u{2067}x\u{2068}y",
            "Tab\there",
            "Line\nbreak",
            "Escape\u{1b}[31m",
            "Zero\u{200B}width",
            "Bom\u{FEFF}",
            "Soft\u{AD}hyphen",
            "Line\u{2028}separator",
            "Null\u{0}",
            "Del\u{7f}",
        ] {
            let err = Title::parse(Some(&json!(refused))).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("title"), "{refused:?}");
            assert_eq!(err.message, message, "{refused:?}");
        }
        for fine in [
            "Die Zauberflöte — Opéra (2 seats)",
            "Family pass \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}",
            "\u{645}\u{648}\u{633}\u{64A}\u{642}\u{649} concert",
            "Non\u{A0}breaking space",
            "می\u{200C}خواهم",
        ] {
            assert!(Title::parse(Some(&json!(fine))).is_ok(), "{fine:?}");
        }
    }

    #[test]
    fn a_stored_title_from_before_the_character_rule_still_loads() {
        let stored: Title = serde_json::from_str(r#""Old\u202etitle""#).unwrap();
        assert_eq!(stored.as_str(), "Old\u{202E}title");
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
            TicketInput::parse(&json!({"title": "", "price": -10}), 0)
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
        let id = TicketId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let ticket = Ticket::new(id, "Show".into(), Cents(1999), "u".into(), 0);
        let view = ticket.view();
        assert_eq!(
            (view.price, view.price_cents, view.sold),
            (19.99, 1999, false)
        );
        assert_eq!(view.created_at, "1970-01-01T00:00:00.000Z");
    }

    const NOW: i64 = 1_800_000_000_000;

    #[test]
    fn an_event_needs_a_name_a_venue_and_a_future_start() {
        let body = json!({"title": "A", "price": 10, "event": {"name": " Opera ", "venue": "La Scala", "startsAt": "2027-03-01T19:30:00+01:00"}});
        let input = TicketInput::parse(&body, NOW).unwrap();
        let EventField::Given(event) = input.event else {
            panic!("{input:?}")
        };
        assert_eq!(
            (event.name.as_str(), event.venue.as_str()),
            ("Opera", "La Scala")
        );
        assert_eq!(iso8601(event.starts_at), "2027-03-01T18:30:00.000Z");

        let fields = |body: Value| match TicketInput::parse(&body, NOW) {
            Err(ApiError::Validation(errors)) => errors
                .into_iter()
                .map(|e| (e.field.unwrap_or_default(), e.message))
                .collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        let errors = fields(
            json!({"title": "", "price": 10, "event": {"name": "", "venue": " ", "startsAt": "tomorrow"}}),
        );
        let named: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            named,
            ["title", "event.name", "event.venue", "event.startsAt"]
        );
        let past = fields(
            json!({"title": "A", "price": 10, "event": {"name": "N", "venue": "V", "startsAt": "2020-01-01T00:00:00Z"}}),
        );
        assert_eq!(
            past,
            [(
                "event.startsAt".to_string(),
                "Start must be in the future".to_string()
            )]
        );
        let not_object = fields(json!({"title": "A", "price": 10, "event": "Opera"}));
        assert_eq!(not_object[0].0, "event");
        let long = fields(
            json!({"title": "A", "price": 10, "event": {"name": "x".repeat(121), "venue": "V", "startsAt": "2030-01-01T00:00:00Z"}}),
        );
        assert_eq!(long[0].1, "Event name must be at most 120 characters");
    }

    #[test]
    fn an_edit_keeps_removes_or_replaces_the_event() {
        let parse = |body: Value| TicketInput::parse(&body, NOW).unwrap().event;
        assert_eq!(
            parse(json!({"title": "A", "price": 1})),
            EventField::Unchanged
        );
        assert_eq!(
            parse(json!({"title": "A", "price": 1, "event": null})),
            EventField::Removed
        );
    }

    #[test]
    fn a_listing_shows_its_state() {
        let mut ticket: Ticket = serde_json::from_value(json!({
            "id": "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "title": "T", "priceCents": 100,
            "userId": "u", "version": 0, "orderId": null, "soldTo": null, "createdAt": 0
        }))
        .expect("a ticket stored before events existed still reads");
        assert_eq!(ticket.state(), ListingState::Available);
        ticket.event = Some(EventDetails {
            name: "N".into(),
            venue: "V".into(),
            starts_at: NOW,
        });
        assert!(!ticket.has_started(NOW - 1) && ticket.has_started(NOW));
        ticket.listing = Listing::Closed { owned: false };
        assert_eq!(ticket.state(), ListingState::Closed);
        ticket.listing = Listing::Withdrawn;
        assert_eq!(ticket.state(), ListingState::Withdrawn);
        ticket.listing = Listing::Held {
            order_id: OrderId::parse("00000000-0000-4000-8000-000000000001").unwrap(),
            until: Some(NOW + 1),
            event_started: false,
        };
        assert_eq!(ticket.state(), ListingState::Reserved);
        let view = serde_json::to_value(ticket.view()).unwrap();
        assert_eq!(view["state"], "reserved");
        assert_eq!(view["currency"], "usd");
        assert_eq!(view["event"]["startsAt"], iso8601(NOW));
    }

    #[test]
    fn the_resale_cap_is_a_percentage_of_what_was_paid() {
        assert_eq!(ResaleCap::default().max_price(Cents(4550)), Cents(4550));
        let cap = ResaleCap::from_setting(Some("110")).unwrap();
        assert_eq!(cap.max_price(Cents(4550)), Cents(5005));
        assert_eq!(ResaleCap::from_setting(None), Ok(ResaleCap::default()));
        for bad in ["0", "-5", "1001", "ten", "99.5"] {
            assert!(ResaleCap::from_setting(Some(bad)).is_err(), "{bad}");
        }
    }
}
