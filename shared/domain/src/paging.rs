//! Pagination: `?limit=` and an opaque `?cursor=` over lists ordered newest first.

use crate::error::{ApiError, FieldError};
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
    fn limits_default_and_are_bounded() {
        assert_eq!(PageRequest::parse(None, None).unwrap().limit, 20);
        assert_eq!(PageRequest::parse(Some("100"), None).unwrap().limit, 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(PageRequest::parse(Some(bad), None).is_err(), "{bad}");
        }
        assert!(PageRequest::parse(None, Some("%%%")).is_err());
    }
}
