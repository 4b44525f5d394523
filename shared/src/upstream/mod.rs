//! Typed clients for the upstream services.
//!
//! One [`UpstreamClient`] per upstream holds one pooled HTTP client ([`transport`]: hyper-util
//! over rustls) with connect and total timeouts and no redirect following. Every call is bounded
//! by the screen's remaining deadline, carries the request id and the deadline to the upstream,
//! builds its URL from encoded path segments (never by string concatenation), reads the body
//! under a byte cap and decodes it into typed structs. Upstream error bodies are never read or
//! passed on.
//!
//! The typed clients, one module per upstream, own the wire types: what the BFFs decode, no more.
//!
//! # Layout
//! - `client` — [`UpstreamClient`] and the calls a typed client makes through it; `call_url` —
//!   each call's URL under the upstream's base.
//! - `call` — how one call is sent: budget, bulkhead, breaker, retries, headers, status.
//! - `error` — [`UpstreamError`] and its [`ErrorKind`]s; `settings` — [`UpstreamsSettings`].
//! - [`cache`], [`resilience`], `transport` — the response cache, the guard, the HTTP client;
//!   `pool` — the kept connections of a plain-HTTP upstream.

/// A typed client: a newtype over [`UpstreamClient`] whose methods are one upstream's endpoints,
/// so that each client module holds only those.
macro_rules! typed_client {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name($crate::upstream::UpstreamClient);

        impl $name {
            /// Wraps the raw client.
            pub fn new(client: $crate::upstream::UpstreamClient) -> Self {
                Self(client)
            }

            /// The raw client.
            pub fn raw(&self) -> &$crate::upstream::UpstreamClient {
                &self.0
            }

            pub(crate) fn raw_mut(&mut self) -> &mut $crate::upstream::UpstreamClient {
                &mut self.0
            }
        }
    };
}
use typed_client;

pub mod accounts;
pub mod cache;
mod call;
mod call_url;
pub mod catalog;
mod client;
mod error;
pub mod offers;
mod pool;
pub mod recommendations;
pub mod resilience;
pub mod reviews;
mod settings;
mod transport;

use serde::Deserialize;

use crate::auth::token_exchange::TokenExchanger;

pub use accounts::AccountsClient;
pub use cache::CacheSettings;
pub use call::CallContext;
pub use call_url::BaseUrlError;
pub use catalog::CatalogClient;
pub use client::UpstreamClient;
pub use error::{ErrorKind, UpstreamError};
pub use offers::OffersClient;
pub use recommendations::RecommendationsClient;
pub use resilience::ResilienceSettings;
pub use reviews::ReviewsClient;
pub use settings::{UpstreamSettings, UpstreamsSettings};
use transport::Outbound;
pub use transport::TransportError;

/// The header that tells an upstream how many milliseconds the caller will still wait.
pub static DEADLINE_HEADER: http::HeaderName =
    http::HeaderName::from_static("x-request-deadline-ms");

/// The typed clients of every upstream, built once at start-up and shared by all handlers.
#[derive(Debug, Clone)]
pub struct Upstreams {
    /// Products, categories, images.
    pub catalog: CatalogClient,
    /// Prices, stock, delivery.
    pub offers: OffersClient,
    /// Reviews and ratings.
    pub reviews: ReviewsClient,
    /// Related and popular products.
    pub recommendations: RecommendationsClient,
    /// Profile, cart, orders.
    pub accounts: AccountsClient,
}

impl Upstreams {
    /// Builds every client; fails only on an invalid TLS or client setup.
    pub fn new(settings: &UpstreamsSettings) -> Result<Self, TransportError> {
        Ok(Self {
            catalog: CatalogClient::new(UpstreamClient::new("catalog", &settings.catalog)?),
            offers: OffersClient::new(UpstreamClient::new("offers", &settings.offers)?),
            reviews: ReviewsClient::new(UpstreamClient::new("reviews", &settings.reviews)?),
            recommendations: RecommendationsClient::new(UpstreamClient::new(
                "recommendations",
                &settings.recommendations,
            )?),
            accounts: AccountsClient::new(UpstreamClient::new("accounts", &settings.accounts)?),
        })
    }

    /// Calls every upstream that has an `audience` setting with tokens exchanged by `exchanger`
    /// for that audience, in place of the user's own.
    pub fn with_token_exchange(
        mut self,
        exchanger: &TokenExchanger,
        settings: &UpstreamsSettings,
    ) -> Self {
        let pairs: [(&mut UpstreamClient, &UpstreamSettings); 5] = [
            (self.catalog.raw_mut(), &settings.catalog),
            (self.offers.raw_mut(), &settings.offers),
            (self.reviews.raw_mut(), &settings.reviews),
            (self.recommendations.raw_mut(), &settings.recommendations),
            (self.accounts.raw_mut(), &settings.accounts),
        ];
        for (client, settings) in pairs {
            if let Some(audience) = &settings.audience {
                client.exchange_for(exchanger, audience);
            }
        }
        self
    }

    /// The raw clients, for health checks and metrics.
    pub fn all(&self) -> [&UpstreamClient; 5] {
        [
            self.catalog.raw(),
            self.offers.raw(),
            self.reviews.raw(),
            self.recommendations.raw(),
            self.accounts.raw(),
        ]
    }
}

/// The `{"items": [...]}` envelope of batch answers.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Items<T> {
    pub(crate) items: Vec<T>,
}
