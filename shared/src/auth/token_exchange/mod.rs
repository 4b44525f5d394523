//! OAuth 2.0 Token Exchange (RFC 8693): a token for one upstream's audience, in place of the
//! user's own token, when that upstream is called on the user's behalf.
//!
//! A provider that issues one audience per token (most certified ones) gives the BFF a token for
//! the BFF; an upstream rightly refuses it. For each upstream with an `audience` setting, the BFF
//! exchanges the user's access token at the provider's token endpoint (from discovery, through
//! the back-channel URL when set) for one with that audience only, authenticating as its own
//! confidential client ([`ClientCredentials`]: `client_secret_basic`, else `client_secret_post`).
//!
//! Exchanged tokens are cached, bounded ([`MAX_CACHED`] entries), keyed by a SHA-256 of the
//! subject token and the audience (never the token itself), until [`EXPIRY_MARGIN`] (or a quarter
//! of their life, if shorter) before they expire and never past the subject token's own `exp`. Concurrent identical exchanges share one
//! call to the provider (single flight). Failures are not cached.
//!
//! # Layout
//! - this module — [`TokenExchanger`], [`ExchangeSettings`], the cache and single flight;
//! - [`request`] — the exchange request and the response checks;
//! - [`error`] — [`ExchangeError`] and what it means for the upstream call.

pub mod error;
pub mod request;

pub use error::ExchangeError;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::auth::client_auth::{AuthMethod, ClientCredentials};
use crate::auth::provider::{self, Discovered, FetchError, ProviderMetadata};
use crate::auth::secret::SecretToken;
use crate::upstream::cache::{AtTheirTime, Expires};
use request::Endpoint;

/// Exchanged tokens are dropped this long before they expire (a quarter of their life, if that
/// is shorter).
pub const EXPIRY_MARGIN: Duration = Duration::from_secs(30);
/// Most exchanged tokens kept (users × audiences); the least used go first.
pub const MAX_CACHED: u64 = 10_000;
/// The lifetime assumed when the provider does not say (`expires_in` absent).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

/// Who exchanges, and where: the provider and the BFF's confidential client.
#[derive(Clone)]
pub struct ExchangeSettings {
    /// The provider's issuer (discovery at `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// The provider's base URL as this service reaches it, if not the issuer's.
    pub backchannel_url: Option<Url>,
    /// The client id the BFF exchanges as.
    pub client_id: String,
    /// Its secret.
    pub client_secret: SecretString,
    /// Timeout of each call to the provider.
    pub timeout: Duration,
    /// Largest provider response read.
    pub max_body_bytes: usize,
    /// Least time between discovery attempts while the provider is down.
    pub discovery_cooldown: Duration,
}

crate::debug_showing!(ExchangeSettings { issuer, client_id });

/// An exchanged access token, until it leaves the cache. `Debug` redacts the token.
#[derive(Debug)]
pub struct Exchanged {
    token: SecretToken,
    until: Instant,
}

impl Exchanged {
    /// The token to send to the upstream.
    pub fn token(&self) -> &SecretToken {
        &self.token
    }
}

impl Expires for Exchanged {
    fn expires_at(&self) -> Instant {
        self.until
    }
}

type Key = [u8; 32];
type Outcome = Result<Arc<Exchanged>, ExchangeError>;
type Flight = Shared<BoxFuture<'static, Outcome>>;

struct Inner {
    settings: ExchangeSettings,
    http: reqwest::Client,
    endpoint: Discovered<Endpoint>,
    cache: moka::sync::Cache<Key, Arc<Exchanged>>,
    in_flight: Mutex<HashMap<Key, Flight>>,
}

/// Exchanges users' tokens for upstream audiences, with a cache. Cheap to clone.
#[derive(Clone)]
pub struct TokenExchanger {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenExchanger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchanger")
            .field("settings", &self.inner.settings)
            .field("cached", &self.inner.cache.entry_count())
            .finish_non_exhaustive()
    }
}

impl TokenExchanger {
    /// An exchanger for `settings`. Discovers the provider now; when it is down, the first
    /// exchange that needs it tries again (at most once per `discovery_cooldown`), so the BFF
    /// starts without its provider.
    pub async fn start(settings: ExchangeSettings) -> Result<Self, reqwest::Error> {
        let http = provider::client(settings.timeout)?;
        let endpoint = match discover(&http, &settings).await {
            Ok(endpoint) => Some(endpoint),
            Err(error) => {
                tracing::warn!(
                    %error,
                    issuer = %settings.issuer,
                    "token exchange: the provider could not be discovered; retrying on demand"
                );
                None
            }
        };
        let cooldown = settings.discovery_cooldown;
        Ok(Self {
            inner: Arc::new(Inner {
                endpoint: Discovered::from_startup(endpoint, cooldown),
                http,
                cache: moka::sync::Cache::builder()
                    .max_capacity(MAX_CACHED)
                    .expire_after(AtTheirTime)
                    .build(),
                in_flight: Mutex::default(),
                settings,
            }),
        })
    }

    /// A token for `audience` in place of `subject_token` (the user's access token): from the
    /// cache, or exchanged now (once for all concurrent identical requests).
    pub async fn token_for(&self, subject_token: &str, audience: &str) -> Outcome {
        let key = cache_key(subject_token, audience);
        if let Some(hit) = self.inner.cache.get(&key) {
            metrics::counter!("auth_token_exchange_cache_total", "result" => "hit").increment(1);
            return Ok(hit);
        }
        metrics::counter!("auth_token_exchange_cache_total", "result" => "miss").increment(1);
        let flight = {
            let mut in_flight = self
                .inner
                .in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            in_flight
                .entry(key)
                .or_insert_with(|| {
                    // Its own task: it finishes (and leaves `in_flight`) even when every caller
                    // has given up.
                    let inner = Arc::clone(&self.inner);
                    let (subject, audience) = (subject_token.to_owned(), audience.to_owned());
                    let task =
                        tokio::spawn(async move { inner.exchange(key, &subject, &audience).await });
                    async move {
                        task.await.unwrap_or_else(|_| {
                            Err(ExchangeError::Unavailable(FetchError::Transport(
                                "the exchange task ended early".to_owned(),
                            )))
                        })
                    }
                    .boxed()
                    .shared()
                })
                .clone()
        };
        flight.await
    }

    /// How many exchanged tokens are cached (for tests and metrics).
    pub fn cached(&self) -> u64 {
        self.inner.cache.run_pending_tasks();
        self.inner.cache.entry_count()
    }
}

impl Inner {
    async fn exchange(&self, key: Key, subject_token: &str, audience: &str) -> Outcome {
        let outcome = self.exchange_uncached(subject_token, audience).await;
        let label = match &outcome {
            Ok(_) => "ok",
            Err(error) => error.label(),
        };
        metrics::counter!("auth_token_exchanges_total", "outcome" => label).increment(1);
        match &outcome {
            Ok(exchanged) if exchanged.until > Instant::now() => {
                self.cache.insert(key, Arc::clone(exchanged));
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, audience, "token exchange failed"),
        }
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key);
        outcome
    }

    async fn exchange_uncached(&self, subject_token: &str, audience: &str) -> Outcome {
        let settings = &self.settings;
        let endpoint = self
            .endpoint
            .get_or_discover(&settings.issuer, || discover(&self.http, settings))
            .await
            .ok_or_else(|| {
                ExchangeError::Unavailable(FetchError::Transport(
                    "the provider is not discovered yet".to_owned(),
                ))
            })?;
        let started = Instant::now();
        let issued = request::exchange(
            &self.http,
            endpoint,
            subject_token,
            audience,
            settings.max_body_bytes,
            settings.timeout,
        )
        .await?;
        let lifetime = issued
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        // Short-lived tokens (a provider issuing them for a minute or less) are still reused
        // for most of their life.
        let lifetime = lifetime.saturating_sub(EXPIRY_MARGIN.min(lifetime / 4));
        let mut until = started + lifetime;
        if let Some(left) = subject_lifetime(subject_token) {
            until = until.min(started + left);
        }
        Ok(Arc::new(Exchanged {
            token: SecretToken::new(issued.access_token),
            until,
        }))
    }
}

/// The token endpoint and the client's credentials, from the provider's discovery document.
async fn discover(http: &reqwest::Client, settings: &ExchangeSettings) -> Result<Endpoint, String> {
    let metadata = ProviderMetadata::discover_via(
        http,
        &settings.issuer,
        settings.backchannel_url.as_ref(),
        settings.max_body_bytes,
        settings.timeout,
    )
    .await
    .map_err(|e| e.to_string())?;
    let method = AuthMethod::for_provider(&metadata).ok_or_else(|| {
        "the token endpoint takes neither client_secret_basic nor client_secret_post".to_owned()
    })?;
    let url = metadata
        .token_endpoint
        .ok_or_else(|| "the provider has no token_endpoint".to_owned())?;
    Ok(Endpoint {
        url,
        credentials: ClientCredentials::new(
            settings.client_id.clone(),
            settings.client_secret.clone(),
            method,
        ),
    })
}

/// SHA-256 of the subject token and the audience: the cache never holds the user's token.
fn cache_key(subject_token: &str, audience: &str) -> Key {
    let mut hash = Sha256::new();
    hash.update(subject_token.as_bytes());
    hash.update([0]);
    hash.update(audience.as_bytes());
    hash.finalize().into()
}

/// How long the subject token still lives, from its `exp` if it is a JWT. Read without
/// verification: it only ever shortens how long an exchanged token is kept (the BFF has
/// validated the token, or received it from the provider itself).
fn subject_lifetime(subject_token: &str) -> Option<Duration> {
    let payload = subject_token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(Duration::from_secs(
        exp.saturating_sub(jsonwebtoken::get_current_timestamp()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_depends_on_token_and_audience_and_is_not_the_token() {
        let a = cache_key("token", "accounts");
        assert_ne!(a, cache_key("token", "recommendations"));
        assert_ne!(a, cache_key("other", "accounts"));
        assert_ne!(cache_key("ab", "c"), cache_key("a", "bc"));
    }

    #[test]
    fn the_subject_lifetime_comes_from_a_jwt_exp_and_is_none_for_opaque_tokens() {
        let exp = jsonwebtoken::get_current_timestamp() + 100;
        let payload = URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{exp}}}"#));
        let left = subject_lifetime(&format!("h.{payload}.s")).unwrap();
        assert!(left <= Duration::from_secs(100) && left >= Duration::from_secs(98));
        assert_eq!(subject_lifetime("opaque"), None);
        let past = URL_SAFE_NO_PAD.encode(r#"{"exp":1}"#);
        assert_eq!(
            subject_lifetime(&format!("h.{past}.s")),
            Some(Duration::ZERO)
        );
    }
}
