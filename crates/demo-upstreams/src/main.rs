//! `demo-upstreams`: serves one demo upstream service, or all five, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;
use demo_upstreams::config::DemoConfig;
use demo_upstreams::{Service, ServiceContext};
use futures::future::{FutureExt as _, Shared};
use tokio::net::TcpListener;

/// The storefront's demo upstream services (see API.md).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Serve all five services on their configured ports.
    #[arg(long, conflicts_with_all = ["service", "port"], required_unless_present = "service")]
    all: bool,
    /// Serve one service: catalog, offers, reviews, recommendations or accounts.
    #[arg(long, value_name = "NAME")]
    service: Option<Service>,
    /// Port for `--service` (default: the configured port of that service).
    #[arg(long, value_name = "N", requires = "service")]
    port: Option<u16>,
    /// Settings file (TOML) layered over the built-in defaults; `DEMO_UPSTREAMS__*`
    /// environment variables override both.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Ask the running `--service` on 127.0.0.1 (or every service with `--all`) for its
    /// `/healthz` and exit 0 when healthy, 1 otherwise (container images have no curl).
    #[arg(long)]
    health_check: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Arc::new(DemoConfig::load(cli.config.as_deref())?);
    if cli.health_check {
        let ports: Vec<u16> = match cli.service {
            Some(service) => vec![cli.port.unwrap_or_else(|| config.port(service))],
            None => Service::ALL.map(|s| config.port(s)).to_vec(),
        };
        for port in ports {
            if !shared::health::check_local(port).await {
                std::process::exit(1);
            }
        }
        return Ok(());
    }
    shared::telemetry::init(&config.telemetry);
    tracing::info!(
        issuer = %config.auth.issuer,
        "accounts and recommendations accept access tokens of this issuer"
    );

    let services: Vec<(Service, u16)> = match cli.service {
        Some(service) => vec![(service, cli.port.unwrap_or_else(|| config.port(service)))],
        None => Service::ALL.map(|s| (s, config.port(s))).to_vec(),
    };
    let shutdown: Shared<_> = shared::server::shutdown_signal().boxed().shared();
    let mut servers = Vec::new();
    for (service, port) in services {
        let ctx = ServiceContext::new(Arc::clone(&config))
            .verifying_tokens(service)
            .await
            .with_context(|| format!("{service}: the token issuer cannot be used"))?;
        let addr = SocketAddr::new(config.bind_address, port);
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for {service}"))?;
        tracing::info!(%service, "listening on {}", listener.local_addr()?);
        let app = demo_upstreams::router(service, &ctx);
        let stop = shutdown.clone();
        let fault = ctx.fault().clone();
        servers.push(tokio::spawn(async move {
            let signal = async move {
                stop.await;
                // Hung requests would otherwise hold the graceful shutdown until its grace ends.
                fault.release_all();
            };
            shared::server::serve(listener, app, signal)
                .await
                .with_context(|| format!("{service} failed"))
        }));
    }
    for server in servers {
        server.await??;
    }
    tracing::info!("stopped");
    Ok(())
}
