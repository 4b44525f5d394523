//! Axum extractors for bearer-token authentication (the mobile BFF's API).
//!
//! - [`AuthUser`]: the request must carry a valid token. No `Authorization` header → 401 with
//!   `WWW-Authenticate: Bearer`; a header that is not exactly one valid bearer token → 401 with
//!   `WWW-Authenticate: Bearer error="invalid_token"`.
//! - [`MaybeAuthUser`]: no header → anonymous; a header with an invalid token → the same 401 as
//!   above, never anonymous (a client with a broken token must learn it).
//! - [`require_scope`]: 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`.
//!
//! Tokens are read from the `Authorization` header only: a token in the query string or in a
//! cookie is ignored. The validator comes from the router state ([`ValidatorState`]:
//! `Arc<TokenValidator>: FromRef<S>`).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::bearer::{self, BearerError};
use super::secret::SecretToken;
use super::validator::{AccessClaims, TokenError, TokenValidator, invalid_token_problem};
use crate::problem::Problem;

/// An authenticated caller: the validated token's subject and scopes, and the token itself
/// (to forward to upstreams as the user's own credential).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// The token's `sub`.
    pub subject: String,
    /// The granted scopes.
    pub scopes: Vec<String>,
    /// Every validated claim.
    pub claims: Arc<AccessClaims>,
    /// The raw access token; its `Debug` output is redacted.
    pub token: SecretToken,
}

impl AuthUser {
    /// The access token as sent, to forward to upstreams (the name bff-web's `SignedIn` uses
    /// too).
    pub fn access_token(&self) -> &str {
        self.token.expose()
    }

    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `Ok` if `scope` was granted, else the 403 problem of [`require_scope`].
    pub fn require_scope(&self, scope: &str) -> Result<(), Problem> {
        require_scope(self, scope)
    }
}

/// An optional [`AuthUser`]: `None` only when the request has no `Authorization` header.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

/// Why a request was not authenticated; answers 401.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthRejection {
    /// No `Authorization` header.
    #[error("no credentials")]
    Missing,
    /// The header is not a single bearer token.
    #[error(transparent)]
    Header(#[from] BearerError),
    /// The token was refused.
    #[error(transparent)]
    Token(#[from] TokenError),
}

impl AuthRejection {
    /// The client-facing problem (the same for every invalid token; a 503 when the provider's
    /// keys are unavailable, see [`TokenError::to_problem`]).
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Missing => Problem::new(StatusCode::UNAUTHORIZED)
                .with_detail("An access token is required.")
                .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")),
            Self::Header(_) => invalid_token_problem(),
            Self::Token(error) => error.to_problem(),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Header(_) => "header",
            Self::Token(error) => error.label(),
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        if !matches!(self, Self::Missing) {
            tracing::info!(error = %self, "bearer token refused");
        }
        metrics::counter!("auth_requests_refused_total", "reason" => self.label()).increment(1);
        self.to_problem().into_response()
    }
}

/// Router state that holds the token validator (`Arc<TokenValidator>: FromRef<S>`): what the
/// extractors need of it.
pub trait ValidatorState: Send + Sync {
    /// The validator.
    fn validator(&self) -> Arc<TokenValidator>;
}

impl<S> ValidatorState for S
where
    Arc<TokenValidator>: FromRef<S>,
    S: Send + Sync,
{
    fn validator(&self) -> Arc<TokenValidator> {
        Arc::from_ref(self)
    }
}

/// Authenticates the request's headers: `Ok(None)` when there is no `Authorization` header.
pub async fn authenticate(
    parts: &Parts,
    validator: &TokenValidator,
) -> Result<Option<AuthUser>, AuthRejection> {
    if let Some(user) = parts.extensions.get::<AuthUser>() {
        return Ok(Some(user.clone()));
    }
    let Some(token) = bearer::bearer_token(&parts.headers, validator.max_token_bytes())? else {
        return Ok(None);
    };
    let claims = validator.validate(token).await?;
    Ok(Some(AuthUser {
        subject: claims.sub.clone(),
        scopes: claims.scope.clone(),
        token: SecretToken::new(token),
        claims: Arc::new(claims),
    }))
}

impl<S: ValidatorState> FromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    /// [`MaybeAuthUser`], with no token a 401 too.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeAuthUser(user) =
            <MaybeAuthUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        user.ok_or(AuthRejection::Missing)
    }
}

impl<S: ValidatorState> FromRequestParts<S> for MaybeAuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = authenticate(parts, &state.validator()).await?;
        if let Some(user) = &user {
            parts.extensions.insert(user.clone());
        }
        Ok(Self(user))
    }
}

/// `Option<AuthUser>` behaves like [`MaybeAuthUser`]: an invalid token is still a 401.
impl<S: ValidatorState> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        <MaybeAuthUser as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|maybe| maybe.0)
    }
}

/// `Ok` if `user` was granted `scope`; else 403 with
/// `WWW-Authenticate: Bearer error="insufficient_scope", scope="<scope>"`.
pub fn require_scope(user: &AuthUser, scope: &str) -> Result<(), Problem> {
    if user.has_scope(scope) {
        return Ok(());
    }
    // RFC 6749 scope-token characters only, so the quoted value cannot be broken out of.
    let scope_token = !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
    let challenge = if scope_token {
        HeaderValue::from_str(&format!(
            r#"Bearer error="insufficient_scope", scope="{scope}""#
        ))
        .ok()
    } else {
        None
    }
    .unwrap_or_else(|| HeaderValue::from_static(r#"Bearer error="insufficient_scope""#));
    Err(Problem::new(StatusCode::FORBIDDEN)
        .with_detail("The access token does not grant this operation.")
        .with_header(header::WWW_AUTHENTICATE, challenge))
}
