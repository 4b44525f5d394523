//! bff-mobile's settings: built-in defaults (`config/default.toml`), an optional file named by
//! `BFF_MOBILE_CONFIG`, then `BFF_MOBILE__…` environment variables.

use std::path::PathBuf;
use std::time::Duration;

mod auth;

pub use auth::{DEV_EXCHANGE_SECRET, MobileAuthSettings, TokenExchangeClient};

use serde::{Deserialize, Serialize};
use shared::config::ConfigError;
use shared::server::ServerSettings;
use shared::telemetry::TelemetrySettings;
use shared::upstream::UpstreamsSettings;

use crate::images;
use crate::version::AppVersion;

/// The prefix of environment variables (`BFF_MOBILE__SERVER__PORT`).
pub const ENV_PREFIX: &str = "BFF_MOBILE";
/// The environment variable naming an optional settings file.
pub const FILE_ENV: &str = "BFF_MOBILE_CONFIG";
const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Everything bff-mobile can be told. It serializes with every secret masked (`--check-config`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener and inbound limits.
    pub server: ServerSettings,
    /// Each screen's deadline.
    pub screens: ScreenDeadlines,
    /// The app's version gate.
    pub app: AppSettings,
    /// The device profile assumed for image choice when a request sends no hints.
    pub images: ImageSettings,
    /// How the app's bearer tokens are validated, and the client that exchanges them for the
    /// upstreams' audiences (see [`MobileAuthSettings`]).
    pub auth: MobileAuthSettings,
    /// Where the upstream services are.
    pub upstreams: UpstreamsSettings,
    /// Complete public screens kept while every upstream answer they were built from is fresh
    /// (env `BFF_MOBILE__SCREEN_CACHE__<KEY>`).
    #[serde(default)]
    pub screen_cache: shared::screen_cache::ScreenCacheSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
}

/// How long each screen may take, all upstream calls included; optional sections that are not
/// back by then are left out.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenDeadlines {
    /// `GET /v1/home`. Default `500ms`; env `BFF_MOBILE__SCREENS__HOME`.
    #[serde(with = "humantime_serde")]
    pub home: Duration,
    /// `GET /v1/products/{id}`. Default `500ms`; env `BFF_MOBILE__SCREENS__PRODUCT`.
    #[serde(with = "humantime_serde")]
    pub product: Duration,
    /// `GET /v1/search`. Default `500ms`; env `BFF_MOBILE__SCREENS__SEARCH`.
    #[serde(with = "humantime_serde")]
    pub search: Duration,
    /// `GET /v1/me`. Default `500ms`; env `BFF_MOBILE__SCREENS__ME`.
    #[serde(with = "humantime_serde")]
    pub me: Duration,
    /// `GET /v1/cart`, `POST /v1/cart/items`, `DELETE /v1/cart/items/{id}`. Default `800ms`;
    /// env `BFF_MOBILE__SCREENS__CART`.
    #[serde(with = "humantime_serde")]
    pub cart: Duration,
}

/// Which app builds are still served.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Requests whose `X-App-Version` is below this get `426 Upgrade Required`, so builds with
    /// known-broken behaviour are told to update instead of failing in odd ways.
    /// `MAJOR.MINOR.PATCH`; default `1.0.0`; env `BFF_MOBILE__APP__MIN_VERSION`.
    pub min_version: AppVersion,
}

/// The device assumed when a request carries no (valid) viewport or pixel-density hint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSettings {
    /// Screen width in CSS pixels, 100 to 4096. Default `390` (a common phone);
    /// env `BFF_MOBILE__IMAGES__DEFAULT_VIEWPORT_WIDTH`.
    pub default_viewport_width: u32,
    /// Device pixels per CSS pixel, 1.0 to 4.0. Default `2.0`;
    /// env `BFF_MOBILE__IMAGES__DEFAULT_DPR`.
    pub default_dpr: f64,
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

    /// Loads the built-in defaults overridden by `env` pairs (`BFF_MOBILE__APP__MIN_VERSION`, …)
    /// instead of the process environment, so tests do not race on it.
    pub fn from_env(env: Vec<(String, String)>) -> Result<Self, ConfigError> {
        let settings: Self = shared::config::load_from(ENV_PREFIX, DEFAULTS, None, Some(env))?;
        settings.validate()
    }

    fn validate(self) -> Result<Self, ConfigError> {
        shared::config::check_deadlines(&[
            ("screens.home", self.screens.home),
            ("screens.product", self.screens.product),
            ("screens.search", self.screens.search),
            ("screens.me", self.screens.me),
            ("screens.cart", self.screens.cart),
        ])?;
        if !images::WIDTH_RANGE.contains(&self.images.default_viewport_width) {
            return Err(ConfigError::invalid(
                "images.default_viewport_width",
                "must be between 100 and 4096",
            ));
        }
        if !(images::DPR_MIN..=images::DPR_MAX).contains(&self.images.default_dpr) {
            return Err(ConfigError::invalid(
                "images.default_dpr",
                "must be between 1.0 and 4.0",
            ));
        }
        self.auth.validate(self.upstreams.exchanges_tokens())?;
        self.server.validate()?;
        self.upstreams.validate()?;
        Ok(self)
    }
}

/// What `main` ([`shared::cli::run`]) needs: loading, the listener and logging sections.
impl shared::cli::ServiceSettings for Settings {
    fn load() -> Result<Self, ConfigError> {
        Settings::load()
    }

    fn common(&self) -> (&ServerSettings, &TelemetrySettings) {
        (&self.server, &self.telemetry)
    }

    fn warnings(&self) -> Vec<String> {
        self.startup_warnings()
    }
}

impl Settings {
    /// What deserves a WARN at start-up: development values that must not reach production.
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.upstreams.exchanges_tokens() && self.auth.uses_dev_secret() {
            warnings.push(
                "auth.token_exchange.client_secret is the dev-idp's development secret; give                  the real one through BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET"
                    .to_owned(),
            );
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_defaults_load_and_are_valid() {
        let settings = Settings::defaults().unwrap();
        assert_eq!(settings.app.min_version, "1.0.0".parse().unwrap());
        assert_eq!(settings.images.default_viewport_width, 390);
        assert!((settings.images.default_dpr - 2.0).abs() < f64::EPSILON);
        assert_eq!(
            settings.auth.jwt,
            shared::auth::JwtSettings::new("http://localhost:7000", "bff-mobile"),
            "the dev-idp, this service's audience, and shared's defaults"
        );
        assert_eq!(settings.screens.me, Duration::from_millis(500));
        assert_eq!(settings.screens.cart, Duration::from_millis(800));
    }

    #[test]
    fn the_auth_section_is_read_from_the_environment() {
        let settings = Settings::from_env(env(&[
            ("BFF_MOBILE__AUTH__ISSUER", "https://login.example.com"),
            ("BFF_MOBILE__AUTH__AUDIENCE", "shop-app"),
            ("BFF_MOBILE__AUTH__LEEWAY", "10s"),
            ("BFF_MOBILE__AUTH__MAX_TOKEN_BYTES", "4096"),
            ("BFF_MOBILE__AUTH__JWKS__REFRESH_COOLDOWN", "1m"),
            ("BFF_MOBILE__AUTH__BACKCHANNEL_URL", "http://idp:7000"),
        ]))
        .unwrap();
        assert_eq!(settings.auth.jwt.issuer, "https://login.example.com");
        assert_eq!(settings.auth.jwt.audience, "shop-app");
        assert_eq!(settings.auth.jwt.leeway, Duration::from_secs(10));
        assert_eq!(settings.auth.jwt.max_token_bytes, 4096);
        assert_eq!(
            settings.auth.jwt.jwks.refresh_cooldown,
            Duration::from_secs(60)
        );
        assert_eq!(
            settings
                .auth
                .jwt
                .backchannel_url
                .as_ref()
                .map(|url| url.as_str()),
            Some("http://idp:7000/")
        );
    }

    #[test]
    fn environment_variables_override_the_new_keys() {
        let settings = Settings::from_env(env(&[
            ("BFF_MOBILE__APP__MIN_VERSION", "2.3.4"),
            ("BFF_MOBILE__IMAGES__DEFAULT_VIEWPORT_WIDTH", "412"),
            ("BFF_MOBILE__IMAGES__DEFAULT_DPR", "3"),
            (
                "BFF_MOBILE__SERVER__RATE_LIMIT__TRUSTED_PROXIES",
                "10.0.0.0/8, ::1",
            ),
        ]))
        .unwrap();
        assert_eq!(
            settings.server.rate_limit.trusted_proxies,
            ["10.0.0.0/8", "::1"],
            "a list arrives comma-separated from one variable"
        );
        assert_eq!(settings.app.min_version, "2.3.4".parse().unwrap());
        assert_eq!(settings.images.default_viewport_width, 412);
        assert!((settings.images.default_dpr - 3.0).abs() < f64::EPSILON);
    }

    #[test]
    fn invalid_values_stop_start_up_with_the_key_named() {
        for (key, value, named) in [
            ("BFF_MOBILE__APP__MIN_VERSION", "1.0", "MAJOR.MINOR.PATCH"),
            (
                "BFF_MOBILE__APP__MIN_VERSION",
                "latest",
                "MAJOR.MINOR.PATCH",
            ),
            (
                "BFF_MOBILE__IMAGES__DEFAULT_VIEWPORT_WIDTH",
                "50",
                "images.default_viewport_width",
            ),
            (
                "BFF_MOBILE__IMAGES__DEFAULT_VIEWPORT_WIDTH",
                "5000",
                "images.default_viewport_width",
            ),
            (
                "BFF_MOBILE__IMAGES__DEFAULT_DPR",
                "0.5",
                "images.default_dpr",
            ),
            (
                "BFF_MOBILE__IMAGES__DEFAULT_DPR",
                "4.5",
                "images.default_dpr",
            ),
            ("BFF_MOBILE__SCREENS__HOME", "0s", "screens.home"),
            ("BFF_MOBILE__SCREENS__CART", "61s", "screens.cart"),
            ("BFF_MOBILE__AUTH__ISSUER", "not a url", "auth.issuer"),
            ("BFF_MOBILE__AUTH__AUDIENCE", " ", "auth.audience"),
            ("BFF_MOBILE__AUTH__LEEWAY", "10m", "auth.leeway"),
            (
                "BFF_MOBILE__AUTH__MAX_TOKEN_BYTES",
                "100",
                "auth.max_token_bytes",
            ),
            ("BFF_MOBILE__AUTH__JWKS__TIMEOUT", "0s", "auth.jwks.timeout"),
            (
                "BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET",
                "",
                "auth.token_exchange.client_secret",
            ),
            (
                "BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_ID",
                " ",
                "auth.token_exchange.client_id",
            ),
            (
                "BFF_MOBILE__UPSTREAMS__ACCOUNTS__AUDIENCE",
                " ",
                "upstreams.accounts.audience",
            ),
            (
                "BFF_MOBILE__UPSTREAMS__CATALOG__URL",
                "ftp://catalog:7001",
                "upstreams.catalog.url",
            ),
            (
                "BFF_MOBILE__UPSTREAMS__OFFERS__URL",
                "http://offers:7002/?region=eu",
                "upstreams.offers.url",
            ),
            (
                "BFF_MOBILE__SERVER__RATE_LIMIT__TRUSTED_PROXIES",
                "10.0.0.0/8,lb.internal",
                "server.rate_limit.trusted_proxies",
            ),
        ] {
            let error = Settings::from_env(env(&[(key, value)])).unwrap_err();
            assert!(error.to_string().contains(named), "{key}={value}: {error}");
        }
    }

    #[test]
    fn the_exchange_secret_is_masked_warned_about_and_only_required_with_an_audience() {
        let defaults = Settings::defaults().unwrap();
        assert_eq!(defaults.auth.token_exchange.client_id, "bff-mobile");
        assert_eq!(
            defaults.upstreams.accounts.audience.as_deref(),
            Some("accounts")
        );
        assert_eq!(
            defaults.upstreams.recommendations.audience.as_deref(),
            Some("recommendations")
        );
        let shown = serde_json::to_string(&defaults).unwrap();
        assert!(!shown.contains(DEV_EXCHANGE_SECRET), "{shown}");
        assert!(!format!("{defaults:?}").contains(DEV_EXCHANGE_SECRET));
        assert!(
            defaults
                .startup_warnings()
                .iter()
                .any(|w| w.contains("auth.token_exchange.client_secret"))
        );

        let real = Settings::from_env(env(&[(
            "BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET",
            "s3cret",
        )]))
        .unwrap();
        assert!(real.startup_warnings().is_empty());

        // Without any audience, no secret is needed: tokens are forwarded as they are.
        let forwarding = Settings::from_env(env(&[
            ("BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET", ""),
            ("BFF_MOBILE__UPSTREAMS__ACCOUNTS__AUDIENCE", ""),
            ("BFF_MOBILE__UPSTREAMS__RECOMMENDATIONS__AUDIENCE", ""),
        ]));
        assert!(
            forwarding.is_err(),
            "an empty audience is an error, not unset"
        );
    }
}
