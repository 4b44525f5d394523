//! Prometheus metrics: per route (requests by status, latency) and per upstream (calls by
//! outcome, latency), served at `GET /metrics`.
//!
//! One process-wide recorder, installed on first use, so several apps in one test process share it.

use std::collections::HashMap;
use std::sync::{LazyLock, OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: fine below 100 ms where a BFF should live, coarse above.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The global recorder's handle, installing it on first call.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".to_owned()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is already installed: render ours anyway, empty.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// `GET /metrics` in the Prometheus text format.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    handle();
    Router::new().route("/metrics", get(render))
}

async fn render() -> Response {
    let mut response = handle().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

/// Route-level middleware (apply with `route_layer`, where the matched route is known):
/// counts requests by route, method and status, and records their latency.
pub async fn track(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let route = matched.as_ref().map_or("unmatched", MatchedPath::as_str);
    let (requests, duration) = route_series(route, &method, response.status().as_u16());
    requests.increment(1);
    duration.record(started.elapsed().as_secs_f64());
    // The outer layers run before routing: the route reaches them (the server span's name)
    // with the response.
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// The request counter and latency histogram of one route, method and status.
type RouteSeries = (metrics::Counter, metrics::Histogram);
/// The kept series, by route, then method and status.
type KeptSeries = HashMap<Box<str>, HashMap<(Method, u16), RouteSeries>>;

/// The series of `route`, `method` and `status`, registered on first use and then kept: building
/// a series' key from its labels allocates about twenty times, once per request otherwise.
/// Methods outside the standard ones are not kept (a client could invent any number of them).
fn route_series(route: &str, method: &Method, status: u16) -> RouteSeries {
    static KEPT: LazyLock<RwLock<KeptSeries>> = LazyLock::new(RwLock::default);
    let standard = matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::POST
            | Method::PUT
            | Method::DELETE
            | Method::PATCH
            | Method::OPTIONS
    );
    let key = (method.clone(), status);
    if standard && let Some(series) = read(&KEPT).get(route).and_then(|by| by.get(&key)) {
        return series.clone();
    }
    let labels = [
        ("route", route.to_owned()),
        ("method", method.as_str().to_owned()),
        ("status", status.to_string()),
    ];
    let series = (
        metrics::counter!("http_requests_total", &labels),
        metrics::histogram!("http_request_duration_seconds", &labels[..2]),
    );
    if standard {
        write(&KEPT)
            .entry(Box::from(route))
            .or_default()
            .insert(key, series.clone());
    }
    series
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One upstream's call metrics: the handles of its successful calls and its latency, looked up
/// once (see [`UpstreamSeries::record`]).
#[derive(Debug, Clone)]
pub struct UpstreamSeries {
    upstream: &'static str,
    ok: metrics::Counter,
    duration: metrics::Histogram,
}

impl UpstreamSeries {
    /// The series of `upstream`.
    pub fn new(upstream: &'static str) -> Self {
        handle();
        Self {
            upstream,
            ok: metrics::counter!("upstream_requests_total", "upstream" => upstream, "outcome" => "ok"),
            duration: metrics::histogram!("upstream_request_duration_seconds", "upstream" => upstream),
        }
    }

    /// Records one upstream call: its outcome (`ok` or an error kind) and latency.
    pub fn record(&self, outcome: &'static str, elapsed: Duration) {
        if outcome == "ok" {
            self.ok.increment(1);
        } else {
            metrics::counter!("upstream_requests_total", "upstream" => self.upstream, "outcome" => outcome)
                .increment(1);
        }
        self.duration.record(elapsed.as_secs_f64());
    }
}

/// Records a section a screen had to leave out.
pub fn record_degraded(section: &'static str) {
    metrics::counter!("screen_sections_degraded_total", "section" => section).increment(1);
}
