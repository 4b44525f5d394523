//! bff-mobile: the storefront's Backend-for-Frontend for the native app.
//!
//! Compact payloads: one image URL per card picked for the screen, short texts, versioned routes.
//!
//! # Layout
//! - [`settings`] — what can be configured, and the defaults.
//! - [`screens`] — one module per screen: which upstream calls it makes, concurrently, and
//!   which of them are optional.
//! - [`views`] — the JSON the app receives, as small as its screens allow.
//! - [`version`] — the app version gate (`X-App-Version`, 426 for builds that must update).
//! - [`device`] — the device profile of a request (viewport, pixel density, `Save-Data`), and
//!   [`images`] — the rendition each image is sent in for it.
//! - [`text`] — summaries and excerpts cut at word boundaries; [`cursor`] — opaque search cursors.
//!
//! [`build`] makes the whole app from settings, as `main` and the tests do.

pub mod cursor;
pub mod device;
pub mod images;
pub mod screens;
pub mod settings;
pub mod text;
pub mod version;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use shared::upstream::Upstreams;

pub use settings::Settings;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The upstream clients.
    pub upstreams: Arc<Upstreams>,
    /// The settings the app was built from.
    pub settings: Arc<Settings>,
}

/// Builds the app (clients, routes, middleware) from settings.
pub fn build(settings: Settings) -> anyhow::Result<Router> {
    let upstreams = Arc::new(Upstreams::new(&settings.upstreams)?);
    Ok(app(AppState {
        upstreams,
        settings: Arc::new(settings),
    }))
}

/// The routes and the shared middleware stack around them.
pub fn app(state: AppState) -> Router {
    let server = state.settings.server.clone();
    // The version gate wraps the app's routes only: probes and metrics are never refused.
    let v1 = screens::routes().layer(middleware::from_fn_with_state(
        state.settings.app.min_version,
        version::gate,
    ));
    let routes = Router::new()
        .nest("/v1", v1)
        .with_state(state.clone())
        .merge(shared::health::routes(state.upstreams.clone()));
    shared::server::stack(routes, &server)
}

/// Adds `names` to the response's `Vary`, merged into one header line: the shared `ETag`
/// middleware copies only the first `Vary` line into a `304`, and a `304` must vary like the
/// `200` it stands for.
pub(crate) fn add_vary(response: &mut Response, names: &'static str) {
    let headers = response.headers_mut();
    let existing: Vec<&str> = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    let value = if existing.is_empty() {
        HeaderValue::from_static(names)
    } else {
        let merged = format!("{}, {names}", existing.join(", "));
        HeaderValue::from_str(&merged).unwrap_or(HeaderValue::from_static(names))
    };
    headers.insert(header::VARY, value);
}
