//! Starts bff-web: settings, logging, listeners (the public one, and the admin one for
//! `/metrics` and `/readyz`), serve until SIGTERM or Ctrl-C ([`shared::cli::run`]).
//!
//! `bff-web --health-check` asks a running instance's `/healthz` on the configured port and
//! exits 0 or 1 (container images have no curl); `bff-web --check-config` prints the settings
//! from the environment with secrets masked and exits 0, or 1 with the reason.

/// Gives freed memory back to the system promptly: after a burst of large upstream bodies the
/// resident size falls back instead of staying at its peak, as it does with glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::cli::run::<bff_web::Settings, _, _>("bff-web", bff_web::build_apps).await
}
