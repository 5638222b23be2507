//! The list's live channel (`GET /api/tickets/live`, docs/live.md): what one
//! watcher of the market list looks at, and which changes concern it. A
//! watcher on page 3 hears of the tickets on its page and of new listings
//! that match its search, not of every change in the market.

use crate::events::Event;
use crate::http::paging::MAX_LIMIT;
use crate::ids::TicketId;
use crate::ticket_search::MAX_QUERY_CHARS;
use crate::tickets::{Ticket, TicketView};
use crate::{ApiError, FieldError};
use serde::{Deserialize, Serialize};

/// What a watcher of the list looks at. Kept with its socket (the
/// hibernation API's attachment), so it must stay small: at most a page of ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListWatch {
    /// The tickets on its page: each of their changes reaches it.
    pub ids: Vec<String>,
    /// Its search text, if any: only new listings that match it reach it.
    pub q: Option<String>,
    /// Its page's time (ms): tickets listed after it are new to it.
    pub since: i64,
}

impl ListWatch {
    /// From the query's `ids` (comma-separated ticket ids, at most a page),
    /// `q` (as the list's) and `since` (ms; absent: `now`).
    pub fn parse(
        ids: Option<&str>,
        q: Option<&str>,
        since: Option<&str>,
        now: i64,
    ) -> Result<ListWatch, ApiError> {
        let mut errors = Vec::new();
        let ids = match parse_ids(ids.unwrap_or_default().split(',')) {
            Ok(ids) => ids,
            Err(e) => {
                errors.push(e);
                Vec::new()
            }
        };
        let q = q.map(str::trim).filter(|t| !t.is_empty());
        if q.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
            errors.push(FieldError::new(
                "q",
                "Search text must be at most 100 characters",
            ));
        }
        let since = match since {
            None => now,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                errors.push(FieldError::new(
                    "since",
                    "Since must be a time in milliseconds",
                ));
                now
            }),
        };
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(ListWatch {
            ids,
            q: q.map(str::to_string),
            since,
        })
    }

    /// Whether a newly listed ticket is news to this watcher: listed after
    /// its page was made, and matching its search as the list's `q` would.
    pub fn wants_listed(&self, ticket: &TicketView) -> bool {
        let listed_at = crate::tickets::parse_instant(&ticket.created_at);
        listed_at.is_none_or(|at| at > self.since)
            && self.q.as_deref().is_none_or(|q| matches_search(q, ticket))
    }

    /// The same watcher, looking at another page (`ClientMessage::Watch`).
    pub fn watching(self, ids: Vec<String>) -> Result<ListWatch, ApiError> {
        let ids =
            parse_ids(ids.iter().map(String::as_str)).map_err(|e| ApiError::Validation(vec![e]))?;
        Ok(ListWatch { ids, ..self })
    }
}

/// Ticket ids, lower-cased, at most a page of them; empty parts are skipped.
fn parse_ids<'a>(raw: impl Iterator<Item = &'a str>) -> Result<Vec<String>, FieldError> {
    let mut ids = Vec::new();
    for part in raw.map(str::trim).filter(|p| !p.is_empty()) {
        let id = TicketId::parse(part)
            .map_err(|_| FieldError::new("ids", "Ids must be ticket ids, separated by commas"))?;
        ids.push(id.as_str().to_string());
    }
    if ids.len() > MAX_LIMIT as usize {
        return Err(FieldError::new("ids", "At most 100 ids can be watched"));
    }
    Ok(ids)
}

/// Whether `q` occurs in the ticket's title, event name or venue, ignoring
/// ASCII case: what the list's `LIKE` matches (SQLite folds ASCII only).
pub fn matches_search(q: &str, ticket: &TicketView) -> bool {
    let q = q.to_ascii_lowercase();
    let event = ticket.event.as_ref();
    [
        Some(ticket.title.as_str()),
        event.map(|e| e.name.as_str()),
        event.map(|e| e.venue.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|text| text.to_ascii_lowercase().contains(&q))
}

/// A ticket change the tickets consumer has applied, passed on to the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedChange {
    /// It has just come on the market (a new listing, not an issued ticket).
    pub listed: bool,
    pub ticket: TicketView,
}

impl FeedChange {
    /// The change an event makes to the market list, if it is a ticket's.
    pub fn of(event: &Event) -> Option<FeedChange> {
        let (listed, ticket) = match event {
            Event::TicketCreated(ticket) => (on_market(ticket), ticket),
            Event::TicketUpdated(ticket) => (false, ticket),
            _ => return None,
        };
        Some(FeedChange {
            listed,
            ticket: ticket.view(),
        })
    }
}

/// Offered on the market list: not an owned ticket, withdrawn or closed.
fn on_market(ticket: &Ticket) -> bool {
    use crate::tickets::Listing;
    matches!(
        ticket.listing,
        Listing::ForSale
            | Listing::Sold { .. }
            | Listing::Held {
                event_started: false,
                ..
            }
    )
}

/// What a list watcher may send: the page it now shows.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientMessage {
    Watch { ids: Vec<String> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::EventDetails;
    use serde_json::json;

    const A: &str = "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
    const B: &str = "1b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";

    fn ticket(title: &str, event: Option<(&str, &str)>) -> Ticket {
        let mut ticket: Ticket = serde_json::from_value(json!({
            "id": A, "title": title, "priceCents": 100, "userId": "u", "version": 0,
            "orderId": null, "soldTo": null, "createdAt": 0
        }))
        .unwrap();
        ticket.event = event.map(|(name, venue)| EventDetails {
            name: name.into(),
            venue: venue.into(),
            starts_at: 1,
        });
        ticket
    }

    #[test]
    fn a_watch_is_parsed_from_the_query() {
        let upper = A.to_uppercase();
        let watch = ListWatch::parse(
            Some(&format!("{upper}, {B},")),
            Some(" jazz "),
            Some("42"),
            7,
        )
        .unwrap();
        assert_eq!(
            watch,
            ListWatch {
                ids: vec![A.into(), B.into()],
                q: Some("jazz".into()),
                since: 42
            }
        );
        let bare = ListWatch::parse(None, Some("  "), None, 7).unwrap();
        assert_eq!((bare.ids.len(), bare.q, bare.since), (0, None, 7));
    }

    #[test]
    fn a_bad_watch_names_each_field() {
        let too_many = vec![A; 101].join(",");
        for (ids, q, since, fields) in [
            (Some("nope"), None, None, vec!["ids"]),
            (Some(too_many.as_str()), None, None, vec!["ids"]),
            (
                None,
                Some("x".repeat(101)),
                Some("soon"),
                vec!["q", "since"],
            ),
        ] {
            let Err(ApiError::Validation(errors)) = ListWatch::parse(ids, q.as_deref(), since, 0)
            else {
                panic!("{ids:?} {q:?} {since:?} was accepted");
            };
            let named: Vec<_> = errors.iter().map(|e| e.field.as_deref().unwrap()).collect();
            assert_eq!(named, fields);
        }
        assert!(ListWatch::parse(Some(&vec![A; 100].join(",")), None, None, 0).is_ok());
    }

    #[test]
    fn the_search_matches_title_event_and_venue_ignoring_ascii_case() {
        let view = ticket("Row C", Some(("Jazz Night", "Blue Note"))).view();
        for q in ["row c", "JAZZ", "note", "ue No"] {
            assert!(matches_search(q, &view), "{q}");
        }
        assert!(!matches_search("rock", &view));
        assert!(!matches_search("jazz", &ticket("Row C", None).view()));
        let watch = ListWatch::parse(None, Some("blue"), None, -1).unwrap();
        assert!(watch.wants_listed(&view));
        assert!(!watch.wants_listed(&ticket("Other", None).view()));
        let everything = ListWatch::parse(None, None, None, -1).unwrap();
        assert!(everything.wants_listed(&ticket("Other", None).view()));
    }

    #[test]
    fn a_listing_older_than_the_page_is_not_news() {
        let mut listed = ticket("T", None);
        listed.created_at = 1_000;
        let watch = |since| ListWatch::parse(None, None, Some(since), 0).unwrap();
        assert!(watch("999").wants_listed(&listed.view()));
        assert!(!watch("1000").wants_listed(&listed.view()));
    }

    #[test]
    fn only_a_new_ticket_on_the_market_is_listed() {
        let new = ticket("T", None);
        assert!(
            FeedChange::of(&Event::TicketCreated(new.clone()))
                .unwrap()
                .listed
        );
        assert!(
            !FeedChange::of(&Event::TicketUpdated(new.clone()))
                .unwrap()
                .listed
        );
        let issued = Ticket {
            listing: crate::tickets::Listing::Owned,
            ..new.clone()
        };
        assert!(
            !FeedChange::of(&Event::TicketCreated(issued))
                .unwrap()
                .listed
        );
        let change = FeedChange::of(&Event::TicketCreated(new.clone())).unwrap();
        assert_eq!(change.ticket, new.view());
    }

    #[test]
    fn a_watcher_moves_to_another_page() {
        let watch = ListWatch::parse(Some(A), Some("q"), Some("5"), 0).unwrap();
        let moved = watch.clone().watching(vec![B.to_uppercase()]).unwrap();
        assert_eq!(moved.ids, vec![B.to_string()]);
        assert_eq!((moved.q, moved.since), (watch.q, watch.since));
        assert!(ListWatch::parse(None, None, None, 0)
            .unwrap()
            .watching(vec!["x".into()])
            .is_err());
        let message: ClientMessage =
            serde_json::from_value(json!({"type": "watch", "ids": [A]})).unwrap();
        let ClientMessage::Watch { ids } = message;
        assert_eq!(ids, vec![A.to_string()]);
    }
}
