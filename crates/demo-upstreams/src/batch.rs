//! The answer to a batch request (`?ids=p00001,p00002`) of catalog, offers and reviews: the
//! products found, in the order asked, and the ids of those not found.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{ApiError, Query, check_product_id};

/// The `ids` of a batch request, validated: 1 to 100 well-formed product ids. As an extractor
/// it reads `?ids=` and leaves the query's other parameters to the handler.
pub(crate) struct BatchIds(Vec<String>);

impl BatchIds {
    /// Splits and validates an `ids=` list.
    pub(crate) fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        let raw = raw.ok_or(ApiError::BadRequest("ids is required"))?;
        let ids: Vec<&str> = raw.split(',').collect();
        if ids.len() > 100 {
            return Err(ApiError::BadRequest("ids lists at most 100 ids"));
        }
        for id in &ids {
            check_product_id(id)?;
        }
        Ok(Self(ids.into_iter().map(str::to_owned).collect()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for BatchIds {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        #[derive(Deserialize)]
        struct IdsQuery {
            ids: Option<String>,
        }
        let Query(query) = Query::<IdsQuery>::from_request_parts(parts, state).await?;
        Self::parse(query.ids.as_deref())
    }
}

/// `{"items": [...], "missing": ["p09999"]}`.
#[derive(Serialize)]
pub(crate) struct Batch<'a, T> {
    items: Vec<T>,
    missing: Vec<&'a str>,
}

impl<'a, T> Batch<'a, T> {
    /// Looks each of `ids` up in `data`; `item` shapes a product that exists from its id and
    /// its index in `data`.
    pub(crate) fn of(
        data: &Dataset,
        ids: &'a BatchIds,
        mut item: impl FnMut(&'a str, usize) -> T,
    ) -> Self {
        let mut batch = Self {
            items: Vec::with_capacity(ids.0.len()),
            missing: Vec::new(),
        };
        for id in &ids.0 {
            match data.product_index(id) {
                Some(index) => batch.items.push(item(id, index)),
                None => batch.missing.push(id),
            }
        }
        batch
    }
}

impl<T: Serialize> IntoResponse for Batch<'_, T> {
    fn into_response(self) -> Response {
        axum::Json(self).into_response()
    }
}
