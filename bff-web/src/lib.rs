//! bff-web: the storefront's Backend-for-Frontend for the desktop browser.
//!
//! Rich payloads: full product detail, every image rendition as a `srcset`, facets. It is also
//! the browser's OpenID Connect client (the BFF security pattern): it signs users in, keeps
//! their tokens in server-side sessions and calls the accounts service with them; the browser
//! only ever holds an opaque `HttpOnly` session cookie.
//!
//! # Layout
//! - [`settings`] — what can be configured, and the defaults.
//! - [`auth`] — login, callback, logout and session routes; cookies; the CSRF defence; the
//!   [`auth::SignedIn`] extractor.
//! - [`screens`] — one module per screen: which upstream calls it makes, concurrently, and
//!   which of them are optional.
//! - [`views`] — the JSON the browser receives, shaped for its pages.
//! - [`openapi`] — the contract: the OpenAPI document derived from the routes and views,
//!   served at `GET /openapi.json`.
//! - [`graphql`] — the GraphQL endpoint (`/graphql`) over the same clients and sections.
//! - [`storefront`] — the storefront page itself (`/`, `/products/{id}`, `/search`, `/cart`),
//!   embedded in the binary.
//!
//! [`build`] makes the whole app from settings, as `main` does; tests that need to reach into
//! the sessions use [`AppState::new`] and [`app`].
//!
//! # Routes
//! - `GET /api/home` — hero, categories, 24 featured and 12 popular cards.
//! - `GET /api/products/{id}` — full detail, offer, rating, first 10 reviews, 12 related cards,
//!   breadcrumbs.
//! - `GET /api/products/{id}/reviews?offset=` — further pages of reviews (the `next` link).
//! - `GET /api/search?q=&category=&sort=&page=` — 24 cards per page with facets.
//! - `GET /api/me`, `GET /api/cart`, `POST /api/cart/items`, `DELETE /api/cart/items/{id}` —
//!   the signed-in user's profile and cart (401 when anonymous).
//! - `POST /graphql` (and `GET /graphql` for persisted queries) — the same data as one GraphQL
//!   schema (`bff-web/schema.graphql`), see [`graphql`].
//! - `GET /auth/login`, `GET /auth/callback`, `POST /auth/logout`, `GET /auth/session` — see
//!   [`auth`].
//!
//! Every `/api` route and `POST /auth/logout` require `X-CSRF: 1` and refuse
//! `Sec-Fetch-Site: cross-site` (403 problem, no upstream call). There is no CORS layer: the
//! pages are served from the BFF's own origin. Public screens answer
//! `Cache-Control: public, max-age=30` when complete (`no-cache` when a section is degraded),
//! personal ones `private, no-store`, and RFC 9457 problems otherwise.

pub mod auth;
pub mod graphql;
pub mod openapi;
pub mod screens;
pub mod settings;
pub mod storefront;
pub mod views;

use shared::auth::token_exchange::{ExchangeSettings, TokenExchanger};
use std::sync::Arc;

use axum::Router;
use shared::screen_cache::ScreenCache;
use shared::upstream::Upstreams;

pub use settings::Settings;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The upstream clients.
    pub upstreams: Arc<Upstreams>,
    /// The settings the app was built from.
    pub settings: Arc<Settings>,
    /// Rendered public screens, kept while their upstream answers are fresh.
    pub screen_cache: ScreenCache,
    /// The OpenID client, the sessions and the cookie policy.
    pub auth: Arc<auth::Auth>,
}

impl AppState {
    /// Builds the clients from settings: discovers the identity provider (an unreachable one is
    /// logged and retried on demand) and connects the session store (it fails when the store
    /// cannot be reached, or the provider contradicts the settings). Logs a WARN for each
    /// development value in the settings ([`Settings::startup_warnings`]).
    pub async fn new(settings: Settings) -> anyhow::Result<Self> {
        for warning in settings.startup_warnings() {
            tracing::warn!("{warning}");
        }
        let mut upstreams = Upstreams::new(&settings.upstreams)?;
        if settings.upstreams.exchanges_tokens() {
            let exchanger = TokenExchanger::start(exchange_settings(&settings.oidc.client)).await?;
            upstreams = upstreams.with_token_exchange(&exchanger, &settings.upstreams);
        }
        let upstreams = Arc::new(upstreams);
        let auth = Arc::new(auth::Auth::new(&settings).await?);
        Ok(Self {
            upstreams,
            screen_cache: ScreenCache::new(&settings.screen_cache),
            settings: Arc::new(settings),
            auth,
        })
    }
}

/// The session's access token is exchanged (RFC 8693) as this BFF's own OIDC client, at the
/// same provider.
fn exchange_settings(oidc: &shared::auth::OidcSettings) -> ExchangeSettings {
    ExchangeSettings {
        issuer: oidc.issuer.clone(),
        backchannel_url: oidc.backchannel_url.clone(),
        client_id: oidc.client_id.clone(),
        client_secret: oidc.client_secret.clone(),
        timeout: oidc.timeout,
        max_body_bytes: oidc.max_body_bytes,
        discovery_cooldown: oidc.jwks.refresh_cooldown,
    }
}

/// Builds the app (clients, routes, middleware) from settings.
pub async fn build(settings: Settings) -> anyhow::Result<Router> {
    Ok(app(AppState::new(settings).await?))
}

/// Builds the public app and the admin routes from settings, as `main` serves them
/// ([`shared::cli::run`]).
pub async fn build_apps(settings: Settings) -> anyhow::Result<shared::cli::Apps> {
    let state = AppState::new(settings).await?;
    Ok(shared::cli::Apps::of(state, admin_routes, app))
}

/// The routes and the shared middleware stack around them.
pub fn app(state: AppState) -> Router {
    let server = state.settings.server.common.clone();
    let routes = Router::new()
        .nest("/api", screens::routes())
        .merge(auth::routes())
        .merge(openapi::routes())
        .merge(storefront::routes(&state.settings.storefront))
        .with_state(state.clone())
        .merge(graphql::routes(&state));
    // `/readyz` on the admin listener ([`admin_routes`]) unless the settings say otherwise.
    shared::server::public_app(routes, admin_routes(&state), &server)
}

/// The admin listener's routes besides `/metrics`: `/readyz`, which reports every upstream's
/// reachability and whether the identity provider has been discovered.
pub fn admin_routes(state: &AppState) -> Router {
    shared::health::Readiness::new(state.upstreams.clone())
        .reporting_provider(state.auth.clone())
        .routes()
}
