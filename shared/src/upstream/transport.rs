//! The HTTP transport of the screen calls: for a plain-HTTP upstream, HTTP/1.1 connections kept
//! in a pool of its own (`super::pool`); for `https`, hyper-util's pooled client over rustls,
//! with the platform's trusted roots (`SSL_CERT_FILE` adds a private CA), as reqwest configures
//! it.
//!
//! Why not reqwest here: a screen makes five to nine calls, and reqwest turns each call's URL
//! into a string and parses it back three times (request conversion, its redirect policy even
//! when redirects are off, and `Response::url`), clones the request for its retry layer and
//! consults the proxy matcher. The cold mobile product profile put reqwest's own frames at 15%
//! of the BFF's CPU (`bench/flamegraph-mobile-product-cold.svg`, 2026-12-06). The OIDC, JWKS
//! and token-exchange calls, a few per session, keep reqwest.
//!
//! What reqwest gave the screen calls is kept: connect timeout, a total timeout that covers
//! the body, TCP_NODELAY, the idle pool size and timeout, HTTP/2 by ALPN on `https`, no
//! redirect following (a 3xx is an upstream error), no proxy (upstreams are addressed
//! directly; `HTTP_PROXY` is not honoured for them).

use std::error::Error as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{CONTENT_TYPE, HOST, HeaderMap, HeaderValue, USER_AGENT};
use http::{Method, Request, Response, Uri};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_platform_verifier::BuilderVerifierExt as _;

use super::pool::Http1Pool;
use super::settings::UpstreamSettings;

/// Why an upstream's client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The TLS set-up (no usable root store).
    #[error("upstream TLS set-up failed: {0}")]
    Tls(#[from] rustls::Error),
    /// A base URL no call could use (the settings' check names the key first).
    #[error("upstream base URL: {0}")]
    BaseUrl(#[from] super::call_url::BaseUrlError),
}

/// One outbound request, built once per call; each attempt sends a copy (cheap: the body and
/// the URI share their bytes).
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Outbound {
    /// A request without a body.
    pub(crate) fn new(method: Method, uri: Uri) -> Self {
        Self {
            method,
            uri,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A `GET` of `uri`.
    pub(crate) fn get(uri: Uri) -> Self {
        Self::new(Method::GET, uri)
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: http::header::HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Sets a JSON body.
    pub(crate) fn json_body(mut self, body: Vec<u8>) -> Self {
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Bytes::from(body);
        self
    }
}

/// How an attempt failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer within the upstream's `timeout` (or its `connect_timeout`).
    Timeout,
    /// No connection (refused, DNS, TLS).
    Unreachable,
    /// The connection broke during the exchange.
    Interrupted,
}

/// The pooled client of one upstream.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    route: Route,
    timeout: Duration,
    opened: Opened,
}

/// How an upstream's calls travel, chosen once from its base URL's scheme.
#[derive(Debug, Clone)]
enum Route {
    /// A plain-HTTP upstream: its own pool (`super::pool`), and the `Host` every call carries.
    Plain { pool: Http1Pool, host: HeaderValue },
    /// An `https` upstream: hyper-util's client over rustls (HTTP/2 by ALPN); boxed, being
    /// ten times the size of the other.
    Https(Box<HttpsClient>),
}

type HttpsClient = Client<HttpsConnector<Counted<HttpConnector>>, Full<Bytes>>;

/// The answer of one attempt: status, headers and the body read in full under the cap.
pub(crate) struct Answer {
    pub(crate) status: http::StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Result<Bytes, BodyError>,
}

/// Why a 2xx body was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than `max_body_bytes`.
    TooLarge,
    /// The transfer failed.
    Failed(Failure),
}

impl Transport {
    /// The transport of upstream `name`; the TLS set-up is made only for an `https` upstream.
    pub(crate) fn new(
        name: &'static str,
        settings: &UpstreamSettings,
    ) -> Result<Self, TransportError> {
        let opened = Opened::new(name);
        let route = match plain_http(&settings.url) {
            Some((address, host)) => Route::Plain {
                pool: Http1Pool::new(
                    address,
                    settings.connect_timeout,
                    settings.pool_max_idle,
                    IDLE_TIMEOUT,
                    opened.clone(),
                ),
                host,
            },
            None => Route::Https(Box::new(https_client(settings, opened.clone())?)),
        };
        Ok(Self {
            route,
            timeout: settings.timeout,
            opened,
        })
    }

    /// How many connections this client has opened since it was built.
    pub(crate) fn connections_opened(&self) -> u64 {
        self.opened.total()
    }

    /// The upstream's own total timeout of a call.
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` with `extra` headers and reads a 2xx body up to `max_body_bytes`, all
    /// within `timeout`.
    pub(crate) async fn send(
        &self,
        request: &Outbound,
        extra: HeaderMap,
        max_body_bytes: usize,
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        match tokio::time::timeout(timeout, self.exchange(request, extra, max_body_bytes)).await {
            Ok(answer) => answer,
            Err(_) => Err(Failure::Timeout),
        }
    }

    /// [`Self::send`] without a timer of its own: the caller bounds it (one timer per attempt
    /// for both the upstream's `timeout` and the screen's deadline, see `UpstreamClient::attempts`).
    pub(crate) async fn exchange(
        &self,
        request: &Outbound,
        extra: HeaderMap,
        max_body_bytes: usize,
    ) -> Result<Answer, Failure> {
        let mut http_request = Request::new(Full::new(request.body.clone()));
        *http_request.method_mut() = request.method.clone();
        *http_request.uri_mut() = match &self.route {
            // A connection of its own to the upstream: the request line names the path only.
            Route::Plain { .. } => request
                .uri
                .path_and_query()
                .map_or_else(|| Uri::from_static("/"), |target| Uri::from(target.clone())),
            Route::Https(_) => request.uri.clone(),
        };
        // The call's own headers (`extra`) become the request's map, so they are not hashed and
        // copied a second time; a header of the request never replaces one of them.
        let mut headers = extra;
        headers.reserve(request.headers.len() + 2);
        headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        if let Route::Plain { host, .. } = &self.route {
            headers.insert(HOST, host.clone());
        }
        for (name, value) in &request.headers {
            headers.entry(name).or_insert_with(|| value.clone());
        }
        *http_request.headers_mut() = headers;
        match &self.route {
            Route::Plain { pool, .. } => {
                let (response, lease) = pool.send(http_request).await?;
                let answer = read(response, max_body_bytes).await;
                // Read to the end (an error's short body too): the connection can carry the next
                // call.
                if answer.body.is_ok() {
                    lease.release();
                }
                Ok(answer)
            }
            Route::Https(client) => {
                let response = client.request(http_request).await.map_err(classify)?;
                Ok(read(response, max_body_bytes).await)
            }
        }
    }
}

/// hyper-util's pooled client over rustls, with the platform's trusted roots, for an `https`
/// upstream.
fn https_client(
    settings: &UpstreamSettings,
    opened: Opened,
) -> Result<HttpsClient, TransportError> {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(settings.connect_timeout));
    http.set_nodelay(true);
    http.enforce_http(false);
    let provider = rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(Counted {
            inner: http,
            opened,
        });
    Ok(Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(settings.pool_max_idle)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        .build(https))
}

/// How long an idle connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// For a plain-HTTP base URL, where its pool connects (`host:port`, the port 80 when it has
/// none) and the `Host` its calls carry, made once (`host`, or `host:port` for a port other than
/// 80, as hyper-util set it); `None` for `https`, whose client sets `Host` itself.
fn plain_http(url: &url::Url) -> Option<(String, HeaderValue)> {
    if url.scheme() != "http" {
        return None;
    }
    let uri = Uri::try_from(url.as_str()).ok()?;
    let host = uri.host()?;
    let port = uri.port_u16().unwrap_or(80);
    let address = format!("{host}:{port}");
    let value = if port == 80 {
        HeaderValue::from_str(host)
    } else {
        HeaderValue::from_str(&address)
    };
    Some((address, value.ok()?))
}

/// The connections opened to one upstream, by either route: a pool too small for the work shows
/// as a steady stream of new connections (`upstream_connections_opened_total`), each a TCP (and
/// TLS) handshake the screens wait for.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    total: Arc<AtomicU64>,
    metric: metrics::Counter,
}

impl Opened {
    fn new(upstream: &'static str) -> Self {
        // A handle taken before the recorder is installed records nothing, ever.
        crate::metrics::handle();
        Self {
            total: Arc::default(),
            metric: metrics::counter!("upstream_connections_opened_total", "upstream" => upstream),
        }
    }

    /// Counts one more connection opened.
    pub(crate) fn record(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        self.metric.increment(1);
    }

    /// Connections opened so far.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// A counter outside any registry (tests).
    #[cfg(test)]
    pub(crate) fn unregistered() -> Self {
        Self {
            total: Arc::default(),
            metric: metrics::Counter::noop(),
        }
    }
}

/// hyper-util's connector, counting the connections it opens.
#[derive(Debug, Clone)]
pub(crate) struct Counted<C> {
    inner: C,
    opened: Opened,
}

impl<C> tower::Service<Uri> for Counted<C>
where
    C: tower::Service<Uri>,
    C::Future: Send + 'static,
{
    type Response = C::Response;
    type Error = C::Error;
    // Boxed: a connect is rare next to the calls that reuse it.
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let opened = self.opened.clone();
        Box::pin(async move {
            let connection = connecting.await?;
            opened.record();
            Ok(connection)
        })
    }
}

const USER_AGENT_VALUE: &str = concat!("bff-shared/", env!("CARGO_PKG_VERSION"));

/// The most of a non-2xx answer's body read (and thrown away) so that its connection can be used
/// again; a longer one closes the connection.
const DRAINED_ERROR_BODY: usize = 16 * 1024;

async fn read(response: Response<Incoming>, max_body_bytes: usize) -> Answer {
    let (parts, body) = response.into_parts();
    // Only a success's body is passed on. Any other answer's (a 404 problem, a 304's empty one)
    // is read to its end when short, never kept: left unread, it closed the connection, and a
    // client asking for ids that do not exist cost a new upstream connection per request.
    let body = if parts.status.is_success() {
        read_body(&parts.headers, body, max_body_bytes).await
    } else {
        read_body(&parts.headers, body, DRAINED_ERROR_BODY)
            .await
            .map(|_| Bytes::new())
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

async fn read_body(
    headers: &HeaderMap,
    mut body: Incoming,
    max_body_bytes: usize,
) -> Result<Bytes, BodyError> {
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if length.is_some_and(|length| length > max_body_bytes as u64) {
        return Err(BodyError::TooLarge);
    }
    // Most answers arrive as one frame: that frame's bytes are the body, without a copy.
    let first = match next_chunk(&mut body).await? {
        Some(chunk) if chunk.len() > max_body_bytes => return Err(BodyError::TooLarge),
        Some(chunk) => chunk,
        None => return Ok(Bytes::new()),
    };
    let Some(second) = next_chunk(&mut body).await? else {
        return Ok(first);
    };
    let capacity = length.map_or(first.len() + second.len(), |length| length as usize);
    let mut bytes = BytesMut::with_capacity(capacity.min(max_body_bytes));
    let mut chunk = Some(first).into_iter().chain(Some(second));
    loop {
        let next = match chunk.next() {
            Some(next) => next,
            None => match next_chunk(&mut body).await? {
                Some(next) => next,
                None => return Ok(bytes.freeze()),
            },
        };
        if bytes.len() + next.len() > max_body_bytes {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&next);
    }
}

/// The body's next data frame (trailers are skipped), `None` at its end.
async fn next_chunk(body: &mut Incoming) -> Result<Option<Bytes>, BodyError> {
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Failed(Failure::Interrupted))?;
        if let Ok(chunk) = frame.into_data()
            && !chunk.is_empty()
        {
            return Ok(Some(chunk));
        }
    }
    Ok(None)
}

/// A connect timeout is a timeout (as reqwest counted it); any other failure to connect is
/// unreachable; the rest broke mid-exchange.
fn classify(error: hyper_util::client::legacy::Error) -> Failure {
    let mut source = error.source();
    while let Some(cause) = source {
        if cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            return Failure::Timeout;
        }
        source = cause.source();
    }
    if error.is_connect() {
        Failure::Unreachable
    } else {
        tracing::debug!(%error, "upstream exchange failed");
        Failure::Interrupted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What hyper-util's client sets on an HTTP/1 call, made once instead.
    #[test]
    fn the_host_of_a_plain_http_upstream_is_its_host_and_any_port_but_80() {
        let host = |url: &str| {
            plain_http(&url.parse().unwrap()).map(|(_, v)| v.to_str().unwrap().to_owned())
        };
        assert_eq!(
            host("http://catalog:8080/v1").as_deref(),
            Some("catalog:8080")
        );
        assert_eq!(host("http://catalog/").as_deref(), Some("catalog"));
        assert_eq!(host("http://catalog:80/").as_deref(), Some("catalog"));
        assert_eq!(host("http://[::1]:7001").as_deref(), Some("[::1]:7001"));
        assert_eq!(
            host("http://127.0.0.1:7001").as_deref(),
            Some("127.0.0.1:7001")
        );
        assert_eq!(host("https://catalog:8443/"), None);
    }

    /// Where the pool of a plain-HTTP upstream connects.
    #[test]
    fn a_plain_http_upstream_is_reached_at_its_host_and_port_80_by_default() {
        let address = |url: &str| plain_http(&url.parse().unwrap()).map(|(address, _)| address);
        assert_eq!(address("http://catalog/v1").as_deref(), Some("catalog:80"));
        assert_eq!(address("http://catalog:80/").as_deref(), Some("catalog:80"));
        assert_eq!(address("http://[::1]:7001").as_deref(), Some("[::1]:7001"));
        assert_eq!(address("https://catalog/"), None);
    }
}
