//! `GET /v1/search?q=&cursor=`: a page of 20 cards, the number of matches, and an opaque cursor
//! for the next page.
//!
//! Both inputs are validated before any upstream call. Stage 1: the catalog's search (critical:
//! it returns the cards). Stage 2: one offers call and one ratings call for the page.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use shared::aggregate::{CachePolicy, Screen};
use shared::cards::CardExtras;
use shared::problem::Problem;
use shared::upstream::catalog::SearchQuery;
use utoipa::IntoParams;

use super::respond_for_device;
use crate::AppState;
use crate::cursor;
use crate::device::{Device, HintHeaders, HintQuery};
use crate::views::Card;
use crate::views::search::SearchResults;

/// Longest search text, in characters (after trimming).
pub const MAX_QUERY_CHARS: usize = 200;

/// The query string of a search (`w` and `dpr` belong to [`Device`]).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text; absent or blank lists everything. At most 200 characters, no control
    /// characters.
    #[param(max_length = 200, example = "wireless")]
    pub q: Option<String>,
    /// The `next_cursor` of the previous page, as received; absent for the first page.
    #[param(max_length = 32, example = "djE6MjA")]
    pub cursor: Option<String>,
}

/// The search screen.
#[utoipa::path(
    get,
    path = "/search",
    tag = "screens",
    summary = "Search",
    description = "20 cards per page; follow `next_cursor` for the next page.",
    params(SearchParams, HintQuery, HintHeaders),
    responses(
        (status = 200, description = "A page of results.", body = SearchResults),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn search(
    State(state): State<AppState>,
    Query(params): Query<SearchParams>,
    device: Device,
) -> Result<Response, Problem> {
    let text = search_text(params.q.as_deref())?;
    let offset = match params.cursor.as_deref() {
        Some(value) => cursor::decode(value).map_err(|_| {
            Problem::bad_request("The cursor is not valid; start again from the first page.")
        })?,
        None => 0,
    };
    let screen = Screen::start(state.settings.screens.search);
    let upstreams = &state.upstreams;

    let query = SearchQuery {
        text,
        offset,
        limit: cursor::PAGE_SIZE,
        ..SearchQuery::default()
    };
    let page = screen
        .critical(upstreams.catalog.search(&screen, &query))
        .await?;

    let ids: Vec<&str> = page.items.iter().map(|card| card.id.as_str()).collect();
    let extras = CardExtras::fetch(&screen, upstreams, &ids).await;

    let view = SearchResults {
        items: Card::shelf(&page.items, &extras, &device),
        total: page.total,
        next_cursor: cursor::next(offset, page.items.len(), page.total),
        degraded: screen.degraded(),
    };
    Ok(respond_for_device(&screen, &view, CachePolicy::PUBLIC))
}

/// The trimmed search text, `None` when blank; too long or containing control characters is a
/// 400 problem (that does not echo the text).
fn search_text(q: Option<&str>) -> Result<Option<&str>, Problem> {
    let Some(text) = q.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if text.chars().nth(MAX_QUERY_CHARS).is_some() {
        return Err(Problem::bad_request(
            "The search text is too long: at most 200 characters.",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Problem::bad_request(
            "The search text contains control characters.",
        ));
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_trimmed_and_bounded_in_characters() {
        assert_eq!(search_text(None).unwrap(), None);
        assert_eq!(search_text(Some("   ")).unwrap(), None);
        assert_eq!(search_text(Some("  lamp ")).unwrap(), Some("lamp"));
        let longest = "é".repeat(200);
        assert_eq!(search_text(Some(&longest)).unwrap(), Some(longest.as_str()));
        let padded = format!("  {longest}  ");
        assert!(search_text(Some(&padded)).is_ok());
        assert!(search_text(Some(&"é".repeat(201))).is_err());
        assert!(search_text(Some("lamp\u{0}")).is_err());
        assert!(search_text(Some("a\nb")).is_err());
    }
}
