//! The HTTP server: its settings, the middleware stack every BFF shares, and the admin listener.
//!
//! The listener loop ([`serve_with`]: connection cap, per-connection deadlines, protocols,
//! graceful shutdown) is in `listen`; the caller owns the listener (tests bind `127.0.0.1:0`) and
//! the shutdown future.

mod activity;
mod idle;
mod limit;
mod listen;
mod socket;

pub use limit::{default_max_connections, descriptor_limit, max_connections_for};
pub use listen::{Draining, ServeOptions, serve, serve_with};

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::problem::{self, Problem};
use crate::protect::{ClientRateLimiter, LoadShedder, RateLimitSettings};
use crate::request_id;

/// Where and how a BFF listens.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to bind. Default `127.0.0.1`; containers set `0.0.0.0`. Env `…__SERVER__HOST`.
    pub host: IpAddr,
    /// Port to bind. Env `…__SERVER__PORT`.
    pub port: u16,
    /// Longest a request may take end to end before a 503 problem. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Longest a client may take to send a request head (slowloris defence); the first request's
    /// counts from the accept, so a connection that sends nothing, or only part of an HTTP/2
    /// preface, is closed after it too. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// How long an idle connection waits for its next request (HTTP/1 keep-alive, HTTP/2 with no
    /// stream open). Keep it above the idle timeout of a load balancer in front, so that the
    /// balancer closes first and never sends on a connection being closed. Default `75s`.
    #[serde(default = "default_keep_alive_timeout", with = "humantime_serde")]
    pub keep_alive_timeout: Duration,
    /// How long an idle HTTP/1 keep-alive connection keeps its per-connection buffers (about
    /// 16 KiB) before it is parked: only the socket then waits, and the next request's first
    /// byte brings the rest back (thousands of idle browser and app connections cost little).
    /// `0s`: never parked. Default `1s`.
    #[serde(default = "default_park_idle_after", with = "humantime_serde")]
    pub park_idle_after: Duration,
    /// Connections held at once; more are answered 503 and closed (counted in
    /// `http_connections_refused_total`). Default: three quarters of the descriptor limit
    /// (`ulimit -n`), at least 64 descriptors kept for the rest.
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Serve cleartext HTTP/2 (prior knowledge, h2c) on the public port besides HTTP/1.1. Behind
    /// a load balancer that speaks HTTP/1.1 to its targets (the usual case) it is not needed.
    /// Default `false`: an HTTP/2 preface is refused like any malformed head.
    #[serde(default)]
    pub http2_cleartext: bool,
    /// With `http2_cleartext`: streams one HTTP/2 connection may have open at once. Default `100`.
    #[serde(default = "default_http2_max_concurrent_streams")]
    pub http2_max_concurrent_streams: u32,
    /// How long in-flight requests get to finish after SIGTERM. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
    /// After SIGTERM, how long the BFF keeps serving while `/readyz` answers 503, so that load
    /// balancers take it out of rotation before the listener closes. Default `0s`; behind a
    /// balancer that probes readiness, set it above the time the balancer takes to notice
    /// (Kubernetes: probe period × failure threshold).
    #[serde(default, with = "humantime_serde")]
    pub drain_delay: Duration,
    /// Largest request body accepted (413 above). Default `65536`.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers) accepted. Default `16384`.
    pub max_header_bytes: usize,
    /// Responses smaller than this are not compressed. Default `1024`.
    pub compression_min_bytes: u64,
    /// Requests served at once; more are shed with 503 + `Retry-After`. Default `1024`.
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Per-client rate limit (429 + `Retry-After`), and the trusted proxies.
    #[serde(default)]
    pub rate_limit: RateLimitSettings,
    /// Whose inbound `traceparent` is continued: `trusted_proxies` (a request whose peer is one
    /// of `rate_limit.trusted_proxies`), `always` (a relaxation, logged) or `never`; other
    /// requests start a trace. Default `trusted_proxies`.
    #[serde(default)]
    pub trust_inbound_traceparent: crate::trace_context::TraceparentTrust,
    /// Port of the admin listener, which serves `GET /metrics` and `GET /readyz` (bound on
    /// `host` like the public port: expose it to the scraper and the orchestrator only).
    /// Default: the public port + 1000 (8080 → 9080);
    /// `0` picks a free one.
    #[serde(default)]
    pub admin_port: Option<u16>,
    /// Serve `GET /metrics` and `GET /readyz` on the public port instead, to anyone who can
    /// reach it, and no admin listener: a relaxation, logged at start-up. Default `false`.
    #[serde(default)]
    pub metrics_on_public_port: bool,
}

fn default_max_in_flight() -> usize {
    1024
}

fn default_keep_alive_timeout() -> Duration {
    Duration::from_secs(75)
}

fn default_park_idle_after() -> Duration {
    Duration::from_secs(1)
}

fn default_http2_max_concurrent_streams() -> u32 {
    100
}

impl ServerSettings {
    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        use crate::config::ConfigError;
        self.rate_limit.validate()?;
        if self.header_read_timeout.is_zero() {
            return Err(ConfigError::invalid(
                "server.header_read_timeout",
                "must be above 0",
            ));
        }
        if self.keep_alive_timeout.is_zero() {
            return Err(ConfigError::invalid(
                "server.keep_alive_timeout",
                "must be above 0",
            ));
        }
        if self.max_connections == Some(0) {
            return Err(ConfigError::invalid(
                "server.max_connections",
                "must be at least 1",
            ));
        }
        if self.http2_max_concurrent_streams == 0 {
            return Err(ConfigError::invalid(
                "server.http2_max_concurrent_streams",
                "must be at least 1",
            ));
        }
        self.admin_addr().map(drop)
    }

    /// Logs (WARN) the connection settings that loosen a default or cannot hold: cleartext
    /// HTTP/2, a connection cap at or above the descriptor limit. Call once at start-up.
    pub fn log_connection_settings(&self) {
        let limit = descriptor_limit();
        let max_connections = self.max_connections.unwrap_or_else(default_max_connections);
        tracing::info!(
            max_connections,
            descriptor_limit = limit,
            "server.max_connections"
        );
        if let Some(limit) = limit
            && max_connections >= limit
        {
            tracing::warn!(
                max_connections,
                descriptor_limit = limit,
                "server.max_connections is not below the descriptor limit (ulimit -n): a flood \
                 of connections can make accept fail for every client; lower it or raise the limit"
            );
        }
        if self.http2_cleartext {
            tracing::warn!(
                "server.http2_cleartext: cleartext HTTP/2 (prior knowledge) is served on the \
                 public port"
            );
        }
    }

    /// The socket address to bind.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.host, self.port)
    }

    /// The admin listener's address; `None` when metrics are served on the public port. An
    /// error when the default (public port + 1000) does not exist.
    pub fn admin_addr(&self) -> Result<Option<SocketAddr>, crate::config::ConfigError> {
        if self.metrics_on_public_port {
            return Ok(None);
        }
        let port = match (self.admin_port, self.port) {
            (Some(port), _) => port,
            (None, 0) => 0,
            (None, public) => public.checked_add(1000).ok_or_else(|| {
                crate::config::ConfigError::invalid(
                    "server.admin_port",
                    "the default (server.port + 1000) is above 65535: set it",
                )
            })?,
        };
        Ok(Some(SocketAddr::new(self.host, port)))
    }
}

/// Binds the admin listener the settings ask for, or logs (WARN) that `/metrics` is public; also
/// logs the connection settings ([`ServerSettings::log_connection_settings`]), as both BFFs call
/// it once at start-up.
pub async fn bind_admin(settings: &ServerSettings) -> anyhow::Result<Option<TcpListener>> {
    use anyhow::Context as _;
    settings.log_connection_settings();
    let Some(addr) = settings.admin_addr()? else {
        tracing::warn!(
            "server.metrics_on_public_port: /metrics and /readyz (which names every upstream) \
             are served on the public port, to anyone who can reach it"
        );
        return Ok(None);
    };
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (server.admin_port)"))?;
    tracing::info!(address = %listener.local_addr()?, "admin listener (/metrics, /readyz)");
    Ok(Some(listener))
}

/// [`serve_with`] `app` on `listener`, and the admin routes (`/metrics`, plus `admin_routes`:
/// the BFF's `/readyz`) on `admin` (if any) until the app has stopped, so metrics stay scrapable
/// and readiness answers `draining` while it drains.
pub async fn serve_with_admin(
    listener: TcpListener,
    app: Router,
    admin: Option<TcpListener>,
    admin_routes: Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The admin listener's requests carry the public listener's drain state (the extension
    // replaces the admin server's own, which never drains before the app has stopped).
    let draining = Draining::default();
    let shutdown = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            draining.start();
        }
    };
    let (stop_admin, admin_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(admin) = admin {
        let admin_routes = admin_routes.layer(axum::Extension(draining));
        tokio::spawn(async move {
            let stopped = async {
                let _ = admin_stopped.await;
            };
            if let Err(error) = serve_admin(admin, admin_routes, stopped).await {
                tracing::warn!(%error, "the admin listener failed");
            }
        });
    }
    let served = serve_with(listener, app, options, shutdown).await;
    drop(stop_admin);
    served
}

/// Serves the admin routes (`GET /metrics` and `routes`, e.g. `/readyz`) on `listener` until
/// `shutdown` resolves; anything else is a 404 problem.
pub async fn serve_admin(
    listener: TcpListener,
    routes: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let admin = crate::metrics::routes()
        .merge(routes)
        .fallback(|| async { Problem::new(StatusCode::NOT_FOUND).into_response() });
    serve(listener, admin, shutdown).await
}

/// A BFF's public listener: its `routes`, `/healthz`, and `admin` (`/readyz`, which names every
/// upstream) only when the settings serve the admin endpoints publicly
/// (`metrics_on_public_port`); all in the shared middleware [`stack`].
pub fn public_app(routes: Router, admin: Router, settings: &ServerSettings) -> Router {
    let routes = routes.merge(crate::health::liveness());
    let routes = if settings.metrics_on_public_port {
        routes.merge(admin)
    } else {
        routes
    };
    stack(routes, settings)
}

/// Wraps a BFF's routes in the shared middleware stack; each layer's comment says why it sits
/// where it does.
pub fn stack(app: Router, settings: &ServerSettings) -> Router {
    let compress_when = SizeAbove::new(settings.compression_min_bytes)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    let request_timeout = settings.request_timeout;
    let rate_limiter = settings
        .rate_limit
        .enabled
        .then(|| ClientRateLimiter::new(&settings.rate_limit));
    let shedder = LoadShedder::new(settings.max_in_flight, rate_limiter);
    let edge = request_id::Edge::new(
        settings.rate_limit.proxies(),
        settings.trust_inbound_traceparent,
    );
    // Per-route metrics, inside routing where the matched route is known; served on the admin
    // listener unless the settings relax that.
    // The recorder is installed now, before the first request is counted.
    crate::metrics::handle();
    let app = app.route_layer(middleware::from_fn(crate::metrics::track));
    let app = if settings.metrics_on_public_port {
        app.merge(crate::metrics::routes())
    } else {
        app
    };
    // One stack around the whole router, outermost first. Per request each layer clones only
    // what it wraps (the router itself is an `Arc`); `Router::layer` would wrap every route in
    // its own copy of the stack and clone (and box) all of it on every request.
    let service = ServiceBuilder::new()
        // Outermost: the request id, client address and log span cover everything below,
        // panics included.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            edge.clone().middleware(req, next)
        }))
        // Every answer, refusals included, is read as the type it declares: a browser never
        // sniffs a JSON error or an upstream-sourced text into something it would run.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Shed load above the concurrency limit before any work is done, then refuse a client
        // over its rate before it costs anything more.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            shedder.clone().middleware(req, next)
        }))
        // Compress large responses for clients that accept br, zstd or gzip.
        .layer(CompressionLayer::new().compress_when(compress_when))
        // A panic becomes a generic 500 problem; the process keeps serving.
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal().into_response()
        }))
        // The answer's own checks, one layer (see `answer_checks` for their order and why).
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            answer_checks(request_timeout, req, next)
        }))
        // Innermost: bodies above the limit are refused (413) before a handler buffers them.
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        .service(app);
    Router::new().fallback_service(service)
}

/// The checks every answer goes through, outermost first:
/// - errors produced by axum and tower-http (rejections, 404, 405, 413) speak problem+json;
/// - successful GETs are tagged and a match answered 304, before compression sees the body;
/// - a query string that is not UTF-8 once decoded is refused, not searched as U+FFFD;
/// - every request is bounded: a handler that overruns becomes a 503 problem, not a hang.
///
/// Plain functions over the next step, in one `from_fn`: a `from_fn` per check cloned the rest
/// of the stack and boxed a future and a service on every request.
async fn answer_checks(limit: Duration, request: Request, next: Next) -> Response {
    problem_for_bare_errors(request, |request| {
        crate::etag::tagged(request, |request| async move {
            match refusal_of_query_that_is_not_utf8(&request) {
                Some(refusal) => refusal,
                None => enforce_timeout(limit, next.run(request)).await,
            }
        })
    })
    .await
}

fn refusal_of_query_that_is_not_utf8(request: &Request) -> Option<Response> {
    let query = request.uri().query()?;
    (!decodes_to_utf8(query)).then(|| {
        Problem::bad_request("The query string is not valid UTF-8 once percent-decoded.")
            .into_response()
    })
}

/// Whether the query percent-decodes to UTF-8 (the extractors would otherwise replace bad
/// bytes with U+FFFD silently). `&`, `=` and `+` are ASCII, so the whole string is valid exactly
/// when every name and value is: one pass, no splitting.
fn decodes_to_utf8(query: &str) -> bool {
    percent_encoding::percent_decode_str(query)
        .decode_utf8()
        .is_ok()
}

async fn enforce_timeout(limit: Duration, answer: impl Future<Output = Response>) -> Response {
    match tokio::time::timeout(limit, answer).await {
        Ok(response) => response,
        Err(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_detail("The request took too long.")
            .with_retry_after(1)
            .into_response(),
    }
}

/// Marks an error response whose body is deliberate (a page's own "not found" in HTML), so
/// the stack keeps it instead of replacing it with a problem. Insert it into the response's
/// extensions.
#[derive(Debug, Clone, Copy)]
pub struct DeliberateErrorBody;

/// Replaces a 4xx/5xx response that is not already problem+json (axum's extractor rejections,
/// the 404 fallback, 405, 413) with a problem of the same status and a generic detail, so clients
/// see one error format and rejection texts never echo their input. A response marked
/// [`DeliberateErrorBody`] is kept as it is.
async fn problem_for_bare_errors<F>(request: Request, next: impl FnOnce(Request) -> F) -> Response
where
    F: Future<Output = Response>,
{
    let response = next(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<DeliberateErrorBody>().is_some()
    {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(problem::CONTENT_TYPE.as_bytes()));
    if is_problem {
        return response;
    }
    let detail = match status {
        StatusCode::NOT_FOUND => "No such route.",
        StatusCode::METHOD_NOT_ALLOWED => "This route does not accept this method.",
        StatusCode::PAYLOAD_TOO_LARGE => "The request body is too large.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as application/json.",
        s if s.is_client_error() => "The request is malformed.",
        _ => "An unexpected error occurred.",
    };
    let mut problem = Problem::new(status).with_detail(detail);
    if let Some(allow) = response.headers().get(header::ALLOW) {
        problem = problem.with_header(header::ALLOW, allow.clone());
    }
    problem.into_response()
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// What browsers and caches may do with a personal answer (profile, cart): nothing.
pub const PERSONAL: &str = "private, no-store";

/// A response layer for personal routes (`middleware::map_response(shared::server::personal)`):
/// every answer, problems included, is the user's own and never stored anywhere.
pub async fn personal(response: Response) -> Response {
    cache_control(response, PERSONAL)
}

/// Sets `Cache-Control` on a response; screens say deliberately how long clients may keep them.
pub fn cache_control(mut response: Response, value: &'static str) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}
