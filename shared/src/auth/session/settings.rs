//! The sessions' settings: where they live and how long they last.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::ConfigError;

/// Which [`SessionStore`] to use.
#[derive(Debug, Clone, Copy, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// In this process: for one instance; sessions are lost on restart.
    #[default]
    Memory,
    /// In Redis: shared by every instance, survives restarts.
    Redis,
}

/// Sessions of the web BFF. Env `…__SESSION__<KEY>`; every key has a default.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// Where sessions live: `memory` or `redis`. Default `memory`.
    pub store: StoreKind,
    /// Whether several instances of the BFF serve the same users (replicas behind one balancer).
    /// Then sessions must live where every instance finds them: `true` with `store = "memory"`
    /// stops start-up. Default `false`.
    pub replicated: bool,
    /// The Redis URL (`redis://[:password@]host:port[/db]`), required when `store = "redis"`.
    /// Default none.
    #[serde(serialize_with = "crate::config::masked::optional_secret_url")]
    pub redis_url: Option<SecretString>,
    /// Timeout of one Redis command and of connecting. Default `1s`.
    #[serde(with = "humantime_serde")]
    pub redis_timeout: Duration,
    /// A session ends after this long without a request. Default `30m`.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// A session ends this long after the login, active or not. Default `8h`.
    #[serde(with = "humantime_serde")]
    pub absolute_timeout: Duration,
    /// How long a login may take from the redirect to the callback. Default `10m`.
    #[serde(with = "humantime_serde")]
    pub login_timeout: Duration,
    /// The access token is refreshed when it expires within this margin. Default `30s`.
    #[serde(with = "humantime_serde")]
    pub refresh_margin: Duration,
    /// Prefix of every key in the store (to share a Redis between services). Default `bff:`.
    pub key_prefix: String,
    /// The key that seals the login cookie (a login in progress: `state`, nonce, PKCE verifier,
    /// `return_to`): 32 bytes, base64. Every instance behind one balancer needs the same key;
    /// give it through the environment (`…__SESSION__LOGIN_COOKIE_KEY`). Default none: the key is
    /// derived from the OIDC client secret (HKDF-SHA256), which every instance shares already.
    #[serde(serialize_with = "crate::config::masked::optional_secret")]
    pub login_cookie_key: Option<SecretString>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            store: StoreKind::Memory,
            replicated: false,
            redis_url: None,
            redis_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(8 * 3600),
            login_timeout: Duration::from_secs(10 * 60),
            refresh_margin: Duration::from_secs(30),
            key_prefix: "bff:".to_owned(),
            login_cookie_key: None,
        }
    }
}

impl SessionSettings {
    /// Checks the values; `prefix` names the section in errors (e.g. `session`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        if self.replicated && self.store == StoreKind::Memory {
            return Err(ConfigError::invalid(
                &key("store"),
                format!(
                    "is \"memory\" but {} is true: each replica would keep its own sessions, so \
                     a user signed in through one replica is signed out on the others; use \
                     store = \"redis\" with a redis_url every replica reaches",
                    key("replicated")
                ),
            ));
        }
        if self.store == StoreKind::Redis && self.redis_url.is_none() {
            return Err(ConfigError::invalid(
                &key("redis_url"),
                "is required when store = \"redis\"",
            ));
        }
        for (name, value) in [
            ("redis_timeout", self.redis_timeout),
            ("idle_timeout", self.idle_timeout),
            ("absolute_timeout", self.absolute_timeout),
            ("login_timeout", self.login_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::invalid(&key(name), "must be positive"));
            }
        }
        if self.idle_timeout > self.absolute_timeout {
            return Err(ConfigError::invalid(
                &key("idle_timeout"),
                "must not exceed absolute_timeout",
            ));
        }
        self.login_cookie_key_bytes()
            .map_err(|why| ConfigError::invalid(&key("login_cookie_key"), why))?;
        Ok(())
    }

    /// The 32 bytes of `login_cookie_key` (standard or URL-safe base64, padded or not), `None`
    /// when unset, or why the value is unusable.
    pub fn login_cookie_key_bytes(&self) -> Result<Option<[u8; 32]>, &'static str> {
        use base64::Engine as _;
        use base64::alphabet::{STANDARD, URL_SAFE};
        use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
        let Some(key) = &self.login_cookie_key else {
            return Ok(None);
        };
        let text = key.expose_secret().trim();
        let config =
            GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
        let decoded = GeneralPurpose::new(&STANDARD, config)
            .decode(text)
            .or_else(|_| GeneralPurpose::new(&URL_SAFE, config).decode(text))
            .map_err(|_| "must be base64 of 32 random bytes (`openssl rand -base64 32`)")?;
        decoded
            .try_into()
            .map(Some)
            .map_err(|_| "must decode to exactly 32 bytes (`openssl rand -base64 32`)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_memory_30_minutes_idle_and_8_hours_absolute() {
        let settings: SessionSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(settings.store, StoreKind::Memory);
        assert_eq!(settings.idle_timeout, Duration::from_secs(1800));
        assert_eq!(settings.absolute_timeout, Duration::from_secs(8 * 3600));
        settings.validate("session").unwrap();
    }

    #[test]
    fn redis_needs_a_url() {
        let settings: SessionSettings = serde_json::from_str(r#"{"store": "redis"}"#).unwrap();
        let error = settings.validate("session").unwrap_err().to_string();
        assert!(error.contains("session.redis_url"), "{error}");
        assert!(serde_json::from_str::<SessionSettings>(r#"{"store": "file"}"#).is_err());
    }

    #[test]
    fn a_replicated_bff_refuses_the_memory_store() {
        let replicated = |store| SessionSettings {
            store,
            replicated: true,
            redis_url: Some(SecretString::from("redis://redis:6379/")),
            ..SessionSettings::default()
        };
        let error = replicated(StoreKind::Memory)
            .validate("session")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("session.store") && error.contains("session.replicated"),
            "{error}"
        );
        assert!(replicated(StoreKind::Redis).validate("session").is_ok());
        assert!(SessionSettings::default().validate("session").is_ok());
    }

    #[test]
    fn the_login_cookie_key_must_be_32_bytes_of_base64() {
        let with = |key: &str| SessionSettings {
            login_cookie_key: Some(SecretString::from(key)),
            ..SessionSettings::default()
        };
        assert_eq!(
            SessionSettings::default().login_cookie_key_bytes(),
            Ok(None)
        );
        let standard = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(
            with(standard).login_cookie_key_bytes().unwrap().unwrap()[31],
            31
        );
        with(standard.trim_end_matches('='))
            .validate("session")
            .unwrap();
        for bad in [
            "",
            "short",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",
            "not base64!",
        ] {
            let error = with(bad).validate("session").unwrap_err().to_string();
            assert!(error.contains("session.login_cookie_key"), "{bad}: {error}");
        }
    }
}
