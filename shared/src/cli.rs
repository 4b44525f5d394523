//! The start-up every BFF binary shares, so that each `main.rs` only names its settings and how
//! its app is built: [`run`] reads the flags, loads the settings, starts logging, binds the
//! listeners and serves until SIGTERM or Ctrl-C.
//!
//! Flags:
//! - `--health-check` asks a running instance's `/healthz` on the configured port and exits 0 or
//!   1: container images have no curl.
//! - `--check-config` loads and validates the settings from the defaults, the file and the
//!   environment as a start would, prints them as JSON with every secret masked
//!   ([`crate::config::masked`]) and exits 0; invalid settings exit 1 with the reason. It binds
//!   nothing and calls nobody (neither the provider nor Redis), so it runs anywhere the
//!   environment can be given: CI checks a deployment's ConfigMap with it.

use std::future::Future;
use std::io::Write as _;

use anyhow::Context as _;
use axum::Router;
use serde::Serialize;

use crate::config::ConfigError;
use crate::server::{ServeOptions, ServerSettings, bind_admin, serve_with_admin, shutdown_signal};
use crate::telemetry::TelemetrySettings;

/// What [`run`] needs of a binary's settings.
pub trait ServiceSettings: Serialize + Sized {
    /// Loads the settings from defaults, file and environment, and validates them.
    fn load() -> Result<Self, ConfigError>;
    /// The listener's settings, and logging and tracing.
    fn common(&self) -> (&ServerSettings, &TelemetrySettings);
    /// Development values that deserve a WARN (printed by `--check-config`; the app logs them
    /// when it starts). Default none.
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The two routers a BFF serves: the public app, and the admin listener's routes besides
/// `/metrics` (`/readyz`).
pub struct Apps {
    /// The public port's routes and middleware.
    pub public: Router,
    /// The admin port's routes.
    pub admin: Router,
}

impl Apps {
    /// Both routers from one app state: `admin` borrows it, `public` takes it.
    pub fn of<T>(
        state: T,
        admin: impl FnOnce(&T) -> Router,
        public: impl FnOnce(T) -> Router,
    ) -> Self {
        Self {
            admin: admin(&state),
            public: public(state),
        }
    }
}

/// Runs the binary `name` (`bff-web`): the flags above, else serve the app that `build` makes
/// from the settings until SIGTERM or Ctrl-C.
pub async fn run<S, F, Fut>(name: &str, build: F) -> anyhow::Result<()>
where
    S: ServiceSettings,
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<Apps>>,
{
    let check_config = std::env::args().any(|arg| arg == "--check-config");
    let settings = S::load().with_context(|| {
        if check_config {
            format!("{name} --check-config: the settings are invalid")
        } else {
            format!("{name} cannot start")
        }
    })?;
    if check_config {
        print_checked(name, &settings)?;
        return Ok(());
    }
    if std::env::args().any(|arg| arg == "--health-check") {
        let healthy = crate::health::check_local(settings.common().0.port).await;
        std::process::exit(if healthy { 0 } else { 1 });
    }
    crate::telemetry::init(settings.common().1);
    let server = settings.common().0.clone();
    let options = ServeOptions::from(&server);
    let admin = bind_admin(&server).await?;
    // Boxed: building discovers the provider and starts the clients, a large future that would
    // otherwise sit inside `main`'s for the whole life of the process.
    let apps = Box::pin(build(settings)).await?;
    let addr = server.addr();
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(address = %listener.local_addr()?, "{name} listening");
    serve_with_admin(
        listener,
        apps.public,
        admin,
        apps.admin,
        &options,
        shutdown_signal(),
    )
    .await?;
    crate::telemetry::shutdown().await;
    tracing::info!("{name} stopped");
    Ok(())
}

/// `--check-config`: the settings with secrets masked on stdout; on stderr what a start would
/// warn about and the listeners' addresses.
fn print_checked<S: ServiceSettings>(name: &str, settings: &S) -> anyhow::Result<()> {
    let server = settings.common().0;
    let admin = server
        .admin_addr()
        .with_context(|| format!("{name} --check-config: the settings are invalid"))?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, settings)?;
    writeln!(stdout)?;
    for warning in settings.warnings() {
        eprintln!("{name}: warning: {warning}");
    }
    let admin = admin.map_or_else(
        || "none (metrics_on_public_port)".to_owned(),
        |a| a.to_string(),
    );
    eprintln!(
        "{name}: settings valid; public listener {}, admin listener {admin}",
        server.addr()
    );
    Ok(())
}
