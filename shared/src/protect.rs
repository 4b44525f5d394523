//! Inbound protection: load shedding above a concurrency limit (503 + `Retry-After`) and a
//! per-client rate limit (429 + `Retry-After`).
//!
//! Both answer before any work is done, so an overloaded or abused BFF stays responsive to the
//! clients within their share. The client is the TCP peer's IP address: forwarded-for headers are
//! client-controlled and never trusted for this.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;
use tokio::sync::Semaphore;

use crate::problem::Problem;

/// Per-client rate limit. Env `…__SERVER__RATE_LIMIT__<KEY>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitSettings {
    /// Whether requests are limited per client IP. Default `true`.
    pub enabled: bool,
    /// Sustained requests per second per client. Default `100`.
    pub per_second: u32,
    /// Requests a client may send at once above the sustained rate. Default `200`.
    pub burst: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            per_second: 100,
            burst: 200,
        }
    }
}

/// Sheds requests above `max_in_flight` concurrent ones.
#[derive(Debug, Clone)]
pub struct LoadShedder {
    permits: Arc<Semaphore>,
}

impl LoadShedder {
    /// Allows `max_in_flight` requests at once.
    pub fn new(max_in_flight: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_in_flight.max(1))),
        }
    }

    /// Middleware: a 503 problem with `Retry-After: 1` when the BFF is at capacity.
    pub async fn middleware(self, request: Request, next: Next) -> Response {
        let Ok(_permit) = self.permits.try_acquire() else {
            metrics::counter!("http_requests_refused_total", "reason" => "overloaded").increment(1);
            return Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                .with_detail("The service is at capacity; retry shortly.")
                .with_retry_after(1)
                .into_response();
        };
        next.run(request).await
    }
}

/// Limits requests per client IP address.
#[derive(Debug, Clone)]
pub struct ClientRateLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU64>,
}

impl ClientRateLimiter {
    /// A limiter with the configured sustained rate and burst.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let per_second = NonZeroU32::new(settings.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.burst).unwrap_or(per_second);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_second(per_second).allow_burst(burst),
            )),
            checks: Arc::default(),
        }
    }

    /// Middleware: a 429 problem with `Retry-After` when the client is over its rate.
    pub async fn middleware(self, request: Request, next: Next) -> Response {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        if let Some(ip) = peer {
            // Forget idle clients now and then, so the table stays small.
            if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
                self.limiter.retain_recent();
                self.limiter.shrink_to_fit();
            }
            if let Err(not_until) = self.limiter.check_key(&ip) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                metrics::counter!("http_requests_refused_total", "reason" => "rate_limited")
                    .increment(1);
                return Problem::new(StatusCode::TOO_MANY_REQUESTS)
                    .with_detail("Too many requests; slow down.")
                    .with_retry_after(wait.as_secs().max(1))
                    .into_response();
            }
        }
        next.run(request).await
    }
}
