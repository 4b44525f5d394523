//! The HTTP surface: one module per endpoint, and [`app`], which assembles them.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use url::Url;

use crate::error;
use crate::html;
use crate::state::AppState;

mod authorize;
mod control;
mod discovery;
mod end_session;
mod revoke;
mod token;
mod token_exchange;
mod userinfo;

/// Form bodies larger than this are refused; OAuth requests are a few hundred bytes.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// The scopes this provider knows.
pub(crate) const SCOPES_SUPPORTED: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The provider's routes over `state`.
pub(crate) fn app(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::configuration),
        )
        .route("/jwks", get(discovery::jwks))
        .route("/authorize", get(authorize::authorize))
        .route("/login", post(authorize::login))
        .route("/token", post(token::token))
        .route(
            "/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/revoke", post(revoke::revoke))
        .route(
            "/end_session",
            get(end_session::end_session_get).post(end_session::end_session_post),
        )
        .route("/healthz", get(healthz));
    if state.config.control_enabled {
        router = router.merge(control::routes());
    }
    router
        .fallback(error::no_such_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        // Innermost: bound what a handler may buffer.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Outermost: request id, log span and one log line per request, for every route.
        .layer(middleware::from_fn(shared::request_id::middleware))
        .with_state(state)
}

async fn healthz() -> Response {
    shared::server::cache_control(
        Json(serde_json::json!({ "status": "ok" })).into_response(),
        "no-store",
    )
}

/// A browser redirect to `uri` with `params` appended to its query (existing query kept).
/// `uri` is a registered redirect URI, already matched exactly.
pub(crate) fn redirect(status: StatusCode, uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(uri) else {
        return html::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The registered redirect URI is not a valid URL.",
        );
    };
    if !params.is_empty() {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
    }
    let Ok(location) = HeaderValue::from_str(url.as_str()) else {
        return html::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The redirect URI cannot be sent in a header.",
        );
    };
    html::with_page_headers((status, [(header::LOCATION, location)]).into_response())
}

/// A JSON response that no cache may keep (tokens, user data, counters).
pub(crate) fn no_store_json<T: serde::Serialize>(value: &T) -> Response {
    let mut response = Json(value).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
