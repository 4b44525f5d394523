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
//!    (constant time), checks `iss` and `error`, exchanges the code (`client_secret_basic`, or
//!    `client_secret_post` when the provider offers only that; the PKCE verifier; the RFC 8707
//!    `resource`s) and validates the ID token (signature from the provider's JWKS, `iss`,
//!    `aud` = client id, `exp`, `iat`, `nonce`, `typ` not `at+jwt`). The result is a
//!    [`TokenSet`] that stays server-side, in a new session.
//! 3. Later: [`OidcClient::refresh`] (an `invalid_grant` ends the session),
//!    [`OidcClient::revoke`] and [`OidcClient::end_session_url`] at logout.
//!
//! Every call to the provider has a timeout, reads its body under a byte cap and follows no
//! redirect. Secrets (client secret, tokens, PKCE verifier, nonce) never appear in `Debug`
//! output or logs.

//!
//! # Layout
//! - this module — [`OidcClient`] and the calls it makes to the provider;
//! - [`settings`] — [`OidcSettings`];
//! - [`flow`] — [`PendingLogin`], [`CallbackParams`], [`User`], [`TokenSet`];
//! - [`error`] — [`LoginError`], [`RefreshError`], [`OidcError`];
//! - `token_endpoint` — the token endpoint's form POST, its responses and error codes (the
//!   token exchange posts there too).

pub mod error;
pub mod flow;
pub mod settings;
pub(crate) mod token_endpoint;

pub use error::{LoginError, OidcError, RefreshError};
use flow::now;
pub use flow::{CallbackParams, PendingLogin, TokenSet, User};
pub use settings::OidcSettings;
use token_endpoint::{TokenEndpointError, TokenResponse, error_code, oauth_error};

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::auth::client_auth::{AuthMethod, ClientCredentials};
use crate::auth::jwks::{JwksKeyStore, KeyStore};
use crate::auth::provider::{self, DiscoveryError, FetchError, ProviderMetadata};
use crate::auth::return_to;
use crate::auth::secret::{SecretToken, ct_eq, random_urlsafe};
use crate::auth::validator::{self, Checks, Kind, TokenError, parse_algorithms};
use crate::config::ConfigError;

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Inner {
    settings: OidcSettings,
    metadata: ProviderMetadata,
    authorization_endpoint: Url,
    token_endpoint: Url,
    credentials: ClientCredentials,
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
        let method = AuthMethod::for_provider(&metadata).ok_or(OidcError::Unsupported(
            "neither client_secret_basic nor client_secret_post at the token endpoint",
        ))?;
        let credentials = ClientCredentials::new(
            settings.client_id.clone(),
            settings.client_secret.clone(),
            method,
        );
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
                credentials,
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
            "prompt",
        ];
        let prompt = self.prompt(
            extra
                .iter()
                .find(|(name, _)| *name == "prompt")
                .map(|p| p.1),
        );
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
            if let Some(prompt) = &prompt {
                query.append_pair("prompt", prompt);
            }
            for (name, value) in &self.inner.settings.resource_params() {
                query.append_pair(name, value);
            }
            for (name, value) in extra {
                if !reserved.contains(name) {
                    query.append_pair(name, value);
                }
            }
        }
        (url, pending)
    }

    /// The `prompt` of an authorization request: the caller's, with `consent` added when the
    /// scopes ask for `offline_access` (OpenID Connect Core §11: without `prompt=consent` a
    /// provider ignores `offline_access` and issues no refresh token). `prompt=none` is left
    /// alone: it cannot be combined with `consent`.
    fn prompt(&self, requested: Option<&str>) -> Option<String> {
        let offline = self.wants_offline_access();
        match requested {
            None if offline => Some("consent".to_owned()),
            Some(prompt)
                if offline && !prompt.split(' ').any(|p| p == "consent" || p == "none") =>
            {
                Some(format!("{prompt} consent"))
            }
            other => other.map(str::to_owned),
        }
    }

    fn wants_offline_access(&self) -> bool {
        self.inner
            .settings
            .scopes
            .iter()
            .any(|scope| scope == "offline_access")
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
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pending.pkce_verifier.expose()),
        ];
        params.extend(self.inner.settings.resource_params());
        let response = self.token_request(&params).await.map_err(|e| match e {
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
        if response.refresh_token.is_none() && self.wants_offline_access() {
            tracing::warn!(
                "the provider issued no refresh token although offline_access was asked for: \
                 this session ends when its access token expires"
            );
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
        let mut params = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ];
        params.extend(self.inner.settings.resource_params());
        let response = self.token_request(&params).await.map_err(|e| match e {
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
        let request = self.inner.credentials.post_form(
            &self.inner.http,
            endpoint,
            &[
                ("token", token.expose()),
                ("token_type_hint", "refresh_token"),
            ],
        );
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

    async fn token_request(
        &self,
        params: &[(&str, &str)],
    ) -> Result<TokenResponse, TokenEndpointError> {
        let request =
            self.inner
                .credentials
                .post_form(&self.inner.http, &self.inner.token_endpoint, params);
        let settings = &self.inner.settings;
        let response: TokenResponse = token_endpoint::post(
            request,
            settings.max_body_bytes,
            settings.timeout,
            &[400, 401],
        )
        .await?;
        if !response.token_type.eq_ignore_ascii_case("Bearer") {
            return Err(TokenEndpointError::Invalid("token_type is not Bearer"));
        }
        if response.access_token.is_empty() {
            return Err(TokenEndpointError::Invalid("empty access_token"));
        }
        Ok(response)
    }
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
}
