//! The web BFF's OpenID Connect client: a confidential client using the authorization code flow
//! with PKCE (S256), `state`, `nonce` and the RFC 9207 `iss` check.
//!
//! The flow, as the web BFF wires it:
//! 1. `GET /login?return_to=…`: [`OidcClient::begin_login`] gives the provider's authorization
//!    URL and a [`PendingLogin`]; the BFF seals it (AEAD) into a short-lived `__Host-` login
//!    cookie, keeping nothing server-side, and redirects.
//! 2. `GET /callback?code=…&state=…&iss=…`: the BFF opens the login cookie and picks the pending
//!    login of the callback's `state` (the cookie is cleared: one use only), then
//!    [`OidcClient::complete_login`] compares the callback's `state` with it
//!    (constant time), checks `iss` and `error`, exchanges the code (`client_secret_basic`, the
//!    PKCE verifier) and validates the ID token (signature from the provider's JWKS, `iss`,
//!    `aud` = client id, `exp`, `iat`, `nonce`, `typ` not `at+jwt`). The result is a
//!    [`TokenSet`] that stays server-side, in a new session.
//! 3. Later: [`OidcClient::refresh`] (an `invalid_grant` ends the session),
//!    [`OidcClient::revoke`] and [`OidcClient::end_session_url`] at logout.
//!
//! Every call to the provider has a timeout, reads its body under a byte cap and follows no
//! redirect. Secrets (client secret, tokens, PKCE verifier, nonce) never appear in `Debug`
//! output or logs.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;
use url::form_urlencoded;

use super::jwks::{JwksError, JwksKeyStore, JwksSettings, KeyStore};
use super::provider::{self, DiscoveryError, FetchError, ProviderMetadata};
use super::return_to;
use super::secret::{SecretToken, ct_eq, random_urlsafe};
use super::validator::{self, Checks, Kind, MAX_LEEWAY, TokenError, parse_algorithms};
use crate::config::ConfigError;
use crate::problem::Problem;

/// The web BFF's client registration and how the provider is called. Env `…__OIDC__<KEY>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer identifier; discovery starts at
    /// `{issuer}/.well-known/openid-configuration` and the document must name it exactly.
    /// Required.
    pub issuer: String,
    /// This BFF's client id. Required.
    pub client_id: String,
    /// This BFF's client secret (sent as `client_secret_basic`). Required; give it through the
    /// environment (`…__OIDC__CLIENT_SECRET`), never in a file under version control.
    #[serde(serialize_with = "crate::config::masked::secret")]
    pub client_secret: SecretString,
    /// The BFF's callback URL as registered with the provider, on the BFF's public origin.
    /// Required.
    pub redirect_uri: Url,
    /// Scopes asked for at login. Default `["openid", "profile", "email", "offline_access"]`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Accepted ID-token signature algorithms. Default `["ES256", "RS256"]`.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on ID-token times. Default `30s`; at most `5m`.
    #[serde(default = "default_leeway", with = "humantime_serde")]
    pub leeway: Duration,
    /// Timeout of each call to the provider (discovery, token, revocation, userinfo).
    /// Default `5s`.
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest provider response read (and largest ID token). Default `65536` (64 KiB).
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// How the provider's JWKS is fetched and cached; every key has a default.
    #[serde(default)]
    pub jwks: JwksSettings,
    /// The provider's base URL as this service reaches it, when that differs from the issuer
    /// URL browsers use (containers: `http://dev-idp:7000` vs `http://localhost:7000`).
    /// Default: none, the issuer URL is used.
    #[serde(default, serialize_with = "crate::config::masked::optional_url")]
    pub backchannel_url: Option<Url>,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"]
        .map(str::to_owned)
        .to_vec()
}

fn default_algorithms() -> Vec<String> {
    vec!["ES256".to_owned(), "RS256".to_owned()]
}

fn default_leeway() -> Duration {
    Duration::from_secs(30)
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

fn default_max_body_bytes() -> usize {
    64 * 1024
}

impl OidcSettings {
    /// Settings with every default.
    pub fn new(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        redirect_uri: Url,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            redirect_uri,
            scopes: default_scopes(),
            algorithms: default_algorithms(),
            leeway: default_leeway(),
            timeout: default_timeout(),
            max_body_bytes: default_max_body_bytes(),
            jwks: JwksSettings::default(),
            backchannel_url: None,
        }
    }

    /// Checks the values; `prefix` names the section in errors (e.g. `oidc`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        provider::discovery_url(&self.issuer)
            .map_err(|e| ConfigError::invalid(&key("issuer"), e))?;
        if self.client_id.is_empty() {
            return Err(ConfigError::invalid(&key("client_id"), "must not be empty"));
        }
        if self.client_secret.expose_secret().is_empty() {
            return Err(ConfigError::invalid(
                &key("client_secret"),
                "must not be empty",
            ));
        }
        if !matches!(self.redirect_uri.scheme(), "http" | "https")
            || self.redirect_uri.fragment().is_some()
        {
            return Err(ConfigError::invalid(
                &key("redirect_uri"),
                "must be an http(s) URL without fragment",
            ));
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError::invalid(
                &key("scopes"),
                "must contain \"openid\"",
            ));
        }
        parse_algorithms(&self.algorithms)
            .map_err(|e| ConfigError::invalid(&key("algorithms"), e))?;
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::invalid(&key("leeway"), "must be at most 5m"));
        }
        if self.timeout.is_zero() {
            return Err(ConfigError::invalid(&key("timeout"), "must be positive"));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::invalid(
                &key("max_body_bytes"),
                "must be at least 1024",
            ));
        }
        self.jwks.validate(&key("jwks"))
    }
}

/// A login in progress, between [`OidcClient::begin_login`] and the callback. The web BFF keeps it
/// in the browser, sealed (encrypted and authenticated) in the login cookie, never server-side:
/// anonymous requests create no state.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// 32 random bytes, base64url: sent to the provider, echoed to the callback.
    pub state: String,
    /// 32 random bytes, base64url: must come back in the ID token.
    pub nonce: SecretToken,
    /// The PKCE verifier (32 random bytes, base64url); its S256 hash went to the provider.
    pub pkce_verifier: SecretToken,
    /// Where the browser goes after login (already sanitised).
    pub return_to: String,
    /// When the login began, seconds since the epoch.
    pub created_at: u64,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &"[redacted]")
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The query parameters of the callback (RFC 6749 §4.1.2, RFC 9207). Unknown ones are ignored.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` sent with the authorization request.
    pub state: Option<String>,
    /// The issuer that answered (RFC 9207).
    pub iss: Option<String>,
    /// An error code instead of a code (e.g. `access_denied`).
    pub error: Option<String>,
    /// The error's human-readable text (logged only, never shown).
    pub error_description: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Who logged in, from the ID token (or UserInfo when the ID token lacks the profile).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    /// The provider's subject identifier.
    pub sub: String,
    /// Display name, if released.
    pub name: Option<String>,
    /// E-mail address, if released.
    pub email: Option<String>,
}

/// The tokens of a session. Kept server-side only; every token is redacted in `Debug`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token to forward to upstreams.
    pub access_token: SecretToken,
    /// The refresh token, if the provider issued one (`offline_access`).
    pub refresh_token: Option<SecretToken>,
    /// The last ID token (for `id_token_hint`).
    pub id_token: Option<SecretToken>,
    /// When the access token expires, seconds since the epoch.
    pub expires_at: u64,
    /// The user.
    pub user: User,
}

impl TokenSet {
    /// Whether the access token expires within `margin` (or has expired).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at <= now() + margin.as_secs()
    }
}

/// Why a login could not be completed.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// The provider sent an `error` instead of a code (e.g. `access_denied`).
    #[error("the provider refused the login: {0}")]
    Provider(String),
    /// The callback's `state` is absent or not the pending login's.
    #[error("state mismatch")]
    StateMismatch,
    /// The callback's `iss` is not the issuer, or is absent while the provider announces it.
    #[error("iss mismatch")]
    IssuerMismatch,
    /// No `code` in the callback.
    #[error("no code in the callback")]
    MissingCode,
    /// The token endpoint refused the code (OAuth error code).
    #[error("the token endpoint refused the code: {0}")]
    Token(String),
    /// The token endpoint could not be reached or answered badly.
    #[error("token endpoint: {0}")]
    Fetch(#[from] FetchError),
    /// The token response lacks something required.
    #[error("invalid token response: {0}")]
    InvalidResponse(&'static str),
    /// The ID token is invalid.
    #[error("invalid ID token: {0}")]
    IdToken(#[from] TokenError),
}

impl LoginError {
    /// What the browser sees: 400 for a callback that does not belong to this login, 502 when the
    /// provider failed. The detail never says which check failed.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::Fetch(_) => {
                Problem::bad_gateway("The identity provider did not answer correctly.")
            }
            Self::Provider(_) => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail("The login was cancelled or refused."),
            _ => Problem::new(StatusCode::BAD_REQUEST)
                .with_detail("The login could not be completed."),
        }
    }
}

/// Why tokens could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The provider refused the refresh token (`invalid_grant`: expired, revoked, reused): the
    /// session must end.
    #[error("refresh token refused (invalid_grant)")]
    InvalidGrant,
    /// There is no refresh token: the session ends when the access token expires.
    #[error("no refresh token")]
    NoRefreshToken,
    /// Anything else (provider down, timeout, bad response, other OAuth error): the session is
    /// kept and a later request may succeed.
    #[error("refresh failed: {0}")]
    Failed(String),
}

impl RefreshError {
    /// Whether the session must end.
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::InvalidGrant | Self::NoRefreshToken)
    }
}

/// Errors of calls that are neither login nor refresh (revocation, setup).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// Discovery failed.
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    /// The key store could not be built.
    #[error(transparent)]
    Keys(#[from] JwksError),
    /// The provider lacks something this client needs.
    #[error("provider unsupported: {0}")]
    Unsupported(&'static str),
    /// A call to the provider failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The provider refused a request (OAuth error code).
    #[error("the provider refused: {0}")]
    Refused(String),
}

impl OidcError {
    /// Whether the provider may answer later (unreachable, timed out, 5xx), as opposed to a
    /// configuration the provider contradicts.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Discovery(DiscoveryError::Fetch(error)) | Self::Fetch(error) => {
                error.is_transient()
            }
            Self::Keys(error) => error.is_transient(),
            Self::Config(_)
            | Self::Client(_)
            | Self::Discovery(_)
            | Self::Unsupported(_)
            | Self::Refused(_) => false,
        }
    }
}

/// The successful token response (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

enum TokenEndpointError {
    /// An OAuth error response (`{"error": "invalid_grant"}`).
    OAuth(String),
    Fetch(FetchError),
    Invalid(&'static str),
}

/// Keeps a provider-chosen error code short and printable for the logs.
fn error_code(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Inner {
    settings: OidcSettings,
    metadata: ProviderMetadata,
    authorization_endpoint: Url,
    token_endpoint: Url,
    http: reqwest::Client,
    keys: Arc<dyn KeyStore>,
    id_checks: Checks,
}

/// The OIDC client. Build once at start-up; cheap to clone.
#[derive(Clone)]
pub struct OidcClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.inner.metadata.issuer)
            .field("client_id", &self.inner.settings.client_id)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// Validates the settings, discovers the provider, builds its JWKS key store.
    pub async fn discover(settings: &OidcSettings) -> Result<Self, OidcError> {
        settings.validate("oidc")?;
        let http = provider::client(settings.timeout)?;
        let metadata = ProviderMetadata::discover_via(
            &http,
            &settings.issuer,
            settings.backchannel_url.as_ref(),
            settings.max_body_bytes,
            settings.timeout,
        )
        .await?;
        let algorithms = parse_algorithms(&settings.algorithms)
            .map_err(|e| ConfigError::invalid("oidc.algorithms", e))?;
        let keys =
            JwksKeyStore::new(metadata.jwks_uri.clone(), &settings.jwks, &algorithms).await?;
        Self::with_parts(settings, metadata, Arc::new(keys), http)
    }

    /// A client for already discovered `metadata`, verifying ID tokens with `keys`.
    pub fn new(
        settings: &OidcSettings,
        metadata: ProviderMetadata,
        keys: Arc<dyn KeyStore>,
    ) -> Result<Self, OidcError> {
        settings.validate("oidc")?;
        let http = provider::client(settings.timeout)?;
        Self::with_parts(settings, metadata, keys, http)
    }

    fn with_parts(
        settings: &OidcSettings,
        metadata: ProviderMetadata,
        keys: Arc<dyn KeyStore>,
        http: reqwest::Client,
    ) -> Result<Self, OidcError> {
        if metadata.issuer != settings.issuer {
            return Err(DiscoveryError::IssuerMismatch {
                expected: settings.issuer.clone(),
                found: metadata.issuer,
            }
            .into());
        }
        let authorization_endpoint = metadata
            .authorization_endpoint
            .clone()
            .ok_or(OidcError::Unsupported("no authorization_endpoint"))?;
        let token_endpoint = metadata
            .token_endpoint
            .clone()
            .ok_or(OidcError::Unsupported("no token_endpoint"))?;
        if !metadata.code_challenge_methods_supported.is_empty()
            && !metadata
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(OidcError::Unsupported("PKCE S256 not supported"));
        }
        let id_checks = Checks {
            issuer: metadata.issuer.clone(),
            audience: settings.client_id.clone(),
            algorithms: parse_algorithms(&settings.algorithms)
                .map_err(|e| ConfigError::invalid("oidc.algorithms", e))?,
            leeway: settings.leeway.as_secs(),
            max_bytes: settings.max_body_bytes,
            kind: Kind::Id,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                settings: settings.clone(),
                metadata,
                authorization_endpoint,
                token_endpoint,
                http,
                keys,
                id_checks,
            }),
        })
    }

    /// The provider's discovery document.
    pub fn metadata(&self) -> &ProviderMetadata {
        &self.inner.metadata
    }

    /// Starts a login: the authorization URL to redirect the browser to, and the pending login
    /// to keep server-side. `return_to` is sanitised ([`return_to::sanitize`]).
    pub fn begin_login(&self, return_to: &str) -> (Url, PendingLogin) {
        self.begin_login_with(return_to, &[])
    }

    /// Like [`OidcClient::begin_login`], with extra authorization parameters (e.g.
    /// `login_hint`, `prompt`); they cannot replace the protocol's own parameters.
    pub fn begin_login_with(&self, return_to: &str, extra: &[(&str, &str)]) -> (Url, PendingLogin) {
        let pending = PendingLogin {
            state: random_urlsafe(32),
            nonce: SecretToken::new(random_urlsafe(32)),
            pkce_verifier: SecretToken::new(random_urlsafe(32)),
            return_to: return_to::sanitize(return_to),
            created_at: now(),
        };
        let settings = &self.inner.settings;
        let mut url = self.inner.authorization_endpoint.clone();
        let reserved = [
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "nonce",
            "code_challenge",
            "code_challenge_method",
        ];
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &settings.client_id)
                .append_pair("redirect_uri", settings.redirect_uri.as_str())
                .append_pair("scope", &settings.scopes.join(" "))
                .append_pair("state", &pending.state)
                .append_pair("nonce", pending.nonce.expose())
                .append_pair(
                    "code_challenge",
                    &pkce_challenge(pending.pkce_verifier.expose()),
                )
                .append_pair("code_challenge_method", "S256");
            for (name, value) in extra {
                if !reserved.contains(name) {
                    query.append_pair(name, value);
                }
            }
        }
        (url, pending)
    }

    /// Completes a login from the callback's parameters; see the module documentation.
    pub async fn complete_login(
        &self,
        pending: &PendingLogin,
        params: &CallbackParams,
    ) -> Result<TokenSet, LoginError> {
        let state_matches = params
            .state
            .as_deref()
            .is_some_and(|state| ct_eq(state, &pending.state));
        if !state_matches {
            return Err(LoginError::StateMismatch);
        }
        match params.iss.as_deref() {
            Some(iss) if iss != self.inner.metadata.issuer => {
                return Err(LoginError::IssuerMismatch);
            }
            None if self
                .inner
                .metadata
                .authorization_response_iss_parameter_supported =>
            {
                return Err(LoginError::IssuerMismatch);
            }
            _ => {}
        }
        if let Some(error) = &params.error {
            tracing::info!(
                error = %error_code(error),
                description = ?params.error_description.as_deref().map(error_code),
                "the provider refused the login"
            );
            return Err(LoginError::Provider(error_code(error)));
        }
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(LoginError::MissingCode)?;
        let redirect_uri = self.inner.settings.redirect_uri.as_str();
        let response = self
            .token_request(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pending.pkce_verifier.expose()),
            ])
            .await
            .map_err(|e| match e {
                TokenEndpointError::OAuth(code) => LoginError::Token(code),
                TokenEndpointError::Fetch(e) => LoginError::Fetch(e),
                TokenEndpointError::Invalid(why) => LoginError::InvalidResponse(why),
            })?;
        let id_token = response
            .id_token
            .as_deref()
            .ok_or(LoginError::InvalidResponse("no id_token"))?;
        let claims = self.verify_id_token(id_token).await?;
        let nonce_matches = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|nonce| pending.nonce.ct_eq(nonce));
        if !nonce_matches {
            return Err(TokenError::NonceMismatch.into());
        }
        let mut user = user_from_claims(&claims);
        if user.name.is_none() && user.email.is_none() {
            self.complete_from_userinfo(&mut user, &response.access_token)
                .await;
        }
        Ok(self.token_set(response, user, None))
    }

    /// Refreshes `tokens`. The refresh token is rotated when the provider issues a new one; an
    /// ID token in the response is validated and must name the same subject.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet, RefreshError> {
        let Some(refresh_token) = &tokens.refresh_token else {
            return Err(RefreshError::NoRefreshToken);
        };
        let response = self
            .token_request(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token.expose()),
            ])
            .await
            .map_err(|e| match e {
                TokenEndpointError::OAuth(code) if code == "invalid_grant" => {
                    RefreshError::InvalidGrant
                }
                TokenEndpointError::OAuth(code) => {
                    RefreshError::Failed(format!("the provider refused: {code}"))
                }
                TokenEndpointError::Fetch(e) => RefreshError::Failed(e.to_string()),
                TokenEndpointError::Invalid(why) => RefreshError::Failed(why.to_owned()),
            })?;
        let mut user = tokens.user.clone();
        if let Some(id_token) = response.id_token.as_deref() {
            let claims = self
                .verify_id_token(id_token)
                .await
                .map_err(|e| RefreshError::Failed(format!("invalid ID token: {e}")))?;
            let fresh = user_from_claims(&claims);
            if fresh.sub != user.sub {
                return Err(RefreshError::Failed(
                    "the refreshed ID token names another subject".to_owned(),
                ));
            }
            user.name = fresh.name.or(user.name);
            user.email = fresh.email.or(user.email);
        }
        Ok(self.token_set(response, user, Some(tokens)))
    }

    /// Revokes `token` (a refresh token) at the provider (RFC 7009). `Ok(false)` when the
    /// provider has no revocation endpoint.
    pub async fn revoke(&self, token: &SecretToken) -> Result<bool, OidcError> {
        let Some(endpoint) = &self.inner.metadata.revocation_endpoint else {
            return Ok(false);
        };
        let request = self.client_request(endpoint).body(form(&[
            ("token", token.expose()),
            ("token_type_hint", "refresh_token"),
        ]));
        let (status, body) = provider::send_capped(
            request,
            self.inner.settings.max_body_bytes,
            self.inner.settings.timeout,
        )
        .await?;
        match status {
            200 => Ok(true),
            400 | 401 => Err(OidcError::Refused(oauth_error(&body).unwrap_or_default())),
            other => Err(FetchError::Status(other).into()),
        }
    }

    /// The provider's end-session URL (RP-initiated logout), or `None` if it has none. Carries
    /// `client_id`, and `post_logout_redirect_uri` and `id_token_hint` when given.
    ///
    /// `SECURITY.md` says no URL the browser sees carries a token: the `id_token_hint` puts the
    /// ID token into this one, so pass it only if the provider requires it.
    pub fn end_session_url(
        &self,
        id_token_hint: Option<&SecretToken>,
        post_logout_redirect_uri: Option<&Url>,
    ) -> Option<Url> {
        let mut url = self.inner.metadata.end_session_endpoint.clone()?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("client_id", &self.inner.settings.client_id);
            if let Some(hint) = id_token_hint {
                query.append_pair("id_token_hint", hint.expose());
            }
            if let Some(uri) = post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", uri.as_str());
            }
        }
        Some(url)
    }

    async fn verify_id_token(&self, id_token: &str) -> Result<Map<String, Value>, TokenError> {
        let claims =
            validator::verify(id_token, self.inner.keys.as_ref(), &self.inner.id_checks).await?;
        // With several audiences, `azp` must name this client (OIDC Core §3.1.3.7).
        let audiences = validator::audiences(claims.get("aud").cloned())?;
        let azp = claims.get("azp").and_then(Value::as_str);
        let client_id = self.inner.settings.client_id.as_str();
        if (audiences.len() > 1 && azp.is_none()) || azp.is_some_and(|azp| azp != client_id) {
            return Err(TokenError::WrongAudience);
        }
        Ok(claims)
    }

    async fn complete_from_userinfo(&self, user: &mut User, access_token: &str) {
        let Some(endpoint) = &self.inner.metadata.userinfo_endpoint else {
            return;
        };
        let request = self
            .inner
            .http
            .get(endpoint.clone())
            .bearer_auth(access_token)
            .header(http::header::ACCEPT, "application/json");
        let info = provider::send_capped(
            request,
            self.inner.settings.max_body_bytes,
            self.inner.settings.timeout,
        )
        .await
        .ok()
        .filter(|(status, _)| *status == 200)
        .and_then(|(_, body)| serde_json::from_slice::<Map<String, Value>>(&body).ok());
        match info {
            Some(info) if info.get("sub").and_then(Value::as_str) == Some(user.sub.as_str()) => {
                let fresh = user_from_claims(&info);
                user.name = fresh.name;
                user.email = fresh.email;
            }
            _ => tracing::info!("UserInfo unavailable or for another subject; profile left empty"),
        }
    }

    fn token_set(
        &self,
        response: TokenResponse,
        user: User,
        previous: Option<&TokenSet>,
    ) -> TokenSet {
        TokenSet {
            access_token: SecretToken::new(response.access_token),
            refresh_token: response
                .refresh_token
                .map(SecretToken::new)
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            id_token: response
                .id_token
                .map(SecretToken::new)
                .or_else(|| previous.and_then(|p| p.id_token.clone())),
            // Without `expires_in`, assume a short life so that the token is refreshed early.
            expires_at: now() + response.expires_in.unwrap_or(60),
            user,
        }
    }

    /// A POST to `url` authenticated with `client_secret_basic` (RFC 6749 §2.3.1: id and
    /// secret form-encoded before base64).
    fn client_request(&self, url: &Url) -> reqwest::RequestBuilder {
        let settings = &self.inner.settings;
        let id: String = form_urlencoded::byte_serialize(settings.client_id.as_bytes()).collect();
        let secret: String =
            form_urlencoded::byte_serialize(settings.client_secret.expose_secret().as_bytes())
                .collect();
        let credentials = STANDARD.encode(format!("{id}:{secret}"));
        self.inner
            .http
            .post(url.clone())
            .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json")
    }

    async fn token_request(
        &self,
        params: &[(&str, &str)],
    ) -> Result<TokenResponse, TokenEndpointError> {
        let request = self
            .client_request(&self.inner.token_endpoint)
            .body(form(params));
        let (status, body) = provider::send_capped(
            request,
            self.inner.settings.max_body_bytes,
            self.inner.settings.timeout,
        )
        .await
        .map_err(TokenEndpointError::Fetch)?;
        match status {
            200 => {
                let response: TokenResponse = serde_json::from_slice(&body)
                    .map_err(|_| TokenEndpointError::Invalid("not a token response"))?;
                if !response.token_type.eq_ignore_ascii_case("Bearer") {
                    return Err(TokenEndpointError::Invalid("token_type is not Bearer"));
                }
                if response.access_token.is_empty() {
                    return Err(TokenEndpointError::Invalid("empty access_token"));
                }
                Ok(response)
            }
            400 | 401 => match oauth_error(&body) {
                Some(code) => Err(TokenEndpointError::OAuth(code)),
                None => Err(TokenEndpointError::Fetch(FetchError::Status(status))),
            },
            other => Err(TokenEndpointError::Fetch(FetchError::Status(other))),
        }
    }
}

fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// The `error` of an OAuth error response, sanitised for logs.
fn oauth_error(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorResponse {
        error: String,
    }
    serde_json::from_slice::<ErrorResponse>(body)
        .ok()
        .map(|e| error_code(&e.error))
}

fn user_from_claims(claims: &Map<String, Value>) -> User {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    User {
        sub: text("sub").unwrap_or_default(),
        name: text("name"),
        email: text("email"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pkce_challenge_is_the_rfc_7636_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn settings_need_openid_and_a_secret_and_default_the_rest() {
        let settings: OidcSettings = serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example",
            "client_id": "web",
            "client_secret": "s3cret",
            "redirect_uri": "https://shop.example/auth/callback",
        }))
        .unwrap();
        settings.validate("oidc").unwrap();
        assert_eq!(
            settings.scopes,
            ["openid", "profile", "email", "offline_access"]
        );
        assert_eq!(settings.timeout, Duration::from_secs(5));
        assert!(!format!("{settings:?}").contains("s3cret"));

        let mut no_openid = settings.clone();
        no_openid.scopes = vec!["profile".to_owned()];
        assert!(no_openid.validate("oidc").is_err());
    }

    #[test]
    fn pending_logins_and_callback_params_do_not_show_secrets_in_debug() {
        let pending = PendingLogin {
            state: "state-value".to_owned(),
            nonce: SecretToken::new("nonce-value"),
            pkce_verifier: SecretToken::new("verifier-value"),
            return_to: "/orders".to_owned(),
            created_at: 0,
        };
        let debug = format!("{pending:?}");
        assert!(!debug.contains("value"), "{debug}");
        let params = CallbackParams {
            code: Some("code-value".to_owned()),
            ..CallbackParams::default()
        };
        assert!(!format!("{params:?}").contains("value"));
    }
}
