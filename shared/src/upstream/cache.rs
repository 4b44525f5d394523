//! The response cache of upstream GETs, with request coalescing and `stale-if-error`.
//!
//! - Answers are stored **decoded** (typed), so a hit costs no JSON decoding.
//! - Freshness comes from the upstream's `Cache-Control`: `max-age` / `s-maxage` (capped by
//!   `max_ttl`); `no-store` and `private` answers are never stored (this cache is shared by all
//!   users); `no-cache` answers are stored but revalidated every time. Without `Cache-Control`
//!   nothing is stored.
//! - An expired entry with an `ETag` is revalidated with `If-None-Match`; a `304` refreshes it
//!   without a body or decoding.
//! - Identical GETs in flight at the same time share one upstream call (single flight).
//! - When the upstream fails, an expired entry is still served within its `stale-if-error`
//!   window (the upstream's directive, else `stale_if_error`); the screen is marked stale.
//! - Calls made with a user's token never go through this cache.

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use http::Uri;
use http::header::{HeaderValue, IF_NONE_MATCH};
use moka::Expiry;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tracing::Instrument;

use super::{CallContext, ErrorKind, UpstreamClient, UpstreamError};

/// The response cache of one upstream. Env `…__UPSTREAMS__<NAME>__CACHE__<KEY>`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Whether GET answers are cached and coalesced. Default `true`.
    pub enabled: bool,
    /// Upper bound of the cached bodies' total size, in bytes. Default `16777216` (16 MiB).
    pub max_bytes: u64,
    /// Longest an answer counts as fresh, whatever the upstream says. Default `5m`.
    #[serde(with = "humantime_serde")]
    pub max_ttl: Duration,
    /// How long past freshness an answer may be served when the upstream fails, unless the
    /// upstream sets its own `stale-if-error`. Default `60s`; `0s` disables.
    #[serde(with = "humantime_serde")]
    pub stale_if_error: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_bytes: 16 * 1024 * 1024,
            max_ttl: Duration::from_secs(300),
            stale_if_error: Duration::from_secs(60),
        }
    }
}

/// A decoded answer and how long it may be used.
struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    etag: Option<HeaderValue>,
    fresh_until: Instant,
    stale_until: Instant,
    /// Whether the answer was stored for everyone (`Cache-Control` allowed it).
    stored: bool,
    weight: u32,
}

/// A decoded answer from [`ResponseCache::get`].
pub(crate) struct Answer<T> {
    /// The value, shared with the cache.
    pub(crate) value: Arc<T>,
    /// Served past its freshness because the upstream failed.
    pub(crate) stale: bool,
    /// Until when the answer is fresh for every user; `None` when it was not stored (`no-store`,
    /// `private`, no `max-age`) or is stale: a screen built from it cannot be kept.
    pub(crate) shared_until: Option<Instant>,
}

impl Entry {
    fn shared_until(&self, stale: bool) -> Option<Instant> {
        (self.stored && !stale && Instant::now() < self.fresh_until).then_some(self.fresh_until)
    }
}

/// The shared answer of a call in flight: the entry and whether it is stale.
type SharedAnswer = Shared<BoxFuture<'static, Result<(Arc<Entry>, bool), UpstreamError>>>;

/// An upstream call in flight, which identical GETs join instead of making their own.
struct Flight {
    id: u64,
    deadline: tokio::time::Instant,
    answer: SharedAnswer,
}

impl Flight {
    /// A caller joins only a flight that has at least half of the caller's own time left: a
    /// flight started by a hurried screen must not fail a patient one with its timeout.
    fn can_serve(&self, caller_deadline: tokio::time::Instant) -> bool {
        let now = tokio::time::Instant::now();
        self.deadline.saturating_duration_since(now)
            >= caller_deadline.saturating_duration_since(now) / 2
    }
}

/// One upstream's cache and its calls in flight.
pub(crate) struct ResponseCache {
    name: &'static str,
    entries: moka::sync::Cache<String, Arc<Entry>>,
    in_flight: Mutex<HashMap<String, Flight>>,
    next_flight: AtomicU64,
    max_ttl: Duration,
    stale_if_error: Duration,
    /// The hits' counter, looked up once: a hit is the hot path of a cached screen.
    hits: metrics::Counter,
}

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("name", &self.name)
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

/// A cached value that knows when it stops being usable.
pub(crate) trait Expires {
    /// When the value leaves the cache.
    fn expires_at(&self) -> Instant;
}

/// Entries leave a moka cache at their own [`Expires::expires_at`] (this cache's and
/// [`crate::screen_cache`]'s).
pub(crate) struct AtTheirTime;

impl<K, V: Expires> Expiry<K, Arc<V>> for AtTheirTime {
    fn expire_after_create(
        &self,
        _key: &K,
        value: &Arc<V>,
        created_at: Instant,
    ) -> Option<Duration> {
        Some(value.expires_at().saturating_duration_since(created_at))
    }

    fn expire_after_update(
        &self,
        _key: &K,
        value: &Arc<V>,
        updated_at: Instant,
        _duration_until_expiry: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.expires_at().saturating_duration_since(updated_at))
    }
}

/// An entry leaves the cache when even its stale window is over.
impl Expires for Entry {
    fn expires_at(&self) -> Instant {
        self.stale_until
    }
}

impl ResponseCache {
    pub(crate) fn new(name: &'static str, settings: &CacheSettings) -> Self {
        Self {
            name,
            entries: moka::sync::Cache::builder()
                .max_capacity(settings.max_bytes)
                .weigher(|_key: &String, entry: &Arc<Entry>| entry.weight)
                .expire_after(AtTheirTime)
                .build(),
            in_flight: Mutex::new(HashMap::new()),
            next_flight: AtomicU64::new(0),
            max_ttl: settings.max_ttl,
            stale_if_error: settings.stale_if_error,
            hits: {
                crate::metrics::handle();
                metrics::counter!("upstream_cache_total", "upstream" => name, "result" => "hit")
            },
        }
    }

    /// The decoded answer for `uri`.
    pub(crate) async fn get<T>(
        self: &Arc<Self>,
        client: &UpstreamClient,
        route: &'static str,
        call: CallContext,
        uri: Uri,
    ) -> Result<Answer<T>, UpstreamError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        // Keyed by path and query (the cache is this upstream's) and the decoded type: two typed
        // views of one document (a product in full and its summary) are two entries, never one
        // type handed out as the other.
        let type_name = std::any::type_name::<T>();
        let target = uri.path_and_query().map_or("/", |target| target.as_str());
        let mut key = String::with_capacity(target.len() + 1 + type_name.len());
        key.push_str(target);
        key.push(' ');
        key.push_str(type_name);
        let cached = self.entries.get(&key);
        let fresh = cached
            .as_ref()
            .filter(|entry| Instant::now() < entry.fresh_until)
            .and_then(|entry| {
                let value = entry.value.clone().downcast::<T>().ok()?;
                Some(Answer {
                    value,
                    stale: false,
                    shared_until: entry.shared_until(false),
                })
            });
        if let Some(answer) = fresh {
            self.count("hit");
            return Ok(answer);
        }
        let deadline = call.deadline;
        let flight = {
            let mut in_flight = lock(&self.in_flight);
            match in_flight
                .get(&key)
                .filter(|flight| flight.can_serve(deadline))
            {
                Some(flight) => {
                    self.count("coalesced");
                    flight.answer.clone()
                }
                None => {
                    let id = self.next_flight.fetch_add(1, Ordering::Relaxed);
                    // The call runs as its own task: it finishes (and leaves `in_flight`) even
                    // when every caller has given up, so no later caller resumes an abandoned
                    // call whose deadline has passed.
                    let task = tokio::spawn(
                        Arc::clone(self)
                            .fetch::<T>(client.clone(), route, call, uri, key.clone(), cached, id)
                            .in_current_span(),
                    );
                    let interrupted = client.error(ErrorKind::Interrupted);
                    let answer = async move { task.await.unwrap_or(Err(interrupted)) }
                        .boxed()
                        .shared();
                    let flight = Flight {
                        id,
                        deadline,
                        answer: answer.clone(),
                    };
                    in_flight.insert(key, flight);
                    answer
                }
            }
        };
        // A caller that joined a flight still keeps to its own deadline.
        let (entry, stale) = tokio::time::timeout_at(deadline, flight)
            .await
            .map_err(|_| client.error(ErrorKind::Timeout))??;
        match entry.value.clone().downcast::<T>() {
            Ok(value) => Ok(Answer {
                value,
                stale,
                shared_until: entry.shared_until(stale),
            }),
            // Cannot happen (the key names the type); never serve the wrong type.
            Err(_) => Err(client.error(ErrorKind::InvalidBody)),
        }
    }

    /// One upstream call for `key`, shared by everyone asking meanwhile.
    #[allow(clippy::too_many_arguments)]
    async fn fetch<T>(
        self: Arc<Self>,
        client: UpstreamClient,
        route: &'static str,
        call: CallContext,
        uri: Uri,
        key: String,
        cached: Option<Arc<Entry>>,
        id: u64,
    ) -> Result<(Arc<Entry>, bool), UpstreamError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let mut request = super::Outbound::get(uri);
        if let Some(etag) = cached.as_ref().and_then(|entry| entry.etag.clone()) {
            request = request.header(IF_NONE_MATCH, etag);
        }
        let outcome = match client.execute(route, &call, request).await {
            Ok(fetched) => {
                let policy = Policy::of(fetched.cache_control.as_ref(), self.stale_if_error);
                let decoded = match (fetched.body, &cached) {
                    (Some(body), _) => client.decode::<T>(&body).map(|value| {
                        self.count("miss");
                        (Arc::new(value) as Arc<dyn Any + Send + Sync>, body.len())
                    }),
                    (None, Some(old)) => {
                        self.count("revalidated");
                        Ok((old.value.clone(), old.weight as usize))
                    }
                    (None, None) => Err(client.error(ErrorKind::InvalidBody)),
                };
                decoded.map(|(value, size)| {
                    let now = Instant::now();
                    let fresh_until = now + policy.fresh_for.min(self.max_ttl);
                    let entry = Arc::new(Entry {
                        value,
                        etag: fetched.etag,
                        fresh_until,
                        stale_until: fresh_until + policy.stale_for,
                        stored: policy.store,
                        weight: u32::try_from(size).unwrap_or(u32::MAX).max(1),
                    });
                    if policy.store {
                        self.entries.insert(key.clone(), entry.clone());
                    }
                    (entry, false)
                })
            }
            Err(error) => match cached {
                Some(old) if error.kind.is_upstream_fault() && Instant::now() < old.stale_until => {
                    self.count("stale");
                    tracing::warn!(upstream = self.name, %error, "serving a stale answer");
                    Ok((old, true))
                }
                _ => Err(error),
            },
        };
        let mut in_flight = lock(&self.in_flight);
        // A newer flight may have taken the key meanwhile; it removes itself.
        if in_flight.get(&key).is_some_and(|flight| flight.id == id) {
            in_flight.remove(&key);
        }
        drop(in_flight);
        outcome
    }

    fn count(&self, result: &'static str) {
        match result {
            "hit" => self.hits.increment(1),
            _ => metrics::counter!("upstream_cache_total", "upstream" => self.name, "result" => result)
                .increment(1),
        }
    }
}

/// What an upstream's `Cache-Control` allows.
#[derive(Debug, PartialEq, Eq)]
struct Policy {
    store: bool,
    fresh_for: Duration,
    stale_for: Duration,
}

impl Policy {
    fn of(cache_control: Option<&HeaderValue>, default_stale: Duration) -> Self {
        let mut policy = Policy {
            store: false,
            fresh_for: Duration::ZERO,
            stale_for: default_stale,
        };
        let Some(value) = cache_control.and_then(|v| v.to_str().ok()) else {
            return policy;
        };
        let (mut max_age, mut s_maxage, mut forbidden, mut no_cache) = (None, None, false, false);
        for directive in value.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            let (name, arg) = match directive.split_once('=') {
                Some((name, arg)) => (
                    name.trim(),
                    arg.trim().trim_matches('"').parse::<u64>().ok(),
                ),
                None => (directive.as_str(), None),
            };
            match name {
                "no-store" | "private" => forbidden = true,
                "no-cache" => no_cache = true,
                "max-age" => max_age = arg,
                "s-maxage" => s_maxage = arg,
                "stale-if-error" => {
                    if let Some(seconds) = arg {
                        policy.stale_for = Duration::from_secs(seconds);
                    }
                }
                _ => {}
            }
        }
        let fresh = s_maxage.or(max_age);
        policy.store = !forbidden && (fresh.is_some() || no_cache);
        policy.fresh_for = if no_cache {
            Duration::ZERO
        } else {
            Duration::from_secs(fresh.unwrap_or(0))
        };
        policy
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(value: &str) -> Policy {
        Policy::of(
            Some(&HeaderValue::from_str(value).unwrap()),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn cache_control_decides_storage_and_freshness() {
        let p = policy("public, max-age=60");
        assert!(p.store);
        assert_eq!(p.fresh_for, Duration::from_secs(60));
        assert_eq!(p.stale_for, Duration::from_secs(60));
        assert_eq!(
            policy("max-age=10, s-maxage=30").fresh_for,
            Duration::from_secs(30)
        );
        assert!(!policy("private, max-age=60").store);
        assert!(!policy("no-store").store);
        let revalidate = policy("no-cache");
        assert!(revalidate.store);
        assert_eq!(revalidate.fresh_for, Duration::ZERO);
        assert_eq!(
            policy("max-age=5, stale-if-error=600").stale_for,
            Duration::from_secs(600)
        );
        assert!(!Policy::of(None, Duration::ZERO).store);
        assert!(!policy("max-age=abc").store || policy("max-age=abc").fresh_for.is_zero());
    }
}
