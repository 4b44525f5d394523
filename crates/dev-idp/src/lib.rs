//! `dev-idp`: an OpenID Connect provider for LOCAL DEVELOPMENT AND TESTS ONLY.
//!
//! A real HTTP server that the stack and the tests use the way they would use Keycloak or
//! Auth0: discovery, JWKS, the authorization code flow with PKCE (S256 only), refresh token
//! rotation with replay detection, RFC 8707 resource indicators, RFC 8693 token exchange,
//! userinfo, revocation and RP-initiated logout. Demo users,
//! ES256 keys generated at start-up, all state in memory. The BFFs know it only through
//! configuration (issuer URL, client id, secret). See `README.md` for the users and clients.
//!
//! # Layout
//! - [`config`] — settings (`config/default.toml`, `--config FILE`, `DEV_IDP__*`).
//! - [`users`] — the demo users.
//! - [`testing`] — [`testing::TestIdp`], the provider in-process on a random port.
//! - `routes` — one module per endpoint; `routes::app` assembles the router.
//! - `params` — parameter parsing (no repeats) and client authentication.
//! - `grants` — pending sign-ins, codes, refresh token families, revocations.
//! - `tokens` — access and ID token claims, minting and verification.
//! - `keys` — the ES256 key ring and its rotation.
//! - `html` — the login, error and signed-out pages (escaped, development banner).
//! - `error` — errors in each protocol's dialect.
//!
//! Errors: `thiserror`/typed errors inside, `anyhow` only in `main` at start-up.

pub mod config;
pub mod testing;
pub mod users;

mod error;
mod grants;
mod html;
mod keys;
mod params;
mod routes;
mod state;
mod tokens;

use std::sync::Arc;

use axum::Router;
use shared::config::ConfigError;

pub use crate::config::IdpConfig;
pub use crate::tokens::TokenResponse;

/// The warning logged at start-up.
pub const DEVELOPMENT_ONLY_WARNING: &str = "dev-idp is a DEVELOPMENT-ONLY identity provider: demo users with a known password, \
     in-memory keys and grants. Never expose it or use it for real accounts.";

/// Validates `config`, generates the first signing key and returns the provider's router.
pub fn build(config: IdpConfig) -> Result<Router, ConfigError> {
    let state = Arc::new(state::AppState::new(config)?);
    Ok(routes::app(state))
}
