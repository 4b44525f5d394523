//! Why a token exchange failed, and what that means for the upstream call that needed it.

use crate::auth::provider::FetchError;
use crate::upstream::ErrorKind;

/// Why no token for the upstream's audience could be had. For logs: never carries a token or
/// the provider's body.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ExchangeError {
    /// The provider refused the user's token (`invalid_grant`: expired, revoked, not its own).
    #[error("the provider refused the subject token (invalid_grant)")]
    SubjectRefused,
    /// The provider refused the request for another reason (an OAuth error code: the client
    /// is not allowed to exchange, the audience is unknown, ...): a misconfiguration.
    #[error("the provider refused the exchange: {0}")]
    Refused(String),
    /// The provider could not be discovered, reached, or answered 5xx.
    #[error("provider unavailable: {0}")]
    Unavailable(FetchError),
    /// The provider answered 200 with something that is not a usable access token.
    #[error("invalid exchange response: {0}")]
    InvalidResponse(&'static str),
}

impl ExchangeError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::SubjectRefused => "subject_refused",
            Self::Refused(_) => "refused",
            Self::Unavailable(_) => "unavailable",
            Self::InvalidResponse(_) => "invalid_response",
        }
    }

    /// What the upstream call that needed the token reports: the user's token refused is the
    /// user's problem (401 `invalid_token`); anything else is the same outcome as that upstream
    /// failing (a degraded section, or a 502/504 when it is critical).
    pub fn upstream_kind(&self) -> ErrorKind {
        match self {
            Self::SubjectRefused => ErrorKind::TokenRefused,
            Self::Unavailable(FetchError::Timeout) => ErrorKind::Timeout,
            Self::Unavailable(_) | Self::Refused(_) | Self::InvalidResponse(_) => {
                ErrorKind::Unreachable
            }
        }
    }
}
