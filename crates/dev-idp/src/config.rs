//! Settings of the development identity provider: issuer, port, lifetimes, clients.
//!
//! Layered like every binary of the workspace ([`shared::config`]): the built-in
//! `config/default.toml` (which documents every key), then an optional file, then environment
//! variables prefixed `DEV_IDP__` with `__` between levels (`DEV_IDP__ISSUER=...`,
//! `DEV_IDP__CLIENTS__WEB__SECRET=...`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use shared::config::ConfigError;
use shared::telemetry::TelemetrySettings;
use url::Url;

use crate::users;

/// The built-in defaults, also the source of [`IdpConfig::default`].
pub const DEFAULTS_TOML: &str = include_str!("../config/default.toml");

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "DEV_IDP";

/// The issuer of the built-in defaults.
pub const DEFAULT_ISSUER: &str = "http://localhost:7000";

/// Everything the provider needs to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// The issuer identifier and base of every published URL (default `http://localhost:7000`;
    /// `DEV_IDP__ISSUER`). No trailing slash.
    pub issuer: String,
    /// Interface to bind (default `127.0.0.1`; `DEV_IDP__BIND_ADDRESS`).
    pub bind_address: IpAddr,
    /// Port to bind (default 7000; `DEV_IDP__PORT`, or `--port`).
    pub port: u16,
    /// Lifetime of access tokens (default `5m`; `DEV_IDP__ACCESS_TOKEN_TTL`).
    #[serde(with = "humantime_serde")]
    pub access_token_ttl: Duration,
    /// Lifetime of each refresh token from its issuance (default `8h`;
    /// `DEV_IDP__REFRESH_TOKEN_TTL`).
    #[serde(with = "humantime_serde")]
    pub refresh_token_ttl: Duration,
    /// Lifetime of ID tokens (default `5m`; `DEV_IDP__ID_TOKEN_TTL`).
    #[serde(with = "humantime_serde")]
    pub id_token_ttl: Duration,
    /// Lifetime of authorization codes (default `60s`; `DEV_IDP__CODE_TTL`).
    #[serde(with = "humantime_serde")]
    pub code_ttl: Duration,
    /// How long a rotated-out key stays published (default `1h`; `DEV_IDP__KEY_GRACE`).
    #[serde(with = "humantime_serde")]
    pub key_grace: Duration,
    /// A demo user (id or username) signed in without the login page (default none;
    /// `DEV_IDP__AUTO_LOGIN`). An empty string means none.
    pub auto_login: Option<String>,
    /// Honour `login_hint` non-interactively: that user is signed in without a password
    /// (default false, a WARN at start-up when on; `DEV_IDP__ALLOW_LOGIN_HINT`).
    pub allow_login_hint: bool,
    /// Grant `offline_access` (and issue a refresh token) only with `prompt=consent`, as OpenID
    /// Connect Core §11 says (default false; `DEV_IDP__OFFLINE_ACCESS_NEEDS_CONSENT`).
    pub offline_access_needs_consent: bool,
    /// Access tokens of the code and refresh grants carry only the client's first audience, as
    /// providers that issue one audience per token do (default false;
    /// `DEV_IDP__ONE_AUDIENCE_PER_TOKEN`).
    pub one_audience_per_token: bool,
    /// Serve `/_control/*` (default true; `DEV_IDP__CONTROL_ENABLED`).
    pub control_enabled: bool,
    /// Log format and filter (`DEV_IDP__TELEMETRY__FORMAT`, `..__FILTER`).
    pub telemetry: TelemetrySettings,
    /// Registered clients by label (`web` = `bff-web`, `mobile` = `mobile-app`).
    pub clients: BTreeMap<String, ClientConfig>,
}

/// One registered OAuth client.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The OAuth `client_id`.
    pub client_id: String,
    /// The client secret of a confidential client; `None` for a public client.
    pub secret: Option<ClientSecret>,
    /// Redirect URIs, matched by exact string equality. May be empty only for a client that
    /// just exchanges tokens.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Where `/end_session` may send the browser afterwards, matched exactly.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// The `aud` of this client's access tokens.
    pub audiences: Vec<String>,
    /// Whether this client may exchange access tokens (RFC 8693 token exchange) for another
    /// audience. Confidential clients only. Default false.
    #[serde(default)]
    pub token_exchange: bool,
}

/// A client secret: never shown in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the comparison at the token endpoint.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

shared::layered_config!(IdpConfig, ENV_PREFIX, DEFAULTS_TOML);

impl IdpConfig {
    /// Sets the port; while the issuer is the built-in default, its port follows, so that
    /// `dev-idp --port 7100` publishes `http://localhost:7100` URLs.
    pub fn with_port(mut self, port: u16) -> Self {
        if self.issuer == DEFAULT_ISSUER {
            self.issuer = format!("http://localhost:{port}");
        }
        self.port = port;
        self
    }

    /// The development shortcuts switched on, one sentence each, for a WARN at start-up: each
    /// signs someone in without a password.
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.allow_login_hint {
            warnings.push(
                "allow_login_hint: /authorize signs in the user named by login_hint without a \
                 password, for anyone who can reach this provider"
                    .to_owned(),
            );
        }
        if let Some(user) = &self.auto_login {
            warnings.push(format!(
                "auto_login: every /authorize signs in {user} without a password"
            ));
        }
        warnings
    }

    /// Checks what serde cannot: URL shapes, non-zero lifetimes, known users, unique clients.
    pub fn validated(mut self) -> Result<Self, ConfigError> {
        check_issuer(&self.issuer)?;
        for (key, ttl) in [
            ("access_token_ttl", self.access_token_ttl),
            ("refresh_token_ttl", self.refresh_token_ttl),
            ("id_token_ttl", self.id_token_ttl),
            ("code_ttl", self.code_ttl),
        ] {
            if ttl < Duration::from_secs(1) {
                return Err(ConfigError::invalid(key, "must be at least 1s"));
            }
        }
        if self.auto_login.as_deref().is_some_and(str::is_empty) {
            self.auto_login = None;
        }
        if let Some(user) = &self.auto_login
            && users::find(user).is_none()
        {
            return Err(ConfigError::invalid(
                "auto_login",
                "names no demo user (use demo-user-1..3 or ada, grace, alan)",
            ));
        }
        let mut ids = Vec::new();
        for (label, client) in &self.clients {
            let key = |field: &str| format!("clients.{label}.{field}");
            if client.client_id.is_empty() {
                return Err(ConfigError::invalid(&key("client_id"), "must not be empty"));
            }
            if ids.contains(&client.client_id.as_str()) {
                return Err(ConfigError::invalid(&key("client_id"), "is used twice"));
            }
            ids.push(&client.client_id);
            if client
                .secret
                .as_ref()
                .is_some_and(|s| s.expose().is_empty())
            {
                return Err(ConfigError::invalid(
                    &key("secret"),
                    "must not be empty (leave it out for a public client)",
                ));
            }
            if client.token_exchange && client.secret.is_none() {
                return Err(ConfigError::invalid(
                    &key("token_exchange"),
                    "only a confidential client (with a secret) may exchange tokens",
                ));
            }
            if client.redirect_uris.is_empty() && !client.token_exchange {
                return Err(ConfigError::invalid(
                    &key("redirect_uris"),
                    "must not be empty",
                ));
            }
            for uri in &client.redirect_uris {
                check_redirect_uri(uri)
                    .map_err(|why| ConfigError::invalid(&key("redirect_uris"), why))?;
            }
            for uri in &client.post_logout_redirect_uris {
                check_redirect_uri(uri)
                    .map_err(|why| ConfigError::invalid(&key("post_logout_redirect_uris"), why))?;
            }
            if client.audiences.is_empty() || client.audiences.iter().any(String::is_empty) {
                return Err(ConfigError::invalid(
                    &key("audiences"),
                    "must list at least one non-empty audience",
                ));
            }
        }
        Ok(self)
    }
}

fn check_issuer(issuer: &str) -> Result<(), ConfigError> {
    let url = Url::parse(issuer)
        .map_err(|_| ConfigError::invalid("issuer", "must be an absolute http(s) URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ConfigError::invalid(
            "issuer",
            "must be an http(s) URL with a host",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || issuer.ends_with('/') {
        return Err(ConfigError::invalid(
            "issuer",
            "must have no query, fragment or trailing slash",
        ));
    }
    Ok(())
}

/// Checks that `uri` can be a redirect target: an absolute URI (custom schemes allowed for
/// native apps) without a fragment.
pub(crate) fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "every URI must be absolute")?;
    if url.fragment().is_some() {
        return Err("a redirect URI must not have a fragment");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_register_the_web_and_mobile_clients() {
        let config = IdpConfig::default();
        assert_eq!(config.issuer, DEFAULT_ISSUER);
        assert_eq!(config.port, 7000);
        assert_eq!(config.code_ttl, Duration::from_secs(60));
        assert_eq!(config.auto_login, None);
        assert!(
            !config.allow_login_hint,
            "password-less sign-in is off by default"
        );
        assert!(config.startup_warnings().is_empty());
        let web = &config.clients["web"];
        assert_eq!(web.client_id, "bff-web");
        assert_eq!(
            web.secret.as_ref().map(ClientSecret::expose),
            Some("dev-secret-change-me")
        );
        assert!(web.token_exchange);
        let exchanger = &config.clients["bff_mobile"];
        assert_eq!(exchanger.client_id, "bff-mobile");
        assert!(exchanger.token_exchange);
        assert_eq!(
            exchanger.secret.as_ref().map(ClientSecret::expose),
            Some("bff-mobile-dev-secret")
        );
        assert!(!config.one_audience_per_token);
        let mobile = &config.clients["mobile"];
        assert_eq!(mobile.client_id, "mobile-app");
        assert!(mobile.secret.is_none());
        assert_eq!(
            mobile.audiences,
            ["bff-mobile", "accounts", "recommendations"]
        );
    }

    #[test]
    fn environment_variables_override_the_issuer_and_a_client_secret() {
        let env = vec![
            (
                "DEV_IDP__ISSUER".to_owned(),
                "http://idp.test:9000".to_owned(),
            ),
            (
                "DEV_IDP__CLIENTS__WEB__SECRET".to_owned(),
                "s3cret".to_owned(),
            ),
            ("DEV_IDP__AUTO_LOGIN".to_owned(), "grace".to_owned()),
            (
                "DEV_IDP__CLIENTS__BFF_MOBILE__SECRET".to_owned(),
                "exchange-s3cret".to_owned(),
            ),
            (
                "DEV_IDP__ONE_AUDIENCE_PER_TOKEN".to_owned(),
                "true".to_owned(),
            ),
        ];
        let config: IdpConfig =
            shared::config::load_from(ENV_PREFIX, DEFAULTS_TOML, None, Some(env))
                .and_then(IdpConfig::validated)
                .unwrap();
        assert_eq!(config.issuer, "http://idp.test:9000");
        assert_eq!(
            config.clients["web"]
                .secret
                .as_ref()
                .map(ClientSecret::expose),
            Some("s3cret")
        );
        assert_eq!(config.auto_login.as_deref(), Some("grace"));
        assert_eq!(
            config.clients["bff_mobile"]
                .secret
                .as_ref()
                .map(ClientSecret::expose),
            Some("exchange-s3cret")
        );
        assert!(config.one_audience_per_token);
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let config = IdpConfig::default();
        assert!(!format!("{config:?}").contains("dev-secret-change-me"));
    }

    #[test]
    fn an_issuer_with_a_trailing_slash_or_an_unknown_auto_login_user_is_refused() {
        let trailing_slash = IdpConfig {
            issuer: "http://localhost:7000/".to_owned(),
            ..IdpConfig::default()
        };
        assert!(trailing_slash.validated().is_err());
        let unknown_user = IdpConfig {
            auto_login: Some("mallory".to_owned()),
            ..IdpConfig::default()
        };
        assert!(unknown_user.validated().is_err());
    }
}
