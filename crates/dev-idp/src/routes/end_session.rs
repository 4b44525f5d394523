//! `GET|POST /end_session` (OpenID Connect RP-Initiated Logout 1.0).
//!
//! A valid `id_token_hint` ends that sign-in: every refresh token family of its `sid` is
//! revoked. A `post_logout_redirect_uri` must match one registered for the client (named by
//! `client_id` or the hint's `aud`) exactly; otherwise an error page is shown and nothing
//! redirects. Without one, a "signed out" page is shown.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::redirect;
use crate::html;
use crate::params::{Params, is_form};
use crate::state::AppState;
use crate::tokens;

pub(crate) async fn end_session_get(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Response {
    match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => end_session(&state, &params),
        Err(_) => repeated(),
    }
}

pub(crate) async fn end_session_post(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match body {
        Ok(body) if is_form(&headers) => match Params::parse(&body) {
            Ok(params) => end_session(&state, &params),
            Err(_) => repeated(),
        },
        _ => html::error_page(StatusCode::BAD_REQUEST, "The logout form is malformed."),
    }
}

fn repeated() -> Response {
    html::error_page(
        StatusCode::BAD_REQUEST,
        "A parameter appears more than once in the logout request.",
    )
}

fn end_session(state: &AppState, params: &Params) -> Response {
    let page = |message: &str| html::error_page(StatusCode::BAD_REQUEST, message);
    let hint = match params.get("id_token_hint") {
        Some(token) => match tokens::verify_id_token_hint(state, token) {
            Some(claims) => Some(claims),
            None => return page("The id_token_hint is not an ID token issued by this provider."),
        },
        None => None,
    };
    let client_id = match (params.get("client_id"), &hint) {
        (Some(id), Some(hint)) if id != hint.aud => {
            return page("The client_id does not match the id_token_hint.");
        }
        (Some(id), _) => Some(id.to_owned()),
        (None, Some(hint)) => Some(hint.aud.clone()),
        (None, None) => None,
    };
    let target = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let Some(client) = client_id.as_deref().and_then(|id| state.client(id)) else {
                return page(
                    "A post_logout_redirect_uri needs the client_id or id_token_hint of a \
                     registered client.",
                );
            };
            if !client.post_logout_redirect_uris.iter().any(|u| u == uri) {
                return page(&format!(
                    "The post_logout_redirect_uri \"{uri}\" is not registered for client \"{}\" \
                     (it must match exactly).",
                    client.client_id
                ));
            }
            Some(uri)
        }
    };
    if let Some(hint) = &hint {
        let revoked = state.grants.end_session(&hint.sid);
        tracing::info!(user = hint.sub, revoked, "session ended");
    }
    match target {
        Some(uri) => {
            let mut query = Vec::new();
            if let Some(client_state) = params.get("state") {
                query.push(("state", client_state));
            }
            redirect(StatusCode::FOUND, uri, &query)
        }
        None => html::signed_out_page(),
    }
}
