//! The token exchange grant at `POST /token` (RFC 8693): a confidential client allowed to
//! exchange (`token_exchange = true`) trades a user's access token issued here for one whose
//! only `aud` is the requested `audience`, with the same `sub`, a scope never wider, an expiry
//! never later, and `act` naming the client that acts for the user (§4.1).

use serde::Serialize;

use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::grants::{narrowed_scope, unix_now};
use crate::params::Params;
use crate::state::AppState;
use crate::tokens::{self, AccessClaims, Actor};

/// `grant_type` of a token exchange.
pub(crate) const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an access token (RFC 8693 §3).
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// A successful exchange (RFC 8693 §2.2.1).
#[derive(Debug, Serialize)]
pub(crate) struct ExchangeResponse {
    access_token: String,
    issued_token_type: &'static str,
    token_type: &'static str,
    expires_in: u64,
    scope: String,
}

/// Exchanges the `subject_token` of `params` for `client`.
pub(crate) fn exchange(
    state: &AppState,
    client: &ClientConfig,
    params: &Params,
) -> Result<ExchangeResponse, OAuthError> {
    if client.secret.is_none() || !client.token_exchange {
        return Err(OAuthError::unauthorized_client(
            "this client may not exchange tokens",
        ));
    }
    let subject = params
        .get("subject_token")
        .ok_or(OAuthError::invalid_request("subject_token is required"))?;
    if params.get("subject_token_type") != Some(ACCESS_TOKEN_TYPE) {
        return Err(OAuthError::invalid_request(
            "subject_token_type must be urn:ietf:params:oauth:token-type:access_token",
        ));
    }
    if params
        .get("requested_token_type")
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(OAuthError::invalid_request(
            "only access tokens can be requested",
        ));
    }
    if params.get("actor_token").is_some() {
        return Err(OAuthError::invalid_request("actor_token is not supported"));
    }
    let audience = params
        .get("audience")
        .ok_or(OAuthError::invalid_request("audience is required"))?;
    if !state.is_known_audience(audience) {
        return Err(OAuthError::invalid_target(
            "the audience is not one this provider issues tokens for",
        ));
    }
    let Some(subject) = tokens::verify_access_token(state, subject) else {
        return Err(OAuthError::invalid_grant(
            "the subject token is invalid, expired or revoked",
        ));
    };
    let Some(scope) = narrowed_scope(params.get("scope"), &subject.scope) else {
        return Err(OAuthError::invalid_scope(
            "scope may only narrow the subject token's",
        ));
    };
    let now = unix_now();
    let exp = tokens::access_token_expiry(state, now).min(subject.exp);
    let claims = AccessClaims {
        iss: state.issuer().to_owned(),
        sub: subject.sub,
        aud: vec![audience.to_owned()],
        exp,
        iat: now,
        nbf: now,
        jti: tokens::new_jti(),
        client_id: client.client_id.clone(),
        scope: scope.clone(),
        act: Some(Actor {
            sub: client.client_id.clone(),
        }),
    };
    Ok(ExchangeResponse {
        access_token: tokens::sign_access_token(state, &claims)?,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: "Bearer",
        expires_in: exp.saturating_sub(now),
        scope,
    })
}
