//! [`JwksSettings`]: how the JWKS is fetched and cached.

use std::time::Duration;

use serde::Deserialize;

use crate::config::ConfigError;

/// How the JWKS is fetched and cached. Env `…__JWKS__<KEY>`; every key has a default.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct JwksSettings {
    /// How often the key set is fetched in the background. Default `5m`.
    #[serde(with = "humantime_serde")]
    pub refresh_interval: Duration,
    /// Least time from the end of a fetch to a fetch caused by an unknown `kid`: a flood of
    /// unknown `kid`s costs at most one fetch per cooldown. An unknown `kid` waits (up to 1 s)
    /// for the cooldown to end rather than being refused, so a key that signs the moment it is
    /// published is accepted. Also the retry delay while the provider fails (at least 5 s).
    /// Default `1s`.
    #[serde(with = "humantime_serde")]
    pub refresh_cooldown: Duration,
    /// How long a key set keeps working after its `refresh_interval` has passed without a
    /// successful fetch (provider down). Default `30m`.
    #[serde(with = "humantime_serde")]
    pub stale_for: Duration,
    /// Timeout of one fetch (discovery or JWKS), connection and body included. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest JWKS or discovery document read; larger is an error. Default `65536` (64 KiB).
    pub max_bytes: usize,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            refresh_interval: Duration::from_secs(300),
            refresh_cooldown: Duration::from_secs(1),
            stale_for: Duration::from_secs(30 * 60),
            timeout: Duration::from_secs(5),
            max_bytes: 64 * 1024,
        }
    }
}

impl JwksSettings {
    /// Checks the values; `prefix` names the section in errors (e.g. `jwt.jwks`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let positive = [
            ("refresh_interval", self.refresh_interval),
            ("refresh_cooldown", self.refresh_cooldown),
            ("timeout", self.timeout),
        ];
        for (key, value) in positive {
            if value.is_zero() {
                return Err(ConfigError::invalid(
                    &format!("{prefix}.{key}"),
                    "must be positive",
                ));
            }
        }
        if self.max_bytes < 1024 {
            return Err(ConfigError::invalid(
                &format!("{prefix}.max_bytes"),
                "must be at least 1024",
            ));
        }
        Ok(())
    }
}
