//! The storefront's five demo upstream services: catalog, offers, reviews, recommendations and
//! accounts, as specified in `API.md` next to this crate.
//!
//! They stand in for an organisation's microservices so that the BFFs can be developed, tested
//! and demonstrated against real HTTP servers: deterministic data (the same ids, names and prices
//! on every machine), realistic payload sizes, injected latency and errors, and faults that can
//! be switched on per service at run time.
//!
//! # Layout
//! - [`config`] — settings: data seed and size, per-service port, latency and error rate.
//! - `data` / `vocab` — deterministic generation of products, offers, reviews and popularity,
//!   cached per `(seed, products)` for the whole process.
//! - `catalog`, `offers`, `reviews`, `recommendations`, [`accounts`] — one module per service,
//!   each exposing its routes; `images` draws the catalog's SVG renditions.
//! - [`fault`] — injected latency and errors, run-time faults, the request log and the
//!   `/_control` routes.
//! - `error` — the error enum (every error is a problem+json) and extractors that map axum's
//!   rejections to it.
//! - `testing` (feature `test-helpers`, never in the shipped binary's reach) — `TestUpstreams`:
//!   all five services on random ports for black-box tests, with fault switches, request logs
//!   and a verifier that trusts tokens as user handles.
//! - [`router`] assembles one service with its middleware stack; `main.rs` only wires
//!   configuration, telemetry, listeners and shutdown.
//!
//! Errors: handlers return `error::ApiError` (`thiserror`); the binary uses `anyhow` at start-up
//! only.

#![warn(missing_docs)]

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;

pub mod accounts;
mod batch;
mod catalog;
pub mod config;
mod data;
mod error;
pub mod fault;
mod images;
mod offers;
mod recommendations;
mod reviews;
#[cfg(any(test, feature = "test-helpers"))]
pub mod testing;
mod vocab;

use crate::accounts::{Carts, RefuseTokens, TokenVerifier};
use crate::config::DemoConfig;
use crate::data::Dataset;
use crate::fault::{FaultHandle, Injection, LatencyModel, RequestLog};

/// One of the five demo services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Products, categories, search, featured products, images (port 7001).
    Catalog,
    /// Prices, discounts, stock, delivery (port 7002).
    Offers,
    /// Reviews and ratings (port 7003).
    Reviews,
    /// Related and popular products (port 7004).
    Recommendations,
    /// Profile, cart, orders of the signed-in user (port 7005).
    Accounts,
}

impl Service {
    /// All services, in port order.
    pub const ALL: [Self; 5] = [
        Self::Catalog,
        Self::Offers,
        Self::Reviews,
        Self::Recommendations,
        Self::Accounts,
    ];

    /// The service's name as used on the command line and in settings (`catalog`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Offers => "offers",
            Self::Reviews => "reviews",
            Self::Recommendations => "recommendations",
            Self::Accounts => "accounts",
        }
    }

    /// The port the service listens on unless configured otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Catalog => 7001,
            Self::Offers => 7002,
            Self::Reviews => 7003,
            Self::Recommendations => 7004,
            Self::Accounts => 7005,
        }
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of the five services.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service (expected catalog, offers, reviews, recommendations or accounts)")]
pub struct UnknownService;

impl FromStr for Service {
    type Err = UnknownService;

    fn from_str(name: &str) -> Result<Self, UnknownService> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
            .ok_or(UnknownService)
    }
}

/// What one running service owns: settings, the (shared, cached) data, its fault switch,
/// request log, carts and token verifier. Cheap to clone.
#[derive(Clone)]
pub struct ServiceContext {
    config: Arc<DemoConfig>,
    dataset: Arc<Dataset>,
    fault: FaultHandle,
    log: RequestLog,
    carts: Arc<Carts>,
    verifier: Arc<dyn TokenVerifier>,
}

impl ServiceContext {
    /// A context for `config`, generating (or reusing) its dataset. The request log only counts
    /// requests; see [`Self::with_request_log`] to keep them.
    pub fn new(config: Arc<DemoConfig>) -> Self {
        let dataset = data::dataset(config.seed, config.products);
        Self {
            config,
            dataset,
            fault: FaultHandle::new(),
            log: RequestLog::with_capacity(0),
            carts: Arc::default(),
            verifier: Arc::new(RefuseTokens),
        }
    }

    /// Replaces the request log (tests keep the requests to assert on them).
    pub fn with_request_log(mut self, log: RequestLog) -> Self {
        self.log = log;
        self
    }

    /// Replaces the token verifier of accounts and recommendations (default:
    /// [`accounts::RefuseTokens`]; [`Self::verifying_tokens`] installs the real one).
    pub fn with_token_verifier(mut self, verifier: Arc<dyn TokenVerifier>) -> Self {
        self.verifier = verifier;
        self
    }

    /// Makes `service` verify bearer tokens of `config.auth.issuer` for its own audience
    /// (`auth.accounts_audience`, `auth.recommendations_audience`), when
    /// the service takes tokens (accounts, recommendations). A provider that cannot be reached
    /// yet is discovered when the first token arrives (until then tokens are refused), so the
    /// services may start before the provider.
    pub async fn verifying_tokens(
        self,
        service: Service,
    ) -> Result<Self, shared::auth::validator::ValidatorError> {
        let auth = &self.config.auth;
        let audience = match service {
            Service::Accounts => auth.accounts_audience.clone(),
            Service::Recommendations => auth.recommendations_audience.clone(),
            _ => return Ok(self),
        };
        let issuer = auth.issuer.clone();
        let backchannel = auth.backchannel_url.clone();
        let verifier = accounts::JwtVerifier::discover(&issuer, backchannel, &audience).await?;
        Ok(self.with_token_verifier(Arc::new(verifier)))
    }

    /// The settings the context was made from.
    pub fn config(&self) -> &DemoConfig {
        &self.config
    }

    /// The service's fault switch.
    pub fn fault(&self) -> &FaultHandle {
        &self.fault
    }

    /// The service's request log.
    pub fn request_log(&self) -> &RequestLog {
        &self.log
    }
}

/// The complete app of one service: its routes, `/healthz`, `/_control/*` (unless disabled),
/// problem+json fallbacks, and the middleware stack.
pub fn router(service: Service, ctx: &ServiceContext) -> Router {
    let data = Arc::clone(&ctx.dataset);
    let routes = match service {
        Service::Catalog => catalog::routes(data, &ctx.config.catalog.public_base_url),
        Service::Offers => offers::routes(data),
        Service::Reviews => reviews::routes(data),
        Service::Recommendations => recommendations::routes(data, Arc::clone(&ctx.verifier)),
        Service::Accounts => {
            accounts::routes(data, Arc::clone(&ctx.verifier), Arc::clone(&ctx.carts))
        }
    };
    let mut app = routes.route("/healthz", get(healthz));
    if ctx.config.control.enabled {
        app = app.merge(fault::control_routes(ctx.fault.clone(), ctx.log.clone()));
    }
    let injection = Injection {
        fault: ctx.fault.clone(),
        latency: LatencyModel::new(ctx.config.latency(service)),
        // Clamped: a test that sets 1.5 gets "always" rather than a panic per request.
        error_rate: ctx.config.error_rate(service).clamp(0.0, 1.0),
    };
    // Layers run outside-in in the reverse order of the `.layer` calls.
    app.fallback(error::no_such_route)
        .method_not_allowed_fallback(error::method_not_allowed)
        // Innermost: faults, latency and errors hit before any handler work, after counting.
        .layer(middleware::from_fn_with_state(injection, fault::inject))
        // Count every arrival, including those that then meet a fault.
        .layer(middleware::from_fn_with_state(
            ctx.log.clone(),
            fault::record,
        ))
        // Outermost: the request id is echoed and logged whatever happens inside.
        .layer(middleware::from_fn(shared::request_id::middleware))
}

async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// A service's caching policy on its routes.
pub(crate) trait CachePolicy {
    /// Sets `Cache-Control: policy` on the successful responses that do not choose their own
    /// ([`cache_control`]).
    fn cache_policy(self, policy: &'static str) -> Self;
}

impl CachePolicy for Router {
    fn cache_policy(self, policy: &'static str) -> Self {
        self.layer(middleware::from_fn_with_state(policy, cache_control))
    }
}

/// Middleware: sets `Cache-Control` to the route's policy on successful responses that do not
/// choose their own (errors carry `no-store` from the problem).
async fn cache_control(
    State(value): State<&'static str>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_parse_from_their_names_and_know_their_ports() {
        for service in Service::ALL {
            assert_eq!(service.name().parse::<Service>(), Ok(service));
            assert_eq!(service.to_string(), service.name());
        }
        assert_eq!("Catalog".parse::<Service>(), Ok(Service::Catalog));
        assert_eq!("nope".parse::<Service>(), Err(UnknownService));
        assert_eq!(Service::Accounts.default_port(), 7005);
    }
}
