//! What every BFF of the workspace needs, written once.
//!
//! A BFF crate owns its screens: which upstream calls each makes and how the payload is shaped
//! for its client. Everything else, the plumbing, lives here.
//!
//! # Layout
//! - [`mod@config`] — layered settings (defaults, file, `PREFIX__…` environment variables).
//! - [`cli`] — the start-up every BFF binary shares: `--health-check`, `--check-config`,
//!   settings, logging, listeners, serve until SIGTERM.
//! - [`upstream`] — one typed client per upstream service over a pooled `reqwest` client, with
//!   timeouts, deadline propagation, byte caps and typed decoding; the wire types live here.
//! - [`auth`] — bearer-token validation (JWKS, RFC 9068 access tokens, extractors), the web
//!   BFF's OIDC client, server-side sessions and `return_to` sanitising.
//! - [`aggregate`] — a [`aggregate::Screen`]'s deadline and its critical and optional sections.
//! - [`cards`] — product shelves from one batched call per upstream; [`cart`] — the cart screens'
//!   accounts call and the products of a cart's lines.
//! - [`ids`] — validated path and query identifiers ([`ids::ProductId`] is also the `{id}`
//!   path extractor); [`cart_line`] — the validated body that adds a line to a cart.
//! - [`etag`] — `ETag` and `304 Not Modified` for every GET; [`json`] — JSON response bodies.
//! - [`problem`] — RFC 9457 errors toward clients; [`openapi`] — their OpenAPI responses and
//!   what the shared stack adds to every operation of a BFF's contract.
//! - [`metrics`] — Prometheus metrics per route and per upstream, `GET /metrics`.
//! - [`protect`] — load shedding and per-client rate limits.
//! - [`redact`] — `Debug` that shows only the fields named ([`debug_showing!`]).
//! - [`request_id`] — request ids in logs, problems, responses and upstream calls.
//! - [`server`] — the listener loop (header-read timeout), the shared middleware stack, shutdown.
//! - [`health`] — `/healthz` and `/readyz`.
//! - [`hex`] — lowercase hex of digests.
//! - [`trace_context`] — W3C `traceparent` continued inbound and propagated to upstreams.
//! - [`telemetry`] — logging.
//! - With the `test-helpers` feature: `raw_client` (raw TCP probes for the attack suites) and
//!   `redis_server` (a `redis-server` per test), `test_server` (an app on port 0, reading its
//!   answers), `test_suite` (one suite against several backends).
//!
//! Errors: libraries here use `thiserror` enums; binaries use `anyhow` only at start-up.

pub mod aggregate;
pub mod auth;
pub mod cards;
pub mod cart;
pub mod cart_line;
pub mod cli;
pub mod config;
pub mod etag;
pub mod health;
pub mod hex;
#[cfg(feature = "test-helpers")]
pub mod hot_path;
pub mod ids;
pub mod json;
pub mod metrics;
pub mod openapi;
pub mod problem;
pub mod protect;
#[cfg(feature = "test-helpers")]
pub mod raw_client;
pub mod redact;
#[cfg(feature = "test-helpers")]
pub mod redis_server;
pub mod request_id;
pub mod screen_cache;
pub mod server;
pub mod telemetry;
#[cfg(feature = "test-helpers")]
pub mod test_server;
#[cfg(feature = "test-helpers")]
pub mod test_suite;
pub mod trace_context;
pub mod upstream;
