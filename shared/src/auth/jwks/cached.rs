//! [`JwksKeyStore`]: the provider's keys, fetched from its `jwks_uri`, cached, refreshed in the
//! background, with a cooldown against unknown-`kid` storms.
//!
//! An unknown `kid` waits for a fetch that starts after it arrived: the one in flight, or the
//! next one, which goes as soon as the cooldown since the last allows (when that is at most
//! [`MAX_WAIT_FOR_REFETCH`] away; a longer configured cooldown refuses at once, as before). All
//! lookups that arrived before a fetch started share it, so a flood of garbage `kid`s costs one
//! fetch per cooldown, and a key that signs the moment it is published is accepted at once.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use jsonwebtoken::Algorithm;
use tokio::time::Instant;
use url::Url;

use crate::auth::provider::{self, DiscoveryError, FetchError, ProviderMetadata};

use super::{JwksSettings, KeyError, KeyStore, VerificationKey, parse_jwks};

/// Longest an unknown `kid` waits for the cooldown to let the next fetch go.
pub const MAX_WAIT_FOR_REFETCH: Duration = Duration::from_secs(1);
/// Least delay between background retries while the provider fails (a short unknown-`kid`
/// cooldown must not turn into a fetch per second against a provider that is down).
const MIN_RETRY_WHILE_FAILING: Duration = Duration::from_secs(5);

/// The key set last fetched.
#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<VerificationKey>>,
    /// When the last successful fetch ended; `None` before the first.
    fetched_at: Option<Instant>,
}

enum Lookup {
    Found(Arc<VerificationKey>),
    Missing,
    /// No key set, or one past `refresh_interval + stale_for`.
    Expired,
}

struct Inner {
    jwks_uri: Url,
    http: reqwest::Client,
    settings: JwksSettings,
    allowed: Vec<Algorithm>,
    cache: RwLock<Cache>,
    /// Held during a fetch; holds when the last fetch ended. Concurrent misses queue here and
    /// find the fetched keys (or the cooldown) when they get it.
    fetch: tokio::sync::Mutex<Option<Instant>>,
    fetches: AtomicU64,
}

impl Inner {
    fn lookup(&self, kid: &str) -> Lookup {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let usable = cache.fetched_at.is_some_and(|at| {
            at.elapsed() <= self.settings.refresh_interval + self.settings.stale_for
        });
        if !usable {
            return Lookup::Expired;
        }
        match cache.keys.get(kid) {
            Some(key) => Lookup::Found(Arc::clone(key)),
            None => Lookup::Missing,
        }
    }

    async fn fetch_into_cache(&self) -> Result<(), FetchError> {
        self.fetches.fetch_add(1, Ordering::AcqRel);
        let request = self.http.get(self.jwks_uri.clone()).header(
            http::header::ACCEPT,
            "application/jwk-set+json, application/json",
        );
        let result = async {
            let (status, body) =
                provider::send_capped(request, self.settings.max_bytes, self.settings.timeout)
                    .await?;
            if status != 200 {
                return Err(FetchError::Status(status));
            }
            parse_jwks(&body, &self.allowed)
        }
        .await;
        match result {
            Ok(keys) => {
                metrics::counter!("auth_jwks_fetches_total", "outcome" => "ok").increment(1);
                tracing::debug!(keys = keys.len(), "JWKS fetched");
                let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
                cache.keys = keys;
                cache.fetched_at = Some(Instant::now());
                Ok(())
            }
            Err(error) => {
                metrics::counter!("auth_jwks_fetches_total", "outcome" => "error").increment(1);
                tracing::warn!(%error, jwks_uri = %self.jwks_uri, "JWKS fetch failed");
                Err(error)
            }
        }
    }

    /// A fetch now, unless one ended less than `refresh_cooldown` ago.
    async fn refresh_unless_cooling_down(&self) {
        let mut last_fetch = self.fetch.lock().await;
        if last_fetch.is_some_and(|at| at.elapsed() < self.settings.refresh_cooldown) {
            return;
        }
        let _ = self.fetch_into_cache().await;
        *last_fetch = Some(Instant::now());
    }

    /// Refreshes the set if it is due; returns how long to sleep before the next check.
    async fn background_tick(&self) -> Duration {
        let age = || {
            self.cache
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .fetched_at
                .map(|at| at.elapsed())
        };
        let interval = self.settings.refresh_interval;
        if age().is_none_or(|age| age >= interval) {
            // Due: fetch whatever the cooldown says (it guards against unknown-kid storms).
            let mut last_fetch = self.fetch.lock().await;
            if age().is_none_or(|age| age >= interval) {
                let _ = self.fetch_into_cache().await;
                *last_fetch = Some(Instant::now());
            }
        }
        match age() {
            Some(age) if age < interval => interval - age,
            // The provider is failing: try again after the cooldown, at most every few seconds.
            _ => self
                .settings
                .refresh_cooldown
                .max(MIN_RETRY_WHILE_FAILING)
                .min(interval),
        }
        .max(Duration::from_millis(10))
    }

    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyError> {
        if let Lookup::Found(key) = self.lookup(kid) {
            return Ok(key);
        }
        // Slow path: a fetch that starts after this lookup arrived (fetches start in order
        // under the lock, so any fetch counted after `arrived` saw the provider's latest keys).
        let arrived = self.fetches.load(Ordering::Acquire);
        {
            let mut last_fetch = self.fetch.lock().await;
            if let Lookup::Found(key) = self.lookup(kid) {
                return Ok(key);
            }
            let shared_a_fetch = self.fetches.load(Ordering::Acquire) > arrived;
            if !shared_a_fetch {
                let wait = last_fetch.map_or(Duration::ZERO, |at| {
                    self.settings.refresh_cooldown.saturating_sub(at.elapsed())
                });
                if wait <= MAX_WAIT_FOR_REFETCH {
                    // Holding the lock: lookups arriving meanwhile share this fetch.
                    tokio::time::sleep(wait).await;
                    let _ = self.fetch_into_cache().await;
                    *last_fetch = Some(Instant::now());
                }
            }
        }
        match self.lookup(kid) {
            Lookup::Found(key) => Ok(key),
            Lookup::Missing => Err(KeyError::Unknown),
            Lookup::Expired => Err(KeyError::Unavailable(
                "no key set fetched within refresh_interval + stale_for".to_owned(),
            )),
        }
    }
}

/// Aborts the background refresh when the last handle of the store is dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The identity provider's keys, fetched from its `jwks_uri` and cached. Cheap to clone.
#[derive(Clone)]
pub struct JwksKeyStore {
    inner: Arc<Inner>,
    _refresher: Arc<AbortOnDrop>,
}

impl fmt::Debug for JwksKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksKeyStore")
            .field("jwks_uri", &self.inner.jwks_uri.as_str())
            .field("allowed", &self.inner.allowed)
            .finish_non_exhaustive()
    }
}

/// Why a key store could not be built.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// Discovery failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
}

impl JwksKeyStore {
    /// Discovers `issuer`'s `jwks_uri` (the document's `issuer` must equal `issuer`), then
    /// builds the store as [`JwksKeyStore::new`] does. Call from within a Tokio runtime.
    pub async fn discover(
        issuer: &str,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Result<Self, JwksError> {
        Self::discover_via(issuer, None, settings, allowed).await
    }

    /// Like [`Self::discover`], reaching the provider through `backchannel` (see
    /// [`ProviderMetadata::discover_via`]).
    pub async fn discover_via(
        issuer: &str,
        backchannel: Option<&url::Url>,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Result<Self, JwksError> {
        let http = provider::client(settings.timeout)?;
        let metadata = ProviderMetadata::discover_via(
            &http,
            issuer,
            backchannel,
            settings.max_bytes,
            settings.timeout,
        )
        .await?;
        Ok(Self::with_client(http, metadata.jwks_uri, settings, allowed).await)
    }

    /// A store for keys from `jwks_uri` (as found by discovery) that verify the algorithms in
    /// `allowed`. Fetches once now (a failure is logged; the first token then triggers a fetch)
    /// and starts the background refresh. Call from within a Tokio runtime.
    pub async fn new(
        jwks_uri: Url,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Result<Self, JwksError> {
        let http = provider::client(settings.timeout)?;
        Ok(Self::with_client(http, jwks_uri, settings, allowed).await)
    }

    async fn with_client(
        http: reqwest::Client,
        jwks_uri: Url,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Self {
        let inner = Arc::new(Inner {
            jwks_uri,
            http,
            settings: settings.clone(),
            allowed: allowed.to_vec(),
            cache: RwLock::default(),
            fetch: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
        });
        inner.refresh_unless_cooling_down().await;
        let weak = Arc::downgrade(&inner);
        let task = tokio::spawn(async move {
            loop {
                // Hold the store only while working, so that dropping it ends the task.
                let wait = match weak.upgrade() {
                    Some(inner) => inner.background_tick().await,
                    None => break,
                };
                tokio::time::sleep(wait).await;
            }
        });
        Self {
            inner,
            _refresher: Arc::new(AbortOnDrop(task.abort_handle())),
        }
    }

    /// The URL keys come from.
    pub fn jwks_uri(&self) -> &Url {
        &self.inner.jwks_uri
    }

    /// How many JWKS fetches this store has made (for metrics and tests).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }
}

impl KeyStore for JwksKeyStore {
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
        Box::pin(self.inner.key(kid))
    }
}

impl JwksError {
    /// Whether the provider may answer later (unreachable, timed out, 5xx), as opposed to a
    /// configuration the provider contradicts.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Client(_) => false,
            Self::Discovery(DiscoveryError::Fetch(error)) => error.is_transient(),
            Self::Discovery(_) => false,
        }
    }
}
