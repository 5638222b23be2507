//! GitHub-style pagination links: the body stays a JSON array and the next
//! page's URL goes in `Link: <...>; rel="next"`.

use domain::paging::{Cursor, PageRequest};
use domain::{ApiError, OrInternal};
use worker::{Response, Url};

/// A query parameter's decoded value.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `?limit=` and `?cursor=` of a list request.
pub fn page_request(url: &Url) -> Result<PageRequest, ApiError> {
    PageRequest::parse(
        query_param(url, "limit").as_deref(),
        query_param(url, "cursor").as_deref(),
    )
}

/// The same URL with `cursor` set to the next page; other parameters kept.
pub fn next_page_url(url: &Url, cursor: &Cursor) -> String {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "cursor")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut next = url.clone();
    next.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("cursor", &cursor.encode());
    next.to_string()
}

pub fn set_next_link(
    response: &Response,
    url: &Url,
    next: Option<&Cursor>,
) -> Result<(), domain::ApiError> {
    if let Some(cursor) = next {
        let link = format!("<{}>; rel=\"next\"", next_page_url(url, cursor));
        response.headers().set("link", &link).or_internal()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_filters_and_replaces_the_cursor() {
        let url = Url::parse("http://x/api/tickets?available=true&cursor=old&limit=5").unwrap();
        let cursor = Cursor {
            created_at: 7,
            id: "abc".into(),
        };
        let next = next_page_url(&url, &cursor);
        assert_eq!(
            next,
            format!(
                "http://x/api/tickets?available=true&limit=5&cursor={}",
                cursor.encode()
            )
        );
    }
}
