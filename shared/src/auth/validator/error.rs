//! [`TokenError`]: why a token was refused (for the logs), and the one 401 every client sees.

use axum::http::{HeaderValue, StatusCode, header};

use crate::problem::Problem;

/// Why a token was refused. For logs only: every variant is the same 401 for the client
/// ([`TokenError::to_problem`]).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Larger than `max_token_bytes` (checked before decoding).
    #[error("token larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// Not a compact JWS with a JSON header and payload, or a claim of the wrong type.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not in the configured allow-list (`none` included).
    #[error("algorithm {0:?} not allowed")]
    AlgorithmNotAllowed(String),
    /// The header has `crit`: no extension is understood here.
    #[error("critical header parameters are not supported")]
    CriticalHeader,
    /// The header's `typ` is not the expected one (e.g. an ID token used as access token).
    #[error("wrong token type {0:?}")]
    WrongType(Option<String>),
    /// The header has no `kid`.
    #[error("no kid in the header")]
    MissingKid,
    /// No key has this `kid`.
    #[error("unknown signing key")]
    UnknownKey,
    /// The provider's keys could not be fetched for too long.
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
    /// The key found does not verify this algorithm.
    #[error("the key does not fit the token's algorithm")]
    KeyMismatch,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("issued in the future")]
    IssuedInFuture,
    /// A required claim is absent.
    #[error("missing claim {0}")]
    MissingClaim(String),
    /// `iss` is not the configured issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain this service (or the client, for ID tokens).
    #[error("wrong audience")]
    WrongAudience,
    /// An ID token's `nonce` is not the one sent with the login.
    #[error("nonce mismatch")]
    NonceMismatch,
}

/// The value of `WWW-Authenticate` for a refused token (RFC 6750 §3.1).
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer error="invalid_token""#;

impl TokenError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::AlgorithmNotAllowed(_) => "algorithm",
            Self::CriticalHeader => "crit",
            Self::WrongType(_) => "typ",
            Self::MissingKid => "missing_kid",
            Self::UnknownKey => "unknown_kid",
            Self::KeysUnavailable(_) => "keys_unavailable",
            Self::KeyMismatch => "key_mismatch",
            Self::BadSignature => "signature",
            Self::Expired => "expired",
            Self::NotYetValid => "nbf",
            Self::IssuedInFuture => "iat",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongIssuer => "iss",
            Self::WrongAudience => "aud",
            Self::NonceMismatch => "nonce",
        }
    }

    /// The client-facing problem: 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
    /// the same for every variant, except when the provider's keys are unavailable: then the
    /// token may well be good, and a 503 with `Retry-After` keeps the app from discarding it.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::KeysUnavailable(_) => crate::auth::provider::unavailable_problem(
                "Sign-in cannot be checked right now; try again shortly.",
            ),
            _ => invalid_token_problem(),
        }
    }
}

/// 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
pub(crate) fn invalid_token_problem() -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED)
        .with_detail("The access token is missing, invalid or expired.")
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(INVALID_TOKEN_CHALLENGE),
        )
}

/// Keeps an attacker-chosen header value short and printable for the logs.
pub(super) fn loggable(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect()
}
