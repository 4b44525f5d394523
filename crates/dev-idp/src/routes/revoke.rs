//! `POST /revoke` (RFC 7009): client-authenticated; revoking a refresh token revokes its whole
//! family; unknown tokens and tokens of other clients are answered 200 without effect.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::token::form_params;
use crate::error::OAuthError;
use crate::params::authenticate_client;
use crate::state::AppState;
use crate::tokens;

pub(crate) async fn revoke(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match revoke_token(&state, &headers, body) {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn revoke_token(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(), OAuthError> {
    let params = form_params(headers, body)?;
    let client = authenticate_client(state, headers, &params)?;
    let token = params
        .get("token")
        .ok_or(OAuthError::invalid_request("token is required"))?;
    // `token_type_hint` only speeds up the lookup in RFC 7009; both kinds are tried anyway.
    if state.grants.revoke_refresh_token(token, &client.client_id) {
        tracing::info!(client_id = client.client_id, "refresh token family revoked");
        return Ok(());
    }
    if let Some(claims) = tokens::verify_access_token(state, token)
        && claims.client_id == client.client_id
    {
        state.grants.revoke_access_token(&claims.jti, claims.exp);
        tracing::info!(client_id = client.client_id, "access token revoked");
    }
    Ok(())
}
