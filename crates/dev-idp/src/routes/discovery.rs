//! `GET /.well-known/openid-configuration` and `GET /jwks`.
//!
//! Every URL is built from the configured issuer, never from the request's `Host`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::SCOPES_SUPPORTED;
use crate::state::AppState;

const AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

/// The discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414).
pub(crate) async fn configuration(State(state): State<Arc<AppState>>) -> Response {
    let issuer = state.issuer();
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "end_session_endpoint": format!("{issuer}/end_session"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            super::token_exchange::GRANT_TYPE
        ],
        "code_challenge_methods_supported": ["S256"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "scopes_supported": SCOPES_SUPPORTED,
        "subject_types_supported": ["public"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid",
            "name", "email", "preferred_username"
        ],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    shared::server::cache_control(Json(document).into_response(), "max-age=300")
}

/// The public keys: the signing key and rotated-out keys still in their grace period.
pub(crate) async fn jwks(State(state): State<Arc<AppState>>) -> Response {
    state.count_jwks_request();
    let keys: Vec<_> = state
        .keys
        .published()
        .iter()
        .map(|key| key.jwk.clone())
        .collect();
    shared::server::cache_control(Json(json!({ "keys": keys })).into_response(), "max-age=300")
}
