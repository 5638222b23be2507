//! The parts of a request's URL a worker reads: scheme, host, origin, path
//! and query. The runtime hands every request an absolute URL it has already
//! parsed and normalised (`scheme://host[:port]/path[?query]`), so splitting
//! that string is enough. The `url` crate's full parser cost every worker
//! about 35 KB of wasm for this; query strings still go through
//! `form_urlencoded`, the same crate `url` uses for them.

use domain::ApiError;
use std::borrow::Cow;
use worker::Request;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUrl {
    full: String,
    /// `scheme://authority`, without any `user:password@`.
    origin: String,
    host: (usize, usize),
    /// Where the path ends: the query or the end.
    path_end: usize,
    query: Option<usize>,
}

impl RequestUrl {
    /// An absolute URL as the runtime gives it; `None` for anything else.
    pub fn parse(full: &str) -> Option<Self> {
        let (scheme, rest) = full.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return None;
        }
        let authority_start = scheme.len() + 3;
        let authority_end = rest
            .find(['/', '?', '#'])
            .map_or(full.len(), |i| authority_start + i);
        let authority = &full[authority_start..authority_end];
        let host_start = authority
            .rfind('@')
            .map_or(authority_start, |at| authority_start + at + 1);
        let host_and_port = &full[host_start..authority_end];
        let host_len = if host_and_port.starts_with('[') {
            host_and_port.find(']')? + 1
        } else {
            host_and_port.find(':').unwrap_or(host_and_port.len())
        };
        if host_len == 0 {
            return None;
        }
        let fragment = full[authority_end..]
            .find('#')
            .map_or(full.len(), |i| authority_end + i);
        let query = full[authority_end..fragment]
            .find('?')
            .map(|i| authority_end + i);
        let path_end = query.unwrap_or(fragment);
        Some(Self {
            origin: format!("{scheme}://{host_and_port}"),
            host: (host_start, host_start + host_len),
            path_end,
            query: query.map(|q| q + 1),
            full: full[..fragment].to_string(),
        })
    }

    /// The URL of `req`; a 500 if the runtime ever gave one that is not absolute.
    pub fn of(req: &Request) -> Result<Self, ApiError> {
        let full = req.inner().url();
        Self::parse(&full)
            .ok_or_else(|| ApiError::internal(format!("unparsable request URL: {full}")))
    }

    pub fn scheme(&self) -> &str {
        &self.origin[..self.origin.find(':').unwrap_or(0)]
    }

    /// The host name or address, without the port (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.full[self.host.0..self.host.1]
    }

    /// `scheme://host[:port]`, as a browser sends it in `Origin`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The query as sent, without the `?` ("" when there is none).
    pub fn query(&self) -> &str {
        self.query.map_or("", |start| &self.full[start..])
    }

    /// The query's name/value pairs, decoded.
    pub fn query_pairs(&self) -> form_urlencoded::Parse<'_> {
        form_urlencoded::parse(self.query().as_bytes())
    }

    /// A query parameter's decoded value (the first, if repeated).
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// This URL with its query replaced by `pairs`, encoded.
    pub fn with_query<'a>(
        &self,
        pairs: impl IntoIterator<Item = (Cow<'a, str>, Cow<'a, str>)>,
    ) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(&k, &v);
        }
        let query = query.finish();
        let base = &self.full[..self.path_end];
        if query.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{query}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> RequestUrl {
        RequestUrl::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn splits_an_absolute_url() {
        let u = url("https://tickets.example.com:8443/api/tickets?limit=5&title=a%20b+c#top");
        assert_eq!(u.scheme(), "https");
        assert_eq!(u.host(), "tickets.example.com");
        assert_eq!(u.origin(), "https://tickets.example.com:8443");
        assert_eq!(u.query_param("limit").as_deref(), Some("5"));
        assert_eq!(u.query_param("title").as_deref(), Some("a b c"));
        assert_eq!(u.query_param("missing"), None);
        assert_eq!(u.query(), "limit=5&title=a%20b+c");
        assert_eq!(url("http://x/").query(), "");
        // A `?` after the `#` belongs to the fragment, not to a query.
        assert_eq!(url("http://x/p#a?b=1").query(), "");
        // The fragment is dropped: it never reaches a server.
        assert_eq!(
            u.with_query([]),
            "https://tickets.example.com:8443/api/tickets"
        );
    }

    #[test]
    fn hosts_without_ports_with_credentials_and_ipv6() {
        assert_eq!(url("http://localhost/").host(), "localhost");
        assert_eq!(url("http://127.0.0.1:8788").host(), "127.0.0.1");
        assert_eq!(
            url("http://127.0.0.1:8788?a=1").query_param("a").as_deref(),
            Some("1")
        );
        let credentials = url("http://user:secret@example.com:81/x");
        assert_eq!(credentials.host(), "example.com");
        assert_eq!(credentials.origin(), "http://example.com:81");
        let v6 = url("http://[::1]:8788/api");
        assert_eq!(v6.host(), "[::1]");
        assert_eq!(v6.origin(), "http://[::1]:8788");
    }

    #[test]
    fn refuses_what_is_not_an_absolute_url() {
        for s in [
            "",
            "/api/tickets",
            "http://",
            "http:///path",
            "://x/",
            "ht tp://x/",
            "http://[::1/",
        ] {
            assert_eq!(RequestUrl::parse(s), None, "{s}");
        }
    }

    #[test]
    fn replaces_the_query() {
        let u = url("http://x/api/tickets?a=1#frag");
        let pairs = [(Cow::from("cursor"), Cow::from("a b&c"))];
        assert_eq!(u.with_query(pairs), "http://x/api/tickets?cursor=a+b%26c");
        assert_eq!(u.with_query([]), "http://x/api/tickets");
    }
}
