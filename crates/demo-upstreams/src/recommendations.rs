//! The recommendations service: related products and the popular list, personalised when the
//! caller forwards the user's bearer token.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::CachePolicy as _;
use crate::accounts::{TokenVerifier, bearer_subject};
use crate::data::{Dataset, product_id};
use crate::error::{ApiError, Path, Query, check_product_id, limit};

#[derive(Clone)]
struct Recommendations {
    data: Arc<Dataset>,
    verifier: Arc<dyn TokenVerifier>,
}

/// The recommendations service's routes.
pub(crate) fn routes(data: Arc<Dataset>, verifier: Arc<dyn TokenVerifier>) -> Router {
    Router::new()
        .route("/products/{id}/related", get(related))
        .route("/popular", get(popular))
        .with_state(Recommendations { data, verifier })
        .cache_policy("public, max-age=60")
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<String>,
}

#[derive(Serialize)]
struct Related {
    product_ids: Vec<String>,
}

#[derive(Serialize)]
struct Popular {
    product_ids: Vec<String>,
    personalised: bool,
}

async fn related(
    State(state): State<Recommendations>,
    Path(id): Path<String>,
    Query(query): Query<LimitQuery>,
) -> Result<axum::Json<Related>, ApiError> {
    check_product_id(&id)?;
    let limit = limit(query.limit.as_deref(), 12)?;
    let index = state
        .data
        .product_index(&id)
        .ok_or(ApiError::NotFound("no product has this id"))?;
    let product_ids = state
        .data
        .related(index, limit)
        .into_iter()
        .map(|i| product_id(i as usize))
        .collect();
    Ok(axum::Json(Related { product_ids }))
}

async fn popular(
    State(state): State<Recommendations>,
    headers: HeaderMap,
    Query(query): Query<LimitQuery>,
) -> Result<Response, ApiError> {
    let limit = limit(query.limit.as_deref(), 12)?;
    let subject = bearer_subject(&headers, state.verifier.as_ref()).await?;
    let product_ids = state
        .data
        .popular_for(subject.as_deref(), limit)
        .into_iter()
        .map(|i| product_id(i as usize))
        .collect();
    let mut response = axum::Json(Popular {
        product_ids,
        personalised: subject.is_some(),
    })
    .into_response();
    let headers = response.headers_mut();
    // The answer depends on the token: shared caches must key on it, or not store it at all.
    headers.insert(header::VARY, HeaderValue::from_static("authorization"));
    if subject.is_some() {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=60"),
        );
    }
    Ok(response)
}
