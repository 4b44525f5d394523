//! What can go wrong calling an upstream, and what each failure means: to the client (a
//! [`Problem`]), to metrics (a label) and to the resilience layer (an upstream fault or not).

use axum::http::StatusCode;

use crate::problem::Problem;

/// What went wrong calling an upstream. The message is for logs; clients get a [`Problem`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("upstream {upstream}: {kind}")]
pub struct UpstreamError {
    /// Which upstream.
    pub upstream: &'static str,
    /// What happened.
    pub kind: ErrorKind,
}

/// The kinds of upstream failure, each with one client-facing meaning.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404: the thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// 401/403: the forwarded credentials were refused.
    #[error("credentials refused ({0})")]
    Unauthorized(u16),
    /// The identity provider refused to exchange the user's token for this upstream's audience
    /// (`invalid_grant`): the user's token is no good, whatever the BFF thought of it.
    #[error("the user's token was refused at the token exchange")]
    TokenRefused,
    /// Another 4xx: the BFF sent something the upstream refused.
    #[error("request refused ({0})")]
    Rejected(u16),
    /// 5xx other than 504.
    #[error("failed ({0})")]
    Failed(u16),
    /// No answer within the call's timeout or the screen's deadline (or the upstream's own 504).
    #[error("timed out")]
    Timeout,
    /// No connection could be made.
    #[error("unreachable")]
    Unreachable,
    /// The body was larger than `max_body_bytes`.
    #[error("body too large")]
    TooLarge,
    /// The body was not JSON or not the expected shape.
    #[error("invalid body")]
    InvalidBody,
    /// The connection broke before the whole response arrived.
    #[error("connection interrupted")]
    Interrupted,
    /// The circuit breaker is open: the call was not attempted.
    #[error("circuit open")]
    CircuitOpen,
    /// Too many calls already in flight to this upstream: the call was not attempted.
    #[error("overloaded")]
    Overloaded,
}

impl ErrorKind {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Unauthorized(_) => "unauthorized",
            Self::TokenRefused => "token_refused",
            Self::Rejected(_) => "rejected",
            Self::Failed(_) => "failed",
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::TooLarge => "too_large",
            Self::InvalidBody => "invalid_body",
            Self::Interrupted => "interrupted",
            Self::CircuitOpen => "circuit_open",
            Self::Overloaded => "overloaded",
        }
    }
}

impl UpstreamError {
    pub(crate) fn new(upstream: &'static str, kind: ErrorKind) -> Self {
        Self { upstream, kind }
    }

    /// The problem a client sees when this upstream was critical for its request.
    pub fn to_problem(&self) -> Problem {
        match self.kind {
            ErrorKind::NotFound => Problem::not_found("The requested resource does not exist."),
            ErrorKind::Unauthorized(401) => {
                Problem::new(StatusCode::UNAUTHORIZED).with_detail("The credentials were refused.")
            }
            ErrorKind::Unauthorized(_) => {
                Problem::new(StatusCode::FORBIDDEN).with_detail("This action is not allowed.")
            }
            ErrorKind::TokenRefused => crate::auth::validator::invalid_token_problem(),
            ErrorKind::Rejected(_) => Problem::bad_request("The request was refused."),
            ErrorKind::Timeout => {
                Problem::gateway_timeout("A service this request needs did not answer in time.")
            }
            ErrorKind::Unreachable
            | ErrorKind::Failed(_)
            | ErrorKind::TooLarge
            | ErrorKind::InvalidBody
            | ErrorKind::Interrupted
            | ErrorKind::CircuitOpen
            | ErrorKind::Overloaded => {
                Problem::bad_gateway("A service this request needs is unavailable.")
            }
        }
    }
}

impl ErrorKind {
    /// Whether the failure says the upstream is unhealthy (rather than that the request was
    /// wrong): counts toward opening the circuit and allows serving stale answers.
    pub(crate) fn is_upstream_fault(&self) -> bool {
        matches!(
            self,
            Self::Unreachable
                | Self::Interrupted
                | Self::Timeout
                | Self::Failed(_)
                | Self::InvalidBody
                | Self::TooLarge
                | Self::CircuitOpen
                | Self::Overloaded
        )
    }
}
