//! The HTTP server: the listener loop with real header-read timeouts, the middleware stack every
//! BFF shares, and graceful shutdown.
//!
//! `axum::serve` installs no timer, so hyper's header-read timeout would be inert and a slowloris
//! client could hold connections forever; [`serve`] drives hyper-util directly with a Tokio timer.
//! The caller owns the listener (tests bind `127.0.0.1:0`) and the shutdown future.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use serde::Deserialize;
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::problem::{self, Problem};
use crate::protect::{ClientRateLimiter, LoadShedder, RateLimitSettings};
use crate::request_id;

/// Where and how a BFF listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to bind. Default `127.0.0.1`; containers set `0.0.0.0`. Env `…__SERVER__HOST`.
    pub host: IpAddr,
    /// Port to bind. Env `…__SERVER__PORT`.
    pub port: u16,
    /// Longest a request may take end to end before a 503 problem. Default `10s`.
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
    /// Longest a client may take to send its request headers (slowloris defence). Default `5s`.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
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

impl ServerSettings {
    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        self.rate_limit.validate()?;
        self.admin_addr().map(drop)
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

/// Binds the admin listener the settings ask for, or logs (WARN) that `/metrics` is public.
pub async fn bind_admin(settings: &ServerSettings) -> anyhow::Result<Option<TcpListener>> {
    use anyhow::Context as _;
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
            draining.0.store(true, Ordering::Relaxed);
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

/// Wraps a BFF's routes in the shared middleware stack; each layer's comment says why it sits
/// where it does.
pub fn stack(app: Router, settings: &ServerSettings) -> Router {
    let compress_when = SizeAbove::new(settings.compression_min_bytes)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    let request_timeout = settings.request_timeout;
    let shedder = LoadShedder::new(settings.max_in_flight);
    let edge = request_id::Edge::new(
        settings.rate_limit.proxies(),
        settings.trust_inbound_traceparent,
    );
    let rate_limiter = settings
        .rate_limit
        .enabled
        .then(|| ClientRateLimiter::new(&settings.rate_limit));
    // Layers run outside-in in the reverse order of `.layer` calls.
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
    let app = app
        // Innermost: bodies above the limit are refused (413) before a handler buffers them.
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes))
        // Bound every request; a handler that overruns becomes a 503 problem, not a hang.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            enforce_timeout(request_timeout, req, next)
        }))
        // A query string that is not UTF-8 once decoded is refused, not searched as U+FFFD.
        .layer(middleware::from_fn(refuse_query_that_is_not_utf8))
        // Tag successful GETs and answer 304 on a match, before compression sees the body.
        .layer(middleware::from_fn(crate::etag::middleware))
        // Errors produced by axum and tower-http (rejections, 404, 405, 413) speak problem+json.
        .layer(middleware::from_fn(problem_for_bare_errors))
        // A panic becomes a generic 500 problem; the process keeps serving.
        .layer(CatchPanicLayer::custom(|_| {
            Problem::internal().into_response()
        }))
        // Compress large responses for clients that accept br, zstd or gzip.
        .layer(CompressionLayer::new().compress_when(compress_when));
    // Refuse a client over its rate before it costs anything more.
    let app = match rate_limiter {
        Some(limiter) => app.layer(middleware::from_fn(move |req: Request, next: Next| {
            limiter.clone().middleware(req, next)
        })),
        None => app,
    };
    app
        // Shed load above the concurrency limit before any work is done.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            shedder.clone().middleware(req, next)
        }))
        // Every answer, refusals included, is read as the type it declares: a browser never
        // sniffs a JSON error or an upstream-sourced text into something it would run.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Outermost: the request id, client address and log span cover everything above,
        // panics included.
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            edge.clone().middleware(req, next)
        }))
}

async fn refuse_query_that_is_not_utf8(request: Request, next: Next) -> Response {
    match request.uri().query() {
        Some(query) if !decodes_to_utf8(query) => {
            Problem::bad_request("The query string is not valid UTF-8 once percent-decoded.")
                .into_response()
        }
        _ => next.run(request).await,
    }
}

/// Whether the query percent-decodes to UTF-8 (the extractors would otherwise replace bad
/// bytes with U+FFFD silently). `&`, `=` and `+` are ASCII, so the whole string is valid exactly
/// when every name and value is: one pass, no splitting.
fn decodes_to_utf8(query: &str) -> bool {
    percent_encoding::percent_decode_str(query)
        .decode_utf8()
        .is_ok()
}

async fn enforce_timeout(limit: Duration, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
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
async fn problem_for_bare_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
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

/// Connection-level limits of [`serve_with`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Longest a client may take to send its request headers.
    pub header_read_timeout: Duration,
    /// Largest request head accepted.
    pub max_header_bytes: usize,
    /// How long in-flight requests get to finish after shutdown starts.
    pub shutdown_grace: Duration,
    /// How long new requests are still served, with `/readyz` answering 503, before the
    /// listener closes.
    pub drain_delay: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            max_header_bytes: 16 * 1024,
            shutdown_grace: Duration::from_secs(10),
            drain_delay: Duration::ZERO,
        }
    }
}

impl From<&ServerSettings> for ServeOptions {
    fn from(settings: &ServerSettings) -> Self {
        Self {
            header_read_timeout: settings.header_read_timeout,
            max_header_bytes: settings.max_header_bytes,
            shutdown_grace: settings.shutdown_grace,
            drain_delay: settings.drain_delay,
        }
    }
}

/// [`serve_with`] the default options.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, &ServeOptions::default(), shutdown).await
}

/// Serves `app` on `listener` until `shutdown` resolves; then, for `options.drain_delay`, keeps
/// serving with `/readyz` answering 503; then closes the listener and lets in-flight requests
/// finish for up to `options.shutdown_grace`. Each request carries the peer's [`ConnectInfo`].
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(options.max_header_bytes.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
    let graceful = GracefulShutdown::new();
    let draining = Draining::default();
    let drain_delay = options.drain_delay;
    let stop = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            if !drain_delay.is_zero() {
                draining.0.store(true, Ordering::Relaxed);
                tracing::info!(
                    ?drain_delay,
                    "draining: /readyz answers 503, requests still served"
                );
                tokio::time::sleep(drain_delay).await;
            }
        }
    };
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Usually EMFILE: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let draining = draining.clone();
        let service =
            app.clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.extensions_mut().insert(draining.clone());
                    request
                });
        let service = hyper_util::service::TowerToHyperService::new(service);
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(options.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; dropping remaining connections");
    }
    Ok(())
}

/// Whether the server is draining before shutdown; in every request's extensions, so that
/// readiness fails first and balancers stop sending while everything else is still served.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// True from the shutdown signal until the listener closes.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
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
