//! [`StaticKeyStore`]: a fixed, in-memory key store for tests (feature `test-helpers`).

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::auth::provider::FetchError;

use super::{KeyError, KeyStore, VerificationKey, parse_jwks};

/// A fixed, in-memory key store for tests (feature `test-helpers`).
#[derive(Debug, Default, Clone)]
pub struct StaticKeyStore {
    keys: HashMap<String, Arc<VerificationKey>>,
}

impl StaticKeyStore {
    /// An empty store: every `kid` is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key` under `kid` for `algorithm`.
    pub fn with_key(mut self, kid: &str, key: DecodingKey, algorithm: Algorithm) -> Self {
        self.keys.insert(
            kid.to_owned(),
            Arc::new(VerificationKey {
                kid: kid.to_owned(),
                key,
                algorithms: vec![algorithm],
            }),
        );
        self
    }

    /// The usable keys of a JWKS document, filtered as [`JwksKeyStore`] does.
    pub fn from_jwks(body: &[u8], allowed: &[Algorithm]) -> Result<Self, FetchError> {
        Ok(Self {
            keys: parse_jwks(body, allowed)?,
        })
    }
}

impl KeyStore for StaticKeyStore {
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>> {
        let found = self.keys.get(kid).cloned().ok_or(KeyError::Unknown);
        Box::pin(async move { found })
    }
}
