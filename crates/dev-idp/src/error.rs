//! Errors in the dialects the protocols prescribe.
//!
//! - Token and revocation endpoints: RFC 6749 §5.2 JSON (`{"error","error_description"}`),
//!   `Cache-Control: no-store`, 401 + `WWW-Authenticate` for `invalid_client` ([`OAuthError`]).
//! - `/userinfo`: RFC 6750 §3 `WWW-Authenticate: Bearer error="invalid_token"` on an RFC 9457
//!   problem body ([`BearerError`]).
//! - Browser-facing endpoints (`/authorize`, `/login`, `/end_session`): an HTML error page when
//!   the redirect target cannot be trusted, else a redirect with `error=` (see `routes`).
//! - Everything else (unknown routes, wrong methods): RFC 9457 problems.
//!
//! Descriptions are fixed texts: they never echo the request's input or name secrets.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared::problem::Problem;

/// Declares, for each `code => STATUS`, the constructor `code(description)` of the error `code`
/// answered with `StatusCode::STATUS`: the function's name is the error code.
macro_rules! errors_described_by_the_caller {
    ($($(#[$doc:meta])* $code:ident => $status:ident;)+) => {
        $(
            $(#[$doc])*
            pub const fn $code(description: &'static str) -> Self {
                Self::new(StatusCode::$status, stringify!($code), description)
            }
        )+
    };
}

/// An RFC 6749 §5.2 error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct OAuthErrorBody {
    error: &'static str,
    error_description: &'static str,
}

impl OAuthError {
    const fn new(status: StatusCode, error: &'static str, description: &'static str) -> Self {
        Self {
            status,
            error,
            description,
        }
    }

    errors_described_by_the_caller! {
        /// 400 `invalid_request`: a parameter is missing, repeated or malformed.
        invalid_request => BAD_REQUEST;
        /// 401 `invalid_client`: client authentication failed.
        invalid_client => UNAUTHORIZED;
        /// 400 `invalid_grant`: the code or refresh token is invalid, expired, revoked or replayed.
        invalid_grant => BAD_REQUEST;
        /// 400 `invalid_scope`.
        invalid_scope => BAD_REQUEST;
        /// 400 `invalid_target` (RFC 8707 §2): a `resource` that is malformed or not granted.
        invalid_target => BAD_REQUEST;
        /// 400 `unauthorized_client`: the client may not use this grant.
        unauthorized_client => BAD_REQUEST;
    }

    /// 400 `unsupported_grant_type`.
    pub const fn unsupported_grant_type() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code, refresh_token or \
             urn:ietf:params:oauth:grant-type:token-exchange",
        )
    }

    /// 503 `temporarily_unavailable`: too many grants in memory.
    pub const fn busy() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "too many grants in memory; try again later",
        )
    }

    /// 500 `server_error`.
    pub const fn server_error() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "an unexpected error occurred",
        )
    }

    /// The `error` code.
    pub fn code(&self) -> &'static str {
        self.error
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(OAuthErrorBody {
                error: self.error,
                error_description: self.description,
            }),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"dev-idp\""),
            );
        }
        response
    }
}

/// Why a bearer token was refused at `/userinfo` (RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    /// No `Authorization: Bearer` header: 401 with a bare challenge.
    Missing,
    /// A token that is malformed, expired, revoked or not ours: 401 `invalid_token`.
    InvalidToken,
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (challenge, detail) = match self {
            Self::Missing => (
                "Bearer realm=\"dev-idp\"",
                "Send an access token in Authorization: Bearer.",
            ),
            Self::InvalidToken => (
                "Bearer realm=\"dev-idp\", error=\"invalid_token\"",
                "The access token is malformed, expired, revoked or not issued here.",
            ),
        };
        Problem::new(StatusCode::UNAUTHORIZED)
            .with_detail(detail)
            .with_header(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            )
            .into_response()
    }
}

/// Fallback for unknown routes: a 404 problem.
pub(crate) async fn no_such_route() -> Response {
    Problem::not_found("No such route.").into_response()
}

/// Fallback for a known route with another method: a 405 problem.
pub(crate) async fn method_not_allowed() -> Response {
    Problem::new(StatusCode::METHOD_NOT_ALLOWED)
        .with_detail("This route does not accept this method.")
        .into_response()
}
