//! Sign-up and sign-in input, parsed once into types that cannot be invalid.

use crate::http::error::{ApiError, FieldError};
use crate::http::fields::{both, text};
use crate::password::{Password, SigninPassword};
use serde_json::Value;
use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// An email address, trimmed, lower-cased and in Unicode NFC: two spellings of
/// one address (`É` typed as one code point or as `E` plus a combining accent)
/// are one `Email`, and the users table keeps it UNIQUE.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let normalized: String = raw.trim().to_lowercase().nfc().collect();
        let invalid = || FieldError::new("email", "Email must be valid");
        if normalized.len() > Self::MAX_LEN || !email_address::EmailAddress::is_valid(&normalized) {
            return Err(invalid());
        }
        // RFC 5322 allows `a@localhost` and quoted local parts; a marketplace wants a
        // mailbox on a real domain.
        let (local, domain) = normalized.rsplit_once('@').ok_or_else(invalid)?;
        let plain_local = !local.starts_with('"');
        let dotted_domain = domain.contains('.') && !domain.starts_with('[');
        if !plain_local || !dotted_domain || domain.ends_with('.') {
            return Err(invalid());
        }
        Ok(Email(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same address fully decomposed (NFD): how a row stored before emails
    /// were normalised may spell it, so sign-in and sign-up look for it too.
    /// Equal to `as_str` for every ASCII address.
    pub fn decomposed(&self) -> String {
        self.0.nfd().collect()
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

#[derive(Debug)]
pub struct SignupRequest {
    pub email: Email,
    pub password: Password,
}

impl SignupRequest {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (email, password) = both(
            Email::parse(text(body, "email")),
            Password::parse(text(body, "password")),
        )?;
        Ok(Self { email, password })
    }
}

#[derive(Debug)]
pub struct SigninRequest {
    pub email: Email,
    pub password: SigninPassword,
}

impl SigninRequest {
    pub fn parse(body: &Value) -> Result<Self, ApiError> {
        let (email, password) = both(
            Email::parse(text(body, "email")),
            SigninPassword::parse(text(body, "password")),
        )?;
        Ok(Self { email, password })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Alice.Smith@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "alice.smith@example.com");
        assert_eq!(email, Email::parse("alice.smith@example.com").unwrap());
    }

    #[test]
    fn composed_and_decomposed_spellings_are_one_email() {
        let composed = Email::parse("Ren\u{e9}e@Caf\u{e9}.example").unwrap();
        let decomposed = Email::parse("Rene\u{301}e@Cafe\u{301}.example").unwrap();
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_str(), "ren\u{e9}e@caf\u{e9}.example");
        assert_eq!(composed.decomposed(), "rene\u{301}e@cafe\u{301}.example");
        let ascii = Email::parse("a@b.co").unwrap();
        assert_eq!(ascii.decomposed(), ascii.as_str());
    }

    #[test]
    fn emails_are_at_most_254_characters() {
        // 64 + "@" + 63 + "." + 63 + "." + n + ".com": labels as DNS allows.
        let email = |n: usize| {
            let (a, b, c, d) = (
                "a".repeat(64),
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(n),
            );
            format!("{a}@{b}.{c}.{d}.com")
        };
        let at_limit = email(57);
        assert_eq!(at_limit.len(), 254);
        assert!(Email::parse(&at_limit).is_ok());
        let over = email(58);
        assert!(Email::parse(&over).is_err());
    }

    #[test]
    fn rejects_malformed_emails() {
        for raw in [
            "",
            "   ",
            "plain",
            "a@",
            "@b.com",
            "a@b",
            "a b@c.com",
            "a@b.com.",
            "\"q\"@b.com",
            "a@[127.0.0.1]",
            "a@@b.com",
        ] {
            let err = Email::parse(raw).unwrap_err();
            assert_eq!(
                err,
                FieldError::new("email", "Email must be valid"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn rejects_overlong_emails() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&raw).is_err());
    }

    #[test]
    fn signup_reports_every_invalid_field() {
        let Err(ApiError::Validation(errors)) =
            SignupRequest::parse(&json!({"email": "x", "password": "1"}))
        else {
            panic!("expected validation errors");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_deref()).collect();
        assert_eq!(fields, [Some("email"), Some("password")]);
    }

    #[test]
    fn wrong_json_types_are_field_errors_not_crashes() {
        for body in [
            json!({"email": 5, "password": ["a"]}),
            json!([]),
            json!(null),
            json!("s"),
        ] {
            assert!(matches!(
                SignupRequest::parse(&body),
                Err(ApiError::Validation(_))
            ));
            assert!(matches!(
                SigninRequest::parse(&body),
                Err(ApiError::Validation(_))
            ));
        }
    }

    #[test]
    fn signin_needs_a_password_but_not_a_policy_compliant_one() {
        let ok = SigninRequest::parse(&json!({"email": "a@b.co", "password": "x"})).unwrap();
        assert_eq!(ok.password.expose(), "x");
        let Err(ApiError::Validation(errors)) =
            SigninRequest::parse(&json!({"email": "a@b.co", "password": "  "}))
        else {
            panic!("expected a validation error");
        };
        assert_eq!(
            errors,
            [FieldError::new("password", "You must supply a password")]
        );
    }
}
