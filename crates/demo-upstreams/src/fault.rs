//! What makes the demo upstreams misbehave on purpose: injected latency and errors from
//! configuration, faults switched on at run time, and the `/_control` routes that switch them.
//!
//! BFFs are judged by how they cope with slow and broken upstreams, so every service can be made
//! slow (a log-normal latency, the shape real services have), flaky (a 503 rate), or broken in a
//! specific way ([`Fault`]) for all routes or for some path prefixes. `/healthz` and
//! `/_control/*` are exempt, so a test can always reach the switch and probes stay green.

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use rand::Rng;
use rand_distr::{Distribution, LogNormal};
use serde::{Deserialize, Serialize};
use shared::problem::Problem;
use tokio::sync::watch;

use crate::config::LatencySettings;
use crate::error::{ApiError, Json};

/// The header in which a caller says how many milliseconds it will still wait.
pub const DEADLINE_HEADER: &str = "x-request-deadline-ms";

/// A way for a service to break, as set by `PUT /_control/fault` or
/// [`crate::testing::RunningService::set_fault`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fault {
    /// Behave normally (configured latency and error rate still apply).
    #[default]
    None,
    /// Wait this long before handling the request normally; not capped by the caller's deadline
    /// (a slow upstream that ignores deadlines is what this simulates).
    Delay(Duration),
    /// Never answer: the request hangs until the client gives up or the server stops.
    Hang,
    /// Answer with this status and a problem body.
    Status(u16),
    /// Answer 200 with `Content-Type: application/json` and a body that is not JSON.
    Garbage,
    /// Send 200 headers and the start of a body, then cut the connection.
    Reset,
    /// Send 200 and a JSON-looking body that never ends.
    Endless,
}

/// A fault and the path prefixes it is limited to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultSpec {
    /// What goes wrong.
    pub fault: Fault,
    /// Path prefixes the fault applies to (`/products/search`); empty means every route.
    pub routes: Vec<String>,
}

impl FaultSpec {
    /// Whether the fault applies to a request for `path`.
    pub fn applies_to(&self, path: &str) -> bool {
        self.fault != Fault::None
            && (self.routes.is_empty() || self.routes.iter().any(|r| path.starts_with(r.as_str())))
    }
}

/// Shared switch of one service's fault, plus the release that ends hung requests when the
/// service stops (so graceful shutdown never waits on a request designed to never finish).
#[derive(Debug, Clone)]
pub struct FaultHandle {
    inner: Arc<FaultInner>,
}

#[derive(Debug)]
struct FaultInner {
    spec: Mutex<FaultSpec>,
    released: watch::Sender<bool>,
}

impl Default for FaultHandle {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultHandle {
    /// A handle with no fault set.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(FaultInner {
                spec: Mutex::new(FaultSpec::default()),
                released: watch::Sender::new(false),
            }),
        }
    }

    /// Applies `fault` to every route (replacing any previous fault).
    pub fn set(&self, fault: Fault) {
        self.set_spec(FaultSpec {
            fault,
            routes: Vec::new(),
        });
    }

    /// Applies `fault` to paths starting with one of `routes` only.
    pub fn set_for_routes<R: Into<String>>(
        &self,
        fault: Fault,
        routes: impl IntoIterator<Item = R>,
    ) {
        self.set_spec(FaultSpec {
            fault,
            routes: routes.into_iter().map(Into::into).collect(),
        });
    }

    /// Replaces the current fault.
    pub fn set_spec(&self, spec: FaultSpec) {
        *self
            .inner
            .spec
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = spec;
    }

    /// The current fault.
    pub fn current(&self) -> FaultSpec {
        self.inner
            .spec
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Ends every hung request and endless body, now and in future; called when the service
    /// stops.
    pub fn release_all(&self) {
        self.inner.released.send_replace(true);
    }

    /// Resolves once [`Self::release_all`] has been called.
    pub(crate) async fn released(&self) {
        let mut receiver = self.inner.released.subscribe();
        let _ = receiver.wait_for(|released| *released).await;
    }
}

/// One request as it arrived, for assertions in tests.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The request method.
    pub method: Method,
    /// Path and query exactly as sent (`/products?ids=p00001,p00002`).
    pub path_and_query: String,
    /// The request headers as they arrived.
    pub headers: HeaderMap,
}

/// Counts requests (for `/_control/stats`) and keeps the most recent ones (for tests).
#[derive(Debug, Clone)]
pub struct RequestLog {
    inner: Arc<LogInner>,
}

#[derive(Debug)]
struct LogInner {
    total: AtomicU64,
    since_reset: AtomicUsize,
    capacity: usize,
    entries: Mutex<VecDeque<RecordedRequest>>,
}

impl RequestLog {
    /// A log keeping at most `capacity` recent requests (0: count only, as the binary does).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(LogInner {
                total: AtomicU64::new(0),
                since_reset: AtomicUsize::new(0),
                capacity,
                entries: Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Requests since start, `/healthz` and `/_control/*` excluded; never reset.
    pub fn total(&self) -> u64 {
        self.inner.total.load(Ordering::Relaxed)
    }

    /// Requests since start or the last [`Self::reset`].
    pub fn hits(&self) -> usize {
        self.inner.since_reset.load(Ordering::Relaxed)
    }

    /// The kept requests, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.entries().iter().cloned().collect()
    }

    /// Forgets the kept requests and restarts [`Self::hits`] at zero.
    pub fn reset(&self) {
        let mut entries = self.entries();
        entries.clear();
        self.inner.since_reset.store(0, Ordering::Relaxed);
    }

    fn record(&self, request: &Request) {
        self.inner.total.fetch_add(1, Ordering::Relaxed);
        if self.inner.capacity == 0 {
            self.inner.since_reset.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let entry = RecordedRequest {
            method: request.method().clone(),
            path_and_query: request
                .uri()
                .path_and_query()
                .map_or_else(|| request.uri().path().to_owned(), ToString::to_string),
            headers: request.headers().clone(),
        };
        let mut entries = self.entries();
        if entries.len() == self.inner.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
        // Counted under the lock so that hits() and requests() agree after a reset.
        self.inner.since_reset.fetch_add(1, Ordering::Relaxed);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, VecDeque<RecordedRequest>> {
        self.inner
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a path is exempt from faults, injection and the request log.
pub(crate) fn is_exempt(path: &str) -> bool {
    path == "/healthz" || path == "/_control" || path.starts_with("/_control/")
}

/// Samples injected latency: log-normal with the configured median and p99.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LatencyModel {
    median: Duration,
    distribution: Option<LogNormal<f64>>,
}

/// The standard normal quantile at 0.99.
const Z_99: f64 = 2.326_347_874_040_841;

/// Upper bound of one injected wait, whatever the distribution's tail says.
const MAX_LATENCY: Duration = Duration::from_secs(60);

impl LatencyModel {
    pub fn new(settings: LatencySettings) -> Self {
        let median = settings.median.as_secs_f64();
        let p99 = settings.p99.as_secs_f64();
        let distribution = (median > 0.0 && p99 > median)
            .then(|| LogNormal::new(median.ln(), (p99.ln() - median.ln()) / Z_99).ok())
            .flatten();
        Self {
            median: settings.median,
            distribution,
        }
    }

    /// One wait.
    pub fn sample(&self) -> Duration {
        match &self.distribution {
            Some(distribution) => {
                let seconds = distribution.sample(&mut rand::rng());
                Duration::try_from_secs_f64(seconds)
                    .unwrap_or(MAX_LATENCY)
                    .min(MAX_LATENCY)
            }
            None => self.median,
        }
    }
}

/// What [`inject`] needs: the fault switch and the configured misbehaviour.
#[derive(Debug, Clone)]
pub(crate) struct Injection {
    pub fault: FaultHandle,
    pub latency: LatencyModel,
    pub error_rate: f64,
}

/// Counts every request but the exempt ones. Sits outside [`inject`], so requests that meet a
/// fault are counted too.
pub(crate) async fn record(
    State(log): State<RequestLog>,
    request: Request,
    next: Next,
) -> Response {
    if !is_exempt(request.uri().path()) {
        log.record(&request);
    }
    next.run(request).await
}

/// Applies the current fault, then the injected latency (capped by the caller's deadline) and
/// error rate, before the request reaches its handler.
pub(crate) async fn inject(
    State(injection): State<Injection>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if is_exempt(path) {
        return next.run(request).await;
    }
    let spec = injection.fault.current();
    if spec.applies_to(path) {
        match spec.fault {
            Fault::None => {}
            Fault::Delay(wait) => tokio::time::sleep(wait).await,
            Fault::Hang => {
                injection.fault.released().await;
                return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                    .with_detail("the service is shutting down")
                    .into_response();
            }
            Fault::Status(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                return Problem::new(status)
                    .with_detail("injected fault")
                    .into_response();
            }
            Fault::Garbage => return garbage(),
            Fault::Reset => return reset(),
            Fault::Endless => return endless(injection.fault.clone()),
        }
    }

    let wait = injection.latency.sample();
    let deadline = request
        .headers()
        .get(DEADLINE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_millis);
    if let Some(deadline) = deadline.filter(|deadline| wait > *deadline) {
        tokio::time::sleep(deadline).await;
        return Problem::gateway_timeout("the answer would have taken longer than the deadline")
            .into_response();
    }
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    if injection.error_rate > 0.0 && rand::rng().random_bool(injection.error_rate) {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
            .with_detail("injected error")
            .into_response();
    }
    next.run(request).await
}

fn json_ok(body: Body) -> Response {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// 200, declared JSON, but an HTML error page: what a misconfigured proxy sends.
fn garbage() -> Response {
    json_ok(Body::from(
        "<html><head><title>502 Bad Gateway</title></head>\n<body>upstream sent garbage {\"items\": [</body></html>\n",
    ))
}

/// 200 headers and a first chunk, then the connection is cut.
fn reset() -> Response {
    let chunks = futures::stream::unfold(0_u8, |step| async move {
        match step {
            0 => Some((
                Ok(Bytes::from_static(
                    b"{\"items\":[{\"id\":\"p00001\",\"name\":\"",
                )),
                1,
            )),
            1 => {
                // Let hyper flush the headers and first chunk before the cut.
                tokio::time::sleep(Duration::from_millis(20)).await;
                Some((
                    Err(io::Error::new(
                        io::ErrorKind::ConnectionReset,
                        "injected reset",
                    )),
                    2,
                ))
            }
            _ => None,
        }
    });
    json_ok(Body::from_stream(chunks))
}

/// 200 and an array that never closes, about 4 MB/s, until the client gives up or the service
/// stops (then the connection is cut).
fn endless(fault: FaultHandle) -> Response {
    const ITEM: &str = "{\"id\":\"p00001\",\"name\":\"endless\"},";
    let chunk = Bytes::from(ITEM.repeat(4096 / ITEM.len()));
    let chunks = futures::stream::unfold(0_u64, move |n| {
        let (fault, chunk) = (fault.clone(), chunk.clone());
        async move {
            if n == 0 {
                return Some((Ok(Bytes::from_static(b"{\"items\":[")), 1));
            }
            tokio::select! {
                () = fault.released() => Some((Err(io::Error::other("service stopped")), n + 1)),
                () = tokio::time::sleep(Duration::from_millis(1)) => Some((Ok(chunk), n + 1)),
            }
        }
    });
    json_ok(Body::from_stream(chunks))
}

/// `PUT /_control/fault` and `GET /_control/stats` (and `GET /_control/fault` to read back).
pub(crate) fn control_routes(fault: FaultHandle, log: RequestLog) -> Router {
    Router::new()
        .route(
            "/_control/fault",
            put(put_fault).get(get_fault).with_state(fault),
        )
        .route("/_control/stats", get(stats).with_state(log))
}

/// The wire form of a fault.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FaultBody {
    mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    routes: Option<Vec<String>>,
}

impl TryFrom<FaultBody> for FaultSpec {
    type Error = ApiError;

    fn try_from(body: FaultBody) -> Result<Self, ApiError> {
        let fault = match body.mode.as_str() {
            "none" => Fault::None,
            "delay" => {
                let ms = body.ms.ok_or(ApiError::BadRequest("delay needs ms"))?;
                if ms > 600_000 {
                    return Err(ApiError::BadRequest("ms must be at most 600000"));
                }
                Fault::Delay(Duration::from_millis(ms))
            }
            "hang" => Fault::Hang,
            "status" => {
                let status = body
                    .status
                    .ok_or(ApiError::BadRequest("status needs status"))?;
                if !(200..=599).contains(&status) {
                    return Err(ApiError::BadRequest("status must be between 200 and 599"));
                }
                Fault::Status(status)
            }
            "garbage" => Fault::Garbage,
            "reset" => Fault::Reset,
            "endless" => Fault::Endless,
            _ => {
                return Err(ApiError::BadRequest(
                    "mode is one of none, delay, hang, status, garbage, reset, endless",
                ));
            }
        };
        let routes = body.routes.unwrap_or_default();
        if routes.iter().any(|r| !r.starts_with('/')) {
            return Err(ApiError::BadRequest(
                "routes are path prefixes starting with /",
            ));
        }
        Ok(Self { fault, routes })
    }
}

impl From<FaultSpec> for FaultBody {
    fn from(spec: FaultSpec) -> Self {
        let (mode, ms, status) = match spec.fault {
            Fault::None => ("none", None, None),
            Fault::Delay(wait) => ("delay", Some(wait.as_millis() as u64), None),
            Fault::Hang => ("hang", None, None),
            Fault::Status(status) => ("status", None, Some(status)),
            Fault::Garbage => ("garbage", None, None),
            Fault::Reset => ("reset", None, None),
            Fault::Endless => ("endless", None, None),
        };
        Self {
            mode: mode.to_owned(),
            ms,
            status,
            routes: (!spec.routes.is_empty()).then_some(spec.routes),
        }
    }
}

async fn put_fault(
    State(fault): State<FaultHandle>,
    Json(body): Json<FaultBody>,
) -> Result<StatusCode, ApiError> {
    let spec = FaultSpec::try_from(body)?;
    tracing::info!(fault = ?spec.fault, routes = ?spec.routes, "fault set");
    fault.set_spec(spec);
    Ok(StatusCode::NO_CONTENT)
}

async fn get_fault(State(fault): State<FaultHandle>) -> axum::Json<FaultBody> {
    axum::Json(fault.current().into())
}

#[derive(Serialize)]
struct Stats {
    requests: u64,
}

async fn stats(State(log): State<RequestLog>) -> axum::Json<Stats> {
    axum::Json(Stats {
        requests: log.total(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_samples_have_the_configured_median_and_tail() {
        let model = LatencyModel::new(LatencySettings {
            median: Duration::from_millis(20),
            p99: Duration::from_millis(100),
        });
        let mut samples: Vec<Duration> = (0..20_000).map(|_| model.sample()).collect();
        samples.sort();
        let median = samples[10_000].as_secs_f64() * 1000.0;
        let p99 = samples[19_800].as_secs_f64() * 1000.0;
        assert!((18.0..22.0).contains(&median), "median {median}");
        assert!((80.0..125.0).contains(&p99), "p99 {p99}");
    }

    #[test]
    fn a_p99_at_or_below_the_median_means_a_constant_wait() {
        let model = LatencyModel::new(LatencySettings {
            median: Duration::from_millis(5),
            p99: Duration::from_millis(5),
        });
        assert_eq!(model.sample(), Duration::from_millis(5));
        assert_eq!(
            LatencyModel::new(LatencySettings::ZERO).sample(),
            Duration::ZERO
        );
    }

    #[test]
    fn a_fault_limited_to_routes_applies_to_their_prefixes_only() {
        let spec = FaultSpec {
            fault: Fault::Hang,
            routes: vec!["/products/search".to_owned()],
        };
        assert!(spec.applies_to("/products/search"));
        assert!(!spec.applies_to("/products/p00001"));
        assert!(!FaultSpec::default().applies_to("/products/search"));
    }
}
