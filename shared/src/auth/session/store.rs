//! What a session holds ([`Session`]) and where it is kept ([`SessionStore`]), with the
//! helpers both stores share (keys, JSON encoding, milliseconds).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{MemoryStore, RedisStore, SessionId, SessionSettings, StoreKind};
use crate::auth::oidc::{TokenSet, User};

/// Milliseconds since the epoch.
pub(super) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(super) fn ms(duration: Duration) -> u64 {
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
    pub(super) fn ttl_at(&self, now: u64) -> Duration {
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

pub(super) fn session_key(prefix: &str, id: &SessionId) -> String {
    format!("{prefix}session:{}", id.as_str())
}

pub(super) fn lease_key(prefix: &str, id: &SessionId) -> String {
    format!("{prefix}refresh:{}", id.as_str())
}

/// Decodes a stored value; a corrupt one counts as absent (and is logged).
pub(super) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes)
        .inspect_err(|error| tracing::warn!(%error, "corrupt session store entry ignored"))
        .ok()
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError(e.to_string()))
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
