//! bff-web's settings: built-in defaults (`config/default.toml`), an optional file named by
//! `BFF_WEB_CONFIG`, then `BFF_WEB__…` environment variables.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use shared::config::ConfigError;
use shared::server::ServerSettings;
use shared::telemetry::TelemetrySettings;
use shared::upstream::UpstreamsSettings;

/// The prefix of environment variables (`BFF_WEB__SERVER__PORT`).
pub const ENV_PREFIX: &str = "BFF_WEB";
/// The environment variable naming an optional settings file.
pub const FILE_ENV: &str = "BFF_WEB_CONFIG";
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything bff-web can be told.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener and inbound limits.
    pub server: ServerSettings,
    /// Each screen's deadline.
    pub screens: ScreenDeadlines,
    /// Where the upstream services are.
    pub upstreams: UpstreamsSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
}

/// How long each screen may take, all upstream calls included; optional sections that are not
/// back by then are left out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenDeadlines {
    /// `GET /api/home`. Default `800ms`; env `BFF_WEB__SCREENS__HOME`.
    #[serde(with = "humantime_serde")]
    pub home: Duration,
    /// `GET /api/products/{id}`. Default `800ms`; env `BFF_WEB__SCREENS__PRODUCT`.
    #[serde(with = "humantime_serde")]
    pub product: Duration,
    /// `GET /api/search`. Default `800ms`; env `BFF_WEB__SCREENS__SEARCH`.
    #[serde(with = "humantime_serde")]
    pub search: Duration,
    /// `GET /api/products/{id}/reviews`. Default `800ms`; env `BFF_WEB__SCREENS__REVIEWS`.
    #[serde(with = "humantime_serde")]
    pub reviews: Duration,
}

impl Settings {
    /// Loads the settings from defaults, file and environment, and validates them.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os(FILE_ENV).map(PathBuf::from);
        let settings: Self = shared::config::load(ENV_PREFIX, DEFAULTS, file.as_deref())?;
        settings.validate()
    }

    /// The built-in defaults alone (tests start from these).
    pub fn defaults() -> Result<Self, ConfigError> {
        let settings: Self = shared::config::load_from(ENV_PREFIX, DEFAULTS, None, Some(vec![]))?;
        settings.validate()
    }

    fn validate(self) -> Result<Self, ConfigError> {
        for (key, deadline) in [
            ("screens.home", self.screens.home),
            ("screens.product", self.screens.product),
            ("screens.search", self.screens.search),
            ("screens.reviews", self.screens.reviews),
        ] {
            if deadline.is_zero() || deadline > Duration::from_secs(60) {
                return Err(ConfigError::invalid(key, "must be between 1ms and 60s"));
            }
        }
        Ok(self)
    }
}
