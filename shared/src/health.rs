//! `/healthz` (the process is alive) and `/readyz` (the upstreams it needs answer; whether the
//! identity provider has been discovered is reported too, but never fails it).

use std::sync::Arc;

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

/// Whether the identity provider has been discovered. A BFF whose provider was down at
/// start-up serves its public screens while sign-in answers 503, so `/readyz` reports this
/// (for the SRE asking why sign-in fails) without ever turning unready over it: taking the BFF
/// out of the load balancer would take the public screens down with sign-in.
pub trait ProviderDiscovery: Send + Sync + 'static {
    /// Whether discovery has succeeded.
    fn is_discovered(&self) -> bool;
}

/// What `/readyz` looks at.
#[derive(Clone)]
struct Probes {
    upstreams: Arc<Upstreams>,
    provider: Option<Arc<dyn ProviderDiscovery>>,
}

/// Routes for liveness and readiness probes.
pub fn routes<S: Clone + Send + Sync + 'static>(upstreams: Arc<Upstreams>) -> Router<S> {
    probe_routes(Probes {
        upstreams,
        provider: None,
    })
}

/// [`routes`], with `/readyz` also reporting whether `provider` has been discovered.
pub fn routes_reporting_provider<S: Clone + Send + Sync + 'static>(
    upstreams: Arc<Upstreams>,
    provider: Arc<dyn ProviderDiscovery>,
) -> Router<S> {
    probe_routes(Probes {
        upstreams,
        provider: Some(provider),
    })
}

fn probe_routes<S: Clone + Send + Sync + 'static>(probes: Probes) -> Router<S> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz).with_state(probes))
}

async fn healthz() -> Response {
    crate::server::cache_control(
        Json(serde_json::json!({ "status": "ok" })).into_response(),
        "no-store",
    )
}

#[derive(Serialize)]
struct Readiness {
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

/// Probes every upstream concurrently; 503 while a required one is unreachable, and while the
/// server drains before shutdown (without probing).
async fn readyz(State(probes): State<Probes>, draining: Option<Extension<Draining>>) -> Response {
    if draining.is_some_and(|Extension(draining)| draining.is_draining()) {
        let body = Readiness {
            status: "draining",
            upstreams: Vec::new(),
            identity_provider: None,
        };
        return readiness_response(StatusCode::SERVICE_UNAVAILABLE, body);
    }
    let clients = probes.upstreams.all();
    let reachable = futures::future::join_all(clients.iter().map(|c| c.probe())).await;
    let states: Vec<UpstreamState> = clients
        .iter()
        .zip(reachable)
        .map(|(client, reachable)| UpstreamState {
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
    let body = Readiness {
        status: if ready { "ready" } else { "unready" },
        upstreams: states,
        identity_provider: probes.provider.map(|provider| ProviderState {
            discovered: provider.is_discovered(),
            required: false,
        }),
    };
    readiness_response(status, body)
}

/// The readiness document, whatever the status: the 503 keeps its body (which upstream is
/// down) through the stack's problem conversion.
fn readiness_response(status: StatusCode, body: Readiness) -> Response {
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
