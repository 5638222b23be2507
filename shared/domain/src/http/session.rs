//! The session: an HS256 JWT `{id, email, iat, exp}` carried in the
//! `__Host-session` cookie (`session` on plain-HTTP loopback) or an
//! `Authorization: Bearer` header.
//!
//! Every worker reads the current user through [`SessionKey::current_user`], so
//! a token is judged the same way everywhere: a tampered, expired, unsigned
//! (`alg: none`) or otherwise odd token means "signed out", never an error.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The session cookie's name where it cannot be Secure: plain-HTTP loopback
/// (browsers refuse a `__Host-` cookie without `Secure`).
pub const SESSION_COOKIE: &str = "session";
/// Its name everywhere else. The `__Host-` prefix makes browsers accept it
/// only when Secure, with `Path=/` and no `Domain`, so a sibling subdomain
/// cannot plant or overwrite a session for the site (cookie tossing).
pub const SECURE_SESSION_COOKIE: &str = "__Host-session";

/// The session cookie's name: `secure` is false only on plain-HTTP loopback.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}
/// Default session lifetime: 7 days.
pub const DEFAULT_SESSION_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// The shortest secret we accept for HS256 (RFC 7518 asks for >= 256 bits).
pub const MIN_KEY_BYTES: usize = 32;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The `JWT_KEY` of `.dev.vars.example`. It is public, so anyone could sign
/// sessions with it: it is honoured only for requests to a loopback host.
pub const EXAMPLE_KEY: &str = "local-dev-only-change-me-0123456789abcdef";

/// Whether sessions signed with `secret` may be issued and read for a request
/// to `host`: any key but the example one, which only local runs may use.
pub fn key_allowed_for_host(secret: &str, host: Option<&str>) -> bool {
    secret != EXAMPLE_KEY || host.is_some_and(is_loopback_host)
}

/// `localhost` (and its subdomains), 127.0.0.0/8 and `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The signed-in user as every service sees it (and as GET /currentuser shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: crate::ids::UserId,
    pub email: String,
    pub iat: i64,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    id: String,
    email: String,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Debug, PartialEq, Eq)]
pub struct WeakKey;

#[derive(Clone)]
pub struct SessionKey {
    mac: Hmac<Sha256>,
}

impl SessionKey {
    pub fn new(secret: &[u8]) -> Result<Self, WeakKey> {
        if secret.len() < MIN_KEY_BYTES {
            return Err(WeakKey);
        }
        let mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| WeakKey)?;
        Ok(Self { mac })
    }

    /// Signs a session for `user`, valid for `ttl_seconds` from `now` (Unix seconds).
    pub fn issue(&self, id: &str, email: &str, now: i64, ttl_seconds: i64) -> String {
        let claims = Claims {
            id: id.to_string(),
            email: email.to_string(),
            iat: now,
            exp: now.saturating_add(ttl_seconds),
        };
        // Serializing four plain fields cannot fail.
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let signing_input = format!("{}.{}", B64URL.encode(HEADER), B64URL.encode(payload));
        let signature = B64URL.encode(self.sign(signing_input.as_bytes()));
        format!("{signing_input}.{signature}")
    }

    /// The user a token speaks for, if it is genuine and unexpired at `now`.
    pub fn current_user(&self, token: &str, now: i64) -> Option<CurrentUser> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        // Pin the algorithm: a token that names another one (`none` above all) is
        // rejected before its signature is even looked at.
        let header: Header = serde_json::from_slice(&B64URL.decode(header).ok()?).ok()?;
        if header.alg != "HS256" {
            return None;
        }
        let signature = B64URL.decode(signature).ok()?;
        let signing_input_len = token.len() - signature_part_len(token);
        let mut mac = self.mac.clone();
        mac.update(&token.as_bytes()[..signing_input_len]);
        mac.verify_slice(&signature).ok()?; // constant-time
        let claims: Claims = serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()?;
        (claims.exp > now).then_some(CurrentUser {
            id: claims.id.into(),
            email: claims.email,
            iat: claims.iat,
        })
    }

    fn sign(&self, input: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(input);
        mac.finalize().into_bytes().to_vec()
    }
}

/// Length of `.signature` at the end of a compact JWT.
fn signature_part_len(token: &str) -> usize {
    token.rfind('.').map_or(0, |dot| token.len() - dot)
}

/// The session token of a request: the Bearer token if there is one (API
/// clients), else the session cookie (browsers) of the name this request's
/// site sets ([`session_cookie_name`]). Where the cookie is `__Host-session`,
/// a plain `session` cookie is not read: anyone on a sibling subdomain could
/// have set it.
pub fn session_token<'a>(
    authorization: Option<&'a str>,
    cookie: Option<&'a str>,
    secure: bool,
) -> Option<&'a str> {
    if let Some(auth) = authorization {
        let (scheme, token) = auth.trim().split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim());
    }
    let wanted = session_cookie_name(secure);
    cookie?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new session. `secure` is false only for plain-HTTP
/// loopback, where browsers would drop a Secure (and so a `__Host-`) cookie.
pub fn session_cookie(token: &str, ttl_seconds: i64, secure: bool) -> String {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl_seconds}{secure}")
}

/// `Set-Cookie` that removes the session.
pub fn cleared_session_cookie(secure: bool) -> String {
    let name = session_cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn key() -> SessionKey {
        SessionKey::new(&[42; 32]).unwrap()
    }

    #[test]
    fn an_issued_token_reads_back_as_its_user() {
        let token = key().issue("u1", "a@b.co", NOW, 60);
        let user = key().current_user(&token, NOW + 59).unwrap();
        assert_eq!(
            user,
            CurrentUser {
                id: "u1".into(),
                email: "a@b.co".into(),
                iat: NOW
            }
        );
    }

    #[test]
    fn an_expired_token_is_signed_out() {
        let token = key().issue("u1", "a@b.co", NOW, 60);
        assert_eq!(key().current_user(&token, NOW + 60), None);
    }

    #[test]
    fn a_default_session_lasts_seven_days() {
        const DAY: i64 = 24 * 60 * 60;
        let token = key().issue("u1", "a@b.co", NOW, DEFAULT_SESSION_TTL_SECONDS);
        assert!(key().current_user(&token, NOW + 7 * DAY - 1).is_some());
        assert_eq!(key().current_user(&token, NOW + 7 * DAY), None);
    }

    #[test]
    fn a_token_signed_with_another_key_is_signed_out() {
        let other = SessionKey::new(&[7; 32]).unwrap();
        let token = other.issue("u1", "a@b.co", NOW, 60);
        assert_eq!(key().current_user(&token, NOW), None);
    }

    #[test]
    fn a_tampered_payload_is_signed_out() {
        let token = key().issue("u1", "a@b.co", NOW, 60);
        let parts: Vec<&str> = token.split('.').collect();
        let forged = B64URL.encode(r#"{"id":"admin","email":"a@b.co","iat":0,"exp":9999999999}"#);
        let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
        assert_eq!(key().current_user(&tampered, NOW), None);
    }

    #[test]
    fn alg_none_is_signed_out() {
        let header = B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = B64URL.encode(r#"{"id":"u1","email":"a@b.co","iat":0,"exp":9999999999}"#);
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}"),
        ] {
            assert_eq!(key().current_user(&token, NOW), None, "{token}");
        }
    }

    #[test]
    fn garbage_is_signed_out() {
        for token in ["", ".", "..", "a.b.c", "a.b.c.d", "!!!.???.***", "é.é.é"] {
            assert_eq!(key().current_user(token, NOW), None, "{token:?}");
        }
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(SessionKey::new(b"too short").err(), Some(WeakKey));
    }

    #[test]
    fn bearer_wins_over_cookie() {
        for secure in [false, true] {
            let cookies = "session=def; __Host-session=ghi";
            assert_eq!(
                session_token(Some("Bearer abc"), Some(cookies), secure),
                Some("abc")
            );
            assert_eq!(
                session_token(Some("bearer  abc "), None, secure),
                Some("abc")
            );
            assert_eq!(
                session_token(Some("Basic abc"), Some(cookies), secure),
                None
            );
        }
    }

    #[test]
    fn finds_the_session_cookie_among_others() {
        assert_eq!(
            session_token(None, Some("theme=dark; session=abc.def.ghi; x=1"), false),
            Some("abc.def.ghi")
        );
        assert_eq!(session_token(None, Some("theme=dark"), false), None);
        assert_eq!(session_token(None, Some("session="), false), None);
        assert_eq!(session_token(None, None, false), None);
    }

    #[test]
    fn a_secure_site_reads_only_the_host_prefixed_cookie() {
        let both = "session=planted; __Host-session=own";
        assert_eq!(session_token(None, Some(both), true), Some("own"));
        assert_eq!(session_token(None, Some(both), false), Some("planted"));
        assert_eq!(session_token(None, Some("session=planted"), true), None);
        assert_eq!(session_token(None, Some("__Host-session=own"), false), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_host_prefixed_when_secure() {
        assert_eq!(
            session_cookie("t", 60, true),
            "__Host-session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert_eq!(
            session_cookie("t", 60, false),
            "session=t; Path=/; HttpOnly; SameSite=Lax; Max-Age=60"
        );
        assert_eq!(
            cleared_session_cookie(true),
            "__Host-session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        assert_eq!(
            cleared_session_cookie(false),
            "session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn the_example_key_is_the_one_in_the_example_file() {
        let example = include_str!("../../../../.dev.vars.example");
        let line = example
            .lines()
            .find_map(|l| l.strip_prefix("JWT_KEY="))
            .expect("a JWT_KEY line");
        assert_eq!(line.trim(), EXAMPLE_KEY);
    }

    #[test]
    fn the_example_key_serves_loopback_hosts_only() {
        for host in [
            "localhost",
            "127.0.0.1",
            "127.9.9.9",
            "[::1]",
            "app.localhost",
        ] {
            assert!(key_allowed_for_host(EXAMPLE_KEY, Some(host)), "{host}");
        }
        for host in [
            Some("tickets.example.com"),
            Some("localhost.example.com"),
            Some("128.0.0.1"),
            None,
        ] {
            assert!(!key_allowed_for_host(EXAMPLE_KEY, host), "{host:?}");
        }
        let own_key = "a-real-secret-of-at-least-32-bytes-long";
        assert!(key_allowed_for_host(own_key, Some("tickets.example.com")));
    }
}
