//! Signing keys of the identity provider, from its JWKS (RFC 7517), behind the [`KeyStore`] trait.
//!
//! [`JwksKeyStore`] takes keys only from the `jwks_uri` of the configured issuer's discovery
//! document: the `jku`, `x5u`, `jwk` and `x5c` headers of a token are never read, let alone
//! fetched. Lookups by `kid` hit an in-memory map behind a read lock (the fast path). A `kid` that
//! is not there triggers at most one fetch per `refresh_cooldown` (default 1 s), whatever the
//! number of requests: concurrent misses wait for the same fetch (single flight), a miss within
//! the cooldown waits for its end (at most 1 s) rather than being refused, and a storm of random
//! `kid`s costs one fetch per cooldown. A background task refreshes the set every `refresh_interval`, so rotation works without
//! a restart. When the provider is down, the last set keeps working for `stale_for` past its
//! refresh time, then every key is refused until a fetch succeeds. The JWKS is read under
//! `max_bytes` within `timeout`, and only signing keys whose type and algorithm are allowed are
//! kept (`use` = `sig` when present, `key_ops` containing `verify` when present, never a
//! symmetric `oct` key).
//!
//! # Layout
//! - this module — the [`KeyStore`] trait, [`VerificationKey`] and the JWKS parsing;
//! - [`settings`] — [`JwksSettings`];
//! - [`cached`] — [`JwksKeyStore`];
//! - [`deferred`] — [`DeferredKeyStore`], for a provider not discovered at start-up;
//! - `static_store` — `StaticKeyStore`, fixed keys for tests (feature `test-helpers`).

mod cached;
mod deferred;
mod settings;
#[cfg(feature = "test-helpers")]
mod static_store;

pub use cached::{JwksError, JwksKeyStore};
pub use deferred::DeferredKeyStore;
pub use settings::JwksSettings;
#[cfg(feature = "test-helpers")]
pub use static_store::StaticKeyStore;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;

use crate::auth::provider::FetchError;

/// A public key that may verify token signatures.
pub struct VerificationKey {
    /// The key id (`kid`) it is published under.
    pub kid: String,
    /// The key.
    pub key: DecodingKey,
    /// The algorithms it may verify: its JWK `alg` if set, else those of the allow-list that fit
    /// its type and curve. Never empty.
    pub algorithms: Vec<Algorithm>,
}

crate::debug_showing!(VerificationKey { kid, algorithms });

/// Why no key could be given.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// No key has this `kid` (after at most one refresh per cooldown).
    #[error("no signing key with this kid")]
    Unknown,
    /// The key set could not be fetched and the last one is older than `stale_for` allows.
    #[error("signing keys unavailable: {0}")]
    Unavailable(String),
}

/// Where validators get verification keys by `kid`.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// The key published under `kid`.
    fn key<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<Arc<VerificationKey>, KeyError>>;

    /// Whether the provider behind the keys has been discovered (false only while a store
    /// waits for a provider that was down at start-up).
    fn is_discovered(&self) -> bool {
        true
    }
}

/// Builds the key of a JWK, or `None` when it is not a usable signing key for `allowed`.
pub fn verification_key(jwk: &Jwk, allowed: &[Algorithm]) -> Option<VerificationKey> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return None;
    }
    if jwk
        .common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let kid = jwk.common.key_id.clone().filter(|kid| !kid.is_empty())?;
    let fits: &[Algorithm] = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(params) => match params.curve {
            EllipticCurve::P256 => &[Algorithm::ES256],
            EllipticCurve::P384 => &[Algorithm::ES384],
            _ => &[],
        },
        AlgorithmParameters::RSA(_) => &[
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
            Algorithm::PS384,
            Algorithm::PS512,
        ],
        AlgorithmParameters::OctetKeyPair(params) if params.curve == EllipticCurve::Ed25519 => {
            &[Algorithm::EdDSA]
        }
        // Symmetric keys never verify anything here, whatever their `alg` says.
        _ => &[],
    };
    let mut algorithms: Vec<Algorithm> = allowed
        .iter()
        .copied()
        .filter(|alg| fits.contains(alg))
        .collect();
    if let Some(declared) = jwk.common.key_algorithm {
        let declared = Algorithm::try_from(declared).ok()?;
        algorithms.retain(|alg| *alg == declared);
    }
    if algorithms.is_empty() {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerificationKey {
        kid,
        key,
        algorithms,
    })
}

/// Parses a JWKS document and keeps the usable signing keys; unparsable entries are skipped.
pub fn parse_jwks(
    body: &[u8],
    allowed: &[Algorithm],
) -> Result<HashMap<String, Arc<VerificationKey>>, FetchError> {
    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let set: RawSet =
        serde_json::from_slice(body).map_err(|e| FetchError::InvalidBody(e.to_string()))?;
    let mut keys = HashMap::new();
    for value in set.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some(key) = verification_key(&jwk, allowed) {
            // A kid should be published once; if not, the last one wins.
            if keys.insert(key.kid.clone(), Arc::new(key)).is_some() {
                tracing::warn!("JWKS publishes a kid twice; ignoring it");
            }
        }
    }
    if keys.is_empty() {
        return Err(FetchError::InvalidBody(
            "no usable signing key in the JWKS".to_owned(),
        ));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    fn keys(jwks: serde_json::Value, allowed: &[Algorithm]) -> Vec<String> {
        let mut kids: Vec<String> = parse_jwks(jwks.to_string().as_bytes(), allowed)
            .map(|keys| keys.into_keys().collect())
            .unwrap_or_default();
        kids.sort();
        kids
    }

    fn ec(kid: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut key = json!({"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": kid});
        for (k, v) in extra.as_object().unwrap() {
            key[k] = v.clone();
        }
        key
    }

    #[test]
    fn only_signing_keys_of_allowed_algorithms_are_kept() {
        let jwks = json!({"keys": [
            ec("plain", json!({})),
            ec("sig", json!({"use": "sig", "alg": "ES256"})),
            ec("enc", json!({"use": "enc"})),
            ec("ops-sign-only", json!({"key_ops": ["sign"]})),
            ec("ops-verify", json!({"key_ops": ["verify"]})),
            ec("alg-not-allowed", json!({"alg": "ES384"})),
            ec("alg-hs", json!({"alg": "HS256"})),
            {"kty": "oct", "k": "c2VjcmV0", "kid": "symmetric", "alg": "HS256"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y},
            {"kty": "weird", "kid": "unknown-type"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "unknown-alg", "alg": "XX999"},
        ]});
        assert_eq!(
            keys(jwks, &[Algorithm::ES256, Algorithm::RS256]),
            ["ops-verify", "plain", "sig"]
        );
    }

    #[test]
    fn an_ec_key_is_not_kept_when_only_rsa_is_allowed() {
        let jwks = json!({"keys": [ec("a", json!({}))]});
        assert!(keys(jwks, &[Algorithm::RS256]).is_empty());
    }

    #[test]
    fn a_jwks_without_usable_keys_is_an_error_so_the_last_good_set_stays() {
        let body = json!({"keys": [ec("enc", json!({"use": "enc"}))]}).to_string();
        assert!(parse_jwks(body.as_bytes(), &[Algorithm::ES256]).is_err());
        assert!(parse_jwks(b"<html>", &[Algorithm::ES256]).is_err());
    }

    #[test]
    fn a_kid_published_twice_is_kept_once() {
        let jwks = json!({"keys": [ec("a", json!({})), ec("a", json!({}))]});
        assert_eq!(keys(jwks, &[Algorithm::ES256]), ["a"]);
    }
}
