//! What `GET /api/tickets` asks for: text to find, an order, and filters,
//! parsed once from the query string (the SQL lives in the tickets worker's
//! read model, driven by these types).

use crate::http::error::{ApiError, FieldError};

pub const MAX_QUERY_CHARS: usize = 100;

/// The list's orders. Each is a key (an integer column) and a direction,
/// with the ticket id breaking ties, so a cursor `(key, id)` pages any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Newest listing first (the default).
    #[default]
    Newest,
    /// Cheapest first.
    Price,
    /// Dearest first.
    PriceDescending,
    /// Soonest event first; listings without an event last.
    StartsAt,
}

/// The key of a listing without an event under `Sort::StartsAt`: after every date.
pub const NO_EVENT_STARTS_AT: i64 = i64::MAX / 2;

impl Sort {
    pub fn parse(raw: Option<&str>) -> Result<Sort, FieldError> {
        match raw {
            None | Some("") | Some("newest") => Ok(Sort::Newest),
            Some("price") => Ok(Sort::Price),
            Some("-price") => Ok(Sort::PriceDescending),
            Some("startsAt") => Ok(Sort::StartsAt),
            Some(_) => Err(FieldError::new(
                "sort",
                "Sort must be one of newest, price, -price, startsAt",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Price => "price",
            Sort::PriceDescending => "-price",
            Sort::StartsAt => "startsAt",
        }
    }

    /// Whether the key grows down the list.
    pub fn ascending(self) -> bool {
        matches!(self, Sort::Price | Sort::StartsAt)
    }

    /// The key of a listing under this order.
    pub fn key(self, created_at: i64, price_cents: i64, starts_at: Option<i64>) -> i64 {
        match self {
            Sort::Newest => created_at,
            Sort::Price | Sort::PriceDescending => price_cents,
            Sort::StartsAt => starts_at.unwrap_or(NO_EVENT_STARTS_AT),
        }
    }
}

/// Whose listings: everyone's on the market, or all of one seller's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Listings on the market: not withdrawn, and (with `available_only`)
    /// free and before their event.
    Market { available_only: bool },
    /// Every listing of this seller, in every state (`?seller=me`).
    Seller(String),
    /// The tickets this user bought and still holds (`?owner=me`).
    Owner(String),
}

/// The raw query parameters of a list request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    pub q: Option<String>,
    pub sort: Option<String>,
    pub available: Option<String>,
    pub seller: Option<String>,
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    /// The LIKE pattern of `q` (escaped with `\`), if any.
    pub pattern: Option<String>,
    pub sort: Sort,
    pub scope: Scope,
}

/// `q` as a LIKE pattern that matches the text anywhere: `%`, `_` and `\`
/// in it are matched literally.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl Search {
    /// From the query's `q`, `sort`, `available`, `seller` and `owner`;
    /// `user` is the signed-in user's id, which `seller=me` and `owner=me` need.
    pub fn parse(params: &SearchParams, user: Option<&str>) -> Result<Search, ApiError> {
        let (q, sort, available) = (
            params.q.as_deref(),
            params.sort.as_deref(),
            params.available.as_deref(),
        );
        let mut errors = Vec::new();
        let text = q.map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > MAX_QUERY_CHARS) {
            errors.push(FieldError::new(
                "q",
                "Search text must be at most 100 characters",
            ));
        }
        let sort = Sort::parse(sort)
            .map_err(|e| errors.push(e))
            .unwrap_or_default();
        let available_only = match available {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                errors.push(FieldError::new(
                    "available",
                    "Available must be true or false",
                ));
                false
            }
        };
        let mut mine = |field: &str, value: Option<&str>, scope: fn(String) -> Scope| match value {
            None => Ok(None),
            Some("me") => match user {
                Some(user) => Ok(Some(scope(user.to_string()))),
                None => Err(ApiError::NotAuthorized),
            },
            Some(_) => {
                let name = if field == "seller" { "Seller" } else { "Owner" };
                errors.push(FieldError::new(field, format!("{name} must be me")));
                Ok(None)
            }
        };
        let seller = mine("seller", params.seller.as_deref(), Scope::Seller)?;
        let owner = mine("owner", params.owner.as_deref(), Scope::Owner)?;
        let scope = seller.or(owner).unwrap_or(Scope::Market { available_only });
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Search {
            pattern: text.map(like_pattern),
            sort,
            scope,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_by_their_documented_names() {
        for sort in [
            Sort::Newest,
            Sort::Price,
            Sort::PriceDescending,
            Sort::StartsAt,
        ] {
            assert_eq!(Sort::parse(Some(sort.as_str())), Ok(sort));
        }
        assert_eq!(Sort::parse(None), Ok(Sort::Newest));
        assert_eq!(
            Sort::parse(Some("cheap")).unwrap_err().field.as_deref(),
            Some("sort")
        );
        assert_eq!(Sort::StartsAt.key(1, 2, None), NO_EVENT_STARTS_AT);
        assert_eq!(Sort::PriceDescending.key(1, 2, Some(3)), 2);
    }

    #[test]
    fn search_text_matches_literally_anywhere() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        let q = |text: &str| SearchParams {
            q: Some(text.into()),
            ..Default::default()
        };
        let search = Search::parse(&q("  Jazz "), None).unwrap();
        assert_eq!(search.pattern.as_deref(), Some("%Jazz%"));
        let blank = Search::parse(&q("   "), None).unwrap();
        assert_eq!(blank.pattern, None);
    }

    #[test]
    fn every_bad_parameter_is_reported_at_once() {
        let params = SearchParams {
            q: Some("x".repeat(101)),
            sort: Some("up".into()),
            available: Some("yes".into()),
            seller: Some("bob".into()),
            owner: Some("alice".into()),
        };
        let Err(ApiError::Validation(errors)) = Search::parse(&params, None) else {
            panic!("expected validation errors")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_deref().unwrap()).collect();
        assert_eq!(fields, ["q", "sort", "available", "seller", "owner"]);
    }

    #[test]
    fn a_users_own_lists_need_a_session() {
        let seller = SearchParams {
            seller: Some("me".into()),
            sort: Some("price".into()),
            ..Default::default()
        };
        assert_eq!(Search::parse(&seller, None), Err(ApiError::NotAuthorized));
        let mine = Search::parse(&seller, Some("u1")).unwrap();
        assert_eq!(mine.scope, Scope::Seller("u1".into()));
        let owner = SearchParams {
            owner: Some("me".into()),
            ..Default::default()
        };
        assert_eq!(
            Search::parse(&owner, Some("u1")).unwrap().scope,
            Scope::Owner("u1".into())
        );
    }
}
