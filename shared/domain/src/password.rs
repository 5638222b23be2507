//! Passwords and their stored hashes.
//!
//! The slow key derivation itself (PBKDF2-HMAC-SHA256) runs in the platform's
//! WebCrypto, which is native code; this module owns the policy, the salt and
//! parameter bookkeeping, and the constant-time comparison. Hashes are stored
//! as PHC strings (`$pbkdf2-sha256$i=100000$<salt>$<hash>`) so the iteration
//! count travels with each hash and can be raised later without a migration.

use crate::error::FieldError;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use std::fmt;
use subtle::ConstantTimeEq;

/// A new password that meets the policy (trimmed, 4 to 20 characters).
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 4;
    pub const MAX_CHARS: usize = 20;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(FieldError::new(
                "password",
                "Password must be between 4 and 20 characters",
            ));
        }
        Ok(Password(trimmed.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A password typed at sign-in: only required to be non-empty, so a policy
/// change never locks out users whose password predates it.
pub struct SigninPassword(String);

impl SigninPassword {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("password", "You must supply a password"));
        }
        Ok(SigninPassword(trimmed.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl fmt::Debug for SigninPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigninPassword(***)")
    }
}

/// PBKDF2 parameters for new hashes. 100,000 is both OWASP's floor for
/// PBKDF2-HMAC-SHA256 with a pepperless hash and the most Workers' WebCrypto allows.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_LEN: usize = 16;
pub const HASH_LEN: usize = 32;

const ALGORITHM: &str = "pbkdf2-sha256";

#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct MalformedHash;

impl fmt::Display for MalformedHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stored password hash is malformed")
    }
}

impl PasswordHash {
    /// Parses the PHC string stored in the users table.
    pub fn parse(phc: &str) -> Result<Self, MalformedHash> {
        let mut parts = phc.split('$');
        let (Some(""), Some(ALGORITHM), Some(params), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(MalformedHash);
        };
        let iterations = params
            .strip_prefix("i=")
            .and_then(|i| i.parse::<u32>().ok())
            .filter(|i| *i > 0)
            .ok_or(MalformedHash)?;
        let salt = B64.decode(salt).map_err(|_| MalformedHash)?;
        let hash = B64.decode(hash).map_err(|_| MalformedHash)?;
        if salt.is_empty() || hash.is_empty() {
            return Err(MalformedHash);
        }
        Ok(Self {
            iterations,
            salt,
            hash,
        })
    }

    pub fn to_phc(&self) -> String {
        format!(
            "${ALGORITHM}$i={}${}${}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }

    /// Compares a freshly derived key with the stored one in constant time.
    pub fn matches(&self, derived: &[u8]) -> bool {
        self.hash.ct_eq(derived).into()
    }

    /// True when the hash was made with weaker parameters than new ones get.
    pub fn needs_rehash(&self) -> bool {
        self.iterations < PBKDF2_ITERATIONS || self.hash.len() != HASH_LEN
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PasswordHash(i={}, ***)", self.iterations)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_trimmed_then_measured_in_characters() {
        assert_eq!(Password::parse("  abcd  ").unwrap().expose(), "abcd");
        assert!(Password::parse("abc").is_err());
        assert!(Password::parse("   abc   ").is_err());
        assert!(Password::parse(&"x".repeat(21)).is_err());
        assert!(
            Password::parse(&"é".repeat(20)).is_ok(),
            "20 characters, 40 bytes"
        );
    }

    #[test]
    fn password_errors_carry_the_original_message() {
        let err = Password::parse("").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.message, "Password must be between 4 and 20 characters");
    }

    #[test]
    fn a_signin_password_is_trimmed_and_only_required() {
        assert_eq!(SigninPassword::parse("  ab  ").unwrap().expose(), "ab");
        let err = SigninPassword::parse("   ").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.message, "You must supply a password");
    }

    #[test]
    fn passwords_never_show_in_debug_output() {
        let shown = format!(
            "{:?} {:?}",
            Password::parse("hunter22").unwrap(),
            SigninPassword::parse("hunter22").unwrap()
        );
        assert_eq!(shown, "Password(***) SigninPassword(***)");
    }

    fn sample() -> PasswordHash {
        PasswordHash {
            iterations: PBKDF2_ITERATIONS,
            salt: vec![7; SALT_LEN],
            hash: vec![9; HASH_LEN],
        }
    }

    #[test]
    fn phc_strings_round_trip() {
        let phc = sample().to_phc();
        assert!(phc.starts_with("$pbkdf2-sha256$i=100000$"));
        assert_eq!(PasswordHash::parse(&phc).unwrap(), sample());
    }

    #[test]
    fn rejects_malformed_phc_strings() {
        for phc in [
            "",
            "$pbkdf2-sha256",
            "$scrypt$i=1$AAAA$AAAA",
            "$pbkdf2-sha256$i=0$AAAA$AAAA",
            "$pbkdf2-sha256$n=5$AAAA$AAAA",
            "$pbkdf2-sha256$i=5$!!$AAAA",
            "$pbkdf2-sha256$i=5$$AAAA",
            "$pbkdf2-sha256$i=5$AAAA$AAAA$extra",
        ] {
            assert_eq!(PasswordHash::parse(phc), Err(MalformedHash), "{phc:?}");
        }
    }

    #[test]
    fn a_hash_shows_its_cost_but_never_its_bytes() {
        assert_eq!(format!("{:?}", sample()), "PasswordHash(i=100000, ***)");
        assert_eq!(
            MalformedHash.to_string(),
            "stored password hash is malformed"
        );
    }

    #[test]
    fn matches_only_the_same_key() {
        let stored = sample();
        assert!(stored.matches(&[9; HASH_LEN]));
        assert!(!stored.matches(&[8; HASH_LEN]));
        assert!(!stored.matches(&[9; HASH_LEN - 1]));
        assert!(!stored.matches(&[]));
    }

    #[test]
    fn weaker_hashes_ask_to_be_rehashed() {
        assert!(!sample().needs_rehash());
        assert!(PasswordHash {
            iterations: 10_000,
            ..sample()
        }
        .needs_rehash());
    }
}
