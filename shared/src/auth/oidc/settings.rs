//! [`OidcSettings`]: the web BFF's client registration and how the provider is called.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::auth::jwks::JwksSettings;
use crate::auth::provider::{self};
use crate::auth::validator::{MAX_LEEWAY, parse_algorithms};
use crate::config::ConfigError;

/// The web BFF's client registration and how the provider is called. Env `…__OIDC__<KEY>`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
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
    /// RFC 8707 resource indicators: the APIs the access token is for, each an absolute URI
    /// without fragment, sent as `resource` parameters on the authorization request, the code
    /// exchange and every refresh (a list, or one comma-separated string from the environment:
    /// `…__OIDC__RESOURCE=https://api.shop.example/`). Default none (the provider's default
    /// audience).
    #[serde(default, deserialize_with = "crate::config::list_or_comma_separated")]
    pub resource: Vec<String>,
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
            resource: Vec::new(),
        }
    }

    /// The `resource` parameters (RFC 8707) of every authorization and token request.
    pub(crate) fn resource_params(&self) -> Vec<(&'static str, &str)> {
        self.resource
            .iter()
            .map(|resource| ("resource", resource.as_str()))
            .collect()
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
        for resource in &self.resource {
            let valid = Url::parse(resource).is_ok_and(|url| url.fragment().is_none());
            if !valid {
                return Err(ConfigError::invalid(
                    &key("resource"),
                    "every entry must be an absolute URI without fragment (RFC 8707)",
                ));
            }
        }
        self.jwks.validate(&key("jwks"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

        assert!(settings.resource.is_empty());
        for bad in ["accounts", "/api", "https://api.example/#frag"] {
            let mut relative = settings.clone();
            relative.resource = vec!["https://api.example".to_owned(), bad.to_owned()];
            let error = relative.validate("oidc").unwrap_err().to_string();
            assert!(error.contains("oidc.resource"), "{error}");
        }
        let mut absolute = settings.clone();
        absolute.resource = vec![
            "https://api.example".to_owned(),
            "urn:shop:accounts".to_owned(),
        ];
        absolute.validate("oidc").unwrap();
    }
}
