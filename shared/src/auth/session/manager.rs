//! [`SessionManager`]: sessions with their rules (timeouts, a new id per login) and the refresh
//! of a session's tokens, once per session across requests and instances.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::store::{ms, now_ms};
use super::{
    Session, SessionId, SessionSettings, SessionStore, StoreError, TokenRefresher,
    store_from_settings,
};
use crate::auth::oidc::TokenSet;
use crate::auth::secret::random_urlsafe;
use crate::problem::Problem;

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

crate::debug_showing!(SessionManager { store });

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
        if session.tokens.refresh_token.is_none() {
            return self.without_refresh_token(id, session).await;
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

    /// A session the provider gave no refresh token (no `offline_access` granted): nothing to
    /// refresh, so its access token is used until it expires, and then the session ends.
    async fn without_refresh_token(
        &self,
        id: &SessionId,
        session: Session,
    ) -> Result<Session, SessionError> {
        if !session.tokens.expires_within(Duration::ZERO) {
            return Ok(session);
        }
        metrics::counter!("auth_session_refreshes_total", "outcome" => "no_refresh_token")
            .increment(1);
        tracing::info!(
            "session ended: its access token expired and the provider issued no refresh token"
        );
        self.store.delete(id).await?;
        Err(SessionError::Ended)
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

/// Why a [`SessionManager`] could not be built: invalid settings, or the store could not be
/// reached.
pub type SessionSetupError = crate::auth::SetupError<StoreError>;

impl From<StoreError> for SessionSetupError {
    fn from(error: StoreError) -> Self {
        Self::Backend(error)
    }
}
