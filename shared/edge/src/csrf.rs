//! CSRF guard: a state-changing request that carries cookies must come from
//! our own origin. SameSite=Lax already keeps the session cookie off most
//! cross-site requests; this check also covers same-site subdomains and older
//! browsers. API clients that send no cookie (Bearer tokens) are not affected.

use domain::ApiError;
use worker::{Method, Request};

pub fn refuse_cross_site(req: &Request) -> Result<(), ApiError> {
    let headers = req.headers();
    let origin = headers.get("origin").ok().flatten();
    let has_cookie = headers
        .get("cookie")
        .ok()
        .flatten()
        .is_some_and(|c| !c.trim().is_empty());
    let own_origin = req
        .url()
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    if is_cross_site_write(&req.method(), has_cookie, origin.as_deref(), &own_origin) {
        return Err(ApiError::Forbidden("Cross-site request refused"));
    }
    Ok(())
}

pub fn is_cross_site_write(
    method: &Method,
    has_cookie: bool,
    origin: Option<&str>,
    own_origin: &str,
) -> bool {
    let safe = matches!(method, Method::Get | Method::Head | Method::Options);
    match origin {
        _ if safe || !has_cookie => false,
        // Browsers send Origin on every cross-site POST; its absence means a
        // same-origin navigation from an old browser or a non-browser client.
        None => false,
        Some(origin) => !origin.eq_ignore_ascii_case(own_origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "http://127.0.0.1:8788";

    #[test]
    fn refuses_a_foreign_origin_with_cookies() {
        assert!(is_cross_site_write(
            &Method::Post,
            true,
            Some("https://evil.example"),
            OWN
        ));
        assert!(is_cross_site_write(
            &Method::Delete,
            true,
            Some("null"),
            OWN
        ));
    }

    #[test]
    fn allows_our_origin_safe_methods_and_cookieless_clients() {
        assert!(!is_cross_site_write(&Method::Post, true, Some(OWN), OWN));
        assert!(!is_cross_site_write(
            &Method::Get,
            true,
            Some("https://evil.example"),
            OWN
        ));
        assert!(!is_cross_site_write(
            &Method::Post,
            false,
            Some("https://evil.example"),
            OWN
        ));
        assert!(!is_cross_site_write(&Method::Put, true, None, OWN));
    }
}
