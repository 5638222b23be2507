//! Identifiers. Tickets and orders are UUIDs; a malformed id names nothing,
//! so it reads as 404, not as a 400 or a 500.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A hyphenated UUID in either case.
pub fn is_uuid(raw: &str) -> bool {
    raw.len() == 36
        && raw.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

macro_rules! uuid_id {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Lower-case hyphenated UUID, or 404.
            pub fn parse(raw: &str) -> Result<Self, ApiError> {
                if !is_uuid(raw) {
                    return Err(ApiError::NotFound);
                }
                Ok(Self(raw.to_ascii_lowercase()))
            }

            /// Wraps a freshly generated UUID.
            pub fn from_uuid(uuid: impl fmt::Display) -> Self {
                Self(uuid.to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

uuid_id!(TicketId);
uuid_id!(OrderId);

impl TicketId {
    /// The ticket a completed order issues to its buyer: named by the order,
    /// so issuing it again (a retried event) names the same ticket.
    pub fn issued_by(order: &OrderId) -> TicketId {
        TicketId(order.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_uuids_in_either_case() {
        let id = TicketId::parse("0B7C9D6E-1F2A-4B3C-8D4E-5F6A7B8C9D0E").unwrap();
        assert_eq!(id.as_str(), "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
    }

    #[test]
    fn malformed_ids_are_not_found() {
        for raw in [
            "",
            "123",
            "not-a-uuid",
            "0b7c9d6e1f2a4b3c8d4e5f6a7b8c9d0e",
            "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0g",
            "../../etc/passwd",
        ] {
            assert_eq!(OrderId::parse(raw), Err(ApiError::NotFound), "{raw:?}");
        }
    }
}
