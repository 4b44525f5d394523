//! Request ids: one per inbound request, in the log span, in every problem body, in the response's
//! `X-Request-Id`, and forwarded to every upstream call, so one id follows a screen end to end.
//! The same outermost layer decides who the client is ([`crate::protect::ClientAddr`], logged
//! and rate-limited alike) and whether the inbound `traceparent` is believed.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::protect::{ClientAddr, TrustedProxies};
use crate::telemetry::ServerSpan;
use crate::trace_context::{TraceContext, TraceparentTrust};

/// The header carrying the id, inbound, outbound and upstream.
pub static HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served, available to handlers as an extension.
#[derive(Debug, Clone)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// The id as sent in headers.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Takes the client's id when it is short and plain (so it can go into logs and headers
    /// verbatim), else makes a new one.
    fn from_request(request: &Request) -> Self {
        let supplied = request
            .headers()
            .get(&HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| is_plain_id(v));
        match supplied {
            Some(id) => Self(Arc::from(id)),
            None => Self::generated(),
        }
    }

    /// A new v4 UUID, from the thread's generator (seeded from the OS, then in user space):
    /// `Uuid::new_v4` asks the kernel for its 16 bytes on every request. Written into one
    /// `Arc<str>`, without a `String` first.
    fn generated() -> Self {
        let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
        let mut text = uuid::Uuid::encode_buffer();
        Self(Arc::from(&*uuid.hyphenated().encode_lower(&mut text)))
    }
}

fn is_plain_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

tokio::task_local! {
    static CURRENT: (RequestId, TraceContext);
}

/// The id of the request the current task is serving, if any; lets a [`crate::problem::Problem`]
/// carry it without every error path threading it through.
pub fn current() -> Option<String> {
    CURRENT.try_with(|(id, _)| id.as_str().to_owned()).ok()
}

/// The trace the current task's request belongs to, if any.
pub fn current_trace() -> Option<TraceContext> {
    CURRENT.try_with(|(_, trace)| trace.clone()).ok()
}

/// What the outermost layer believes of a request: the proxies in front and whose
/// `traceparent` is continued.
#[derive(Debug, Clone, Default)]
pub struct Edge {
    proxies: TrustedProxies,
    traceparent: TraceparentTrust,
}

impl Edge {
    /// Believes `proxies`' forwarding headers and, per `traceparent`, inbound trace contexts.
    pub fn new(proxies: TrustedProxies, traceparent: TraceparentTrust) -> Self {
        if traceparent == TraceparentTrust::Always {
            tracing::warn!(
                "server.trust_inbound_traceparent = always: any client chooses its trace id and \
                 can switch sampling off"
            );
        }
        Self {
            proxies,
            traceparent,
        }
    }

    /// Assigns the request id and the client address, opens the request's log span, and logs
    /// one line per request with its status and duration.
    pub async fn middleware(self, request: Request, next: Next) -> Response {
        let peer = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let client = peer.map(|peer| self.proxies.client_ip(peer, request.headers()));
        let believed = match self.traceparent {
            TraceparentTrust::Always => true,
            TraceparentTrust::Never => false,
            TraceparentTrust::TrustedProxies => {
                peer.is_some_and(|peer| self.proxies.trusts_peer(peer))
            }
        };
        let headers = request.headers();
        let trace = if believed {
            TraceContext::from_headers(
                headers
                    .get(&crate::trace_context::HEADER)
                    .and_then(|v| v.to_str().ok()),
                headers
                    .get_all(&crate::trace_context::STATE_HEADER)
                    .iter()
                    .map(|v| v.to_str().unwrap_or_default()),
            )
        } else {
            TraceContext::start()
        };
        serve(request, next, client, trace).await
    }
}

/// Like [`Edge::middleware`] with no trusted proxy: the peer is the client and every request
/// starts a trace.
pub async fn middleware(request: Request, next: Next) -> Response {
    Edge::default().middleware(request, next).await
}

async fn serve(
    mut request: Request,
    next: Next,
    client: Option<std::net::IpAddr>,
    mut trace: TraceContext,
) -> Response {
    let id = RequestId::from_request(&request);
    if let Some(ip) = client {
        request.extensions_mut().insert(ClientAddr(ip));
    }
    let method = request.method().clone();
    let server_span = ServerSpan::start(&mut trace, || method.to_string());
    request.extensions_mut().insert(id.clone());
    let span = tracing::info_span!(
        "request",
        request_id = id.as_str(),
        trace_id = %trace.trace_id_hex(),
        method = %request.method(),
        path = request.uri().path(),
        client = client.map(tracing::field::display),
    );
    let started = Instant::now();
    let mut response = CURRENT
        .scope((id.clone(), trace), next.run(request))
        .instrument(span.clone())
        .await;
    let status = response.status().as_u16();
    // The route is known once routing has run (crate::metrics::track hands it back).
    server_span.end(status, || {
        let route = response
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map_or("unmatched", |path| path.as_str());
        format!("{method} {route}")
    });
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "request failed");
        } else {
            tracing::info!(status, elapsed_ms, "request completed");
        }
    });
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(HEADER.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_distinct_v4_uuids_in_their_plain_form() {
        let ids: Vec<_> = (0..64).map(|_| RequestId::generated()).collect();
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id.as_str()).unwrap();
            assert_eq!(uuid.get_version_num(), 4, "{}", id.as_str());
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
            assert_eq!(id.as_str(), uuid.hyphenated().to_string());
            assert!(is_plain_id(id.as_str()));
        }
        let distinct: std::collections::HashSet<_> = ids.iter().map(RequestId::as_str).collect();
        assert_eq!(distinct.len(), ids.len());
    }
}
