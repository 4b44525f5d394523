//! The web BFF's OpenID client when the provider may be down at start-up.
//!
//! A BFF that refused to start without its provider would take the public screens down with
//! sign-in, and a restart loop would hammer the provider as it comes back. So
//! [`DeferredOidcClient::connect`] discovers the provider at start-up if it can; when the provider
//! is unreachable (a transient error) the BFF starts anyway and discovery is retried when a
//! login, callback, logout or token refresh needs the provider, at most once per
//! `jwks.refresh_cooldown`. Until then those calls get [`ProviderUnavailable`] (a 503 with
//! `Retry-After`). A provider that answers but contradicts the settings (wrong issuer, missing
//! endpoints) still stops the start-up: that is a configuration error, not an outage.

use futures::future::BoxFuture;

use super::oidc::{OidcClient, OidcError, OidcSettings, RefreshError, TokenSet};
use super::provider::Discovered;
use super::session::TokenRefresher;
use crate::problem::Problem;

/// The provider could not be discovered yet; retry shortly. For logs and the 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the identity provider has not been discovered yet")]
pub struct ProviderUnavailable;

impl ProviderUnavailable {
    /// 503 with `Retry-After`: signing in is unavailable, the rest of the BFF is not.
    pub fn to_problem(&self) -> Problem {
        super::provider::unavailable_problem(
            "Signing in is unavailable right now; try again shortly.",
        )
    }
}

/// An [`OidcClient`] discovered at start-up or, if the provider was unreachable then, on first
/// use.
#[derive(Debug)]
pub struct DeferredOidcClient {
    settings: OidcSettings,
    client: Discovered<OidcClient>,
}

impl DeferredOidcClient {
    /// Discovers the provider now (which validates the settings first); an unreachable provider
    /// is logged (WARN) and left for later, any other error is returned.
    pub async fn connect(settings: &OidcSettings) -> Result<Self, OidcError> {
        let cooldown = settings.jwks.refresh_cooldown;
        let client = match OidcClient::discover(settings).await {
            Ok(client) => Discovered::from_startup(Some(client), cooldown),
            Err(error) if error.is_transient() => {
                tracing::warn!(
                    %error,
                    issuer = %settings.issuer,
                    "identity provider unreachable at start-up; sign-in answers 503 until it is \
                     discovered (retried on demand)"
                );
                Discovered::from_startup(None, cooldown)
            }
            Err(error) => return Err(error),
        };
        Ok(Self {
            settings: settings.clone(),
            client,
        })
    }

    /// The discovered client, discovering the provider now if it has not been and the cooldown
    /// allows.
    pub async fn client(&self) -> Result<&OidcClient, ProviderUnavailable> {
        self.client
            .get_or_discover(&self.settings.issuer, || {
                OidcClient::discover(&self.settings)
            })
            .await
            .ok_or(ProviderUnavailable)
    }

    /// Whether the provider has been discovered: `/readyz` reports it, and tests wait for it.
    pub fn is_discovered(&self) -> bool {
        self.client.get().is_some()
    }
}

impl TokenRefresher for DeferredOidcClient {
    fn refresh<'a>(
        &'a self,
        tokens: &'a TokenSet,
    ) -> BoxFuture<'a, Result<TokenSet, RefreshError>> {
        Box::pin(async move {
            let client = self
                .client()
                .await
                .map_err(|error| RefreshError::Failed(error.to_string()))?;
            client.refresh(tokens).await
        })
    }
}
