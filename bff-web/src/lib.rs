//! bff-web: the storefront's Backend-for-Frontend for the desktop browser.
//!
//! Rich payloads: full product detail, every image rendition as a `srcset`, facets.
//!
//! # Layout
//! - [`settings`] — what can be configured, and the defaults.
//! - [`screens`] — one module per screen: which upstream calls it makes, concurrently, and
//!   which of them are optional.
//! - [`views`] — the JSON the browser receives, shaped for its pages.
//!
//! [`build`] makes the whole app from settings, as `main` and the tests do.
//!
//! # Routes
//! - `GET /api/home` — hero, categories, 24 featured and 12 popular cards.
//! - `GET /api/products/{id}` — full detail, offer, rating, first 10 reviews, 12 related cards,
//!   breadcrumbs.
//! - `GET /api/products/{id}/reviews?offset=` — further pages of reviews (the `next` link).
//! - `GET /api/search?q=&category=&sort=&page=` — 24 cards per page with facets.
//!
//! Every screen answers `Cache-Control: public, max-age=30` when complete (`no-cache` when a
//! section is degraded), and RFC 9457 problems otherwise.

pub mod screens;
pub mod settings;
pub mod views;

use std::sync::Arc;

use axum::Router;
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
    let routes = Router::new()
        .nest("/api", screens::routes())
        .with_state(state.clone())
        .merge(shared::health::routes(state.upstreams.clone()));
    shared::server::stack(routes, &server)
}
