//! The security headers of what the site serves itself: every page (and its
//! redirects and error pages) and every static file. The API's responses get
//! theirs from the services (`edge::reply::finish`).

use edge::RequestUrl;
use worker::{Env, Headers, Request, Response};

/// The Pages var that turns on Stripe Elements in the pay form; the policy
/// then also lets in what Stripe.js needs.
pub const STRIPE_PUBLISHABLE_KEY: &str = "STRIPE_PUBLISHABLE_KEY";

/// What the headers of a page depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PagePolicy {
    /// The request came over HTTPS (always, in production), so browsers may
    /// be told to use nothing else.
    pub https: bool,
    /// Stripe Elements is on: Stripe.js is loaded from Stripe.
    pub stripe_elements: bool,
}

impl PagePolicy {
    pub fn for_request(req: &Request, env: &Env) -> Self {
        PagePolicy {
            https: RequestUrl::of(req).is_ok_and(|url| url.scheme() == "https"),
            stripe_elements: edge::config::setting(env, STRIPE_PUBLISHABLE_KEY).is_some(),
        }
    }

    /// Scripts, styles, images and requests from the site only, no inline
    /// code (pages/public/static holds every script and style), no framing,
    /// forms posted to the site only. With Stripe Elements, what Stripe's
    /// security guide lists for Stripe.js: its script, its frames (the card
    /// field, 3-D Secure) and its API.
    pub fn content_security_policy(&self) -> String {
        let (scripts, stripe) = if self.stripe_elements {
            (
                " https://js.stripe.com https://*.js.stripe.com",
                "; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com\
                 ; connect-src 'self' https://api.stripe.com",
            )
        } else {
            ("", "")
        };
        format!(
            "default-src 'self'; script-src 'self'{scripts}{stripe}; base-uri 'none'; \
             frame-ancestors 'none'; form-action 'self'"
        )
    }

    /// The headers every page carries.
    pub fn page_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("content-security-policy", self.content_security_policy()),
            // Pages show who is signed in and their orders.
            ("cache-control", "no-store".to_string()),
            ("x-content-type-options", "nosniff".to_string()),
            // Never `no-referrer`: browsers then send `Origin: null` on
            // same-origin form posts, which the CSRF guard refuses.
            (
                "referrer-policy",
                "strict-origin-when-cross-origin".to_string(),
            ),
        ];
        if self.https {
            headers.push((
                "strict-transport-security",
                "max-age=31536000; includeSubDomains".to_string(),
            ));
        }
        headers
    }

    /// Adds the page headers to a page the worker rendered.
    pub fn apply(&self, response: &Response) -> worker::Result<()> {
        for (name, value) in self.page_headers() {
            response.headers().set(name, &value)?;
        }
        Ok(())
    }
}

/// A static file with `nosniff`, so a browser runs it only as the type it is
/// served as. The assets binding's headers are immutable: copied first.
pub fn static_file(response: Response) -> worker::Result<Response> {
    let headers: Headers = response.headers().clone();
    headers.set("x-content-type-options", "nosniff")?;
    Ok(response.with_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::PagePolicy;

    fn header(policy: PagePolicy, name: &str) -> Option<String> {
        policy
            .page_headers()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    const PLAIN: PagePolicy = PagePolicy {
        https: false,
        stripe_elements: false,
    };

    #[test]
    fn pages_allow_only_the_sites_own_scripts_and_styles() {
        assert_eq!(
            header(PLAIN, "content-security-policy").as_deref(),
            Some(
                "default-src 'self'; script-src 'self'; base-uri 'none'; \
                 frame-ancestors 'none'; form-action 'self'"
            )
        );
        assert_eq!(
            header(PLAIN, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(header(PLAIN, "cache-control").as_deref(), Some("no-store"));
        assert_eq!(
            header(PLAIN, "referrer-policy").as_deref(),
            Some("strict-origin-when-cross-origin")
        );
    }

    #[test]
    fn stripe_is_let_in_only_with_stripe_elements() {
        let csp = PLAIN.content_security_policy();
        assert!(!csp.contains("stripe"), "{csp}");
        let stripe = PagePolicy {
            stripe_elements: true,
            ..PLAIN
        }
        .content_security_policy();
        for directive in [
            "script-src 'self' https://js.stripe.com https://*.js.stripe.com;",
            "frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;",
            "connect-src 'self' https://api.stripe.com;",
            "default-src 'self';",
            "frame-ancestors 'none';",
            "form-action 'self'",
        ] {
            assert!(stripe.contains(directive), "{directive} in {stripe}");
        }
        assert!(!stripe.contains("unsafe"), "{stripe}");
    }

    #[test]
    fn only_https_pages_pin_https() {
        assert_eq!(header(PLAIN, "strict-transport-security"), None);
        let https = PagePolicy {
            https: true,
            ..PLAIN
        };
        assert_eq!(
            header(https, "strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains")
        );
    }
}
