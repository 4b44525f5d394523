//! Settings of the demo upstreams: data size, per-service port, latency and error rate.
//!
//! Layered like every binary of the workspace ([`shared::config`]): the built-in
//! `config/default.toml`, then an optional file, then environment variables prefixed
//! `DEMO_UPSTREAMS__` with `__` between levels
//! (`DEMO_UPSTREAMS__RECOMMENDATIONS__LATENCY__MEDIAN=40ms`).

use std::net::IpAddr;
use std::time::Duration;

use serde::Deserialize;
use shared::config::ConfigError;

use crate::Service;

/// The built-in defaults, also the source of [`DemoConfig::default`].
pub const DEFAULTS_TOML: &str = include_str!("../config/default.toml");

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "DEMO_UPSTREAMS";

/// Everything the five services need to start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// Seed of the generated data (default 42; `DEMO_UPSTREAMS__SEED`).
    pub seed: u64,
    /// Number of generated products (default 2000; `DEMO_UPSTREAMS__PRODUCTS`).
    pub products: usize,
    /// Interface the binary binds to (default `127.0.0.1`; `DEMO_UPSTREAMS__BIND_ADDRESS`).
    pub bind_address: IpAddr,
    /// Log format and filter (`DEMO_UPSTREAMS__TELEMETRY__FORMAT`, `..__FILTER`).
    pub telemetry: shared::telemetry::TelemetrySettings,
    /// Whether `/_control/*` is served.
    pub control: ControlSettings,
    /// The catalog service (default port 7001).
    pub catalog: CatalogSettings,
    /// The offers service (default port 7002).
    pub offers: ServiceSettings,
    /// The reviews service (default port 7003).
    pub reviews: ServiceSettings,
    /// The recommendations service (default port 7004, a little slower than the others).
    pub recommendations: ServiceSettings,
    /// The accounts service (default port 7005).
    pub accounts: ServiceSettings,
    /// How accounts and recommendations verify the bearer tokens they receive.
    pub auth: AuthSettings,
}

/// Token verification of accounts and recommendations.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// The OpenID provider whose access tokens are accepted (`DEMO_UPSTREAMS__AUTH__ISSUER`;
    /// default the dev-idp's `http://localhost:7000`). Each service checks that `aud` contains
    /// its own audience (below). Required: there is no mode that trusts tokens unverified.
    pub issuer: String,
    /// The `aud` accounts requires (`DEMO_UPSTREAMS__AUTH__ACCOUNTS_AUDIENCE`; default
    /// `accounts`).
    pub accounts_audience: String,
    /// The `aud` recommendations requires
    /// (`DEMO_UPSTREAMS__AUTH__RECOMMENDATIONS_AUDIENCE`; default `recommendations`).
    pub recommendations_audience: String,
    /// The provider's URL as this service reaches it, when the issuer URL is only reachable from
    /// browsers (containers; `DEMO_UPSTREAMS__AUTH__BACKCHANNEL_URL`). Default: the issuer.
    #[serde(default)]
    pub backchannel_url: Option<url::Url>,
}

/// Fault control endpoints.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlSettings {
    /// Serve `PUT /_control/fault` and `GET /_control/stats` (default true;
    /// `DEMO_UPSTREAMS__CONTROL__ENABLED`).
    pub enabled: bool,
}

/// Port, latency and error rate of one service.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSettings {
    /// Port the binary binds for this service (`DEMO_UPSTREAMS__<SERVICE>__PORT`).
    pub port: u16,
    /// Injected latency (`DEMO_UPSTREAMS__<SERVICE>__LATENCY__MEDIAN`, `..__P99`).
    pub latency: LatencySettings,
    /// Share of requests answered with an injected 503, 0.0–1.0
    /// (`DEMO_UPSTREAMS__<SERVICE>__ERROR_RATE`).
    pub error_rate: f64,
}

/// The catalog's settings: those of every service plus the public base URL of its images.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSettings {
    /// Port (default 7001; `DEMO_UPSTREAMS__CATALOG__PORT`).
    pub port: u16,
    /// Injected latency (`DEMO_UPSTREAMS__CATALOG__LATENCY__MEDIAN`, `..__P99`).
    pub latency: LatencySettings,
    /// Share of requests answered with an injected 503 (`DEMO_UPSTREAMS__CATALOG__ERROR_RATE`).
    pub error_rate: f64,
    /// Prefix of image rendition URLs (default `http://localhost:7001`, no trailing slash;
    /// `DEMO_UPSTREAMS__CATALOG__PUBLIC_BASE_URL`). Tests keep the default so that product
    /// JSON is the same on every run; the images are served by the catalog under `/images/`.
    pub public_base_url: String,
}

/// A log-normal latency distribution given by two numbers an SRE can reason about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencySettings {
    /// Half of the requests wait less than this (`"8ms"`); zero switches injection off.
    #[serde(with = "humantime_serde")]
    pub median: Duration,
    /// 99% of the requests wait less than this; at or below `median` the wait is constant.
    #[serde(with = "humantime_serde")]
    pub p99: Duration,
}

impl LatencySettings {
    /// No injected latency at all (what tests want by default).
    pub const ZERO: Self = Self {
        median: Duration::ZERO,
        p99: Duration::ZERO,
    };
}

shared::layered_config!(DemoConfig, ENV_PREFIX, DEFAULTS_TOML);

impl DemoConfig {
    /// Checks what serde cannot: ranges and URL shape.
    pub fn validated(self) -> Result<Self, ConfigError> {
        if self.products == 0 || self.products > 99_999 {
            return Err(ConfigError::invalid(
                "products",
                "must be between 1 and 99999 (ids have five digits)",
            ));
        }
        for service in Service::ALL {
            let (latency, error_rate) = (self.latency(service), self.error_rate(service));
            if !(0.0..=1.0).contains(&error_rate) {
                return Err(ConfigError::invalid(
                    &format!("{service}.error_rate"),
                    "must be between 0.0 and 1.0",
                ));
            }
            if latency.p99 > Duration::from_secs(600) {
                return Err(ConfigError::invalid(
                    &format!("{service}.latency.p99"),
                    "must be at most 10m",
                ));
            }
        }
        let issuer = &self.auth.issuer;
        if !(issuer.starts_with("http://") || issuer.starts_with("https://"))
            || issuer.ends_with('/')
        {
            return Err(ConfigError::invalid(
                "auth.issuer",
                "must be the token issuer's http(s) URL, without a trailing slash \
                 (tokens are never trusted unverified)",
            ));
        }
        for (key, audience) in [
            ("auth.accounts_audience", &self.auth.accounts_audience),
            (
                "auth.recommendations_audience",
                &self.auth.recommendations_audience,
            ),
        ] {
            if audience.trim().is_empty() {
                return Err(ConfigError::invalid(key, "must not be empty"));
            }
        }
        let url = &self.catalog.public_base_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.ends_with('/') {
            return Err(ConfigError::invalid(
                "catalog.public_base_url",
                "must be an http(s) URL without a trailing slash",
            ));
        }
        Ok(self)
    }

    /// The configured port of `service`.
    pub fn port(&self, service: Service) -> u16 {
        match service {
            Service::Catalog => self.catalog.port,
            Service::Offers => self.offers.port,
            Service::Reviews => self.reviews.port,
            Service::Recommendations => self.recommendations.port,
            Service::Accounts => self.accounts.port,
        }
    }

    /// The configured latency of `service`.
    pub fn latency(&self, service: Service) -> LatencySettings {
        match service {
            Service::Catalog => self.catalog.latency,
            Service::Offers => self.offers.latency,
            Service::Reviews => self.reviews.latency,
            Service::Recommendations => self.recommendations.latency,
            Service::Accounts => self.accounts.latency,
        }
    }

    /// The configured injected error rate of `service`.
    pub fn error_rate(&self, service: Service) -> f64 {
        match service {
            Service::Catalog => self.catalog.error_rate,
            Service::Offers => self.offers.error_rate,
            Service::Reviews => self.reviews.error_rate,
            Service::Recommendations => self.recommendations.error_rate,
            Service::Accounts => self.accounts.error_rate,
        }
    }

    /// Switches injected latency and errors off for every service (the test default).
    pub fn without_injection(mut self) -> Self {
        for (latency, error_rate) in [
            (&mut self.catalog.latency, &mut self.catalog.error_rate),
            (&mut self.offers.latency, &mut self.offers.error_rate),
            (&mut self.reviews.latency, &mut self.reviews.error_rate),
            (
                &mut self.recommendations.latency,
                &mut self.recommendations.error_rate,
            ),
            (&mut self.accounts.latency, &mut self.accounts.error_rate),
        ] {
            *latency = LatencySettings::ZERO;
            *error_rate = 0.0;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_match_the_documented_ports_and_data_size() {
        let config = DemoConfig::default();
        assert_eq!(config.seed, 42);
        assert_eq!(config.products, 2000);
        let ports: Vec<u16> = Service::ALL.iter().map(|s| config.port(*s)).collect();
        assert_eq!(ports, [7001, 7002, 7003, 7004, 7005]);
        assert_eq!(
            config.recommendations.latency.median,
            Duration::from_millis(25)
        );
        assert_eq!(config.catalog.public_base_url, "http://localhost:7001");
    }

    #[test]
    fn environment_variables_override_nested_durations() {
        let env = vec![
            (
                "DEMO_UPSTREAMS__RECOMMENDATIONS__LATENCY__MEDIAN".to_owned(),
                "40ms".to_owned(),
            ),
            ("DEMO_UPSTREAMS__SEED".to_owned(), "7".to_owned()),
        ];
        let config: DemoConfig =
            shared::config::load_from(ENV_PREFIX, DEFAULTS_TOML, None, Some(env)).unwrap();
        assert_eq!(
            config.recommendations.latency.median,
            Duration::from_millis(40)
        );
        assert_eq!(config.seed, 7);
    }

    #[test]
    fn an_error_rate_above_one_is_rejected() {
        let mut config = DemoConfig::default();
        config.offers.error_rate = 1.5;
        assert!(config.validated().is_err());
    }
}
