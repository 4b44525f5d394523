//! Starts bff-web: settings, logging, listeners (the public one, and the admin one for
//! `/metrics` and `/readyz`), serve until SIGTERM or Ctrl-C.
//!
//! `bff-web --health-check` asks a running instance's `/healthz` on the configured port and exits
//! 0 or 1: container images have no curl.

use anyhow::Context;
use bff_web::Settings;
use shared::server::{ServeOptions, bind_admin, serve_with_admin, shutdown_signal};

/// Gives freed memory back to the system promptly: after a burst of large upstream bodies the
/// resident size falls back instead of staying at its peak, as it does with glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::load().context("bff-web cannot start")?;
    if std::env::args().any(|arg| arg == "--health-check") {
        let healthy = shared::health::check_local(settings.server.common.port).await;
        std::process::exit(if healthy { 0 } else { 1 });
    }
    shared::telemetry::init(&settings.telemetry);
    let addr = settings.server.common.addr();
    let options = ServeOptions::from(&settings.server.common);
    let admin = bind_admin(&settings.server.common).await?;
    let state = bff_web::AppState::new(settings).await?;
    let admin_routes = bff_web::admin_routes(&state);
    let app = bff_web::app(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(address = %listener.local_addr()?, "bff-web listening");
    serve_with_admin(
        listener,
        app,
        admin,
        admin_routes,
        &options,
        shutdown_signal(),
    )
    .await?;
    shared::telemetry::shutdown().await;
    tracing::info!("bff-web stopped");
    Ok(())
}
