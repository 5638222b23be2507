//! CSRF guard: a state-changing request that carries cookies must come from
//! our own origin. SameSite=Lax already keeps the session cookie off most
//! cross-site requests; this check also covers same-site subdomains and older
//! browsers. API clients that send no cookie (Bearer tokens) are not affected.

use domain::ApiError;
use worker::{Method, Request};

pub fn refuse_cross_site(req: &Request) -> Result<(), ApiError> {
    let headers = req.headers();
    let header = |name| headers.get(name).ok().flatten();
    let own_origin = req
        .url()
        .map(|url| url.origin().ascii_serialization())
        .unwrap_or_default();
    if is_cross_site_write(
        &req.method(),
        header("cookie").as_deref(),
        header("origin").as_deref(),
        &own_origin,
    ) {
        return Err(ApiError::Forbidden("Cross-site request refused"));
    }
    Ok(())
}

/// The decision, from the request's method, `Cookie` and `Origin` headers.
pub fn is_cross_site_write(
    method: &Method,
    cookie: Option<&str>,
    origin: Option<&str>,
    own_origin: &str,
) -> bool {
    let safe = matches!(method, Method::Get | Method::Head | Method::Options);
    let has_cookie = cookie.is_some_and(|c| !c.trim().is_empty());
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
    const COOKIE: Option<&str> = Some("session=abc");

    #[test]
    fn refuses_a_foreign_origin_with_cookies() {
        assert!(is_cross_site_write(
            &Method::Post,
            COOKIE,
            Some("https://evil.example"),
            OWN
        ));
        assert!(is_cross_site_write(
            &Method::Delete,
            COOKIE,
            Some("null"),
            OWN
        ));
    }

    #[test]
    fn allows_our_origin_safe_methods_and_cookieless_clients() {
        assert!(!is_cross_site_write(&Method::Post, COOKIE, Some(OWN), OWN));
        assert!(!is_cross_site_write(
            &Method::Get,
            COOKIE,
            Some("https://evil.example"),
            OWN
        ));
        assert!(!is_cross_site_write(
            &Method::Post,
            None,
            Some("https://evil.example"),
            OWN
        ));
        assert!(!is_cross_site_write(&Method::Put, COOKIE, None, OWN));
    }

    #[test]
    fn an_empty_cookie_header_counts_as_no_cookie() {
        for empty in ["", "  "] {
            assert!(
                !is_cross_site_write(
                    &Method::Post,
                    Some(empty),
                    Some("https://evil.example"),
                    OWN
                ),
                "{empty:?}"
            );
        }
    }
}
