//! `POST /token`: the authorization code grant (single-use codes, PKCE S256) and the refresh
//! token grant (rotation with replay detection). Errors per RFC 6749 §5.2.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{no_store_json, token_exchange};
use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::grants::{AccessToken, GrantError, Session, unix_now};
use crate::params::{Params, authenticate_client, is_form};
use crate::state::AppState;
use crate::tokens::{self, TokenResponse};

pub(crate) async fn token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    state.count_token_request();
    match exchange(&state, &headers, body) {
        Ok(response) => response,
        Err(error) => {
            tracing::info!(error = error.code(), "token request refused");
            error.into_response()
        }
    }
}

/// Parses a form body of the token or revocation endpoint.
pub(crate) fn form_params(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Params, OAuthError> {
    let body =
        body.map_err(|_| OAuthError::invalid_request("the request body could not be read"))?;
    if !is_form(headers) {
        return Err(OAuthError::invalid_request(
            "send the parameters as application/x-www-form-urlencoded",
        ));
    }
    Params::parse(&body)
        .map_err(|_| OAuthError::invalid_request("a parameter appears more than once"))
}

fn exchange(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthError> {
    let params = form_params(headers, body)?;
    let client = authenticate_client(state, headers, &params)?;
    if params.get("grant_type") == Some(token_exchange::GRANT_TYPE) {
        return token_exchange::exchange(state, &client, &params).map(|r| no_store_json(&r));
    }
    grant(state, &client, &params).map(|tokens| no_store_json(&tokens))
}

/// The authorization code and refresh token grants.
fn grant(
    state: &AppState,
    client: &ClientConfig,
    params: &Params,
) -> Result<TokenResponse, OAuthError> {
    let now = unix_now();
    let jti = tokens::new_jti();
    let access = AccessToken {
        jti: &jti,
        exp: tokens::access_token_expiry(state, now),
    };
    let refresh_ttl = state.config.refresh_token_ttl;
    let session = match params.get("grant_type") {
        Some("authorization_code") => {
            let code = params
                .get("code")
                .ok_or(OAuthError::invalid_request("code is required"))?;
            let redirect_uri = params
                .get("redirect_uri")
                .ok_or(OAuthError::invalid_request("redirect_uri is required"))?;
            let verifier = params
                .get("code_verifier")
                .ok_or(OAuthError::invalid_request(
                    "code_verifier is required (PKCE)",
                ))?;
            if !is_code_verifier(verifier) {
                return Err(OAuthError::invalid_request(
                    "code_verifier must be 43 to 128 unreserved characters",
                ));
            }
            state.grants.exchange_code(
                code,
                &client.client_id,
                redirect_uri,
                verifier,
                access,
                refresh_ttl,
            )
        }
        Some("refresh_token") => {
            let refresh_token = params
                .get("refresh_token")
                .ok_or(OAuthError::invalid_request("refresh_token is required"))?;
            state.grants.refresh(
                refresh_token,
                &client.client_id,
                params.get("scope"),
                access,
                refresh_ttl,
            )
        }
        Some(_) => return Err(OAuthError::unsupported_grant_type()),
        None => return Err(OAuthError::invalid_request("grant_type is required")),
    }
    .map_err(|error| match error {
        GrantError::InvalidGrant(description) => OAuthError::invalid_grant(description),
        GrantError::InvalidScope(description) => OAuthError::invalid_scope(description),
        GrantError::Busy => OAuthError::busy(),
    })?;
    let requested = params.checked_resources()?;
    let mut audience = audience(client, &session, requested)?;
    if state.config.one_audience_per_token && requested.is_empty() && session.resources.is_empty() {
        audience.truncate(1);
    }
    tokens::issue(state, client, &session, &audience, jti, now)
}

/// The `aud` of the access token (RFC 8707 §2.2): the resources of this token request, which
/// must have been granted when the authorization request named any; else the granted
/// resources; else the client's configured audiences.
fn audience(
    client: &ClientConfig,
    session: &Session,
    requested: &[String],
) -> Result<Vec<String>, OAuthError> {
    if requested.is_empty() {
        return Ok(if session.resources.is_empty() {
            client.audiences.clone()
        } else {
            session.resources.clone()
        });
    }
    if !session.resources.is_empty() && !requested.iter().all(|r| session.resources.contains(r)) {
        return Err(OAuthError::invalid_target(
            "resource was not part of the authorization request",
        ));
    }
    Ok(requested.to_vec())
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
fn is_code_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}
