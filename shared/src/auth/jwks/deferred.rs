//! [`DeferredKeyStore`]: the keys of a provider discovered on demand.

use std::sync::Arc;

use futures::future::BoxFuture;
use jsonwebtoken::Algorithm;
use url::Url;

use crate::auth::provider::Discovered;

use super::{JwksKeyStore, JwksSettings, KeyError, KeyStore, VerificationKey};

/// The keys of a provider that could not be discovered at start-up. Discovery is retried when a
/// token needs a key, at most once per `refresh_cooldown`, so a BFF starts (and serves its public
/// screens) while the provider is down; until discovery succeeds every key is unavailable, which
/// is not the same as a bad token.
#[derive(Debug)]
pub struct DeferredKeyStore {
    issuer: String,
    backchannel: Option<Url>,
    settings: JwksSettings,
    allowed: Vec<Algorithm>,
    store: Discovered<JwksKeyStore>,
}

impl DeferredKeyStore {
    /// A store that discovers `issuer` (through `backchannel`, if set) on first use.
    pub fn new(
        issuer: &str,
        backchannel: Option<&Url>,
        settings: &JwksSettings,
        allowed: &[Algorithm],
    ) -> Self {
        Self {
            issuer: issuer.to_owned(),
            backchannel: backchannel.cloned(),
            settings: settings.clone(),
            allowed: allowed.to_vec(),
            store: Discovered::new(settings.refresh_cooldown),
        }
    }

    async fn discovered(&self) -> Result<&JwksKeyStore, KeyError> {
        let discover = || {
            JwksKeyStore::discover_via(
                &self.issuer,
                self.backchannel.as_ref(),
                &self.settings,
                &self.allowed,
            )
        };
        self.store
            .get_or_discover(&self.issuer, discover)
            .await
            .ok_or_else(|| KeyError::Unavailable("provider not discovered yet".into()))
    }
}

impl KeyStore for DeferredKeyStore {
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
        Box::pin(async move { self.discovered().await?.key(kid).await })
    }

    fn is_discovered(&self) -> bool {
        self.store.get().is_some()
    }
}
