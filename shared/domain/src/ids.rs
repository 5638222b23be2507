//! Identifiers. Tickets and orders are UUIDs; a malformed id names nothing,
//! so it reads as 404, not as a 400 or a 500. A user's id is whatever the
//! auth service issued, carried as its own type so it is never mistaken for
//! another id or an email.

use crate::http::error::ApiError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use uuid::fmt::Hyphenated;
use uuid::Uuid;

/// A hyphenated UUID in either case; only that form (`Uuid::parse_str`
/// would also take it braced, as a URN or as 32 bare digits).
pub fn parse_uuid(raw: &str) -> Option<Uuid> {
    raw.parse::<Hyphenated>().ok().map(Hyphenated::into_uuid)
}

macro_rules! uuid_id {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Lower-case hyphenated UUID, or 404.
            pub fn parse(raw: &str) -> Result<Self, ApiError> {
                let uuid = parse_uuid(raw).ok_or(ApiError::NotFound)?;
                Ok(Self(uuid.hyphenated().to_string()))
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

/// A user's id, as the auth service issued it (text, opaque to the others).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Reads as the text it is wherever text is asked for (SQL, logs, views).
impl std::ops::Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<String> for UserId {
    fn from(id: String) -> Self {
        UserId(id)
    }
}

impl From<&str> for UserId {
    fn from(id: &str) -> Self {
        UserId(id.to_string())
    }
}

impl From<UserId> for String {
    fn from(id: UserId) -> String {
        id.0
    }
}

impl PartialEq<str> for UserId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for UserId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// A UUID (version 8, name-based) from the SHA-256 of `parts` joined by
/// zero bytes: the same parts always name the same id.
pub fn name_based_uuid(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash.update([0]);
        }
        hash.update(part);
    }
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    // Sets the version (8) and the RFC 9562 variant bits.
    Uuid::new_v8(bytes).hyphenated().to_string()
}

impl TicketId {
    /// The ticket a sale issues to its buyer, named by the sale's payment
    /// id: issuing it again (a retried command or event) names the same
    /// ticket. Not by the order id, which is public while the listing is
    /// held: the payment id is random and only its buyer ever sees it, so
    /// nobody who watched the listing can find the ticket it became.
    pub fn issued_by_payment(payment_id: &str) -> TicketId {
        TicketId(name_based_uuid(&["issued-ticket", payment_id]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_id_is_the_text_it_was_made_from() {
        let id = UserId::from("u-1");
        assert_eq!(
            (&*id, id.as_str(), id.to_string()),
            ("u-1", "u-1", "u-1".to_string())
        );
        assert!(id == "u-1" && id == *"u-1" && id != "u-2" && id != *"u-2");
        assert_eq!(String::from(id.clone()), "u-1");
        assert_eq!(
            serde_json::to_value(&id).unwrap(),
            "u-1",
            "sent as plain text"
        );
    }

    fn is_uuid(raw: &str) -> bool {
        parse_uuid(raw).is_some()
    }

    #[test]
    fn accepts_uuids_in_either_case() {
        let id = TicketId::parse("0B7C9D6E-1F2A-4B3C-8D4E-5F6A7B8C9D0E").unwrap();
        assert_eq!(id.as_str(), "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e");
    }

    #[test]
    fn an_issued_ticket_is_named_by_its_payment_not_its_order() {
        let order = OrderId::parse("0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e").unwrap();
        let issued = TicketId::issued_by_payment("pay_7f0c");
        assert!(is_uuid(issued.as_str()), "{issued}");
        assert_ne!(issued.as_str(), order.as_str());
        assert_eq!(issued, TicketId::issued_by_payment("pay_7f0c"));
        assert_ne!(issued, TicketId::issued_by_payment("pay_7f0d"));
    }

    #[test]
    fn a_name_based_id_is_stable_across_releases() {
        // Pinned: a keyed order's id must not change under a client's retry
        // that spans a deploy.
        assert_eq!(
            name_based_uuid(&["user-1", "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e", "key-1"]),
            "33bb255b-9bc9-8ea8-a8f7-02e4ade3dcb4"
        );
    }

    #[test]
    fn only_the_hyphenated_form_is_an_id() {
        let hyphenated = "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e";
        assert!(is_uuid(hyphenated));
        for other_form in [
            "{0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e}",
            "urn:uuid:0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
            " 0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
            "0b7c9d6e-1f2a-4b3c-8d4e-5f6a7b8c9d0é",
        ] {
            assert!(!is_uuid(other_form), "{other_form:?}");
        }
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
