//! Pagination: `?limit=` and an opaque `?cursor=` over lists ordered newest first.

use crate::http::error::{ApiError, FieldError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// A position in a newest-first list: the last row seen, by (created_at, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        B64URL.encode(format!("{}:{}", self.created_at, self.id))
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        let text = String::from_utf8(B64URL.decode(raw).ok()?).ok()?;
        let (created_at, id) = text.split_once(':')?;
        let id_ok = !id.is_empty()
            && id.len() <= 64
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !id_ok {
            return None;
        }
        Some(Cursor {
            created_at: created_at.parse().ok()?,
            id: id.to_string(),
        })
    }
}

/// Splits the `limit + 1` rows a query fetched (one more than asked tells
/// whether a next page exists) into the page and the next page's cursor.
pub fn into_page<T>(
    mut rows: Vec<T>,
    limit: u32,
    cursor_of: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<Cursor>) {
    if rows.len() <= limit as usize {
        return (rows, None);
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(cursor_of);
    (rows, next)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// From `limit` and `cursor` query values.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, ApiError> {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_LIMIT).contains(l))
                .ok_or_else(|| {
                    ApiError::Validation(vec![FieldError::new(
                        "limit",
                        "Limit must be between 1 and 100",
                    )])
                })?,
        };
        let after = match cursor {
            None | Some("") => None,
            Some(raw) => Some(Cursor::decode(raw).ok_or_else(|| {
                ApiError::Validation(vec![FieldError::new("cursor", "Cursor is invalid")])
            })?),
        };
        Ok(Self { limit, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor {
            created_at: 1_795_000_000_000,
            id: "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for raw in [
            "",
            "!!!",
            "bm9jb2xvbg",
            &B64URL.encode("x:abc"),
            &B64URL.encode("5:a'b"),
            &B64URL.encode("5:"),
        ] {
            assert_eq!(Cursor::decode(raw), None, "{raw}");
        }
    }

    #[test]
    fn a_full_page_and_one_more_row_means_a_next_page() {
        let cursor = |n: &i64| Cursor {
            created_at: *n,
            id: n.to_string(),
        };
        assert_eq!(
            into_page(vec![5, 4, 3], 2, cursor),
            (vec![5, 4], Some(cursor(&4)))
        );
        assert_eq!(into_page(vec![5, 4], 2, cursor), (vec![5, 4], None));
        assert_eq!(into_page(Vec::<i64>::new(), 2, cursor), (vec![], None));
    }

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 20);
        assert_eq!(PageRequest::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad}");
        }
        assert!(PageRequest::parse(None, Some("%%%")).is_err());
    }
}
