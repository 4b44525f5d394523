//! Errors toward clients: RFC 9457 `application/problem+json`.
//!
//! Every error a BFF returns (bad input, unknown product, upstream failure, deadline) is one of
//! these, with the request id so a frontend developer can quote it to the BFF's owners. Details
//! are written for clients: they never echo the request's input, upstream bodies or internals;
//! those go to the log.

use std::borrow::Cow;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::{RefOr, Schema};

use crate::request_id;

/// The media type of problem responses.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem document, rendered as the response body. Boxed, so that `Result<T,
/// Problem>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Problem(Box<Document>);

/// The body, as documented in the BFFs' OpenAPI documents (`Problem` there: the schema is
/// derived from this struct, so the contract cannot drift from what is sent).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(
    description = "An RFC 9457 problem document (`application/problem+json`).",
    example = json!({
        "type": "about:blank",
        "title": "Bad Gateway",
        "status": 502,
        "detail": "A service this request needs failed.",
        "request_id": "6f1c0f3e-8d2a-4a57-9c4e-2b1d5e7a9f10"
    })
)]
struct Document {
    /// A URI naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    kind: String,
    /// Short, human-readable summary of the problem type.
    #[schema(example = "Not Found")]
    title: String,
    /// The HTTP status, repeated for clients that lose the header.
    #[schema(minimum = 400, maximum = 599, example = 404)]
    status: u16,
    /// Explanation specific to this occurrence (never containing the client's input).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "No such product.")]
    detail: Option<String>,
    /// The id of the request, also sent in `X-Request-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "6f1c0f3e-8d2a-4a57-9c4e-2b1d5e7a9f10")]
    request_id: Option<String>,
    /// Seconds after which a retry may succeed (sent as `Retry-After`, not in the body).
    #[serde(skip)]
    retry_after: Option<u64>,
    /// Extra headers for this problem (e.g. `WWW-Authenticate`).
    #[serde(skip)]
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem of type `about:blank` with the status's reason as title.
    pub fn new(status: StatusCode) -> Self {
        Self(Box::new(Document {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: None,
            request_id: None,
            retry_after: None,
            headers: Vec::new(),
        }))
    }

    /// Sets a problem type URI (e.g. `https://errors.example/upstream-unavailable`).
    pub fn with_type(mut self, kind: impl Into<String>) -> Self {
        self.0.kind = kind.into();
        self
    }

    /// Sets the title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.0.title = title.into();
        self
    }

    /// Sets the detail. Write it for the client; never include its input.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Adds `Retry-After` (seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// Adds a response header, e.g. `WWW-Authenticate`.
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST).with_detail(detail)
    }

    /// 404: the resource does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND).with_detail(detail)
    }

    /// 500: a bug; the detail stays generic.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR).with_detail("An unexpected error occurred.")
    }

    /// 502: an upstream the screen cannot do without failed.
    pub fn bad_gateway(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY).with_detail(detail)
    }

    /// 504: an upstream the screen cannot do without did not answer in time.
    pub fn gateway_timeout(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT).with_detail(detail)
    }

    /// The status as an [`StatusCode`].
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The detail, if any.
    pub fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// The value of a header added with [`Problem::with_header`]: for a caller that answers
    /// in another form (GraphQL) but must keep what the header does (clearing a cookie).
    pub fn header(&self, name: &header::HeaderName) -> Option<&HeaderValue> {
        self.0
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let mut document = *self.0;
        if document.request_id.is_none() {
            document.request_id = request_id::current();
        }
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(seconds) = document.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        for (name, value) in document.headers {
            headers.insert(name, value);
        }
        response
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.status, self.0.title)
    }
}

impl std::error::Error for Problem {}

impl utoipa::PartialSchema for Problem {
    fn schema() -> RefOr<Schema> {
        <Document as utoipa::PartialSchema>::schema()
    }
}

/// The body of every error response, `#/components/schemas/Problem` in the OpenAPI documents.
impl utoipa::ToSchema for Problem {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Problem")
    }
}
