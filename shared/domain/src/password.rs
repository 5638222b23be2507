//! Passwords and their stored hashes.
//!
//! The slow key derivation itself (PBKDF2-HMAC-SHA256) runs in the platform's
//! WebCrypto, which is native code; this module owns the policy (NIST SP
//! 800-63B: 8 to 128 characters, the most common passwords refused), the salt
//! and parameter bookkeeping, the pepper, and the constant-time comparison.
//! Hashes are stored as PHC strings (`$pbkdf2-sha256-hmac$i=100000$<salt>$<hash>`)
//! so the scheme and iteration count travel with each hash and can be raised
//! later without a migration.

use crate::http::error::FieldError;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

/// A new password that meets the policy: 8 to 128 characters once trimmed,
/// any characters, and not one of the 10,000 most common passwords.
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Long enough for any passphrase or password manager; short enough that
    /// one request cannot make PBKDF2 hash megabytes.
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        let chars = trimmed.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(FieldError::new(
                "password",
                "Password must be between 8 and 128 characters",
            ));
        }
        if is_common(trimmed) {
            return Err(FieldError::new(
                "password",
                "This password is one of the 10,000 most common passwords: choose another",
            ));
        }
        Ok(Password(trimmed.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// SecLists' 10,000 most common passwords (data/README.md says where from).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords-top-10000.txt");

/// Whether `password` is on the common list, ignoring case (`PASSWORD1` is
/// guessed as early as `password1`). The list is sorted once, on first use,
/// keeping only the entries the length rule lets through.
pub fn is_common(password: &str) -> bool {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    let list = LIST.get_or_init(|| {
        let mut list: Vec<String> = COMMON_PASSWORDS
            .lines()
            .map(|line| line.trim().to_lowercase())
            .filter(|entry| entry.chars().count() >= Password::MIN_CHARS)
            .collect();
        list.sort_unstable();
        list.dedup();
        list
    });
    list.binary_search(&password.to_lowercase()).is_ok()
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

/// PBKDF2 iterations for new hashes: the most Workers' WebCrypto allows.
/// OWASP asks for 600,000 with PBKDF2-HMAC-SHA256, which Workers cannot do;
/// the pepper (below) is what makes up for it: a stolen users table alone
/// cannot be attacked offline without the secret.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_LEN: usize = 16;
pub const HASH_LEN: usize = 32;

/// Hashes made before the pepper: PBKDF2 alone. Still verified, and replaced
/// by a peppered hash at the next successful sign-in.
const UNPEPPERED: &str = "pbkdf2-sha256";
/// PBKDF2, then HMAC-SHA256 of its output keyed with the pepper.
const PEPPERED: &str = "pbkdf2-sha256-hmac";

/// The `PASSWORD_PEPPER` of `.dev.vars.example`. It is public, so it is
/// honoured only for requests to a loopback host, like the example JWT key.
pub const EXAMPLE_PEPPER: &str = "local-dev-only-pepper-change-me-0123456789abcdef";
/// The shortest pepper we accept: an HMAC-SHA256 key of at least 256 bits.
pub const MIN_PEPPER_BYTES: usize = 32;

/// Why the pepper cannot be used for a request.
#[derive(Debug, PartialEq, Eq)]
pub enum PepperRefusal {
    /// `PASSWORD_PEPPER` is not set: a deploy that forgot the secret.
    Missing,
    /// The public example pepper, on a host that is not loopback.
    Example,
    /// Shorter than [`MIN_PEPPER_BYTES`].
    TooShort,
}

/// The secret every stored hash also depends on (`PASSWORD_PEPPER`, held in
/// Workers secrets, never in the database).
#[derive(Clone)]
pub struct Pepper {
    mac: Hmac<Sha256>,
}

impl Pepper {
    /// The pepper for a request to `host`, from the secret's value if set.
    pub fn for_host(secret: Option<&str>, host: Option<&str>) -> Result<Self, PepperRefusal> {
        let secret = secret.ok_or(PepperRefusal::Missing)?;
        if secret == EXAMPLE_PEPPER && !host.is_some_and(crate::http::session::is_loopback_host) {
            return Err(PepperRefusal::Example);
        }
        Self::new(secret.as_bytes())
    }

    pub fn new(secret: &[u8]) -> Result<Self, PepperRefusal> {
        if secret.len() < MIN_PEPPER_BYTES {
            return Err(PepperRefusal::TooShort);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| PepperRefusal::TooShort)?;
        Ok(Self { mac })
    }

    fn seal(&self, derived: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(derived);
        mac.finalize().into_bytes().to_vec()
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Unpeppered,
    Peppered,
}

#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub scheme: Scheme,
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
    /// A new hash: `derived` is PBKDF2 of the password with `salt` and
    /// [`PBKDF2_ITERATIONS`], sealed with the pepper.
    pub fn peppered(salt: Vec<u8>, derived: &[u8], pepper: &Pepper) -> Self {
        Self {
            scheme: Scheme::Peppered,
            iterations: PBKDF2_ITERATIONS,
            salt,
            hash: pepper.seal(derived),
        }
    }

    /// Parses the PHC string stored in the users table.
    pub fn parse(phc: &str) -> Result<Self, MalformedHash> {
        let mut parts = phc.split('$');
        let (Some(""), Some(algorithm), Some(params), Some(salt), Some(hash), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(MalformedHash);
        };
        let scheme = match algorithm {
            UNPEPPERED => Scheme::Unpeppered,
            PEPPERED => Scheme::Peppered,
            _ => return Err(MalformedHash),
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
            scheme,
            iterations,
            salt,
            hash,
        })
    }

    pub fn to_phc(&self) -> String {
        let algorithm = match self.scheme {
            Scheme::Unpeppered => UNPEPPERED,
            Scheme::Peppered => PEPPERED,
        };
        format!(
            "${algorithm}$i={}${}${}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }

    /// Whether `derived` (PBKDF2 of the typed password with this hash's salt
    /// and iterations) is this hash's password, compared in constant time.
    pub fn matches(&self, derived: &[u8], pepper: &Pepper) -> bool {
        let expected = match self.scheme {
            Scheme::Unpeppered => derived.to_vec(),
            Scheme::Peppered => pepper.seal(derived),
        };
        self.hash.ct_eq(&expected).into()
    }

    /// The peppered hash that replaces this unpeppered one, made from the
    /// `derived` key that just matched it, when only the pepper is missing
    /// (same salt and iterations: no second PBKDF2 run). `None` when the
    /// password must be derived anew ([`needs_rehash`](Self::needs_rehash)).
    pub fn peppered_from_match(&self, derived: &[u8], pepper: &Pepper) -> Option<Self> {
        let only_unpeppered = self.scheme == Scheme::Unpeppered
            && self.iterations == PBKDF2_ITERATIONS
            && derived.len() == HASH_LEN;
        only_unpeppered.then(|| Self::peppered(self.salt.clone(), derived, pepper))
    }

    /// True when the hash was made weaker than new ones are (no pepper, fewer
    /// iterations): the next successful sign-in replaces it.
    pub fn needs_rehash(&self) -> bool {
        self.scheme != Scheme::Peppered
            || self.iterations < PBKDF2_ITERATIONS
            || self.hash.len() != HASH_LEN
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PasswordHash({:?}, i={}, ***)",
            self.scheme, self.iterations
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE_LENGTH: &str = "Password must be between 8 and 128 characters";
    const MESSAGE_COMMON: &str =
        "This password is one of the 10,000 most common passwords: choose another";

    #[test]
    fn passwords_are_trimmed_then_measured_in_characters() {
        assert_eq!(
            Password::parse("  gig-pass  ").unwrap().expose(),
            "gig-pass"
        );
        assert!(Password::parse("abcdefg").is_err());
        assert!(Password::parse("   abcdefg   ").is_err());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(
            Password::parse(&"é".repeat(128)).is_ok(),
            "128 characters, 256 bytes"
        );
        assert!(
            Password::parse("пароль-для-теста ☃ 🎟").is_ok(),
            "any characters"
        );
    }

    #[test]
    fn password_errors_say_why() {
        let err = Password::parse("").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.message, MESSAGE_LENGTH);
        let err = Password::parse("password1").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("password"));
        assert_eq!(err.message, MESSAGE_COMMON);
    }

    #[test]
    fn the_most_common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password",
            "12345678",
            "qwertyuiop",
            "iloveyou",
            "PassWord1",
            " trustno1 ",
        ] {
            assert!(is_common(common.trim()), "{common}");
            assert!(Password::parse(common).is_err(), "{common}");
        }
        for fine in ["correct-horse", "password-for-tickets", "qwertyuiop[]"] {
            assert!(!is_common(fine), "{fine}");
            assert!(Password::parse(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn the_common_list_is_the_whole_published_list() {
        let entries = COMMON_PASSWORDS.lines().filter(|l| !l.is_empty()).count();
        assert_eq!(entries, 10_000);
        // Its first, middle and last entries of 8 characters or more are found.
        for entry in ["0.0.0.000", "1qaz2wsx3edc", "zzzzzzzz"] {
            assert!(
                COMMON_PASSWORDS.lines().any(|l| l == entry),
                "{entry} listed"
            );
            assert!(is_common(entry), "{entry}");
        }
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
            "{:?} {:?} {:?}",
            Password::parse("hunter22-and-more").unwrap(),
            SigninPassword::parse("hunter22").unwrap(),
            pepper()
        );
        assert_eq!(shown, "Password(***) SigninPassword(***) Pepper(***)");
    }

    fn pepper() -> Pepper {
        Pepper::new(&[5; MIN_PEPPER_BYTES]).unwrap()
    }

    fn sample() -> PasswordHash {
        PasswordHash::peppered(vec![7; SALT_LEN], &[9; HASH_LEN], &pepper())
    }

    fn unpeppered() -> PasswordHash {
        PasswordHash {
            scheme: Scheme::Unpeppered,
            iterations: PBKDF2_ITERATIONS,
            salt: vec![7; SALT_LEN],
            hash: vec![9; HASH_LEN],
        }
    }

    #[test]
    fn phc_strings_round_trip() {
        let phc = sample().to_phc();
        assert!(phc.starts_with("$pbkdf2-sha256-hmac$i=100000$"));
        assert_eq!(PasswordHash::parse(&phc).unwrap(), sample());
        let old = unpeppered().to_phc();
        assert!(old.starts_with("$pbkdf2-sha256$i=100000$"));
        assert_eq!(PasswordHash::parse(&old).unwrap(), unpeppered());
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
            "$pbkdf2-sha256-hmac$i=5$AAAA$",
        ] {
            assert_eq!(PasswordHash::parse(phc), Err(MalformedHash), "{phc:?}");
        }
    }

    #[test]
    fn a_hash_shows_its_cost_but_never_its_bytes() {
        assert_eq!(
            format!("{:?}", sample()),
            "PasswordHash(Peppered, i=100000, ***)"
        );
        assert_eq!(
            MalformedHash.to_string(),
            "stored password hash is malformed"
        );
    }

    #[test]
    fn a_peppered_hash_matches_only_the_same_key_and_pepper() {
        let stored = sample();
        assert_ne!(
            stored.hash,
            vec![9; HASH_LEN],
            "the pepper changes what is stored"
        );
        assert!(stored.matches(&[9; HASH_LEN], &pepper()));
        assert!(!stored.matches(&[8; HASH_LEN], &pepper()));
        assert!(!stored.matches(&[], &pepper()));
        let other = Pepper::new(&[6; MIN_PEPPER_BYTES]).unwrap();
        assert!(!stored.matches(&[9; HASH_LEN], &other), "another pepper");
    }

    #[test]
    fn an_unpeppered_hash_still_matches_its_password() {
        let stored = unpeppered();
        assert!(stored.matches(&[9; HASH_LEN], &pepper()));
        assert!(!stored.matches(&[8; HASH_LEN], &pepper()));
        assert!(!stored.matches(&[9; HASH_LEN - 1], &pepper()));
    }

    #[test]
    fn unpeppered_and_weaker_hashes_ask_to_be_rehashed() {
        assert!(!sample().needs_rehash());
        assert!(unpeppered().needs_rehash());
        assert!(PasswordHash {
            iterations: 10_000,
            ..sample()
        }
        .needs_rehash());
    }

    #[test]
    fn an_unpeppered_hash_is_peppered_from_the_key_that_matched_it() {
        let upgraded = unpeppered()
            .peppered_from_match(&[9; HASH_LEN], &pepper())
            .unwrap();
        assert_eq!(upgraded, sample(), "same salt and iterations, peppered");
        assert!(upgraded.matches(&[9; HASH_LEN], &pepper()));
        assert!(!upgraded.needs_rehash());
        assert_eq!(
            sample().peppered_from_match(&[9; HASH_LEN], &pepper()),
            None
        );
        let fewer = PasswordHash {
            iterations: 10_000,
            ..unpeppered()
        };
        assert_eq!(fewer.peppered_from_match(&[9; HASH_LEN], &pepper()), None);
    }

    #[test]
    fn the_pepper_is_required_and_the_example_serves_loopback_hosts_only() {
        let own = "a-real-pepper-of-at-least-32-bytes-long";
        assert!(Pepper::for_host(Some(own), Some("tickets.example.com")).is_ok());
        assert_eq!(
            Pepper::for_host(None, Some("127.0.0.1")).unwrap_err(),
            PepperRefusal::Missing
        );
        assert_eq!(
            Pepper::for_host(Some("short"), Some("127.0.0.1")).unwrap_err(),
            PepperRefusal::TooShort
        );
        for host in ["localhost", "127.0.0.1", "[::1]", "app.localhost"] {
            assert!(
                Pepper::for_host(Some(EXAMPLE_PEPPER), Some(host)).is_ok(),
                "{host}"
            );
        }
        for host in [
            Some("tickets.example.com"),
            Some("localhost.example.com"),
            None,
        ] {
            assert_eq!(
                Pepper::for_host(Some(EXAMPLE_PEPPER), host).unwrap_err(),
                PepperRefusal::Example,
                "{host:?}"
            );
        }
    }

    #[test]
    fn the_example_pepper_is_the_one_in_the_example_file() {
        let example = include_str!("../../../.dev.vars.example");
        let line = example
            .lines()
            .find_map(|l| l.strip_prefix("PASSWORD_PEPPER="))
            .expect("a PASSWORD_PEPPER line");
        assert_eq!(line.trim(), EXAMPLE_PEPPER);
    }
}
