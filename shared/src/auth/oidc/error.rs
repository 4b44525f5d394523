//! Why a login, a refresh or another call to the provider failed.

use axum::http::StatusCode;

use crate::auth::jwks::JwksError;
use crate::auth::provider::{DiscoveryError, FetchError};
use crate::auth::validator::TokenError;
use crate::config::ConfigError;
use crate::problem::Problem;

/// Why a login could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The provider sent an `error` instead of a code (e.g. `access_denied`).
    #[error("the provider refused the login: {0}")]
    Provider(String),
    /// The callback's `state` is absent or not the pending login's.
    #[error("state mismatch")]
    StateMismatch,
    /// The callback's `iss` is not the issuer, or is absent while the provider announces it.
    #[error("iss mismatch")]
    IssuerMismatch,
    /// No `code` in the callback.
    #[error("no code in the callback")]
    MissingCode,
    /// The token endpoint refused the code (OAuth error code).
    #[error("the token endpoint refused the code: {0}")]
    Token(String),
    /// The token endpoint could not be reached or answered badly.
    #[error("token endpoint: {0}")]
    Fetch(#[from] FetchError),
    /// The token response lacks something required.
    #[error("invalid token response: {0}")]
    InvalidResponse(&'static str),
    /// The ID token is invalid.
    #[error("invalid ID token: {0}")]
    IdToken(#[from] TokenError),
}

impl LoginError {
    /// What the browser sees: 400 for a callback that does not belong to this login, 502 when the
    /// provider failed. The detail never says which check failed.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Fetch(_) => {
                Problem::bad_gateway("The identity provider did not answer correctly.")
            }
            Self::Provider(_) => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail("The login was cancelled or refused."),
            _ => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail("The login could not be completed."),
        }
    }
}

/// Why tokens could not be refreshed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RefreshError {
    /// The provider refused the refresh token (`invalid_grant`: expired, revoked, reused): the
    /// session must end.
    #[error("refresh token refused (invalid_grant)")]
    InvalidGrant,
    /// There is no refresh token: the session ends when the access token expires.
    #[error("no refresh token")]
    NoRefreshToken,
    /// Anything else (provider down, timeout, bad response, other OAuth error): the session is
    /// kept and a later request may succeed.
    #[error("refresh failed: {0}")]
    Failed(String),
}

impl RefreshError {
    /// Whether the session must end.
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::InvalidGrant | Self::NoRefreshToken)
    }
}

/// Errors of calls that are neither login nor refresh (revocation, setup).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// Discovery failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The key store could not be built.
    #[error(transparent)]
    Keys(#[from] JwksError),
    /// The provider lacks something this client needs.
    #[error("provider unsupported: {0}")]
    Unsupported(&'static str),
    /// A call to the provider failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The provider refused a request (OAuth error code).
    #[error("the provider refused: {0}")]
    Refused(String),
}

impl OidcError {
    /// Whether the provider may answer later (unreachable, timed out, 5xx), as opposed to a
    /// configuration the provider contradicts.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Discovery(DiscoveryError::Fetch(error)) | Self::Fetch(error) => {
                error.is_transient()
            }
            Self::Keys(error) => error.is_transient(),
            Self::Config(_)
            | Self::Client(_)
            | Self::Discovery(_)
            | Self::Unsupported(_)
            | Self::Refused(_) => false,
        }
    }
}
