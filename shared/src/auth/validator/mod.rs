//! Validation of JWT access tokens (RFC 9068) following the JWT BCP (RFC 8725).
//!
//! `jsonwebtoken` alone is not enough (see `SECURITY.md`): [`TokenValidator`] adds, in this
//! order, a size cap before any decoding, a strict three-part shape, the algorithm allow-list from
//! configuration (never from the token; `none` and HMAC cannot be configured), refusal of any
//! `crit` header, the `typ` check (`at+jwt`, so an ID token is not an access token), a key looked
//! up by `kid` in the [`KeyStore`] only (never `jku`/`x5u`/`jwk`/`x5c`), a key/algorithm fit,
//! the signature, then the claims: `exp`, `iat`, `iss`, `aud`, `sub` required, exact `iss`, `aud`
//! containing this service, `exp`/`nbf` with a bounded leeway, and `iat` not in the future.
//!
//! Every failure is a [`TokenError`] for the logs; clients get the same 401 whatever failed.
//!
//! # Layout
//! - this module — [`TokenValidator`];
//! - [`settings`] — [`JwtSettings`] and the algorithm allow-list;
//! - [`verify`] — the checks of a compact JWS, shared with the OIDC client's ID tokens;
//! - [`claims`] — [`AccessClaims`];
//! - [`error`] — [`TokenError`] and the 401 problem.

mod claims;
mod error;
mod settings;
mod verify;

pub use claims::AccessClaims;
pub(crate) use claims::audiences;
pub(crate) use error::invalid_token_problem;
pub use error::{INVALID_TOKEN_CHALLENGE, TokenError};
pub(crate) use settings::parse_algorithms;
pub use settings::{JwtSettings, MAX_LEEWAY};
pub(crate) use verify::{Checks, Kind, verify};

use std::sync::Arc;

use crate::auth::jwks::{DeferredKeyStore, JwksError, JwksKeyStore, KeyStore};
use crate::config::ConfigError;

/// Validates access tokens. Build once at start-up; share as `Arc<TokenValidator>`.
#[derive(Debug)]
pub struct TokenValidator {
    checks: Checks,
    keys: Arc<dyn KeyStore>,
}

/// Why a validator could not be built: invalid settings, or the key store could not be built
/// (discovery failed).
pub type ValidatorError = crate::auth::SetupError<JwksError>;

impl From<JwksError> for ValidatorError {
    fn from(error: JwksError) -> Self {
        Self::Backend(error)
    }
}

impl crate::health::ProviderDiscovery for TokenValidator {
    fn is_discovered(&self) -> bool {
        self.keys.is_discovered()
    }
}

impl TokenValidator {
    /// A validator with the given key store (the settings' `jwks` section is not used).
    pub fn new(settings: &JwtSettings, keys: Arc<dyn KeyStore>) -> Result<Self, ConfigError> {
        settings.validate("jwt")?;
        Ok(Self {
            checks: Checks {
                issuer: settings.issuer.clone(),
                audience: settings.audience.clone(),
                algorithms: settings.parsed_algorithms()?,
                leeway: settings.leeway.as_secs(),
                max_bytes: settings.max_token_bytes,
                kind: Kind::Access {
                    expected: settings.token_type.clone(),
                    allow_missing: settings.allow_missing_typ,
                },
            },
            keys,
        })
    }

    /// Validates the settings, discovers the issuer's JWKS and builds the validator. A provider
    /// that cannot be reached now (or answers 5xx) is discovered on first use instead
    /// ([`DeferredKeyStore`]): the BFF starts, and tokens are refused as "keys unavailable"
    /// until then. A provider that contradicts the settings (another issuer) fails here.
    pub async fn from_settings(settings: &JwtSettings) -> Result<Self, ValidatorError> {
        settings.validate("jwt")?;
        let allowed = settings.parsed_algorithms()?;
        let backchannel = settings.backchannel_url.as_ref();
        let keys: Arc<dyn KeyStore> = match JwksKeyStore::discover_via(
            &settings.issuer,
            backchannel,
            &settings.jwks,
            &allowed,
        )
        .await
        {
            Ok(keys) => Arc::new(keys),
            Err(error) if error.is_transient() => {
                tracing::warn!(
                    %error,
                    issuer = %settings.issuer,
                    "identity provider unreachable at start-up; discovery is retried when a token arrives"
                );
                Arc::new(DeferredKeyStore::new(
                    &settings.issuer,
                    backchannel,
                    &settings.jwks,
                    &allowed,
                ))
            }
            Err(error) => return Err(error.into()),
        };
        Ok(Self::new(settings, keys)?)
    }

    /// The largest token accepted, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.checks.max_bytes
    }

    /// Validates `token` and returns its claims.
    pub async fn validate(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = verify(token, self.keys.as_ref(), &self.checks).await?;
        AccessClaims::from_claims(claims)
    }
}
