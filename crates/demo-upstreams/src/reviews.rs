//! The reviews service: pages of reviews, a product's rating, and ratings in batches.
//!
//! Only ratings and dates are generated up front; a review's text is generated when a page
//! containing it is requested, from a seed of its own, so it is the same on every request.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::CachePolicy as _;
use crate::batch::{Batch, BatchIds};
use crate::data::{Dataset, Review};
use crate::error::{ApiError, Page, Path, Query, find_product};

/// The reviews service's routes.
pub(crate) fn routes(data: Arc<Dataset>) -> Router {
    Router::new()
        .route("/products/{id}/reviews", get(reviews))
        .route("/products/{id}/rating", get(rating))
        .route("/ratings", get(ratings))
        .with_state(data)
        .cache_policy("public, max-age=30")
}

#[derive(Deserialize)]
struct PageQuery {
    offset: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct ReviewPage {
    total: usize,
    offset: usize,
    limit: usize,
    items: Vec<Review>,
}

async fn reviews(
    State(data): State<Arc<Dataset>>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<ReviewPage>, ApiError> {
    let index = find_product(&data, &id)?;
    let page = Page::parse(query.offset.as_deref(), query.limit.as_deref(), 10)?;
    let total = data.reviews[index].entries.len();
    // Position k of the newest-first list is review number total - 1 - k (0 = oldest).
    let items = (page.offset..total.min(page.offset.saturating_add(page.limit)))
        .map(|k| data.review(index, total - 1 - k))
        .collect();
    Ok(axum::Json(ReviewPage {
        total,
        offset: page.offset,
        limit: page.limit,
        items,
    }))
}

#[derive(Serialize)]
struct RatingSummary<'a> {
    product_id: &'a str,
    average: f64,
    count: usize,
    histogram: [u32; 5],
}

async fn rating(
    State(data): State<Arc<Dataset>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let index = find_product(&data, &id)?;
    let set = &data.reviews[index];
    let summary = RatingSummary {
        product_id: &data.products[index].id,
        average: set.average,
        count: set.entries.len(),
        histogram: set.histogram,
    };
    Ok(axum::Json(summary).into_response())
}

#[derive(Serialize)]
struct Rating<'a> {
    product_id: &'a str,
    average: f64,
    count: usize,
}

async fn ratings(State(data): State<Arc<Dataset>>, ids: BatchIds) -> Response {
    Batch::of(&data, &ids, |id, index| Rating {
        product_id: id,
        average: data.reviews[index].average,
        count: data.reviews[index].entries.len(),
    })
    .into_response()
}
