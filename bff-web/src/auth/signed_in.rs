//! [`SignedIn`]: the extractor of personal API routes.

use axum::extract::FromRequestParts;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use shared::auth::session::{Session, SessionError, SessionId};
use shared::problem::Problem;

use crate::AppState;

/// A request with a live session whose access token is valid for at least the refresh margin.
///
/// The token is refreshed inline when needed, once per session however many requests need it
/// at the same time ([`shared::auth::SessionManager::with_fresh_tokens`]). No cookie, an unknown
/// or expired session, or a refresh token the provider refuses (`invalid_grant`, which deletes
/// the session) → 401 problem that clears the cookie; the provider or the store down → 503.
#[derive(Debug)]
pub struct SignedIn {
    /// The session's id (redacted in `Debug`).
    pub id: SessionId,
    /// The session, tokens included (redacted in `Debug`).
    pub session: Session,
}

impl SignedIn {
    /// The access token to forward to upstreams as the user's own credential.
    pub fn access_token(&self) -> &str {
        self.session.tokens.access_token.expose()
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let auth = &state.auth;
        let Some(id) = auth.cookies.session_id(&parts.headers) else {
            return Err(auth.anonymous(&parts.headers));
        };
        match auth.sessions.with_fresh_tokens(&id, &auth.oidc).await {
            Ok(session) => Ok(Self { id, session }),
            Err(SessionError::NotFound) => Err(auth.anonymous(&parts.headers)),
            Err(error @ SessionError::Ended) => Err(error
                .to_problem()
                .with_header(SET_COOKIE, auth.cookies.clear_session())),
            Err(error) => {
                tracing::warn!(%error, "session unusable for now");
                Err(error.to_problem())
            }
        }
    }
}
