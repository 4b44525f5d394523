//! Talking to the identity provider: one HTTP client without redirects, bodies read under a
//! byte cap and a timeout, and the provider's discovery document.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

/// What went wrong talking to the identity provider. For logs; never shown to clients.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// No complete answer within the timeout.
    #[error("timed out")]
    Timeout,
    /// No connection, or the connection broke.
    #[error("transport error: {0}")]
    Transport(String),
    /// An unexpected HTTP status (redirects are not followed and count here).
    #[error("unexpected status {0}")]
    Status(u16),
    /// The body was larger than the configured cap.
    #[error("body larger than {0} bytes")]
    TooLarge(usize),
    /// The body was not the expected JSON.
    #[error("invalid body: {0}")]
    InvalidBody(String),
}

impl FetchError {
    /// Whether retrying later may succeed (timeouts, transport errors, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout | Self::Transport(_) => true,
            Self::Status(status) => *status >= 500 || *status == 429,
            Self::TooLarge(_) | Self::InvalidBody(_) => false,
        }
    }

    fn from_reqwest(error: &reqwest::Error) -> Self {
        if error.is_timeout() {
            Self::Timeout
        } else {
            // The error's Display can name the URL; never a token (tokens travel in bodies and
            // headers, not URLs).
            Self::Transport(error.to_string())
        }
    }
}

/// A client for the identity provider: connect and total timeouts, no redirects (a token
/// endpoint that redirects is misconfigured or hijacked), no cookies.
pub(crate) fn client(timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(timeout)
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("bff-shared/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Something built from the provider's discovery (its key store, the OIDC client) that may have
/// to wait for the provider: set at start-up when the provider answered, else discovered by the
/// first use that needs it, with at most one attempt per `cooldown`, so a burst of requests
/// while the provider is down costs it one call, not one per request.
#[derive(Debug)]
pub(crate) struct Discovered<T> {
    value: tokio::sync::OnceCell<T>,
    cooldown: Duration,
    last_attempt: std::sync::Mutex<Option<tokio::time::Instant>>,
}

impl<T> Discovered<T> {
    /// Nothing discovered yet; the first use may try at once.
    pub(crate) fn new(cooldown: Duration) -> Self {
        Self {
            value: tokio::sync::OnceCell::new(),
            cooldown,
            last_attempt: std::sync::Mutex::new(None),
        }
    }

    /// The outcome of a discovery made at start-up: the value, or a failed attempt that the
    /// next one waits a cooldown after.
    pub(crate) fn from_startup(outcome: Option<T>, cooldown: Duration) -> Self {
        let discovered = Self::new(cooldown);
        match outcome {
            Some(value) => {
                let _ = discovered.value.set(value);
            }
            None => {
                discovered.try_attempt_now();
            }
        }
        discovered
    }

    /// The value, if discovered.
    pub(crate) fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// The value, discovering it now with `discover` if it has not been and the cooldown
    /// allows; `None` until then. Concurrent callers wait for the same discovery; a failure is
    /// logged (WARN) once per attempt.
    pub(crate) async fn get_or_discover<E, F, Fut>(&self, issuer: &str, discover: F) -> Option<&T>
    where
        E: std::fmt::Display,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.value.get() {
            return Some(value);
        }
        if !self.try_attempt_now() {
            return None;
        }
        match self.value.get_or_try_init(discover).await {
            Ok(value) => Some(value),
            Err(error) => {
                tracing::warn!(%error, %issuer, "identity provider discovery failed");
                None
            }
        }
    }

    /// Whether an attempt may go now; if so, the next one waits a cooldown.
    fn try_attempt_now(&self) -> bool {
        let mut last = self
            .last_attempt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_some_and(|at| at.elapsed() < self.cooldown) {
            return false;
        }
        *last = Some(tokio::time::Instant::now());
        true
    }
}

/// Seconds a client is told to wait (`Retry-After`) when the provider is unavailable.
const PROVIDER_RETRY_AFTER_SECS: u64 = 5;

/// The 503 of a request that needs the provider while it is unavailable: the rest of the BFF
/// still works, and the client may retry shortly.
pub(crate) fn unavailable_problem(detail: &str) -> crate::problem::Problem {
    crate::problem::Problem::new(http::StatusCode::SERVICE_UNAVAILABLE)
        .with_detail(detail)
        .with_retry_after(PROVIDER_RETRY_AFTER_SECS)
}

/// Sends `request`, then reads the whole body under `max_bytes`, all within `timeout`.
/// Returns the status and the body, whatever the status.
pub(crate) async fn send_capped(
    request: reqwest::RequestBuilder,
    max_bytes: usize,
    timeout: Duration,
) -> Result<(u16, Bytes), FetchError> {
    let exchange = async {
        let mut response = request
            .send()
            .await
            .map_err(|e| FetchError::from_reqwest(&e))?;
        let status = response.status().as_u16();
        if response
            .content_length()
            .is_some_and(|len| len > max_bytes as u64)
        {
            return Err(FetchError::TooLarge(max_bytes));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| FetchError::from_reqwest(&e))?
        {
            if body.len() + chunk.len() > max_bytes {
                return Err(FetchError::TooLarge(max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((status, body.freeze()))
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(FetchError::Timeout))
}

/// GETs `url` and decodes a 200 JSON body read under `max_bytes`.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &Url,
    max_bytes: usize,
    timeout: Duration,
) -> Result<T, FetchError> {
    let request = http
        .get(url.clone())
        .header(http::header::ACCEPT, "application/json");
    let (status, body) = send_capped(request, max_bytes, timeout).await?;
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    serde_json::from_slice(&body).map_err(|e| FetchError::InvalidBody(e.to_string()))
}

/// The parts of an OpenID Provider's discovery document (OpenID Connect Discovery 1.0, RFC 8414)
/// that the BFFs use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProviderMetadata {
    /// The issuer identifier; equal, character for character, to the configured one.
    pub issuer: String,
    /// Where the browser is sent to log in.
    pub authorization_endpoint: Option<Url>,
    /// Where codes and refresh tokens are exchanged.
    pub token_endpoint: Option<Url>,
    /// The only place signing keys are taken from.
    pub jwks_uri: Url,
    /// OpenID Connect UserInfo.
    pub userinfo_endpoint: Option<Url>,
    /// RFC 7009 token revocation, if supported.
    pub revocation_endpoint: Option<Url>,
    /// RP-initiated logout, if supported.
    pub end_session_endpoint: Option<Url>,
    /// PKCE methods; a provider that lists methods without `S256` is refused.
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
    /// RFC 9207: whether the callback carries `iss` (then it is required).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// How clients may authenticate at the token endpoint; absent means
    /// `client_secret_basic` (RFC 8414 §2).
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Vec<String>,
}

/// Why discovery failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DiscoveryError {
    /// The configured issuer is not an absolute `http(s)` URL.
    #[error("issuer {0:?} is not an http(s) URL")]
    InvalidIssuer(String),
    /// The document could not be fetched or decoded.
    #[error("discovery document: {0}")]
    Fetch(#[from] FetchError),
    /// The document names another issuer (a mix-up or a misconfiguration).
    #[error("discovery names issuer {found:?}, configured {expected:?}")]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// The document's issuer.
        found: String,
    },
}

/// The discovery URL of `issuer`: `{issuer}/.well-known/openid-configuration`.
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, DiscoveryError> {
    let invalid = || DiscoveryError::InvalidIssuer(issuer.to_owned());
    let parsed = Url::parse(issuer).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host().is_none()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err(invalid());
    }
    Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    ))
    .map_err(|_| invalid())
}

impl ProviderMetadata {
    /// Fetches `{issuer}/.well-known/openid-configuration` and checks that the document's
    /// `issuer` is exactly `issuer`.
    pub async fn discover(
        http: &reqwest::Client,
        issuer: &str,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<Self, DiscoveryError> {
        Self::discover_via(http, issuer, None, max_bytes, timeout).await
    }

    /// Like [`Self::discover`], but reaching the provider through `backchannel` (its base URL
    /// as seen from this service, e.g. `http://dev-idp:7000` inside a container network) when
    /// the issuer's URL is only reachable from browsers (`http://localhost:7000`). The issuer
    /// is still checked exactly; the server-to-server endpoints under the issuer (token, JWKS,
    /// userinfo, revocation) are rewritten onto the backchannel, while the browser-facing ones
    /// (authorization, end-session) stay as published.
    pub async fn discover_via(
        http: &reqwest::Client,
        issuer: &str,
        backchannel: Option<&Url>,
        max_bytes: usize,
        timeout: Duration,
    ) -> Result<Self, DiscoveryError> {
        let url = match backchannel {
            Some(base) => discovery_url(base.as_str())?,
            None => discovery_url(issuer)?,
        };
        let mut metadata: Self = get_json(http, &url, max_bytes, timeout).await?;
        if metadata.issuer != issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: issuer.to_owned(),
                found: metadata.issuer,
            });
        }
        if let Some(base) = backchannel {
            let onto = |url: &mut Url| {
                if let Some(rest) = url.as_str().strip_prefix(issuer.trim_end_matches('/')) {
                    let joined = format!("{}{rest}", base.as_str().trim_end_matches('/'));
                    if let Ok(rewritten) = Url::parse(&joined) {
                        *url = rewritten;
                    }
                }
            };
            onto(&mut metadata.jwks_uri);
            for endpoint in [
                &mut metadata.token_endpoint,
                &mut metadata.userinfo_endpoint,
                &mut metadata.revocation_endpoint,
            ]
            .into_iter()
            .flatten()
            {
                onto(endpoint);
            }
        }
        Ok(metadata)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discovery_url_is_under_the_issuer_with_or_without_a_trailing_slash() {
        assert_eq!(
            discovery_url("https://idp.example/realms/shop")
                .unwrap()
                .as_str(),
            "https://idp.example/realms/shop/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://idp.example/").unwrap().as_str(),
            "https://idp.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn an_issuer_that_is_not_an_http_url_is_refused() {
        for issuer in [
            "idp.example",
            "ftp://idp.example",
            "https://idp.example/?a=b",
            "",
        ] {
            assert!(discovery_url(issuer).is_err(), "{issuer}");
        }
    }
}
