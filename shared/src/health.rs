//! `/healthz` (the process is alive) and `/readyz` (the upstreams it needs answer; whether the
//! identity provider has been discovered is reported too, but never fails it).
//!
//! `/healthz` is public. `/readyz` names every upstream and whether it answers, which is the
//! service's topology: it is served on the admin listener only ([`Readiness::routes`], wired by
//! `shared::server::serve_with_admin`), and its probe round is cached for [`PROBES_FRESH_FOR`]
//! and shared by concurrent calls, so polling it cannot multiply calls to the upstreams.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::server::{DeliberateErrorBody, Draining};
use crate::upstream::Upstreams;

/// How long one round of upstream probes answers `/readyz`: however often it is polled, each
/// upstream sees at most one `/healthz` per this period from it.
pub const PROBES_FRESH_FOR: Duration = Duration::from_secs(1);

/// Whether the identity provider has been discovered. A BFF whose provider was down at
/// start-up serves its public screens while sign-in answers 503, so `/readyz` reports this
/// (for the SRE asking why sign-in fails) without ever turning unready over it: taking the BFF
/// out of the load balancer would take the public screens down with sign-in.
pub trait ProviderDiscovery: Send + Sync + 'static {
    /// Whether discovery has succeeded.
    fn is_discovered(&self) -> bool;
}

/// The public probe: `GET /healthz`, the process is alive. Touches nothing else.
pub fn liveness<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/healthz", get(healthz))
}

/// What `/readyz` looks at, and its last probe round. Cheap to clone.
#[derive(Clone)]
pub struct Readiness {
    upstreams: Arc<Upstreams>,
    provider: Option<Arc<dyn ProviderDiscovery>>,
    last_round: Arc<tokio::sync::Mutex<Option<ProbeRound>>>,
}

/// Which upstreams answered, in [`Upstreams::all`] order, and when that was asked.
struct ProbeRound {
    at: Instant,
    reachable: Arc<[bool]>,
}

impl Readiness {
    /// Readiness over `upstreams`.
    pub fn new(upstreams: Arc<Upstreams>) -> Self {
        Self {
            upstreams,
            provider: None,
            last_round: Arc::default(),
        }
    }

    /// Also reports whether `provider` has been discovered (never a reason for 503).
    #[must_use]
    pub fn reporting_provider(mut self, provider: Arc<dyn ProviderDiscovery>) -> Self {
        self.provider = Some(provider);
        self
    }

    /// `GET /readyz`, for the admin listener (or the public port only when
    /// `server.metrics_on_public_port` relaxes that).
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new().route("/readyz", get(readyz).with_state(self.clone()))
    }

    /// The reachability of every upstream: the last round while it is fresh, otherwise a new
    /// one. Calls arriving during a round wait for it rather than starting their own.
    async fn reachability(&self) -> Arc<[bool]> {
        let mut last = self.last_round.lock().await;
        if let Some(round) = last
            .as_ref()
            .filter(|round| round.at.elapsed() < PROBES_FRESH_FOR)
        {
            return Arc::clone(&round.reachable);
        }
        let clients = self.upstreams.all();
        let reachable: Arc<[bool]> = futures::future::join_all(clients.iter().map(|c| c.probe()))
            .await
            .into();
        *last = Some(ProbeRound {
            at: Instant::now(),
            reachable: Arc::clone(&reachable),
        });
        reachable
    }
}

async fn healthz() -> Response {
    crate::server::cache_control(
        Json(serde_json::json!({ "status": "ok" })).into_response(),
        "no-store",
    )
}

#[derive(Serialize)]
struct ReadinessDocument {
    status: &'static str,
    upstreams: Vec<UpstreamState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity_provider: Option<ProviderState>,
}

#[derive(Serialize)]
struct ProviderState {
    discovered: bool,
    required: bool,
}

#[derive(Serialize)]
struct UpstreamState {
    name: &'static str,
    reachable: bool,
    required: bool,
}

/// Reports every upstream's reachability (probed at most once per [`PROBES_FRESH_FOR`]); 503
/// while a required one is unreachable, and while the server drains before shutdown (without
/// probing).
async fn readyz(
    State(readiness): State<Readiness>,
    draining: Option<Extension<Draining>>,
) -> Response {
    if draining.is_some_and(|Extension(draining)| draining.is_draining()) {
        let body = ReadinessDocument {
            status: "draining",
            upstreams: Vec::new(),
            identity_provider: None,
        };
        return readiness_response(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    let reachable = readiness.reachability().await;
    let states: Vec<UpstreamState> = readiness
        .upstreams
        .all()
        .iter()
        .zip(reachable.iter())
        .map(|(client, &reachable)| UpstreamState {
            name: client.name(),
            reachable,
            required: client.required_for_readiness(),
        })
        .collect();
    let ready = states.iter().all(|s| s.reachable || !s.required);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = ReadinessDocument {
        status: if ready { "ready" } else { "unready" },
        upstreams: states,
        identity_provider: readiness.provider.as_ref().map(|provider| ProviderState {
            discovered: provider.is_discovered(),
            required: false,
        }),
    };
    readiness_response(status, body)
}

/// The readiness document, whatever the status: the 503 keeps its body (which upstream is
/// down) through the stack's problem conversion.
fn readiness_response(status: StatusCode, body: ReadinessDocument) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(DeliberateErrorBody);
    crate::server::cache_control(response, "no-store")
}

/// For a container's health check (`scratch` images have no curl): asks `/healthz` of the
/// server on `127.0.0.1:port` and says whether it answered 200 within two seconds.
pub async fn check_local(port: u16) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).await?;
        Ok::<bool, std::io::Error>(head.starts_with(b"HTTP/1.1 200"))
    };
    matches!(
        tokio::time::timeout(std::time::Duration::from_secs(2), attempt).await,
        Ok(Ok(true))
    )
}
