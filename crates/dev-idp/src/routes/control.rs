//! Development and test control, served only when `control_enabled`:
//! `POST /_control/rotate-keys` and `GET /_control/stats`.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::no_store_json;
use crate::state::AppState;

pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/_control/rotate-keys", post(rotate_keys))
        .route("/_control/stats", get(stats))
}

/// Signs with a new key from now on; the old one stays in the JWKS for `key_grace`.
async fn rotate_keys(State(state): State<Arc<AppState>>) -> Response {
    let kid = state.keys.rotate();
    no_store_json(&json!({ "kid": kid }))
}

/// Requests counted since start.
async fn stats(State(state): State<Arc<AppState>>) -> Response {
    no_store_json(&json!({
        "jwks_requests": state.jwks_requests.load(Ordering::Relaxed),
        "token_requests": state.token_requests.load(Ordering::Relaxed),
    }))
}
