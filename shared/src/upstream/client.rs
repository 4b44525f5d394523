//! [`UpstreamClient`]: one upstream's base URL, pooled transport, limits, guard and cache, and
//! the calls a typed client makes through it (GETs through the response cache, calls on the
//! user's behalf, the health probe, decoding). How one call is sent lives in [`super::call`].

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderValue;
use http::header::{AUTHORIZATION, HeaderMap};
use http::{Method, Uri};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::call_url::BaseUrl;
use super::transport::{Outbound, Transport, TransportError};
use super::{ErrorKind, Items, UpstreamError, UpstreamSettings, cache, resilience};
use crate::aggregate::Screen;
use crate::auth::token_exchange::{Exchanged, TokenExchanger};

/// One upstream: a base URL, a pooled client and limits.
#[derive(Debug, Clone)]
pub struct UpstreamClient {
    pub(super) name: &'static str,
    base: BaseUrl,
    pub(super) http: Transport,
    pub(super) max_body_bytes: usize,
    required_for_readiness: bool,
    pub(super) guard: Arc<resilience::Guard>,
    cache: Option<Arc<cache::ResponseCache>>,
    pub(super) series: crate::metrics::UpstreamSeries,
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
            base: BaseUrl::new(&settings.url)?,
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

    /// Calls on the user's behalf carry a token exchanged by `exchanger` for `audience`.
    pub(super) fn exchange_for(&mut self, exchanger: &TokenExchanger, audience: &str) {
        self.exchange = Some(AudienceExchange {
            exchanger: exchanger.clone(),
            audience: Arc::from(audience),
        });
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
        let uri = self.base.uri(segments, query.iter().copied());
        match &self.cache {
            Some(cache) => Ok(T::clone(&*self.cached(cache, screen, route, uri).await?)),
            None => self.fetched(screen, route, uri).await,
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
        let uri = self.base.uri(segments, query.iter().copied());
        match &self.cache {
            Some(cache) => self.cached(cache, screen, route, uri).await,
            None => self.fetched(screen, route, uri).await.map(Arc::new),
        }
    }

    /// `GET segments?limit=…`, as [`Self::get_json`]: a list of at most `limit` entries (the
    /// number formatted on the stack, not in a `String` per call).
    pub(crate) async fn get_limited<T>(
        &self,
        screen: &Screen,
        route: &'static str,
        segments: &[&str],
        limit: u32,
    ) -> Result<T, UpstreamError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let mut digits = itoa::Buffer::new();
        let query = [("limit", digits.format(limit))];
        self.get_json(screen, route, segments, &query).await
    }

    /// `GET segments?ids=…&query` for all of `ids` in one call, as [`Self::get_json`]: the items
    /// of its `{"items": [...]}` answer. No call for no ids.
    pub(crate) async fn get_batch<T, S>(
        &self,
        screen: &Screen,
        route: &'static str,
        segments: &[&str],
        ids: &[S],
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, UpstreamError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
        S: AsRef<str>,
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let joined = join_ids(ids);
        let pairs = std::iter::once(("ids", joined.as_str())).chain(query.iter().copied());
        let uri = self.base.uri(segments, pairs);
        // As `get_json` does, without a `Vec` of query pairs or another future around the call.
        let batch: Items<T> = match &self.cache {
            Some(cache) => Items::clone(&*self.cached(cache, screen, route, uri).await?),
            None => self.fetched(screen, route, uri).await?,
        };
        Ok(batch.items)
    }

    /// The answer through the response cache, the screen told whether it is stale and how long
    /// it may be shared.
    async fn cached<T>(
        &self,
        cache: &Arc<cache::ResponseCache>,
        screen: &Screen,
        route: &'static str,
        uri: Uri,
    ) -> Result<Arc<T>, UpstreamError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let answer = cache
            .get::<T>(self, route, screen.call_context(), uri)
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
        uri: Uri,
    ) -> Result<T, UpstreamError> {
        screen.note_source(None);
        let fetched = self
            .execute(route, &screen.call_context(), Outbound::get(uri))
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
        let uri = self.base.uri(segments, query.iter().copied());
        let mut bearer = HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| self.error(ErrorKind::Unauthorized(401)))?;
        bearer.set_sensitive(true);
        let mut request = Outbound::new(method, uri).header(AUTHORIZATION, bearer);
        if let Some(body) = body {
            let json = serde_json::to_vec(body).map_err(|_| self.error(ErrorKind::InvalidBody))?;
            request = request.json_body(json);
        }
        let fetched = self.execute(route, &screen.call_context(), request).await?;
        self.decode(fetched.body())
    }

    /// GETs `segments` with `query` on the user's behalf, as [`Self::call_as_user`] without a
    /// body.
    pub async fn get_as_user<T: DeserializeOwned>(
        &self,
        screen: &Screen,
        route: &'static str,
        segments: &[&str],
        query: &[(&str, &str)],
        access_token: &str,
    ) -> Result<T, UpstreamError> {
        self.call_as_user::<T, ()>(
            screen,
            route,
            Method::GET,
            segments,
            query,
            access_token,
            None,
        )
        .await
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
        let request = Outbound::get(self.base.uri(&["healthz"], []));
        let answer = self
            .http
            .send(&request, HeaderMap::new(), 4096, Duration::from_secs(1))
            .await;
        matches!(answer, Ok(answer) if answer.status.is_success())
    }

    /// Decodes a JSON body with sonic-rs: serde_json's results (tested in `tests/it`), with SIMD
    /// string scans, and the body checked as UTF-8 once, whole, by `simdutf8`.
    pub(crate) fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, UpstreamError> {
        sonic_rs::from_slice(body).map_err(|error| {
            tracing::warn!(upstream = self.name, %error, "upstream body did not decode");
            self.error(ErrorKind::InvalidBody)
        })
    }

    pub(crate) fn error(&self, kind: ErrorKind) -> UpstreamError {
        UpstreamError::new(self.name, kind)
    }
}

/// Joins ids for an `ids=` query parameter.
fn join_ids<S: AsRef<str>>(ids: &[S]) -> String {
    let mut joined = String::with_capacity(ids.len() * 7);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(id.as_ref());
    }
    joined
}
