//! [`JwtSettings`]: what an access token is checked against, from configuration.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde::Deserialize;

use crate::auth::jwks::JwksSettings;
use crate::config::ConfigError;

/// The most leeway that can be configured.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// How access tokens are validated. Env `…__JWT__<KEY>` (the BFF chooses the section name).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The issuer: `iss` must equal it exactly, and keys are discovered from
    /// `{issuer}/.well-known/openid-configuration`. Required.
    pub issuer: String,
    /// This service's identifier: `aud` must contain it. Required.
    pub audience: String,
    /// Accepted signature algorithms (never taken from the token). `none` and the HMAC family
    /// are refused at start-up. Default `["ES256", "RS256"]`.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default `30s`; at most `5m`.
    #[serde(default = "default_leeway", with = "humantime_serde")]
    pub leeway: Duration,
    /// The `typ` header access tokens carry (RFC 9068); `application/` + it is accepted too,
    /// both case-insensitively. Default `at+jwt`.
    #[serde(default = "default_token_type")]
    pub token_type: String,
    /// Whether a token without `typ` is accepted, for providers that do not set it (ID tokens
    /// are then told apart by `aud` only). Default `false`.
    #[serde(default)]
    pub allow_missing_typ: bool,
    /// Largest token accepted, checked before any decoding. Default `8192`.
    #[serde(default = "default_max_token_bytes")]
    pub max_token_bytes: usize,
    /// How the provider's JWKS is fetched and cached; every key has a default.
    #[serde(default)]
    pub jwks: JwksSettings,
    /// The provider's base URL as this service reaches it, when that differs from the issuer
    /// URL (containers: `http://dev-idp:7000` vs `http://localhost:7000`). Default: none.
    #[serde(default, serialize_with = "crate::config::masked::optional_url")]
    pub backchannel_url: Option<url::Url>,
}

fn default_algorithms() -> Vec<String> {
    vec!["ES256".to_owned(), "RS256".to_owned()]
}

fn default_leeway() -> Duration {
    Duration::from_secs(30)
}

fn default_token_type() -> String {
    "at+jwt".to_owned()
}

fn default_max_token_bytes() -> usize {
    8 * 1024
}

impl JwtSettings {
    /// Settings with every default, for `issuer` and `audience`.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: default_algorithms(),
            leeway: default_leeway(),
            token_type: default_token_type(),
            allow_missing_typ: false,
            max_token_bytes: default_max_token_bytes(),
            jwks: JwksSettings::default(),
            backchannel_url: None,
        }
    }

    /// Checks the values; `prefix` names the section in errors (e.g. `jwt`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        crate::auth::provider::discovery_url(&self.issuer)
            .map_err(|e| ConfigError::invalid(&key("issuer"), e))?;
        if self.audience.trim().is_empty() {
            return Err(ConfigError::invalid(&key("audience"), "must not be empty"));
        }
        parse_algorithms(&self.algorithms)
            .map_err(|e| ConfigError::invalid(&key("algorithms"), e))?;
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::invalid(&key("leeway"), "must be at most 5m"));
        }
        if self.token_type.trim().is_empty() {
            return Err(ConfigError::invalid(
                &key("token_type"),
                "must not be empty",
            ));
        }
        if !(1024..=64 * 1024).contains(&self.max_token_bytes) {
            return Err(ConfigError::invalid(
                &key("max_token_bytes"),
                "must be between 1024 and 65536",
            ));
        }
        self.jwks.validate(&key("jwks"))
    }

    /// The configured algorithms, parsed.
    pub fn parsed_algorithms(&self) -> Result<Vec<Algorithm>, ConfigError> {
        parse_algorithms(&self.algorithms).map_err(|e| ConfigError::invalid("algorithms", e))
    }
}

/// Parses an allow-list: asymmetric algorithms only, at least one.
pub(crate) fn parse_algorithms(names: &[String]) -> Result<Vec<Algorithm>, String> {
    if names.is_empty() {
        return Err("at least one algorithm is required".to_owned());
    }
    names
        .iter()
        .map(|name| {
            let alg: Algorithm = name
                .parse()
                .map_err(|_| format!("{name:?} is not a supported algorithm"))?;
            if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
                return Err(format!(
                    "{name:?}: shared-secret algorithms are not accepted for tokens from a provider"
                ));
            }
            Ok(alg)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_es256_and_rs256_30s_leeway_at_jwt_and_8_kib() {
        let settings: JwtSettings =
            serde_json::from_str(r#"{"issuer": "https://idp.example", "audience": "shop-api"}"#)
                .unwrap();
        assert_eq!(
            settings,
            JwtSettings::new("https://idp.example", "shop-api")
        );
        assert_eq!(settings.algorithms, ["ES256", "RS256"]);
        assert_eq!(settings.leeway, Duration::from_secs(30));
        assert_eq!(settings.token_type, "at+jwt");
        assert_eq!(settings.max_token_bytes, 8192);
        settings.validate("jwt").unwrap();
    }

    #[test]
    fn none_and_hmac_algorithms_cannot_be_configured() {
        for alg in ["none", "HS256", "HS512", "ES999", ""] {
            let mut settings = JwtSettings::new("https://idp.example", "api");
            settings.algorithms = vec![alg.to_owned()];
            let error = settings.validate("jwt").unwrap_err().to_string();
            assert!(error.contains("jwt.algorithms"), "{alg}: {error}");
        }
        let mut settings = JwtSettings::new("https://idp.example", "api");
        settings.algorithms.clear();
        assert!(settings.validate("jwt").is_err());
    }

    #[test]
    fn a_leeway_above_five_minutes_is_refused() {
        let mut settings = JwtSettings::new("https://idp.example", "api");
        settings.leeway = Duration::from_secs(301);
        let error = settings.validate("jwt").unwrap_err().to_string();
        assert!(error.contains("jwt.leeway"), "{error}");
        settings.leeway = MAX_LEEWAY;
        settings.validate("jwt").unwrap();
    }

    #[test]
    fn unknown_settings_keys_are_refused() {
        let result: Result<JwtSettings, _> = serde_json::from_str(
            r#"{"issuer": "https://idp.example", "audience": "a", "algorithm": "RS256"}"#,
        );
        assert!(result.is_err());
    }
}
