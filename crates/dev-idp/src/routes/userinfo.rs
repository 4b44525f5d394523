//! `GET|POST /userinfo`: the profile of the access token's user. The token is verified here
//! like any resource server would (see [`crate::tokens::verify_access_token`]).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::no_store_json;
use crate::error::BearerError;
use crate::state::AppState;
use crate::tokens::{self, MAX_TOKEN_BYTES};
use crate::users;

pub(crate) async fn userinfo(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let token = match bearer_token(&headers) {
        Ok(token) => token,
        Err(error) => return error.into_response(),
    };
    let Some(user) = tokens::verify_access_token(&state, token)
        .filter(|claims| claims.scope.split(' ').any(|s| s == "openid"))
        .and_then(|claims| users::by_id(&claims.sub))
    else {
        return BearerError::InvalidToken.into_response();
    };
    no_store_json(&json!({
        "sub": user.id,
        "name": user.name,
        "email": user.email,
        "preferred_username": user.username,
    }))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive); oversized headers
/// are refused before any decoding.
fn bearer_token(headers: &HeaderMap) -> Result<&str, BearerError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(BearerError::Missing);
    };
    if value.len() > MAX_TOKEN_BYTES + 16 {
        return Err(BearerError::InvalidToken);
    }
    let value = value.to_str().map_err(|_| BearerError::InvalidToken)?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            let token = token.trim();
            if token.is_empty() {
                Err(BearerError::InvalidToken)
            } else {
                Ok(token)
            }
        }
        _ => Err(BearerError::Missing),
    }
}
