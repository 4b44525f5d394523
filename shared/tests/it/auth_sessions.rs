//! Server-side sessions: one suite run against the in-memory store and against a real
//! `redis-server` started by the test, then the single-flight refresh against `dev-idp`.
//!
//! The Redis tests need `redis-server` on the PATH (`apt-get install -y redis-server`); without
//! it they fail with a message saying so.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use shared::auth::SecretToken;
use shared::auth::oidc::{RefreshError, TokenSet, User};
use shared::auth::session::{
    MemoryStore, RedisStore, Session, SessionError, SessionId, SessionManager, SessionSettings,
    SessionStore, TokenRefresher,
};
use shared::redis_server::RedisServer;

/// A store under test, with whatever keeps it alive.
struct Backend {
    store: Arc<dyn SessionStore>,
    _redis: Option<RedisServer>,
}

fn memory() -> Backend {
    Backend {
        store: Arc::new(MemoryStore::new("test:")),
        _redis: None,
    }
}

async fn redis() -> Backend {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url(), "test:", Duration::from_secs(1))
        .await
        .expect("connect to the test redis-server");
    Backend {
        store: Arc::new(store),
        _redis: Some(server),
    }
}

fn tokens(access: &str, expires_in: i64) -> TokenSet {
    TokenSet {
        access_token: SecretToken::new(access),
        refresh_token: Some(SecretToken::new(format!("refresh-{access}"))),
        id_token: Some(SecretToken::new("id-token")),
        expires_at: support_now().saturating_add_signed(expires_in),
        user: User {
            sub: "demo-user-1".to_owned(),
            name: Some("Ada Lovelace".to_owned()),
            email: Some("ada@example.test".to_owned()),
        },
    }
}

fn support_now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn settings(idle_ms: u64, absolute_ms: u64) -> SessionSettings {
    SessionSettings {
        idle_timeout: Duration::from_millis(idle_ms),
        absolute_timeout: Duration::from_millis(absolute_ms),
        ..SessionSettings::default()
    }
}

/// The behaviours every store must have.
mod suite {
    use super::*;

    pub async fn a_saved_session_loads_back_until_deleted(backend: Backend) {
        let store = backend.store;
        let id = SessionId::generate();
        assert!(store.load(&id).await.unwrap().is_none());
        let session = Session::new(tokens("at-1", 300), &SessionSettings::default());
        store
            .save(&id, &session, Duration::from_secs(60))
            .await
            .unwrap();
        let loaded = store.load(&id).await.unwrap().expect("saved session");
        assert_eq!(loaded.user.sub, "demo-user-1");
        assert_eq!(loaded.tokens.access_token.expose(), "at-1");
        assert_eq!(loaded.absolute_expiry, session.absolute_expiry);
        assert!(store.load(&SessionId::generate()).await.unwrap().is_none());
        store.delete(&id).await.unwrap();
        assert!(store.load(&id).await.unwrap().is_none());
        store.delete(&id).await.unwrap();
    }

    pub async fn a_session_disappears_after_its_ttl(backend: Backend) {
        let store = backend.store;
        let id = SessionId::generate();
        let session = Session::new(tokens("at-1", 300), &SessionSettings::default());
        store
            .save(&id, &session, Duration::from_millis(600))
            .await
            .unwrap();
        assert!(store.load(&id).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert!(store.load(&id).await.unwrap().is_none());
    }

    pub async fn every_login_gets_a_new_session_id(backend: Backend) {
        let manager = SessionManager::new(backend.store, SessionSettings::default());
        let (first, _) = manager.create(tokens("at-1", 300)).await.unwrap();
        let (second, _) = manager.create(tokens("at-2", 300)).await.unwrap();
        assert_ne!(first, second);
        let a = manager.load(&first).await.unwrap().unwrap();
        let b = manager.load(&second).await.unwrap().unwrap();
        assert_eq!(a.tokens.access_token.expose(), "at-1");
        assert_eq!(b.tokens.access_token.expose(), "at-2");
        manager.delete(&first).await.unwrap();
        assert!(manager.load(&first).await.unwrap().is_none());
        assert!(manager.load(&second).await.unwrap().is_some());
    }

    pub async fn an_idle_session_ends_and_requests_keep_it_alive(backend: Backend) {
        let manager = SessionManager::new(backend.store, settings(1000, 60_000));
        let (id, _) = manager.create(tokens("at-1", 300)).await.unwrap();
        // Requests every 300 ms keep it alive past the 1 s idle timeout.
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(manager.load(&id).await.unwrap().is_some(), "kept alive");
        }
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert!(
            manager.load(&id).await.unwrap().is_none(),
            "idle session ended"
        );
    }

    pub async fn an_active_session_ends_at_the_absolute_timeout(backend: Backend) {
        let manager = SessionManager::new(backend.store, settings(1000, 1500));
        let started = Instant::now();
        let (id, _) = manager.create(tokens("at-1", 300)).await.unwrap();
        // Active every 200 ms: never idle, yet it ends 1.5 s after the login.
        while started.elapsed() < Duration::from_millis(1100) {
            assert!(manager.load(&id).await.unwrap().is_some());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(1700).saturating_sub(started.elapsed())).await;
        assert!(
            manager.load(&id).await.unwrap().is_none(),
            "absolute timeout"
        );
    }

    pub async fn concurrent_requests_share_one_refresh(backend: Backend) {
        let manager = Arc::new(SessionManager::new(
            backend.store,
            SessionSettings::default(),
        ));
        let (id, _) = manager.create(tokens("old", 5)).await.unwrap();
        let refresher = Arc::new(SlowRefresher::default());
        let requests: Vec<_> = (0..10)
            .map(|_| {
                let (manager, refresher, id) = (manager.clone(), refresher.clone(), id.clone());
                tokio::spawn(async move {
                    manager
                        .with_fresh_tokens(&id, refresher.as_ref())
                        .await
                        .map(|s| s.tokens.access_token.expose().to_owned())
                })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap(), "new-1");
        }
        assert_eq!(refresher.calls.load(Ordering::SeqCst), 1);
        assert_eq!(manager.refresh_count(), 1);
        let stored = manager.load(&id).await.unwrap().unwrap();
        assert_eq!(stored.tokens.access_token.expose(), "new-1");
    }

    pub async fn a_provider_failure_keeps_the_session_and_its_still_valid_token(backend: Backend) {
        let manager = SessionManager::new(backend.store, SessionSettings::default());
        let failing = FixedRefresher(|| RefreshError::Failed("provider down".to_owned()));
        let (id, _) = manager.create(tokens("old", 5)).await.unwrap();
        let session = manager.with_fresh_tokens(&id, &failing).await.unwrap();
        assert_eq!(session.tokens.access_token.expose(), "old");

        let (expired, _) = manager.create(tokens("old", -5)).await.unwrap();
        assert!(matches!(
            manager.with_fresh_tokens(&expired, &failing).await,
            Err(SessionError::RefreshFailed(_))
        ));
        assert!(
            manager.load(&expired).await.unwrap().is_some(),
            "session kept"
        );
    }

    pub async fn a_session_without_a_refresh_token_keeps_its_token_until_expiry_then_ends(
        backend: Backend,
    ) {
        let manager = SessionManager::new(backend.store, SessionSettings::default());
        let counting = CountingRefresher::default();
        let mut without = tokens("only", 5);
        without.refresh_token = None;
        let (id, _) = manager.create(without.clone()).await.unwrap();
        // Within the refresh margin, but nothing to refresh with: the token is used as it is.
        let session = manager.with_fresh_tokens(&id, &counting).await.unwrap();
        assert_eq!(session.tokens.access_token.expose(), "only");
        assert_eq!(counting.calls.load(Ordering::SeqCst), 0, "no refresh tried");

        without.expires_at = support_now() - 5;
        let (expired, _) = manager.create(without).await.unwrap();
        assert!(matches!(
            manager.with_fresh_tokens(&expired, &counting).await,
            Err(SessionError::Ended)
        ));
        assert!(manager.load(&expired).await.unwrap().is_none(), "deleted");
        assert_eq!(counting.calls.load(Ordering::SeqCst), 0, "no refresh tried");
    }

    pub async fn invalid_grant_deletes_the_session(backend: Backend) {
        let manager = SessionManager::new(backend.store, SessionSettings::default());
        let (id, _) = manager.create(tokens("old", 5)).await.unwrap();
        let refused = FixedRefresher(|| RefreshError::InvalidGrant);
        assert!(matches!(
            manager.with_fresh_tokens(&id, &refused).await,
            Err(SessionError::Ended)
        ));
        assert!(manager.load(&id).await.unwrap().is_none());
        assert!(matches!(
            manager.with_fresh_tokens(&id, &refused).await,
            Err(SessionError::NotFound)
        ));
    }
}

/// Counts refreshes; each takes 100 ms so that concurrent requests overlap it.
#[derive(Default)]
struct SlowRefresher {
    calls: AtomicUsize,
}

impl TokenRefresher for SlowRefresher {
    fn refresh<'a>(&'a self, _: &'a TokenSet) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(tokens(&format!("new-{n}"), 300))
        })
    }
}

/// Counts calls and answers like the OIDC client without a refresh token.
#[derive(Default)]
struct CountingRefresher {
    calls: AtomicUsize,
}

impl TokenRefresher for CountingRefresher {
    fn refresh<'a>(&'a self, _: &'a TokenSet) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(RefreshError::NoRefreshToken) })
    }
}

struct FixedRefresher(fn() -> RefreshError);

impl TokenRefresher for FixedRefresher {
    fn refresh<'a>(&'a self, _: &'a TokenSet) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        let error = (self.0)();
        Box::pin(async move { Err(error) })
    }
}

// The suite against each kind of store.
shared::tests_per_backend! {
    suite: suite,
    backends: [memory_store => memory(), redis_store => redis().await],
    tests: [
        a_saved_session_loads_back_until_deleted,
        a_session_disappears_after_its_ttl,
        every_login_gets_a_new_session_id,
        an_idle_session_ends_and_requests_keep_it_alive,
        an_active_session_ends_at_the_absolute_timeout,
        concurrent_requests_share_one_refresh,
        a_provider_failure_keeps_the_session_and_its_still_valid_token,
        a_session_without_a_refresh_token_keeps_its_token_until_expiry_then_ends,
        invalid_grant_deletes_the_session,
    ],
}

#[test]
fn the_memory_store_purges_expired_entries() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = MemoryStore::new("test:");
        for _ in 0..5 {
            let session = Session::new(tokens("at", 300), &SessionSettings::default());
            store
                .save(&SessionId::generate(), &session, Duration::from_millis(50))
                .await
                .unwrap();
        }
        assert_eq!(store.len(), 5);
        tokio::time::sleep(Duration::from_millis(100)).await;
        store.purge_expired();
        assert!(store.is_empty());
    });
}

#[tokio::test]
async fn a_corrupt_redis_entry_reads_as_no_session() {
    let backend = redis().await;
    let server = backend._redis.as_ref().unwrap();
    let id = SessionId::generate();
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("SET")
        .arg(format!("test:session:{}", id.as_str()))
        .arg("{not json")
        .query_async::<()>(&mut connection)
        .await
        .unwrap();
    assert!(backend.store.load(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn redis_values_carry_a_ttl_and_the_configured_prefix() {
    let backend = redis().await;
    let server = backend._redis.as_ref().unwrap();
    let manager = SessionManager::new(backend.store.clone(), SessionSettings::default());
    let (id, _) = manager.create(tokens("at", 300)).await.unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let ttl: i64 = redis::cmd("PTTL")
        .arg(format!("test:session:{}", id.as_str()))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 30 * 60 * 1000, "{ttl}");
}

#[tokio::test]
async fn an_unreachable_redis_is_a_store_error_not_an_anonymous_user() {
    let server = RedisServer::start();
    let store = RedisStore::connect(&server.url(), "test:", Duration::from_millis(300))
        .await
        .unwrap();
    drop(server);
    let manager = SessionManager::new(Arc::new(store), SessionSettings::default());
    assert!(manager.load(&SessionId::generate()).await.is_err());
}

// --- Single flight against the real provider --------------------------------------------------

#[tokio::test]
async fn ten_concurrent_requests_cause_one_refresh_at_the_provider() {
    use dev_idp::testing::{TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
    use shared::auth::oidc::{CallbackParams, OidcClient, OidcSettings};

    let idp = TestIdp::spawn().await;
    idp.set_auto_login(Some("ada"));
    let settings = OidcSettings::new(
        idp.url(),
        WEB_CLIENT_ID,
        WEB_CLIENT_SECRET,
        "http://localhost:8080/auth/callback".parse().unwrap(),
    );
    let oidc = OidcClient::discover(&settings).await.unwrap();
    let (url, pending) = oidc.begin_login("/");
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    let location: url::Url = response.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let params: CallbackParams = serde_urlencoded_from(location.query().unwrap_or_default());
    let mut login_tokens = oidc.complete_login(&pending, &params).await.unwrap();
    let original = login_tokens.access_token.expose().to_owned();
    // Make the access token due for a refresh.
    login_tokens.expires_at = support_now() + 5;

    let manager = Arc::new(SessionManager::new(
        memory().store,
        SessionSettings::default(),
    ));
    let (id, _) = manager.create(login_tokens).await.unwrap();
    let before = idp.token_requests();
    let requests: Vec<_> = (0..10)
        .map(|_| {
            let (manager, oidc, id) = (manager.clone(), oidc.clone(), id.clone());
            tokio::spawn(async move {
                manager
                    .with_fresh_tokens(&id, &oidc)
                    .await
                    .map(|s| s.tokens.access_token.expose().to_owned())
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for request in requests {
        seen.insert(request.await.unwrap().unwrap());
    }
    assert_eq!(
        idp.token_requests() - before,
        1,
        "one refresh at the provider"
    );
    assert_eq!(seen.len(), 1, "every request uses the one refreshed token");
    assert!(!seen.contains(&original));

    // The provider revokes the session's grant: the next refresh ends the session.
    let session = manager.load(&id).await.unwrap().unwrap();
    oidc.revoke(session.tokens.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    let mut due = session.clone();
    due.tokens.expires_at = support_now() + 5;
    manager
        .store()
        .save(&id, &due, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(matches!(
        manager.with_fresh_tokens(&id, &oidc).await,
        Err(SessionError::Ended)
    ));
    assert!(manager.load(&id).await.unwrap().is_none());
}

fn serde_urlencoded_from(query: &str) -> shared::auth::oidc::CallbackParams {
    let pairs: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    shared::auth::oidc::CallbackParams {
        code: pairs.get("code").cloned(),
        state: pairs.get("state").cloned(),
        iss: pairs.get("iss").cloned(),
        error: pairs.get("error").cloned(),
        error_description: pairs.get("error_description").cloned(),
    }
}

#[tokio::test]
async fn a_redis_refresh_lease_has_one_holder_until_released_or_expired() {
    let backend = redis().await;
    let store = &backend.store;
    let id = SessionId::generate();
    let ttl = Duration::from_millis(300);

    assert!(store.acquire_refresh_lease(&id, "a", ttl).await.unwrap());
    assert!(!store.acquire_refresh_lease(&id, "b", ttl).await.unwrap());
    // Only the holder releases it.
    store.release_refresh_lease(&id, "b").await.unwrap();
    assert!(!store.acquire_refresh_lease(&id, "b", ttl).await.unwrap());
    store.release_refresh_lease(&id, "a").await.unwrap();
    assert!(store.acquire_refresh_lease(&id, "b", ttl).await.unwrap());
    // A holder that never releases (a crashed instance) loses it after the ttl.
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert!(store.acquire_refresh_lease(&id, "c", ttl).await.unwrap());
    // Another session's lease is another key.
    assert!(
        store
            .acquire_refresh_lease(&SessionId::generate(), "a", ttl)
            .await
            .unwrap()
    );
}
