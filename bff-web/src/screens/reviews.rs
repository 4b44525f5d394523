//! `GET /api/products/{id}/reviews?offset=`: further pages of a product's reviews, as linked by
//! the product page's `next`. The reviews service is critical here: the page is nothing else.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use shared::aggregate::{CachePolicy, Screen};
use shared::ids::ProductId;
use shared::problem::Problem;
use utoipa::IntoParams;

use super::{non_empty, parse_decimal};
use crate::AppState;
use crate::views::product::{MAX_REVIEW_OFFSET, REVIEWS_PER_PAGE, ReviewsPage};

/// The query as it arrives; validated by [`offset`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewsParams {
    /// Reviews to skip: a page boundary from the `next` link; absent or empty is 0.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10000, example = 10)]
    offset: Option<String>,
}

/// A page of reviews.
#[utoipa::path(
    get,
    path = "/products/{id}/reviews",
    tag = "screens",
    summary = "A further page of a product's reviews",
    description = "10 reviews per page, as linked by the product page's `next`.",
    params(ProductId, ReviewsParams),
    responses(
        (status = 200, description = "A page of reviews.", body = ReviewsPage),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 404, response = shared::openapi::NotFound),
    ),
)]
pub async fn reviews(
    State(state): State<AppState>,
    id: ProductId,
    Query(params): Query<ReviewsParams>,
) -> Result<Response, Problem> {
    let offset = offset(params.offset.as_deref())?;
    let screen = Screen::start(state.settings.screens.reviews);
    let page = screen
        .critical(
            state
                .upstreams
                .reviews
                .reviews(&screen, &id, offset, REVIEWS_PER_PAGE),
        )
        .await?;
    let view = ReviewsPage::of(id.as_str(), offset, &page);
    Ok(screen.respond(&view, CachePolicy::PUBLIC))
}

/// `offset`: absent or empty is 0; else a decimal in `0..=MAX_REVIEW_OFFSET`.
fn offset(value: Option<&str>) -> Result<u32, Problem> {
    match non_empty(value) {
        None => Ok(0),
        Some(value) => parse_decimal(value, 5)
            .filter(|offset| *offset <= MAX_REVIEW_OFFSET)
            .ok_or_else(|| Problem::bad_request("offset must be a whole number from 0 to 10000.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_bounded_whole_numbers() {
        assert_eq!(offset(None).unwrap(), 0);
        assert_eq!(offset(Some("")).unwrap(), 0);
        assert_eq!(offset(Some("10")).unwrap(), 10);
        assert_eq!(offset(Some("10000")).unwrap(), 10_000);
        for bad in ["10001", "-1", "abc", "1e3", "999999"] {
            assert!(offset(Some(bad)).is_err(), "{bad}");
        }
    }
}
