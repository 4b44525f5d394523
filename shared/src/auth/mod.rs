//! Authentication building blocks for both BFFs. The rules they implement are in
//! `SECURITY.md` ("Web BFF" and "Mobile BFF"); each has a test in `shared/tests/auth_*.rs`.
//!
//! # Layout
//! - [`jwks`] — the provider's signing keys: [`jwks::KeyStore`], [`jwks::JwksKeyStore`] (cache,
//!   cooldown against unknown-`kid` storms, background refresh, bounded staleness) and, with the
//!   `test-helpers` feature, `jwks::StaticKeyStore`.
//! - [`validator`] — [`validator::TokenValidator`]: RFC 9068 / RFC 8725 access-token validation
//!   configured by [`validator::JwtSettings`], producing [`validator::AccessClaims`].
//! - [`bearer`] — parsing `Authorization: Bearer …` (size cap before any decoding).
//! - [`extract`] — the axum extractors [`extract::AuthUser`] and [`extract::MaybeAuthUser`], and
//!   [`extract::require_scope`] (mobile BFF).
//! - [`return_to`] — [`return_to::sanitize`]: same-origin relative paths only (web BFF).
//! - [`oidc`] — [`oidc::OidcClient`], the web BFF's confidential OIDC client (PKCE, `state`,
//!   `nonce`, RFC 9207 `iss`, refresh, revocation, end-session).
//! - [`deferred_oidc`] — [`deferred_oidc::DeferredOidcClient`]: that client when the provider
//!   may be down at start-up (discovered on demand, sign-in 503 meanwhile).
//! - [`session`] — server-side sessions ([`session::SessionStore`]: memory or Redis) and the
//!   single-flight refresh of a session's tokens ([`session::SessionManager`]).
//! - [`provider`] — discovery and the capped, redirect-free HTTP used toward the provider.
//! - [`secret`] — [`secret::SecretToken`], a token whose `Debug` output is redacted.
//! - [`token_exchange`] — [`token_exchange::TokenExchanger`]: RFC 8693 token exchange, a token
//!   per upstream audience in place of the user's own, cached and single-flight (both BFFs).
//! - [`client_auth`] — [`client_auth::ClientCredentials`]: `client_secret_basic` or
//!   `client_secret_post`, as the provider's discovery allows.
//!
//! Errors are `thiserror` enums written for logs; what a client sees is a
//! [`Problem`](crate::problem::Problem) that never says which check failed.

pub mod bearer;
pub mod client_auth;
pub mod deferred_oidc;
pub mod extract;
pub mod jwks;
pub mod oidc;
pub mod provider;
pub mod return_to;
pub mod secret;
pub mod session;
pub mod token_exchange;
pub mod validator;

pub use deferred_oidc::DeferredOidcClient;
pub use extract::{AuthUser, MaybeAuthUser, require_scope};
pub use jwks::{JwksKeyStore, JwksSettings, KeyStore};
pub use oidc::{OidcClient, OidcSettings, TokenSet};
pub use secret::SecretToken;
pub use session::{SessionManager, SessionSettings, SessionStore};
pub use validator::{AccessClaims, JwtSettings, TokenError, TokenValidator};

/// Why an auth component could not be built at start-up: its settings are invalid, or what it
/// is built on (`E`: the session store, the provider's keys) failed.
#[derive(Debug, thiserror::Error)]
pub enum SetupError<E> {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// What the component is built on failed.
    #[error(transparent)]
    Backend(E),
}
