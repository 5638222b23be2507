//! GitHub-style pagination links: the body stays a JSON array and the next
//! page's URL goes in `Link: <...>; rel="next"`.

use crate::RequestUrl;
use domain::http::paging::{Cursor, PageRequest};
use domain::{ApiError, OrInternal};
use std::borrow::Cow;
use worker::Response;

/// `?limit=` and `?cursor=` of a list request.
pub fn page_request(url: &RequestUrl) -> Result<PageRequest, ApiError> {
    PageRequest::parse(
        url.query_param("limit").as_deref(),
        url.query_param("cursor").as_deref(),
    )
}

/// The same URL with `cursor` set to the next page; other parameters kept.
pub fn next_page_url(url: &RequestUrl, cursor: &Cursor) -> String {
    let kept = url.query_pairs().filter(|(k, _)| k != "cursor");
    url.with_query(kept.chain([(Cow::from("cursor"), Cow::from(cursor.encode()))]))
}

pub fn set_next_link(
    response: &Response,
    url: &RequestUrl,
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
        let url =
            RequestUrl::parse("http://x/api/tickets?available=true&cursor=old&limit=5").unwrap();
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
