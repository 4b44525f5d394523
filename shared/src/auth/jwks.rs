//! Signing keys of the identity provider, from its JWKS (RFC 7517), behind the [`KeyStore`] trait.
//!
//! [`JwksKeyStore`] takes keys only from the `jwks_uri` of the configured issuer's discovery
//! document: the `jku`, `x5u`, `jwk` and `x5c` headers of a token are never read, let alone
//! fetched. Lookups by `kid` hit an in-memory map behind a read lock (the fast path). A `kid` that
//! is not there triggers at most one fetch per `refresh_cooldown`, whatever the number of
//! requests: concurrent misses wait for the same fetch, and a storm of random `kid`s costs one
//! fetch. A background task refreshes the set every `refresh_interval`, so rotation works without
//! a restart. When the provider is down, the last set keeps working for `stale_for` past its
//! refresh time, then every key is refused until a fetch succeeds. The JWKS is read under
//! `max_bytes` within `timeout`, and only signing keys whose type and algorithm are allowed are
//! kept (`use` = `sig` when present, `key_ops` containing `verify` when present, never a
//! symmetric `oct` key).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use tokio::time::Instant;
use url::Url;

use super::provider::{self, Discovered, DiscoveryError, FetchError, ProviderMetadata};
use crate::config::ConfigError;

/// How the JWKS is fetched and cached. Env `…__JWKS__<KEY>`; every key has a default.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct JwksSettings {
    /// How often the key set is fetched in the background. Default `5m`.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
    /// Least time from the end of a fetch to a fetch caused by an unknown `kid`; also the retry
    /// delay while the provider fails. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub refresh_cooldown: Duration,
    /// How long a key set keeps working after its `refresh_interval` has passed without a
    /// successful fetch (provider down). Default `30m`.
    #[serde(with = "humantime_serde")]
    pub stale_for: Duration,
    /// Timeout of one fetch (discovery or JWKS), connection and body included. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest JWKS or discovery document read; larger is an error. Default `65536` (64 KiB).
    pub max_bytes: usize,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(300),
            refresh_cooldown: Duration::from_secs(30),
            stale_for: Duration::from_secs(30 * 60),
            timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
        }
    }
}

impl JwksSettings {
    /// Checks the values; `prefix` names the section in errors (e.g. `jwt.jwks`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let positive = [
            ("refresh_interval", self.refresh_interval),
            ("refresh_cooldown", self.refresh_cooldown),
            ("timeout", self.timeout),
        ];
        for (key, value) in positive {
            if value.is_zero() {
                return Err(ConfigError::invalid(
                    &format!("{prefix}.{key}"),
                    "must be positive",
                ));
            }
        }
        if self.max_bytes < 1024 {
            return Err(ConfigError::invalid(
                &format!("{prefix}.max_bytes"),
                "must be at least 1024",
            ));
        }
        Ok(())
    }
}

/// A public key that may verify token signatures.
pub struct VerificationKey {
    /// The key id (`kid`) it is published under.
    pub kid: String,
    /// The key.
    pub key: DecodingKey,
    /// The algorithms it may verify: its JWK `alg` if set, else those of the allow-list that fit
    /// its type and curve. Never empty.
    pub algorithms: Vec<Algorithm>,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

/// Why no key could be given.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// No key has this `kid` (after at most one refresh per cooldown).
    #[error("no signing key with this kid")]
    Unknown,
    /// The key set could not be fetched and the last one is older than `stale_for` allows.
    #[error("signing keys unavailable: {0}")]
    Unavailable(String),
}

/// Where validators get verification keys by `kid`.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The key published under `kid`.
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>>;

    /// Whether the provider behind the keys has been discovered (false only while a store
    /// waits for a provider that was down at start-up).
    fn is_discovered(&self) -> bool {
        true
    }
}

/// Builds the key of a JWK, or `None` when it is not a usable signing key for `allowed`.
pub fn verification_key(jwk: &Jwk, allowed: &[Algorithm]) -> Option<VerificationKey> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return None;
    }
    if jwk
        .common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let kid = jwk.common.key_id.clone().filter(|kid| !kid.is_empty())?;
    let fits: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => &[],
        },
        AlgorithmParameters::RSA(_) => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => {
            &[Algorithm::EdDSA]
        }
        // Symmetric keys never verify anything here, whatever their `alg` says.
        _ => &[],
    };
    let mut algorithms: Vec<Algorithm> = allowed
        .iter()
        .copied()
        .filter(|alg| fits.contains(alg))
        .collect();
    if let Some(declared) = jwk.common.key_algorithm {
        let declared = Algorithm::try_from(declared).ok()?;
        algorithms.retain(|alg| *alg == declared);
    }
    if algorithms.is_empty() {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerificationKey {
        kid,
        key,
        algorithms,
    })
}

/// Parses a JWKS document and keeps the usable signing keys; unparsable entries are skipped.
pub fn parse_jwks(
    body: &[u8],
    allowed: &[Algorithm],
) -> Result<HashMap<String, Arc<VerificationKey>>, FetchError> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let set: RawSet =
        serde_json::from_slice(body).map_err(|e| FetchError::InvalidBody(e.to_string()))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some(key) = verification_key(&jwk, allowed) {
            // A kid should be published once; if not, the last one wins.
            if keys.insert(key.kid.clone(), Arc::new(key)).is_some() {
                tracing::warn!("JWKS publishes a kid twice; ignoring it");
            }
        }
    }
    if keys.is_empty() {
        return Err(FetchError::InvalidBody(
            "no usable signing key in the JWKS".to_owned(),
        ));
    }
    Ok(keys)
}

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
        self.fetches.fetch_add(1, Ordering::Relaxed);
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
            // The provider is failing: try again after the cooldown.
            _ => self.settings.refresh_cooldown.min(interval),
        }
        .max(Duration::from_millis(10))
    }

    async fn key(&self, kid: &str) -> Result<Arc<VerificationKey>, KeyError> {
        if let Lookup::Found(key) = self.lookup(kid) {
            return Ok(key);
        }
        // Slow path: wait for a fetch in flight, or start one if the cooldown allows.
        {
            let mut last_fetch = self.fetch.lock().await;
            if let Lookup::Found(key) = self.lookup(kid) {
                return Ok(key);
            }
            if !last_fetch.is_some_and(|at| at.elapsed() < self.settings.refresh_cooldown) {
                let _ = self.fetch_into_cache().await;
                *last_fetch = Some(Instant::now());
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

/// The keys of a provider that could not be discovered at start-up. Discovery is retried when a
/// token needs a key, at most once per `refresh_cooldown`, so a BFF starts (and serves its public
/// screens) while the provider is down; until discovery succeeds every key is unavailable, which
/// is not the same as a bad token.
#[derive(Debug)]
pub struct DeferredKeyStore {
    issuer: String,
    backchannel: Option<Url>,
    settings: JwksSettings,
    allowed: Vec<Algorithm>,
    store: Discovered<JwksKeyStore>,
}

impl DeferredKeyStore {
    /// A store that discovers `issuer` (through `backchannel`, if set) on first use.
    pub fn new(
        issuer: &str,
        backchannel: Option<&Url>,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            backchannel: backchannel.cloned(),
            settings: settings.clone(),
            allowed: allowed.to_vec(),
            store: Discovered::new(settings.refresh_cooldown),
        }
    }

    async fn discovered(&self) -> Result<&JwksKeyStore, KeyError> {
        let discover = || {
            JwksKeyStore::discover_via(
                &self.issuer,
                self.backchannel.as_ref(),
                &self.settings,
                &self.allowed,
            )
        };
        self.store
            .get_or_discover(&self.issuer, discover)
            .await
            .ok_or_else(|| KeyError::Unavailable("provider not discovered yet".into()))
    }
}

impl KeyStore for DeferredKeyStore {
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
        Box::pin(async move { self.discovered().await?.key(kid).await })
    }

    fn is_discovered(&self) -> bool {
        self.store.get().is_some()
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

#[cfg(feature = "test-helpers")]
pub use static_store::StaticKeyStore;

#[cfg(feature = "test-helpers")]
mod static_store {
    use super::*;

    /// A fixed, in-memory key store for tests (feature `test-helpers`).
    #[derive(Debug, Default, Clone)]
    pub struct StaticKeyStore {
        keys: HashMap<String, Arc<VerificationKey>>,
    }

    impl StaticKeyStore {
        /// An empty store: every `kid` is unknown.
        pub fn new() -> Self {
            Self::default()
        }

        /// Adds `key` under `kid` for `algorithm`.
        pub fn with_key(mut self, kid: &str, key: DecodingKey, algorithm: Algorithm) -> Self {
            self.keys.insert(
                kid.to_owned(),
                Arc::new(VerificationKey {
                    kid: kid.to_owned(),
                    key,
                    algorithms: vec![algorithm],
                }),
            );
            self
        }

        /// The usable keys of a JWKS document, filtered as [`JwksKeyStore`] does.
        pub fn from_jwks(body: &[u8], allowed: &[Algorithm]) -> Result<Self, FetchError> {
            Ok(Self {
                keys: parse_jwks(body, allowed)?,
            })
        }
    }

    impl KeyStore for StaticKeyStore {
        fn key<'a>(
            &'a self,
            kid: &'a str,
        ) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
            let found = self.keys.get(kid).cloned().ok_or(KeyError::Unknown);
            Box::pin(async move { found })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn keys(jwks: serde_json::Value, allowed: &[Algorithm]) -> Vec<String> {
        let mut kids: Vec<String> = parse_jwks(jwks.to_string().as_bytes(), allowed)
            .map(|keys| keys.into_keys().collect())
            .unwrap_or_default();
        kids.sort();
        kids
    }

    fn ec(kid: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut key = json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": kid});
        for (k, v) in extra.as_object().unwrap() {
            key[k] = v.clone();
        }
        key
    }

    #[test]
    fn only_signing_keys_of_allowed_algorithms_are_kept() {
        let jwks = json!({"keys": [
            ec("plain", json!({})),
            ec("sig", json!({"use": "sig", "alg": "ES256"})),
            ec("enc", json!({"use": "enc"})),
            ec("ops-sign-only", json!({"key_ops": ["sign"]})),
            ec("ops-verify", json!({"key_ops": ["verify"]})),
            ec("alg-not-allowed", json!({"alg": "ES384"})),
            ec("alg-hs", json!({"alg": "HS256"})),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric", "alg": "HS256"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y},
            {"kty": "weird", "kid": "unknown-type"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "unknown-alg", "alg": "XX999"},
        ]});
        assert_eq!(
            keys(jwks, &[Algorithm::ES256, Algorithm::RS256]),
            ["ops-verify", "plain", "sig"]
        );
    }

    #[test]
    fn an_ec_key_is_not_kept_when_only_rsa_is_allowed() {
        let jwks = json!({"keys": [ec("a", json!({}))]});
        assert!(keys(jwks, &[Algorithm::RS256]).is_empty());
    }

    #[test]
    fn a_jwks_without_usable_keys_is_an_error_so_the_last_good_set_stays() {
        let body = json!({"keys": [ec("enc", json!({"use": "enc"}))]}).to_string();
        assert!(parse_jwks(body.as_bytes(), &[Algorithm::ES256]).is_err());
        assert!(parse_jwks(b"<html>", &[Algorithm::ES256]).is_err());
    }

    #[test]
    fn a_kid_published_twice_is_kept_once() {
        let jwks = json!({"keys": [ec("a", json!({})), ec("a", json!({}))]});
        assert_eq!(keys(jwks, &[Algorithm::ES256]), ["a"]);
    }
}
