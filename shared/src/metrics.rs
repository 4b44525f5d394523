//! Prometheus metrics: per route (requests by status, latency) and per upstream (calls by
//! outcome, latency), served at `GET /metrics`.
//!
//! One process-wide recorder, installed on first use, so several apps in one test process share it.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
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
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(started.elapsed().as_secs_f64());
    response
}

/// Records one upstream call: its outcome (`ok` or an error kind) and latency.
pub fn record_upstream(upstream: &'static str, outcome: &'static str, elapsed: Duration) {
    metrics::counter!("upstream_requests_total", "upstream" => upstream, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("upstream_request_duration_seconds", "upstream" => upstream)
        .record(elapsed.as_secs_f64());
}

/// Records a section a screen had to leave out.
pub fn record_degraded(section: &'static str) {
    metrics::counter!("screen_sections_degraded_total", "section" => section).increment(1);
}
