//! CSRF guard: a state-changing request sent by a browser on behalf of
//! another site is refused, whether or not it carries cookies. Checking only
//! requests with cookies would let another site sign a visitor in to the
//! attacker's account (login CSRF: the victim then lists tickets or types card
//! details into it) or sign them out.
//!
//! Browsers name who sends a request: `Origin` on every POST, PUT, PATCH and
//! DELETE (`null` from sandboxed frames, `data:` URLs and the like), and
//! `Sec-Fetch-Site`. A request with neither comes from something that is not a
//! browser acting for a visitor (curl, a server with a Bearer token): it
//! passes, as there is no victim whose cookies or session it could ride.

use crate::RequestUrl;
use domain::ApiError;
use worker::{Method, Request};

pub fn refuse_cross_site(req: &Request) -> Result<(), ApiError> {
    let headers = req.headers();
    let header = |name| headers.get(name).ok().flatten();
    // The service workers see the site's own URL: the Pages worker forwards
    // /api/* with the browser's URL and headers, and calls the services for
    // its forms with the site's origin.
    let own_origin = RequestUrl::of(req)
        .map(|url| url.origin().to_string())
        .unwrap_or_default();
    if is_cross_site_write(
        &req.method(),
        header("origin").as_deref(),
        header("sec-fetch-site").as_deref(),
        &own_origin,
    ) {
        return Err(ApiError::Forbidden("Cross-site request refused"));
    }
    Ok(())
}

/// A WebSocket handshake is a GET, which a browser sends from any page with
/// the visitor's cookies where SameSite lets them through (a same-site
/// sibling, an older browser): a private channel (the buyer's order)
/// refuses an `Origin` that is not the site's with 403. Clients that name
/// no origin (not a browser) pass, as for writes.
pub fn refuse_foreign_socket(req: &Request) -> Result<(), ApiError> {
    let origin = req.headers().get("origin").ok().flatten();
    let own_origin = RequestUrl::of(req)
        .map(|url| url.origin().to_string())
        .unwrap_or_default();
    if is_foreign_origin(origin.as_deref(), &own_origin) {
        return Err(ApiError::Forbidden("Cross-site request refused"));
    }
    Ok(())
}

/// Whether `origin` names another origin than ours (`null` included).
pub fn is_foreign_origin(origin: Option<&str>, own_origin: &str) -> bool {
    origin.is_some_and(|origin| !origin.trim().eq_ignore_ascii_case(own_origin))
}

/// The decision, from the request's method and its `Origin` and
/// `Sec-Fetch-Site` headers: an unsafe method with a foreign or `null`
/// origin, or from a cross-site context.
pub fn is_cross_site_write(
    method: &Method,
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    own_origin: &str,
) -> bool {
    let safe = matches!(method, Method::Get | Method::Head | Method::Options);
    // "null" is never our origin, so it is refused like any other.
    let foreign_origin = is_foreign_origin(origin, own_origin);
    let cross_site =
        sec_fetch_site.is_some_and(|site| site.trim().eq_ignore_ascii_case("cross-site"));
    !safe && (foreign_origin || cross_site)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "http://127.0.0.1:8788";
    const UNSAFE: [Method; 4] = [Method::Post, Method::Put, Method::Patch, Method::Delete];

    #[test]
    fn refuses_a_foreign_or_null_origin_on_every_unsafe_method() {
        for method in &UNSAFE {
            for origin in [
                "https://evil.example",
                "null",
                "http://127.0.0.1:9999",
                "https://127.0.0.1:8788",
                "",
            ] {
                assert!(
                    is_cross_site_write(method, Some(origin), None, OWN),
                    "{method:?} from {origin:?}"
                );
            }
        }
    }

    #[test]
    fn refuses_a_cross_site_fetch_whatever_the_origin_says() {
        for method in &UNSAFE {
            for origin in [None, Some(OWN)] {
                assert!(is_cross_site_write(method, origin, Some("cross-site"), OWN));
            }
        }
        assert!(is_cross_site_write(
            &Method::Post,
            None,
            Some("Cross-Site"),
            OWN
        ));
    }

    #[test]
    fn allows_our_own_origin_and_clients_that_name_no_sender() {
        for method in &UNSAFE {
            assert!(!is_cross_site_write(method, Some(OWN), None, OWN));
            assert!(
                !is_cross_site_write(method, None, None, OWN),
                "curl, Bearer clients"
            );
            for site in ["same-origin", "same-site", "none"] {
                assert!(!is_cross_site_write(method, Some(OWN), Some(site), OWN));
                assert!(!is_cross_site_write(method, None, Some(site), OWN));
            }
        }
        assert!(!is_cross_site_write(
            &Method::Post,
            Some("HTTP://127.0.0.1:8788"),
            None,
            OWN
        ));
    }

    #[test]
    fn a_same_site_sibling_is_refused_by_its_origin() {
        let own = "https://shop.example.com";
        assert!(is_cross_site_write(
            &Method::Post,
            Some("https://blog.example.com"),
            Some("same-site"),
            own
        ));
    }

    #[test]
    fn a_socket_from_another_origin_is_foreign_and_one_naming_none_is_not() {
        assert!(is_foreign_origin(Some("https://evil.example"), OWN));
        assert!(is_foreign_origin(Some("null"), OWN));
        assert!(!is_foreign_origin(Some(OWN), OWN));
        assert!(!is_foreign_origin(None, OWN));
    }

    #[test]
    fn safe_methods_always_pass() {
        for method in [Method::Get, Method::Head, Method::Options] {
            assert!(!is_cross_site_write(
                &method,
                Some("https://evil.example"),
                Some("cross-site"),
                OWN
            ));
        }
    }
}
