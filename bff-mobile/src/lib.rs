//! bff-mobile: the storefront's Backend-for-Frontend for the native app.
//!
//! Compact payloads: one image URL per card picked for the screen, short texts, versioned routes.
//! The app signs its users in itself (authorization code + PKCE with the identity provider, RFC
//! 8252) and sends their access token as `Authorization: Bearer`; this BFF validates it
//! (`shared::auth`) and forwards that same token to accounts and recommendations.
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
//! - [`openapi`] — the contract: the OpenAPI document derived from the routes and views,
//!   served at `GET /openapi.json`.
//!
//! [`build`] makes the whole app from settings, as `main` and the tests do.
//!
//! # Routes
//! Every route is under `/v1`, behind the version gate (which runs before authentication).
//! - `GET /v1/home` — featured cards and popular cards; with a valid bearer token the popular
//!   shelf is personalised and named `for_you` instead of `popular`, and the response is
//!   `Cache-Control: private`. An invalid token is a 401, never the anonymous screen. The
//!   response always varies on `Authorization`.
//! - `GET /v1/products/{id}`, `GET /v1/search?q=&cursor=` — public screens.
//! - `GET /v1/me` — `{"name", "email"}` of the token's user.
//! - `GET /v1/cart`, `POST /v1/cart/items` (`{"product_id", "quantity"}`),
//!   `DELETE /v1/cart/items/{id}` — the user's cart, compact.
//!
//! The last four require a bearer token (`Authorization` header only: never the query string,
//! never a cookie): none → 401 `WWW-Authenticate: Bearer`; an invalid one → 401
//! `WWW-Authenticate: Bearer error="invalid_token"`, before any upstream call. Their answers,
//! problems included, are `Cache-Control: private, no-store`.

pub mod cursor;
pub mod device;
pub mod images;
pub mod openapi;
pub mod screens;
pub mod settings;
pub mod text;
pub mod version;
pub mod views;

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::FromRef;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use shared::auth::TokenValidator;
use shared::auth::token_exchange::{ExchangeSettings, TokenExchanger};
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
    /// Validates the app's bearer tokens (the extractors `AuthUser` and `MaybeAuthUser` find it
    /// here).
    pub validator: Arc<TokenValidator>,
}

impl AppState {
    /// Builds the upstream clients and the token validator, which discovers the identity
    /// provider and fetches its keys. A provider that cannot be reached now is discovered when
    /// the first token arrives (tokens get 503 until then); one that contradicts the settings
    /// fails the start.
    pub async fn new(settings: Settings) -> anyhow::Result<Self> {
        for warning in settings.startup_warnings() {
            tracing::warn!("{warning}");
        }
        let mut upstreams = Upstreams::new(&settings.upstreams)?;
        if let Some(exchanger) = token_exchanger(&settings).await? {
            upstreams = upstreams.with_token_exchange(&exchanger, &settings.upstreams);
        }
        let upstreams = Arc::new(upstreams);
        let validator = TokenValidator::from_settings(&settings.auth.jwt)
            .await
            .with_context(|| {
                format!(
                    "cannot set up token validation for the issuer {}",
                    settings.auth.jwt.issuer
                )
            })?;
        Ok(Self {
            upstreams,
            screen_cache: ScreenCache::new(&settings.screen_cache),
            settings: Arc::new(settings),
            validator: Arc::new(validator),
        })
    }
}

/// The exchanger of the app's tokens for the upstreams' audiences, when any upstream has one:
/// the `auth.token_exchange` client at the token issuer.
async fn token_exchanger(settings: &Settings) -> anyhow::Result<Option<TokenExchanger>> {
    if !settings.upstreams.exchanges_tokens() {
        return Ok(None);
    }
    let (jwt, client) = (&settings.auth.jwt, &settings.auth.token_exchange);
    let secret = client
        .client_secret
        .clone()
        .context("auth.token_exchange.client_secret is required for token exchange")?;
    let exchanger = TokenExchanger::start(ExchangeSettings {
        issuer: jwt.issuer.clone(),
        backchannel_url: jwt.backchannel_url.clone(),
        client_id: client.client_id.clone(),
        client_secret: secret,
        timeout: jwt.jwks.timeout,
        max_body_bytes: jwt.jwks.max_bytes,
        discovery_cooldown: jwt.jwks.refresh_cooldown,
    })
    .await?;
    Ok(Some(exchanger))
}

impl FromRef<AppState> for Arc<TokenValidator> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.validator)
    }
}

/// Builds the app (clients, token validation, routes, middleware) from settings.
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
    let server = state.settings.server.clone();
    // The version gate wraps the app's routes only: probes and metrics are never refused.
    let v1 = screens::routes().layer(middleware::from_fn_with_state(
        state.settings.app.min_version,
        version::gate,
    ));
    let routes = Router::new()
        .nest("/v1", v1)
        // The contract, outside the gate: any build may read it.
        .merge(openapi::routes())
        .with_state(state.clone());
    // `/readyz` on the admin listener ([`admin_routes`]) unless the settings say otherwise.
    shared::server::public_app(routes, admin_routes(&state), &server)
}

/// The admin listener's routes besides `/metrics`: `/readyz`, which reports every upstream's
/// reachability and whether the identity provider has been discovered.
pub fn admin_routes(state: &AppState) -> Router {
    shared::health::Readiness::new(state.upstreams.clone())
        .reporting_provider(state.validator.clone())
        .routes()
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
