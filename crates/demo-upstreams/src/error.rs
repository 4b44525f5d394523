//! Errors of the demo services and the extractors that make malformed input speak the same
//! dialect.
//!
//! Every error becomes an RFC 9457 problem ([`shared::problem::Problem`]). Details are fixed
//! texts written here: they never echo the request's input (an id, a query, a token), so a
//! client cannot make the service reflect content. Axum's own rejections (bad query strings,
//! bad JSON, bad path encoding) are mapped to the same problems by the wrapper extractors
//! [`Query`], [`Path`] and [`Json`].

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use shared::problem::Problem;

use crate::data::Dataset;

/// Why a request failed; one variant per status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// 400: malformed input. The text says what was wrong, never what was sent.
    #[error("{0}")]
    BadRequest(&'static str),
    /// 401: no usable bearer token.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 404: a well-formed id that names nothing, or no such route.
    #[error("{0}")]
    NotFound(&'static str),
    /// 405: a known route asked with another method.
    #[error("this route does not accept this method")]
    MethodNotAllowed,
    /// 415: a body that is not declared as JSON.
    #[error("send the body as application/json")]
    UnsupportedMediaType,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        match self {
            Self::BadRequest(_) => Problem::bad_request(detail),
            Self::Unauthorized(_) => Problem::new(StatusCode::UNAUTHORIZED)
                .with_detail(detail)
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
            Self::NotFound(_) => Problem::not_found(detail),
            Self::MethodNotAllowed => {
                Problem::new(StatusCode::METHOD_NOT_ALLOWED).with_detail(detail)
            }
            Self::UnsupportedMediaType => {
                Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE).with_detail(detail)
            }
        }
        .into_response()
    }
}

/// Fallback for unknown routes: a 404 problem.
pub(crate) async fn no_such_route() -> ApiError {
    ApiError::NotFound("no such route")
}

/// Fallback for a known route with another method: a 405 problem.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Declares `$name<T>`: the extractor `axum::extract::$name` whose rejection is a 400 problem
/// saying `$detail`.
macro_rules! rejecting_with_a_400 {
    ($(#[$doc:meta])* $name:ident, $detail:literal) => {
        $(#[$doc])*
        pub(crate) struct $name<T>(pub T);

        impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for $name<T> {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
                axum::extract::$name::from_request_parts(parts, state)
                    .await
                    .map(|axum::extract::$name(value)| Self(value))
                    .map_err(|_| ApiError::BadRequest($detail))
            }
        }
    };
}

rejecting_with_a_400!(
    /// `axum::extract::Query` whose rejection is a 400 problem.
    Query,
    "the query string is malformed"
);
rejecting_with_a_400!(
    /// `axum::extract::Path` whose rejection is a 400 problem.
    Path,
    "the path is malformed"
);

/// `axum::Json` whose rejection is a 400 (or 415) problem.
pub(crate) struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
            Err(_) => Err(ApiError::BadRequest("the body is not the expected JSON")),
        }
    }
}

/// `offset` and `limit` of a paged list, validated as the API prescribes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Page {
    pub offset: usize,
    pub limit: usize,
}

/// Parses `offset` (≥ 0, default 0).
pub(crate) fn offset(raw: Option<&str>) -> Result<usize, ApiError> {
    match raw {
        None => Ok(0),
        Some(text) => text
            .parse::<u32>()
            .map(|n| n as usize)
            .map_err(|_| ApiError::BadRequest("offset must be a whole number of at least 0")),
    }
}

/// Parses `limit` (1..=100, default `default`).
pub(crate) fn limit(raw: Option<&str>, default: usize) -> Result<usize, ApiError> {
    match raw {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or(ApiError::BadRequest("limit must be between 1 and 100")),
    }
}

impl Page {
    /// Parses `offset` and `limit` with the route's default limit.
    pub fn parse(
        offset_raw: Option<&str>,
        limit_raw: Option<&str>,
        default_limit: usize,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            offset: offset(offset_raw)?,
            limit: limit(limit_raw, default_limit)?,
        })
    }
}

/// Checks the shape of a product id (`p` + five digits) without looking it up.
pub(crate) fn check_product_id(id: &str) -> Result<(), ApiError> {
    crate::data::parse_product_id(id)
        .map(|_| ())
        .ok_or(ApiError::BadRequest(
            "a product id is `p` followed by five digits",
        ))
}

/// Finds the product `id` names: a malformed id is a 400, one that names nothing a 404.
pub(crate) fn find_product(data: &Dataset, id: &str) -> Result<usize, ApiError> {
    check_product_id(id)?;
    data.product_index(id)
        .ok_or(ApiError::NotFound("no product has this id"))
}
