//! Server-side sessions for the web BFF.
//!
//! The browser's cookie holds only an opaque [`SessionId`] (32 random bytes, base64url); the
//! user and the [`TokenSet`] stay in a [`SessionStore`]: [`MemoryStore`] (the default: one
//! instance, lost on restart) or [`RedisStore`] (JSON values with a TTL). Nothing is stored before
//! a login completes: a login in progress lives in the browser's sealed login cookie (bff-web's
//! `auth::login_cookie`), so anonymous requests cannot grow the store.
//!
//! [`SessionManager`] adds the rules: a new id at every login, an idle timeout and an absolute
//! timeout, and the refresh of a session's access token inline, once per session however many
//! requests need it at the same time (single flight: concurrent requests wait for the one
//! refresh and use its result). An `invalid_grant` ends the session.
//!
//! Across instances sharing Redis, the refresh also takes a lease in the store
//! ([`SessionStore::acquire_refresh_lease`], `SET NX PX`): one instance refreshes, the others
//! poll the session until its new tokens are there. Without it two instances could both use the
//! same refresh token, and the provider's rotation would end the session.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::oidc::{OidcClient, RefreshError, TokenSet, User};
use super::secret::random_urlsafe;
use crate::config::ConfigError;
use crate::problem::Problem;

/// Which [`SessionStore`] to use.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// In this process: for one instance; sessions are lost on restart.
    #[default]
    Memory,
    /// In Redis: shared by every instance, survives restarts.
    Redis,
}

/// Sessions of the web BFF. Env `…__SESSION__<KEY>`; every key has a default.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Where sessions live: `memory` or `redis`. Default `memory`.
    pub store: StoreKind,
    /// Whether several instances of the BFF serve the same users (replicas behind one balancer).
    /// Then sessions must live where every instance finds them: `true` with `store = "memory"`
    /// stops start-up. Default `false`.
    pub replicated: bool,
    /// The Redis URL (`redis://[:password@]host:port[/db]`), required when `store = "redis"`.
    /// Default none.
    #[serde(serialize_with = "crate::config::masked::optional_secret_url")]
    pub redis_url: Option<SecretString>,
    /// Timeout of one Redis command and of connecting. Default `1s`.
    #[serde(with = "humantime_serde")]
    pub redis_timeout: Duration,
    /// A session ends after this long without a request. Default `30m`.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// A session ends this long after the login, active or not. Default `8h`.
    #[serde(with = "humantime_serde")]
    pub absolute_timeout: Duration,
    /// How long a login may take from the redirect to the callback. Default `10m`.
    #[serde(with = "humantime_serde")]
    pub login_timeout: Duration,
    /// The access token is refreshed when it expires within this margin. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub refresh_margin: Duration,
    /// Prefix of every key in the store (to share a Redis between services). Default `bff:`.
    pub key_prefix: String,
    /// The key that seals the login cookie (a login in progress: `state`, nonce, PKCE verifier,
    /// `return_to`): 32 bytes, base64. Every instance behind one balancer needs the same key;
    /// give it through the environment (`…__SESSION__LOGIN_COOKIE_KEY`). Default none: the key is
    /// derived from the OIDC client secret (HKDF-SHA256), which every instance shares already.
    #[serde(serialize_with = "crate::config::masked::optional_secret")]
    pub login_cookie_key: Option<SecretString>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            store: StoreKind::Memory,
            replicated: false,
            redis_url: None,
            redis_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(8 * 3600),
            login_timeout: Duration::from_secs(10 * 60),
            refresh_margin: Duration::from_secs(30),
            key_prefix: "bff:".to_owned(),
            login_cookie_key: None,
        }
    }
}

impl SessionSettings {
    /// Checks the values; `prefix` names the section in errors (e.g. `session`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        if self.replicated && self.store == StoreKind::Memory {
            return Err(ConfigError::invalid(
                &key("store"),
                format!(
                    "is \"memory\" but {} is true: each replica would keep its own sessions, so \
                     a user signed in through one replica is signed out on the others; use \
                     store = \"redis\" with a redis_url every replica reaches",
                    key("replicated")
                ),
            ));
        }
        if self.store == StoreKind::Redis && self.redis_url.is_none() {
            return Err(ConfigError::invalid(
                &key("redis_url"),
                "is required when store = \"redis\"",
            ));
        }
        for (name, value) in [
            ("redis_timeout", self.redis_timeout),
            ("idle_timeout", self.idle_timeout),
            ("absolute_timeout", self.absolute_timeout),
            ("login_timeout", self.login_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::invalid(&key(name), "must be positive"));
            }
        }
        if self.idle_timeout > self.absolute_timeout {
            return Err(ConfigError::invalid(
                &key("idle_timeout"),
                "must not exceed absolute_timeout",
            ));
        }
        self.login_cookie_key_bytes()
            .map_err(|why| ConfigError::invalid(&key("login_cookie_key"), why))?;
        Ok(())
    }

    /// The 32 bytes of `login_cookie_key` (standard or URL-safe base64, padded or not), `None`
    /// when unset, or why the value is unusable.
    pub fn login_cookie_key_bytes(&self) -> Result<Option<[u8; 32]>, &'static str> {
        use base64::Engine as _;
        use base64::alphabet::{STANDARD, URL_SAFE};
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let Some(key) = &self.login_cookie_key else {
            return Ok(None);
        };
        let text = key.expose_secret().trim();
        let config =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let decoded = GeneralPurpose::new(&STANDARD, config)
            .decode(text)
            .or_else(|_| GeneralPurpose::new(&URL_SAFE, config).decode(text))
            .map_err(|_| "must be base64 of 32 random bytes (`openssl rand -base64 32`)")?;
        decoded
            .try_into()
            .map(Some)
            .map_err(|_| "must decode to exactly 32 bytes (`openssl rand -base64 32`)")
    }
}

/// A session's id: what the cookie carries. `Debug` is redacted (it is a credential).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// A new random id (32 bytes, base64url).
    pub fn generate() -> Self {
        Self(random_urlsafe(32))
    }

    /// An id from a cookie value; `None` unless it has the shape of a generated id, so garbage
    /// never reaches the store.
    pub fn parse(value: &str) -> Option<Self> {
        (value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(value.to_owned()))
    }

    /// The value to put in the cookie.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId([redacted])")
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What a session holds, server-side. Times are milliseconds since the epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// Who is logged in.
    pub user: User,
    /// The tokens (never sent to the browser).
    pub tokens: TokenSet,
    /// When the login completed.
    pub created_at: u64,
    /// The last request seen (updated at most every `idle_timeout / 10`).
    pub last_seen: u64,
    /// When the session ends, active or not (`created_at + absolute_timeout`).
    pub absolute_expiry: u64,
    /// When the session ends without a further request (`last_seen + idle_timeout`).
    pub idle_expiry: u64,
}

impl Session {
    /// A session starting now.
    pub fn new(tokens: TokenSet, settings: &SessionSettings) -> Self {
        let now = now_ms();
        let absolute_expiry = now.saturating_add(ms(settings.absolute_timeout));
        Self {
            user: tokens.user.clone(),
            tokens,
            created_at: now,
            last_seen: now,
            absolute_expiry,
            idle_expiry: now
                .saturating_add(ms(settings.idle_timeout))
                .min(absolute_expiry),
        }
    }

    /// Whether the session has ended (idle or absolute timeout) at `now` (ms since the epoch).
    pub fn is_expired_at(&self, now: u64) -> bool {
        now >= self.idle_expiry || now >= self.absolute_expiry
    }

    /// How long the store must keep it from `now`.
    fn ttl_at(&self, now: u64) -> Duration {
        Duration::from_millis(
            self.idle_expiry
                .min(self.absolute_expiry)
                .saturating_sub(now)
                .max(1),
        )
    }
}

/// A session store failed (unreachable, timeout). Requests then fail with 503; they are not
/// treated as anonymous.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where sessions are kept (never a login in progress). Values expire after their TTL.
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// The session, if it exists and has not expired.
    fn load<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Session>, StoreError>>;
    /// Creates or replaces the session, kept for `ttl`.
    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        session: &'a Session,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;
    /// Removes the session (no error if absent).
    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>>;
    /// How many entries the store holds, when it can tell without a scan (the memory store);
    /// `None` otherwise. For tests and diagnostics: anonymous requests must not grow it.
    fn entry_count(&self) -> Option<usize> {
        None
    }
    /// Takes the refresh lease of session `id` for `holder` for `ttl`, unless another holder has
    /// it. Instances sharing a store then refresh a session once, not once each: the provider
    /// rotates refresh tokens, and the second use of the old one would end the session. A store
    /// only one process uses needs no lease (the manager's own lock suffices): the default
    /// grants it.
    fn acquire_refresh_lease<'a>(
        &'a self,
        _id: &'a SessionId,
        _holder: &'a str,
        _ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async { Ok(true) })
    }
    /// Gives the lease back if `holder` still has it.
    fn release_refresh_lease<'a>(
        &'a self,
        _id: &'a SessionId,
        _holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

fn session_key(prefix: &str, id: &SessionId) -> String {
    format!("{prefix}session:{}", id.as_str())
}

fn lease_key(prefix: &str, id: &SessionId) -> String {
    format!("{prefix}refresh:{}", id.as_str())
}

/// Decodes a stored value; a corrupt one counts as absent (and is logged).
fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes)
        .inspect_err(|error| tracing::warn!(%error, "corrupt session store entry ignored"))
        .ok()
}

fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError(e.to_string()))
}

/// Sessions in this process's memory. Expired entries are invisible at once and purged at the
/// next write (at most once a second) or by [`MemoryStore::purge_expired`].
#[derive(Default)]
pub struct MemoryStore {
    prefix: String,
    entries: Mutex<HashMap<String, (Instant, Vec<u8>)>>,
    last_purge: Mutex<Option<Instant>>,
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store whose keys start with `prefix`.
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            ..Self::default()
        }
    }

    /// Entries held, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every expired entry.
    pub fn purge_expired(&self) {
        let now = Instant::now();
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (expires, _)| *expires > now);
        *self.last_purge.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
    }

    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = entries
            .get(key)
            .is_some_and(|(expires, _)| *expires > Instant::now());
        if !fresh {
            entries.remove(key);
            return None;
        }
        entries.get(key).map(|(_, value)| value.clone())
    }

    fn set(&self, key: String, value: Vec<u8>, ttl: Duration) {
        let due = self
            .last_purge
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1));
        if due {
            self.purge_expired();
        }
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, (Instant::now() + ttl, value));
    }
}

impl SessionStore for MemoryStore {
    fn load<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        let found = self
            .get(&session_key(&self.prefix, id))
            .and_then(|bytes| decode(&bytes));
        Box::pin(async move { Ok(found) })
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        session: &'a Session,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let result =
            encode(session).map(|bytes| self.set(session_key(&self.prefix, id), bytes, ttl));
        Box::pin(async move { result })
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&session_key(&self.prefix, id));
        Box::pin(async { Ok(()) })
    }

    fn entry_count(&self) -> Option<usize> {
        Some(self.len())
    }
}

/// Sessions in Redis: JSON values written with `SET … PX <ttl>`. One multiplexed connection that
/// reconnects by itself.
#[derive(Clone)]
pub struct RedisStore {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn redis_error(error: &redis::RedisError) -> StoreError {
    StoreError(format!("redis: {error}"))
}

impl RedisStore {
    /// Connects to `url` (fails now if Redis cannot be reached); every command and reconnection
    /// attempt times out after `timeout`.
    pub async fn connect(
        url: &str,
        prefix: impl Into<String>,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| redis_error(&e))?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(2);
        let connection = tokio::time::timeout(
            timeout * 4,
            redis::aio::ConnectionManager::new_with_config(client, config),
        )
        .await
        .map_err(|_| StoreError("redis: connection timed out".to_owned()))?
        .map_err(|e| redis_error(&e))?;
        Ok(Self {
            connection,
            prefix: prefix.into(),
        })
    }

    async fn get(&self, key: String) -> Result<Option<Vec<u8>>, StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("GET")
            .arg(key)
            .query_async::<Option<Vec<u8>>>(&mut connection)
            .await
            .map_err(|e| redis_error(&e))
    }

    async fn set(&self, key: String, value: Vec<u8>, ttl: Duration) -> Result<(), StoreError> {
        let mut connection = self.connection.clone();
        redis::cmd("SET")
            .arg(key)
            .arg(value)
            .arg("PX")
            .arg(ms(ttl).max(1))
            .query_async::<()>(&mut connection)
            .await
            .map_err(|e| redis_error(&e))
    }
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        Box::pin(async move {
            let bytes = self.get(session_key(&self.prefix, id)).await?;
            Ok(bytes.and_then(|bytes| decode(&bytes)))
        })
    }

    fn save<'a>(
        &'a self,
        id: &'a SessionId,
        session: &'a Session,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.set(session_key(&self.prefix, id), encode(session)?, ttl)
                .await
        })
    }

    fn delete<'a>(&'a self, id: &'a SessionId) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("DEL")
                .arg(session_key(&self.prefix, id))
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| redis_error(&e))
        })
    }

    fn acquire_refresh_lease<'a>(
        &'a self,
        id: &'a SessionId,
        holder: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let set: Option<String> = redis::cmd("SET")
                .arg(lease_key(&self.prefix, id))
                .arg(holder)
                .arg("NX")
                .arg("PX")
                .arg(ms(ttl).max(1))
                .query_async(&mut connection)
                .await
                .map_err(|e| redis_error(&e))?;
            Ok(set.is_some())
        })
    }

    fn release_refresh_lease<'a>(
        &'a self,
        id: &'a SessionId,
        holder: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // Delete only our own lease: one that expired and was taken by another instance stays.
        const RELEASE: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";
        Box::pin(async move {
            let mut connection = self.connection.clone();
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(lease_key(&self.prefix, id))
                .arg(holder)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| redis_error(&e))
        })
    }
}

/// Builds the store the settings name (connecting to Redis if so).
pub async fn store_from_settings(
    settings: &SessionSettings,
) -> Result<Arc<dyn SessionStore>, StoreError> {
    match settings.store {
        StoreKind::Memory => Ok(Arc::new(MemoryStore::new(settings.key_prefix.clone()))),
        StoreKind::Redis => {
            let url = settings
                .redis_url
                .as_ref()
                .ok_or_else(|| StoreError("redis_url is not set".to_owned()))?;
            let store = RedisStore::connect(
                url.expose_secret(),
                settings.key_prefix.clone(),
                settings.redis_timeout,
            )
            .await?;
            Ok(Arc::new(store))
        }
    }
}

/// How long one instance may hold a session's refresh lease: above the provider's default
/// timeout (5 s), so the lease outlives the refresh it guards.
const REFRESH_LEASE: Duration = Duration::from_secs(10);
/// How often an instance waiting for another's refresh looks at the session again.
const LEASE_POLL: Duration = Duration::from_millis(25);

/// The outcome of [`SessionManager::lease_or_refreshed`].
enum Lease {
    /// This instance holds the lease and refreshes this session.
    Held(Session),
    /// Fresh enough tokens are there (refreshed elsewhere), or the old ones must do.
    Refreshed(Session),
}

/// What refreshes a session's tokens: the [`OidcClient`], or a test double.
pub trait TokenRefresher: Send + Sync {
    /// New tokens for `tokens`, or why not.
    fn refresh<'a>(&'a self, tokens: &'a TokenSet)
    -> BoxFuture<'a, Result<TokenSet, RefreshError>>;
}

impl TokenRefresher for OidcClient {
    fn refresh<'a>(
        &'a self,
        tokens: &'a TokenSet,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(OidcClient::refresh(self, tokens))
    }
}

/// Why a request has no usable session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No session (never logged in, expired, logged out): the caller is anonymous.
    #[error("no session")]
    NotFound,
    /// The provider refused the refresh token: the session was deleted.
    #[error("session ended by the provider")]
    Ended,
    /// The access token expired and could not be refreshed (provider down); the session stays.
    #[error("token refresh failed: {0}")]
    RefreshFailed(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionError {
    /// 401 for no or ended session, 503 when the provider or the store failed.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::NotFound | Self::Ended => {
                Problem::new(StatusCode::UNAUTHORIZED).with_detail("No active session.")
            }
            Self::RefreshFailed(_) | Self::Store(_) => {
                Problem::new(StatusCode::SERVICE_UNAVAILABLE)
                    .with_detail("The session cannot be used right now; retry shortly.")
                    .with_retry_after(1)
            }
        }
    }
}

/// Sessions with their rules: timeouts, a new id per login, single-flight refresh.
pub struct SessionManager {
    store: Arc<dyn SessionStore>,
    settings: SessionSettings,
    /// One async lock per session being refreshed; entries die with their last holder.
    refresh_locks: Mutex<HashMap<SessionId, Weak<tokio::sync::Mutex<()>>>>,
    refreshes: AtomicU64,
}

impl fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManager")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `store`.
    pub fn new(store: Arc<dyn SessionStore>, settings: SessionSettings) -> Self {
        Self {
            store,
            settings,
            refresh_locks: Mutex::default(),
            refreshes: AtomicU64::new(0),
        }
    }

    /// Validates the settings and connects the store they name.
    pub async fn from_settings(settings: &SessionSettings) -> Result<Self, SessionSetupError> {
        settings.validate("session")?;
        Ok(Self::new(
            store_from_settings(settings).await?,
            settings.clone(),
        ))
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SessionStore> {
        &self.store
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.settings
    }

    /// How many refreshes this manager has started (for metrics and tests).
    pub fn refresh_count(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Stores a new session for `tokens` under a new random id (always a new id after a login).
    pub async fn create(&self, tokens: TokenSet) -> Result<(SessionId, Session), StoreError> {
        let id = SessionId::generate();
        let session = Session::new(tokens, &self.settings);
        self.store
            .save(&id, &session, session.ttl_at(now_ms()))
            .await?;
        Ok((id, session))
    }

    /// Ends a session (logout).
    pub async fn delete(&self, id: &SessionId) -> Result<(), StoreError> {
        self.store.delete(id).await
    }

    /// The live session of `id`, its idle expiry pushed forward. An expired session is deleted
    /// and reported as `None`.
    pub async fn load(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        let Some(mut session) = self.store.load(id).await? else {
            return Ok(None);
        };
        let now = now_ms();
        if session.is_expired_at(now) {
            self.store.delete(id).await?;
            return Ok(None);
        }
        // Touch at most every tenth of the idle timeout: not a write per request.
        let idle = ms(self.settings.idle_timeout);
        if now.saturating_sub(session.last_seen) >= (idle / 10).min(60_000) {
            session.last_seen = now;
            session.idle_expiry = now.saturating_add(idle).min(session.absolute_expiry);
            self.store.save(id, &session, session.ttl_at(now)).await?;
        }
        Ok(Some(session))
    }

    /// The live session of `id` with an access token valid for at least `refresh_margin`,
    /// refreshing it inline if needed — once for all concurrent requests of this session.
    /// `invalid_grant` deletes the session ([`SessionError::Ended`]); a provider failure keeps
    /// the session and still answers with the old token while it has not expired.
    pub async fn with_fresh_tokens(
        &self,
        id: &SessionId,
        refresher: &dyn TokenRefresher,
    ) -> Result<Session, SessionError> {
        let session = self.load(id).await?.ok_or(SessionError::NotFound)?;
        let margin = self.settings.refresh_margin;
        if !session.tokens.expires_within(margin) {
            return Ok(session);
        }
        let lock = self.refresh_lock(id);
        let _flight = lock.lock().await;
        // Whoever held the lock before may have refreshed already: look again.
        let session = self.load(id).await?.ok_or(SessionError::NotFound)?;
        if !session.tokens.expires_within(margin) {
            return Ok(session);
        }
        // Another instance sharing the store may be refreshing it: wait for its tokens.
        let holder = random_urlsafe(16);
        let session = match self.lease_or_refreshed(id, &holder, session).await? {
            Lease::Refreshed(session) => return Ok(session),
            Lease::Held(session) => session,
        };
        let refreshed = self.refresh_under_lease(id, session, refresher).await;
        if let Err(error) = self.store.release_refresh_lease(id, &holder).await {
            tracing::warn!(%error, "the refresh lease could not be released; it expires by itself");
        }
        refreshed
    }

    /// Takes the refresh lease of `id`, or waits (polling the store) until the instance that
    /// holds it has saved fresh tokens. Gives up after [`REFRESH_LEASE`]: the old access token
    /// is used while it lasts, then the request is a 503.
    async fn lease_or_refreshed(
        &self,
        id: &SessionId,
        holder: &str,
        mut session: Session,
    ) -> Result<Lease, SessionError> {
        let give_up = Instant::now() + REFRESH_LEASE;
        loop {
            if self
                .store
                .acquire_refresh_lease(id, holder, REFRESH_LEASE)
                .await?
            {
                // The holder before us may have finished between our look and our lease.
                let latest = self.load(id).await?.ok_or(SessionError::NotFound)?;
                if latest.tokens.expires_within(self.settings.refresh_margin) {
                    return Ok(Lease::Held(latest));
                }
                if let Err(error) = self.store.release_refresh_lease(id, holder).await {
                    tracing::warn!(%error, "the refresh lease could not be released");
                }
                return Ok(Lease::Refreshed(latest));
            }
            if Instant::now() >= give_up {
                tracing::warn!("another instance holds the refresh lease too long");
                return if session.tokens.expires_within(Duration::ZERO) {
                    Err(SessionError::RefreshFailed(
                        "the refresh lease is held elsewhere".to_owned(),
                    ))
                } else {
                    Ok(Lease::Refreshed(session))
                };
            }
            tokio::time::sleep(LEASE_POLL).await;
            session = self.load(id).await?.ok_or(SessionError::NotFound)?;
            if !session.tokens.expires_within(self.settings.refresh_margin) {
                return Ok(Lease::Refreshed(session));
            }
        }
    }

    /// Refreshes the tokens of `session` and saves them; the caller holds the lease.
    async fn refresh_under_lease(
        &self,
        id: &SessionId,
        mut session: Session,
        refresher: &dyn TokenRefresher,
    ) -> Result<Session, SessionError> {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        match refresher.refresh(&session.tokens).await {
            Ok(tokens) => {
                metrics::counter!("auth_session_refreshes_total", "outcome" => "ok").increment(1);
                session.user = tokens.user.clone();
                session.tokens = tokens;
                self.store
                    .save(id, &session, session.ttl_at(now_ms()))
                    .await?;
                Ok(session)
            }
            Err(error) if error.ends_session() => {
                metrics::counter!("auth_session_refreshes_total", "outcome" => "ended")
                    .increment(1);
                tracing::info!(%error, "session ended by the provider");
                self.store.delete(id).await?;
                Err(SessionError::Ended)
            }
            Err(error) => {
                metrics::counter!("auth_session_refreshes_total", "outcome" => "failed")
                    .increment(1);
                tracing::warn!(%error, "token refresh failed");
                if session.tokens.expires_within(Duration::ZERO) {
                    Err(SessionError::RefreshFailed(error.to_string()))
                } else {
                    Ok(session)
                }
            }
        }
    }

    fn refresh_lock(&self, id: &SessionId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.refresh_locks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lock) = locks.get(id).and_then(Weak::upgrade) {
            return lock;
        }
        if locks.len() >= 1024 {
            locks.retain(|_, lock| lock.strong_count() > 0);
        }
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(id.clone(), Arc::downgrade(&lock));
        lock
    }
}

/// The session cookie's name: the `__Host-` prefix makes the browser insist on `Secure`,
/// `Path=/` and no `Domain`.
pub const SESSION_COOKIE: &str = "__Host-session";

/// The cookie that carries a browser's logins in progress (sealed; see bff-web's
/// `auth::login_cookie`).
pub const LOGIN_COOKIE: &str = "__Host-login";

/// `Set-Cookie` for the session: `Secure; HttpOnly; SameSite=Strict; Path=/`, no `Domain`, no
/// `Max-Age` (a browser-session cookie; the server enforces the timeouts).
pub fn session_cookie(id: &SessionId) -> HeaderValue {
    cookie_header(SESSION_COOKIE, id.as_str(), "Strict", None)
}

/// `Set-Cookie` for the login cookie with `value` (base64url), for `login_timeout`.
/// `SameSite=Lax`: the callback arrives as a top-level navigation from the provider's site, which
/// `Strict` would strip the cookie from.
pub fn login_cookie(value: &str, settings: &SessionSettings) -> HeaderValue {
    cookie_header(LOGIN_COOKIE, value, "Lax", Some(settings.login_timeout))
}

/// `Set-Cookie` that removes cookie `name` (logout, after the callback).
pub fn expired_cookie(name: &str) -> HeaderValue {
    cookie_header(name, "", "Lax", Some(Duration::ZERO))
}

fn cookie_header(
    name: &str,
    value: &str,
    same_site: &str,
    max_age: Option<Duration>,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", max_age.as_secs()));
    }
    // Names are constants and values base64url: always a valid header value.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in the request's `Cookie` headers, if present exactly once.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value);
    let first = found.next()?;
    // Two cookies of one name (e.g. one planted by a sibling domain): trust neither.
    found.next().is_none().then_some(first)
}

/// The session id of the request, if its cookie has the shape of one.
pub fn session_id_from(headers: &HeaderMap) -> Option<SessionId> {
    cookie_value(headers, SESSION_COOKIE).and_then(SessionId::parse)
}

/// Why a [`SessionManager`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SessionSetupError {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be reached.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_memory_30_minutes_idle_and_8_hours_absolute() {
        let settings: SessionSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings.store, StoreKind::Memory);
        assert_eq!(settings.idle_timeout, Duration::from_secs(1800));
        assert_eq!(settings.absolute_timeout, Duration::from_secs(8 * 3600));
        settings.validate("session").unwrap();
    }

    #[test]
    fn redis_needs_a_url() {
        let settings: SessionSettings = serde_json::from_str(r#"{"store": "redis"}"#).unwrap();
        let error = settings.validate("session").unwrap_err().to_string();
        assert!(error.contains("session.redis_url"), "{error}");
        assert!(serde_json::from_str::<SessionSettings>(r#"{"store": "file"}"#).is_err());
    }

    #[test]
    fn a_replicated_bff_refuses_the_memory_store() {
        let replicated = |store| SessionSettings {
            store,
            replicated: true,
            redis_url: Some(SecretString::from("redis://redis:6379/")),
            ..SessionSettings::default()
        };
        let error = replicated(StoreKind::Memory)
            .validate("session")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("session.store") && error.contains("session.replicated"),
            "{error}"
        );
        assert!(replicated(StoreKind::Redis).validate("session").is_ok());
        assert!(SessionSettings::default().validate("session").is_ok());
    }

    #[test]
    fn the_login_cookie_key_must_be_32_bytes_of_base64() {
        let with = |key: &str| SessionSettings {
            login_cookie_key: Some(SecretString::from(key)),
            ..SessionSettings::default()
        };
        assert_eq!(
            SessionSettings::default().login_cookie_key_bytes(),
            Ok(None)
        );
        let standard = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(
            with(standard).login_cookie_key_bytes().unwrap().unwrap()[31],
            31
        );
        with(standard.trim_end_matches('='))
            .validate("session")
            .unwrap();
        for bad in [
            "",
            "short",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
            "not base64!",
        ] {
            let error = with(bad).validate("session").unwrap_err().to_string();
            assert!(error.contains("session.login_cookie_key"), "{bad}: {error}");
        }
    }

    #[test]
    fn cookies_are_host_prefixed_secure_http_only_and_same_site() {
        let id = SessionId::generate();
        let cookie = session_cookie(&id);
        assert_eq!(
            cookie.to_str().unwrap(),
            format!(
                "__Host-session={}; Path=/; Secure; HttpOnly; SameSite=Strict",
                id.as_str()
            )
        );
        let login = login_cookie("st", &SessionSettings::default());
        assert_eq!(
            login.to_str().unwrap(),
            "__Host-login=st; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"
        );
        assert!(
            expired_cookie(SESSION_COOKIE)
                .to_str()
                .unwrap()
                .ends_with("Max-Age=0")
        );
    }

    #[test]
    fn the_session_id_is_read_from_the_cookie_only_when_well_formed_and_unique() {
        let id = SessionId::generate();
        let mut headers = HeaderMap::new();
        assert_eq!(session_id_from(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; __Host-session={}", id.as_str())).unwrap(),
        );
        assert_eq!(session_id_from(&headers), Some(id.clone()));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=other"),
        );
        assert_eq!(session_id_from(&headers), None, "two session cookies");
        let mut tampered = HeaderMap::new();
        tampered.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=abc"),
        );
        assert_eq!(session_id_from(&tampered), None);
    }

    #[test]
    fn session_ids_are_random_43_characters_and_garbage_is_not_an_id() {
        let id = SessionId::generate();
        assert_eq!(id.as_str().len(), 43);
        assert_ne!(id, SessionId::generate());
        assert_eq!(SessionId::parse(id.as_str()), Some(id.clone()));
        assert!(!format!("{id:?}").contains(id.as_str()));
        for garbage in [
            "",
            "abc",
            &"a".repeat(44),
            &format!("{}=", &id.as_str()[..42]),
        ] {
            assert_eq!(SessionId::parse(garbage), None, "{garbage}");
        }
    }
}
