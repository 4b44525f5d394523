//! The `dev-idp` binary: loads settings, logs, binds, serves until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use dev_idp::IdpConfig;
use tokio::net::TcpListener;

/// An OpenID Connect provider for local development and tests only.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Port to listen on (overrides `port`; also moves the issuer's port while the issuer is
    /// left at its default).
    #[arg(long)]
    port: Option<u16>,
    /// A TOML settings file layered over the built-in defaults (then `DEV_IDP__*` variables).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ask the running provider's `/healthz` on 127.0.0.1 and exit 0 when healthy, 1 otherwise
    /// (container images have no curl).
    #[arg(long)]
    health_check: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut config = IdpConfig::load(args.config.as_deref())?;
    if let Some(port) = args.port {
        config = config.with_port(port);
    }
    if args.health_check {
        let healthy = shared::health::check_local(config.port).await;
        std::process::exit(if healthy { 0 } else { 1 });
    }
    shared::telemetry::init(&config.telemetry);
    tracing::warn!("{}", dev_idp::DEVELOPMENT_ONLY_WARNING);
    for warning in config.startup_warnings() {
        tracing::warn!("{warning}");
    }
    let addr = SocketAddr::new(config.bind_address, config.port);
    let issuer = config.issuer.clone();
    let app = dev_idp::build(config)?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, issuer, "dev-idp listening");
    shared::server::serve(listener, app, shared::server::shutdown_signal()).await?;
    Ok(())
}
