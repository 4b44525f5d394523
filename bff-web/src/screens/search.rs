//! `GET /api/search?q=&category=&sort=&page=`.
//!
//! The input is validated in full before any call; then the catalog search (critical) and ONE
//! offers + ratings batch for the page's cards (optional).

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use shared::aggregate::{CachePolicy, Screen};
use shared::cards::CardExtras;
use shared::ids::CategoryId;
use shared::problem::Problem;
use shared::upstream::catalog::{SearchQuery, SearchSort};
use utoipa::IntoParams;

use super::{non_empty, parse_decimal};
use crate::AppState;
use crate::views::search::{MAX_PAGE, PAGE_SIZE, QueryEcho, SearchResults};

/// The longest free text accepted, in characters, after trimming.
const MAX_QUERY_CHARS: usize = 200;

/// The query as it arrives: every field a string, so that the BFF (not the extractor) decides
/// what is malformed and says so without echoing it. Unknown parameters are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text, trimmed; at most 200 characters, no control characters.
    #[param(max_length = 200, example = "wireless")]
    q: Option<String>,
    /// A category id, as in the home page's category links.
    #[param(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "audio")]
    category: Option<String>,
    /// The order of the results; `relevance` when absent.
    #[param(value_type = Option<String>, example = "price_asc",
        pattern = "^(relevance|name|newest|price_asc|price_desc)?$")]
    sort: Option<String>,
    /// The page, from 1 to 400; 1 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 400, example = 2)]
    page: Option<String>,
}

/// A search request that passed validation.
#[derive(Debug, PartialEq, Eq)]
struct ValidSearch<'a> {
    q: Option<&'a str>,
    category: Option<CategoryId>,
    sort: SearchSort,
    page: u32,
}

impl<'a> ValidSearch<'a> {
    /// Validates every parameter; the first malformed one is a 400 problem naming the
    /// parameter, never its value.
    fn parse(params: &'a SearchParams) -> Result<Self, Problem> {
        let q = match non_empty(params.q.as_deref().map(str::trim)) {
            None => None,
            Some(q) if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) => {
                return Err(Problem::bad_request(
                    "q must be at most 200 characters of text.",
                ));
            }
            Some(q) => Some(q),
        };
        let category = non_empty(params.category.as_deref())
            .map(CategoryId::parse)
            .transpose()?;
        let sort = match non_empty(params.sort.as_deref()) {
            None => SearchSort::default(),
            Some(sort) => SearchSort::parse(sort).ok_or_else(|| {
                Problem::bad_request(
                    "sort must be one of relevance, name, newest, price_asc, price_desc.",
                )
            })?,
        };
        let page = match non_empty(params.page.as_deref()) {
            None => 1,
            Some(page) => parse_decimal(page, 3)
                .filter(|page| (1..=MAX_PAGE).contains(page))
                .ok_or_else(|| {
                    Problem::bad_request("page must be a whole number from 1 to 400.")
                })?,
        };
        Ok(Self {
            q,
            category,
            sort,
            page,
        })
    }
}

/// A page of search results.
#[utoipa::path(
    get,
    path = "/search",
    tag = "screens",
    summary = "Search",
    description = "24 cards per page, the total, facets by category and brand. Every parameter \
        is validated before any upstream call; the first malformed one is a 400.",
    params(SearchParams),
    responses(
        (status = 200, description = "A page of results.", body = SearchResults),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
) -> Result<Response, Problem> {
    let search = ValidSearch::parse(&params)?;
    let screen = Screen::start(state.settings.screens.search);
    let upstreams = &*state.upstreams;

    let query = SearchQuery {
        text: search.q,
        category: search.category.as_ref(),
        sort: search.sort,
        offset: (search.page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let results = screen
        .critical(upstreams.catalog.search(&screen, &query))
        .await?;
    let ids: Vec<&str> = results.items.iter().map(|c| c.id.as_str()).collect();
    let extras = CardExtras::fetch(&screen, upstreams, &ids).await;

    let echo = QueryEcho::new(
        search.q,
        search.category.as_ref().map(CategoryId::as_str),
        search.sort,
    );
    let view = SearchResults::new(echo, search.page, &results, &extras, screen.degraded());
    Ok(screen.respond(&view, CachePolicy::PUBLIC))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        let mut params = SearchParams::default();
        for (key, value) in pairs {
            let value = Some((*value).to_owned());
            match *key {
                "q" => params.q = value,
                "category" => params.category = value,
                "sort" => params.sort = value,
                "page" => params.page = value,
                _ => unreachable!(),
            }
        }
        params
    }

    #[test]
    fn an_empty_search_is_page_one_by_relevance() {
        let p = params(&[("q", "   "), ("category", ""), ("sort", ""), ("page", "")]);
        assert_eq!(
            ValidSearch::parse(&p).unwrap(),
            ValidSearch {
                q: None,
                category: None,
                sort: SearchSort::Relevance,
                page: 1
            }
        );
    }

    #[test]
    fn a_full_search_is_trimmed_and_parsed() {
        let p = params(&[
            ("q", "  wireless headphones "),
            ("category", "audio"),
            ("sort", "price_desc"),
            ("page", "400"),
        ]);
        assert_eq!(
            ValidSearch::parse(&p).unwrap(),
            ValidSearch {
                q: Some("wireless headphones"),
                category: CategoryId::parse("audio").ok(),
                sort: SearchSort::PriceDesc,
                page: 400
            }
        );
    }

    #[test]
    fn q_is_limited_to_200_characters_not_bytes() {
        let p = params(&[("q", &"é".repeat(200))]);
        assert!(ValidSearch::parse(&p).is_ok());
        let p = params(&[("q", &"a".repeat(201))]);
        assert!(ValidSearch::parse(&p).is_err());
        let p = params(&[("q", "a\u{0}b")]);
        assert!(ValidSearch::parse(&p).is_err());
    }

    #[test]
    fn malformed_parameters_are_refused() {
        for pair in [
            ("page", "0"),
            ("page", "401"),
            ("page", "abc"),
            ("page", "-1"),
            ("sort", "cheapest"),
            ("category", "../x"),
            ("category", "a b"),
        ] {
            assert!(ValidSearch::parse(&params(&[pair])).is_err(), "{pair:?}");
        }
    }
}
