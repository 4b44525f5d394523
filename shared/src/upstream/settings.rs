//! Where each upstream is and how it is called: the `upstreams.<name>` settings.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use super::{
    CacheSettings, ResilienceSettings, accounts, catalog, offers, recommendations, reviews,
};

/// How to reach one upstream.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    /// Base URL (`http` or `https`). Env `…__UPSTREAMS__<NAME>__URL`.
    #[serde(serialize_with = "crate::config::masked::url")]
    pub url: Url,
    /// Longest wait for a TCP connection. Default `250ms`.
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// Longest a single call may take, body included; the screen's deadline may cut it shorter.
    /// Default `2s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    /// Largest response body read; larger is an error. Default `4194304` (4 MiB).
    pub max_body_bytes: usize,
    /// Idle pooled connections kept per upstream host. Default `256`, the bulkhead's
    /// `max_concurrency`: every connection a burst opens stays for the next one instead of
    /// being closed and reopened (issue #13 counted ~190 calls in flight at 64 concurrent screens).
    pub pool_max_idle: usize,
    /// Whether `/readyz` fails while this upstream is unreachable: true for upstreams without
    /// which no screen works.
    pub required_for_readiness: bool,
    /// Retries, circuit breaker and concurrency cap; every key has a default.
    #[serde(default)]
    pub resilience: ResilienceSettings,
    /// The response cache of GET answers; every key has a default.
    #[serde(default)]
    pub cache: CacheSettings,
    /// The audience of the tokens this upstream accepts. When set, the user's access token is
    /// exchanged (OAuth 2.0 Token Exchange, RFC 8693) for one with this audience only before
    /// the upstream is called on the user's behalf; unset, the user's token is forwarded as it
    /// is (a provider that puts every audience in one token). Env
    /// `…__UPSTREAMS__<NAME>__AUDIENCE`. Default: none, except `accounts` and
    /// `recommendations` in the BFFs' defaults.
    #[serde(default)]
    pub audience: Option<String>,
}

/// All upstreams of the storefront, as configured.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamsSettings {
    /// Products, categories, images.
    pub catalog: UpstreamSettings,
    /// Prices, stock, delivery.
    pub offers: UpstreamSettings,
    /// Reviews and ratings.
    pub reviews: UpstreamSettings,
    /// Related and popular products.
    pub recommendations: UpstreamSettings,
    /// Profile, cart, orders (called with the user's token).
    pub accounts: UpstreamSettings,
}

impl UpstreamsSettings {
    /// Every upstream's settings, e.g. to change one key for all.
    pub fn all_mut(&mut self) -> [&mut UpstreamSettings; 5] {
        [
            &mut self.catalog,
            &mut self.offers,
            &mut self.reviews,
            &mut self.recommendations,
            &mut self.accounts,
        ]
    }

    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), crate::config::ConfigError> {
        for (name, upstream, classes) in [
            ("catalog", &self.catalog, catalog::route::ALL),
            ("offers", &self.offers, offers::route::ALL),
            ("reviews", &self.reviews, reviews::route::ALL),
            (
                "recommendations",
                &self.recommendations,
                recommendations::route::ALL,
            ),
            ("accounts", &self.accounts, accounts::route::ALL),
        ] {
            super::call_url::BaseUrl::new(&upstream.url).map_err(|why| {
                crate::config::ConfigError::invalid(&format!("upstreams.{name}.url"), why)
            })?;
            upstream
                .resilience
                .validate(&format!("upstreams.{name}.resilience"), classes)?;
            if upstream
                .audience
                .as_deref()
                .is_some_and(|a| a.trim().is_empty())
            {
                return Err(crate::config::ConfigError::invalid(
                    &format!("upstreams.{name}.audience"),
                    "must not be empty (leave it out to forward the user's token as it is)",
                ));
            }
        }
        Ok(())
    }

    /// Whether any upstream is called with exchanged tokens (then the BFF needs a client that
    /// may exchange).
    pub fn exchanges_tokens(&self) -> bool {
        [
            &self.catalog,
            &self.offers,
            &self.reviews,
            &self.recommendations,
            &self.accounts,
        ]
        .iter()
        .any(|upstream| upstream.audience.is_some())
    }
}
