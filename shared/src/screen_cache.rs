//! Rendered screens: the final bytes of a public screen, kept exactly as long as every upstream
//! answer it was built from is fresh in the shared response cache.
//!
//! A screen whose upstream answers are all cache hits still costs their lookups, the view's
//! assembly and its serialisation; served from here it costs one lookup. What is kept:
//! - only `200` answers of complete screens (nothing `degraded`, nothing served stale);
//! - only screens built from shared cache entries ([`crate::aggregate::Screen::shared_until`]):
//!   a personal answer (a call with the user's token), a `no-store`/`private` one, or any from an
//!   upstream whose cache is off makes the screen unkeepable;
//! - until the earliest of those answers stops being fresh, so a kept screen is never older than
//!   what the upstream caches would give.
//!
//! The key is the screen's name and every input its answer depends on (the caller builds it
//! from its typed inputs: id, device class, …). Every answer that passes through [`ScreenCache::keep`]
//! gets its `ETag` here, so the `ETag` middleware compares tags instead of hashing bodies.
//!
//! A handler builds its screen in a future of its own, boxed, after the lookup
//! (`Box::pin(build(…)).await`): a screen's future is kilobytes (its calls in flight), and axum
//! copies the handler's whole future into a box per request, so a hit would otherwise pay for
//! a screen it never builds.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes, to_bytes};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::aggregate::Screen;
use crate::upstream::cache::{AtTheirTime, Expires};

/// The rendered-screen cache. Env `…__SCREEN_CACHE__<KEY>`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreenCacheSettings {
    /// Whether complete public screens are kept. Default `true`.
    pub enabled: bool,
    /// Upper bound of the kept bodies' total size, in bytes. Default `8388608` (8 MiB).
    pub max_bytes: u64,
}

impl Default for ScreenCacheSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_bytes: 8 * 1024 * 1024,
        }
    }
}

/// A rendered screen: its headers (`Content-Type`, `Cache-Control`, `ETag`, `Vary`, …) and body.
struct Rendered {
    headers: HeaderMap,
    body: Bytes,
    until: Instant,
}

/// A kept screen leaves when its earliest source stops being fresh.
impl Expires for Rendered {
    fn expires_at(&self) -> Instant {
        self.until
    }
}

/// The rendered screens of one BFF, shared by its handlers. One `Arc`: the app state holding
/// it is cloned per request, and a moka cache's handle is several reference counts.
#[derive(Clone)]
pub struct ScreenCache(Arc<Kept>);

struct Kept {
    entries: Option<moka::sync::Cache<String, Arc<Rendered>>>,
    hits: metrics::Counter,
    kept: metrics::Counter,
}

impl std::fmt::Debug for ScreenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreenCache")
            .field("enabled", &self.0.entries.is_some())
            .finish_non_exhaustive()
    }
}

impl ScreenCache {
    /// An empty cache, or one that keeps nothing when `settings.enabled` is false.
    pub fn new(settings: &ScreenCacheSettings) -> Self {
        let entries = settings.enabled.then(|| {
            moka::sync::Cache::builder()
                .max_capacity(settings.max_bytes)
                .weigher(|key: &String, entry: &Arc<Rendered>| {
                    u32::try_from(key.len() + entry.body.len()).unwrap_or(u32::MAX)
                })
                .expire_after(AtTheirTime)
                .build()
        });
        // The handles are resolved once: a hit costs no registry lookup.
        crate::metrics::handle();
        Self(Arc::new(Kept {
            entries,
            hits: metrics::counter!("screen_cache_total", "result" => "hit"),
            kept: metrics::counter!("screen_cache_total", "result" => "kept"),
        }))
    }

    /// The kept screen for `key`, while it is fresh.
    pub fn get(&self, key: &str) -> Option<Response> {
        let rendered = self.0.entries.as_ref()?.get(key)?;
        if Instant::now() >= rendered.until {
            return None;
        }
        self.0.hits.increment(1);
        let mut response = Response::new(Body::from(rendered.body.clone()));
        *response.headers_mut() = rendered.headers.clone();
        Some(response)
    }

    /// Tags `response` (a screen's answer) with its `ETag` and keeps it under `key` when the
    /// screen allows it ([`Screen::shared_until`]) and the answer is a public `200`.
    pub async fn keep(&self, key: String, screen: &Screen, response: Response) -> Response {
        if response.status() != StatusCode::OK {
            return response;
        }
        let (mut parts, body) = response.into_parts();
        // A screen's body is already in memory: this only takes it out.
        let Ok(body) = to_bytes(body, usize::MAX).await else {
            return crate::problem::Problem::internal().into_response();
        };
        parts
            .headers
            .insert(header::ETAG, crate::etag::tag_of(&body));
        let public = parts
            .headers
            .get(header::CACHE_CONTROL)
            .is_some_and(|value| value.as_bytes().starts_with(b"public"));
        if let (Some(entries), Some(until), true) = (&self.0.entries, screen.shared_until(), public)
        {
            self.0.kept.increment(1);
            entries.insert(
                key,
                Arc::new(Rendered {
                    headers: parts.headers.clone(),
                    body: body.clone(),
                    until,
                }),
            );
        }
        Response::from_parts(parts, Body::from(body))
    }
}
