//! Typed clients for the upstream services.
//!
//! One [`UpstreamClient`] per upstream holds one pooled HTTP client ([`transport`]: hyper-util
//! over rustls) with connect and total timeouts and no redirect following. Every call is bounded by the screen's remaining deadline,
//! carries the request id and the deadline to the upstream, builds its URL from encoded path
//! segments (never by string concatenation), reads the body under a byte cap and decodes it into
//! typed structs. Upstream error bodies are never read or passed on.
//!
//! The typed clients, one module per upstream, own the wire types: what the BFFs decode, no more.

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
pub mod catalog;
mod error;
pub mod offers;
pub mod recommendations;
pub mod resilience;
pub mod reviews;
mod settings;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use bytes::Bytes;
use http::Method;
use http::header::{AUTHORIZATION, HeaderMap};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::aggregate::Screen;
use crate::auth::token_exchange::{Exchanged, TokenExchanger};
use crate::telemetry::ClientSpan;
use resilience::Verdict;

pub use accounts::AccountsClient;
pub use cache::CacheSettings;
pub use catalog::CatalogClient;
pub use error::{ErrorKind, UpstreamError};
pub use offers::OffersClient;
pub use recommendations::RecommendationsClient;
pub use resilience::ResilienceSettings;
pub use reviews::ReviewsClient;
pub use settings::{UpstreamSettings, UpstreamsSettings};
pub use transport::TransportError;
use transport::{BodyError, Failure, Outbound, Transport};

/// The header that tells an upstream how many milliseconds the caller will still wait.
pub const DEADLINE_HEADER: &str = "x-request-deadline-ms";

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
                client.exchange = Some(AudienceExchange {
                    exchanger: exchanger.clone(),
                    audience: Arc::from(audience.as_str()),
                });
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

/// One upstream: a base URL, a pooled client and limits.
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    name: &'static str,
    base: Url,
    http: Transport,
    max_body_bytes: usize,
    required_for_readiness: bool,
    guard: Arc<resilience::Guard>,
    cache: Option<Arc<cache::ResponseCache>>,
    series: crate::metrics::UpstreamSeries,
    /// Set when calls on the user's behalf carry a token exchanged for this audience.
    exchange: Option<AudienceExchange>,
}

/// An upstream's audience and the exchanger that gets tokens for it.
#[derive(Debug, Clone)]
struct AudienceExchange {
    exchanger: TokenExchanger,
    audience: Arc<str>,
}

impl UpstreamClient {
    /// Builds the pooled client for one upstream.
    pub fn new(name: &'static str, settings: &UpstreamSettings) -> Result<Self, TransportError> {
        let http = Transport::new(name, settings)?;
        Ok(Self {
            name,
            base: settings.url.clone(),
            http,
            max_body_bytes: settings.max_body_bytes,
            required_for_readiness: settings.required_for_readiness,
            guard: Arc::new(resilience::Guard::new(name, &settings.resilience)),
            series: crate::metrics::UpstreamSeries::new(name),
            cache: settings
                .cache
                .enabled
                .then(|| Arc::new(cache::ResponseCache::new(name, &settings.cache))),
            exchange: None,
        })
    }

    /// The upstream's name, as used in logs, metrics and `degraded`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// How many connections this client's pool has opened since start-up (also the metric
    /// `upstream_connections_opened_total`): in steady state it stays still.
    pub fn connections_opened(&self) -> u64 {
        self.http.connections_opened()
    }

    /// Whether `/readyz` depends on this upstream.
    pub fn required_for_readiness(&self) -> bool {
        self.required_for_readiness
    }

    /// The URL of `segments` under the base URL, each segment percent-encoded as one segment
    /// (a `/` or `..` inside a segment cannot change the path).
    pub fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// GETs `segments` with `query` and decodes the JSON body into `T`; `route` is the call's
    /// route class (its circuit breaker), one of the typed client's `route` constants. Answers
    /// come from the response cache when the upstream allowed caching (`Cache-Control`),
    /// identical concurrent GETs share one upstream call, and a recent answer is served when the
    /// upstream fails within its `stale-if-error` window (the screen is then marked stale). A
    /// cache hit is a copy of the cached value: for a large answer that is only read, see
    /// [`Self::get_shared`].
    pub async fn get_json<T>(
        &self,
        screen: &Screen,
        route: &'static str,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, UpstreamError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let url = self.url_with(segments, query);
        match &self.cache {
            Some(cache) => Ok(T::clone(&*self.cached(cache, screen, route, url).await?)),
            None => self.fetched(screen, route, url).await,
        }
    }

    /// As [`Self::get_json`], the answer shared: a cache hit is the cached value itself, not a
    /// copy of it (a product in full is hundreds of strings).
    pub async fn get_shared<T>(
        &self,
        screen: &Screen,
        route: &'static str,
        segments: &[&str],
        query: &[(&str, &str)],
    ) -> Result<Arc<T>, UpstreamError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let url = self.url_with(segments, query);
        match &self.cache {
            Some(cache) => self.cached(cache, screen, route, url).await,
            None => self.fetched(screen, route, url).await.map(Arc::new),
        }
    }

    fn url_with(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    /// The answer through the response cache, the screen told whether it is stale and how long
    /// it may be shared.
    async fn cached<T>(
        &self,
        cache: &Arc<cache::ResponseCache>,
        screen: &Screen,
        route: &'static str,
        url: Url,
    ) -> Result<Arc<T>, UpstreamError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let answer = cache
            .get::<T>(self, route, screen.call_context(), url)
            .await?;
        if answer.stale {
            screen.mark_stale(self.name);
        }
        screen.note_source(answer.shared_until);
        Ok(answer.value)
    }

    /// The answer fetched and decoded, with no cache in between.
    async fn fetched<T: DeserializeOwned>(
        &self,
        screen: &Screen,
        route: &'static str,
        url: Url,
    ) -> Result<T, UpstreamError> {
        screen.note_source(None);
        let fetched = self
            .execute(route, &screen.call_context(), Outbound::get(&url))
            .await?;
        self.decode(fetched.body())
    }

    /// Sends a request on the user's behalf (their access token, never a cookie) with an
    /// optional JSON body, and decodes the JSON answer into `T`; `route` as for
    /// [`Self::get_json`].
    #[allow(clippy::too_many_arguments)]
    pub async fn call_as_user<T: DeserializeOwned, B: Serialize>(
        &self,
        screen: &Screen,
        route: &'static str,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        access_token: &str,
        body: Option<&B>,
    ) -> Result<T, UpstreamError> {
        // The user's own answer: a screen built from it is never kept for anyone.
        screen.note_source(None);
        let exchanged = match &self.exchange {
            Some(exchange) => Some(self.exchanged(screen, exchange, access_token).await?),
            None => None,
        };
        let token = exchanged
            .as_ref()
            .map_or(access_token, |exchanged| exchanged.token().expose());
        let mut url = self.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut bearer = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| self.error(ErrorKind::Unauthorized(401)))?;
        bearer.set_sensitive(true);
        let mut request = Outbound::new(method, &url).header(AUTHORIZATION, bearer);
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|_| self.error(ErrorKind::InvalidBody))?;
            request = request.json_body(json);
        }
        let fetched = self.execute(route, &screen.call_context(), request).await?;
        self.decode(fetched.body())
    }

    /// The user's token exchanged for this upstream's audience, within the screen's deadline.
    async fn exchanged(
        &self,
        screen: &Screen,
        exchange: &AudienceExchange,
        access_token: &str,
    ) -> Result<Arc<Exchanged>, UpstreamError> {
        let exchanged = tokio::time::timeout(
            screen.remaining(),
            exchange
                .exchanger
                .token_for(access_token, &exchange.audience),
        )
        .await
        .map_err(|_| self.error(ErrorKind::Timeout))?;
        exchanged.map_err(|error| {
            tracing::info!(upstream = self.name, %error, "no token for the upstream's audience");
            self.error(error.upstream_kind())
        })
    }

    /// True when the upstream's `/healthz` answers 2xx within a second.
    pub async fn probe(&self) -> bool {
        let request = Outbound::get(&self.url(&["healthz"]));
        let answer = self
            .http
            .send(&request, HeaderMap::new(), 4096, Duration::from_secs(1))
            .await;
        matches!(answer, Ok(answer) if answer.status.is_success())
    }

    /// Decodes a JSON body. The body is checked as UTF-8 once, whole, and then read as text:
    /// `serde_json::from_slice` would check every string it decodes again.
    pub(crate) fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, UpstreamError> {
        let text = std::str::from_utf8(body).map_err(|error| {
            tracing::warn!(upstream = self.name, %error, "upstream body is not UTF-8");
            self.error(ErrorKind::InvalidBody)
        })?;
        serde_json::from_str(text).map_err(|error| {
            tracing::warn!(upstream = self.name, %error, "upstream body did not decode");
            self.error(ErrorKind::InvalidBody)
        })
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> UpstreamError {
        UpstreamError::new(self.name, kind)
    }

    /// Sends the request within the screen's remaining budget, through the bulkhead, the breaker
    /// of `route` and the retry policy, and reads the body under the cap.
    pub(crate) async fn execute(
        &self,
        route: &'static str,
        call: &CallContext,
        request: Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let started = std::time::Instant::now();
        // Boxed: a call in flight (the transport's future, the retries, the timers) is kilobytes, and
        // a screen holds several at once in a future that every layer moves; one allocation per
        // call keeps the screen's future small.
        let result = Box::pin(self.attempts(route, call, request)).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.kind.label(),
        };
        self.series.record(outcome, started.elapsed());
        result
    }

    async fn attempts(
        &self,
        route: &'static str,
        call: &CallContext,
        request: Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let _slot = self.guard.enter().map_err(|kind| self.error(kind))?;
        self.guard.deposit();
        let idempotent = request.method.is_idempotent();
        let mut attempts = 0;
        loop {
            let remaining = call.remaining();
            if remaining.is_zero() {
                return Err(self.error(ErrorKind::Timeout));
            }
            let admission = self.guard.admit(route).map_err(|kind| self.error(kind))?;
            attempts += 1;
            // One timer for the attempt: the upstream's own `timeout` or the screen's deadline,
            // whichever comes first. Only the former says something about the upstream (it
            // counts against the breaker); the latter cancels.
            let own_timeout = self.http.timeout();
            let upstream_first = own_timeout < remaining;
            let attempt = self.send(call, remaining, &request);
            let (result, verdict) =
                match tokio::time::timeout(own_timeout.min(remaining), attempt).await {
                    Ok(result) => {
                        let verdict =
                            Verdict::of(result.as_ref().map(|_| ()).map_err(|error| &error.kind));
                        (result, verdict)
                    }
                    Err(_) if upstream_first => {
                        let error = self.transport_error(Failure::Timeout);
                        let verdict = Verdict::of(Err(&error.kind));
                        (Err(error), verdict)
                    }
                    Err(_) => (Err(self.error(ErrorKind::Timeout)), Verdict::Cancelled),
                };
            self.guard.record(route, admission, verdict);
            let Err(error) = result else {
                return result;
            };
            if !self.guard.may_retry(&error.kind, idempotent, attempts) {
                return Err(error);
            }
            let backoff = self.guard.backoff(attempts);
            if backoff >= call.remaining() {
                return Err(error);
            }
            tracing::debug!(upstream = self.name, %error, attempts, "retrying");
            tokio::time::sleep(backoff).await;
        }
    }

    /// One attempt, traced as a client span when traces are exported.
    async fn send(
        &self,
        call: &CallContext,
        remaining: Duration,
        request: &Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let Some(trace) = &call.trace else {
            return self.send_traced(call, remaining, request, None).await;
        };
        let (span, traceparent) = ClientSpan::start(trace, self.name, request.method.as_str());
        let result = self
            .send_traced(call, remaining, request, Some(traceparent))
            .await;
        span.end(match &result {
            Ok(_) => "ok",
            Err(error) => error.kind.label(),
        });
        result
    }

    async fn send_traced(
        &self,
        call: &CallContext,
        remaining: Duration,
        request: &Outbound,
        traceparent: Option<String>,
    ) -> Result<Fetched, UpstreamError> {
        // The upstream's own `timeout` and the screen's deadline are enforced around the attempt
        // (see `attempts`); the shorter is told to the upstream.
        let budget = remaining.min(self.http.timeout());
        let mut headers = HeaderMap::with_capacity(4);
        let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        headers.insert(DEADLINE_HEADER, HeaderValue::from(budget_ms));
        if let Some(value) = &call.request_id_header {
            headers.insert(crate::request_id::HEADER.clone(), value.clone());
        }
        if let Some(traceparent) = traceparent.and_then(|t| HeaderValue::try_from(t).ok()) {
            headers.insert(crate::trace_context::HEADER, traceparent);
            if let Some(state) = call
                .trace
                .as_ref()
                .and_then(|trace| trace.state.as_deref())
                .and_then(|state| HeaderValue::from_str(state).ok())
            {
                headers.insert(crate::trace_context::STATE_HEADER, state);
            }
        }
        let answer = self
            .http
            .exchange(request, headers, self.max_body_bytes)
            .await
            .map_err(|failure| self.transport_error(failure))?;
        let status = answer.status;
        let cache_control = answer.headers.get(http::header::CACHE_CONTROL).cloned();
        let etag = answer.headers.get(http::header::ETAG).cloned();
        if status == http::StatusCode::NOT_MODIFIED {
            return Ok(Fetched {
                body: None,
                cache_control,
                etag,
            });
        }
        if !status.is_success() {
            return Err(self.error(match status.as_u16() {
                404 => ErrorKind::NotFound,
                code @ (401 | 403) => ErrorKind::Unauthorized(code),
                504 => ErrorKind::Timeout,
                code @ 400..=499 => ErrorKind::Rejected(code),
                code => ErrorKind::Failed(code),
            }));
        }
        let body = answer.body.map_err(|error| match error {
            BodyError::TooLarge => self.error(ErrorKind::TooLarge),
            BodyError::Failed(failure) => self.transport_error(failure),
        })?;
        Ok(Fetched {
            body: Some(body),
            cache_control,
            etag,
        })
    }

    fn transport_error(&self, failure: Failure) -> UpstreamError {
        tracing::debug!(upstream = self.name, ?failure, "upstream transport error");
        self.error(match failure {
            Failure::Timeout => ErrorKind::Timeout,
            Failure::Unreachable => ErrorKind::Unreachable,
            Failure::Interrupted => ErrorKind::Interrupted,
        })
    }
}

/// What a call needs to know of its screen, owned, so that a call shared by several screens
/// (coalescing) can outlive the one that started it.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// When the screen's deadline passes.
    pub deadline: tokio::time::Instant,
    /// The inbound request's id, forwarded (as the header value: made once per screen).
    pub request_id_header: Option<HeaderValue>,
    /// The inbound request's trace; each call carries a child `traceparent`.
    pub trace: Option<crate::trace_context::TraceContext>,
}

impl CallContext {
    fn remaining(&self) -> Duration {
        self.deadline
            .saturating_duration_since(tokio::time::Instant::now())
    }
}

/// One upstream answer: its body (`None` for `304 Not Modified`) and the headers that govern
/// caching.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Option<Bytes>,
    pub(crate) cache_control: Option<HeaderValue>,
    pub(crate) etag: Option<HeaderValue>,
}

impl Fetched {
    fn body(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }
}

/// The `{"items": [...]}` envelope of batch answers.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Items<T> {
    pub(crate) items: Vec<T>,
}

/// Joins ids for an `ids=` query parameter.
pub(crate) fn join_ids<S: AsRef<str>>(ids: &[S]) -> String {
    let mut joined = String::with_capacity(ids.len() * 7);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(id.as_ref());
    }
    joined
}
