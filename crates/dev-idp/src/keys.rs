//! Signing keys: ES256 (P-256) keys generated in memory, the current one signing, rotated-out
//! ones still published (and accepted at `/userinfo`) for the configured grace period.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint as _;
use p256::pkcs8::EncodePrivateKey as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// One key pair.
pub(crate) struct SigningKey {
    /// The `kid`: the RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The private key, as `jsonwebtoken` signs with it (PKCS#8 DER).
    encoding: EncodingKey,
    /// The public key, for verifying our own tokens.
    pub decoding: DecodingKey,
    /// The public key as published in the JWKS.
    pub jwk: Jwk,
}

/// A public key in JWK form (RFC 7517/7518).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Jwk {
    kty: &'static str,
    crv: &'static str,
    x: String,
    y: String,
    kid: String,
    alg: &'static str,
    #[serde(rename = "use")]
    use_: &'static str,
}

impl SigningKey {
    /// A fresh random P-256 key.
    fn generate() -> Self {
        let secret = loop {
            // Out-of-range scalars (probability ~2^-32) are simply drawn again.
            let bytes: [u8; 32] = rand::random();
            if let Ok(secret) = SecretKey::from_slice(&bytes) {
                break secret;
            }
        };
        let der = secret
            .to_pkcs8_der()
            .expect("a valid P-256 secret key encodes as PKCS#8");
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            unreachable!("an uncompressed point has both coordinates")
        };
        let (x, y) = (B64.encode(x), B64.encode(y));
        // RFC 7638: the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = B64.encode(Sha256::digest(canonical.as_bytes()));
        let decoding = DecodingKey::from_ec_components(&x, &y)
            .expect("the coordinates of a valid point make a valid key");
        Self {
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            decoding,
            jwk: Jwk {
                kty: "EC",
                crv: "P-256",
                x,
                y,
                kid: kid.clone(),
                alg: "ES256",
                use_: "sig",
            },
            kid,
        }
    }
}

struct Ring {
    current: Arc<SigningKey>,
    /// Rotated-out keys and when they were rotated out, newest last.
    retired: Vec<(Arc<SigningKey>, Instant)>,
}

/// The provider's keys.
pub(crate) struct KeyRing {
    ring: RwLock<Ring>,
    grace: Duration,
}

impl KeyRing {
    /// A ring with one fresh key; rotated-out keys stay published for `grace`.
    pub fn new(grace: Duration) -> Self {
        Self {
            ring: RwLock::new(Ring {
                current: Arc::new(SigningKey::generate()),
                retired: Vec::new(),
            }),
            grace,
        }
    }

    /// The key that signs now.
    pub fn current(&self) -> Arc<SigningKey> {
        self.ring
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .current
            .clone()
    }

    /// Generates a new key, signs with it from now on and returns its `kid`; the old key stays
    /// published for the grace period.
    pub fn rotate(&self) -> String {
        let fresh = Arc::new(SigningKey::generate());
        let kid = fresh.kid.clone();
        let mut ring = self.ring.write().unwrap_or_else(PoisonError::into_inner);
        let old = std::mem::replace(&mut ring.current, fresh);
        ring.retired.push((old, Instant::now()));
        let grace = self.grace;
        ring.retired.retain(|(_, since)| since.elapsed() < grace);
        tracing::info!(kid, "signing key rotated");
        kid
    }

    /// The published keys: the current one first, then those still in their grace period.
    pub fn published(&self) -> Vec<Arc<SigningKey>> {
        let ring = self.ring.read().unwrap_or_else(PoisonError::into_inner);
        std::iter::once(ring.current.clone())
            .chain(
                ring.retired
                    .iter()
                    .rev()
                    .filter(|(_, since)| since.elapsed() < self.grace)
                    .map(|(key, _)| key.clone()),
            )
            .collect()
    }

    /// The published key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<Arc<SigningKey>> {
        self.published().into_iter().find(|key| key.kid == kid)
    }

    /// Signs `claims` as an ES256 JWT with the current key and the given `typ`.
    pub fn sign<T: Serialize>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let key = self.current();
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_owned());
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_out_key_stays_published_behind_the_new_one() {
        let ring = KeyRing::new(Duration::from_secs(3600));
        let old = ring.current().kid.clone();
        let new = ring.rotate();
        assert_ne!(old, new);
        let kids: Vec<String> = ring.published().iter().map(|k| k.kid.clone()).collect();
        assert_eq!(kids, [new, old]);
    }

    #[test]
    fn a_rotated_out_key_disappears_after_its_grace_period() {
        let ring = KeyRing::new(Duration::ZERO);
        let old = ring.current().kid.clone();
        ring.rotate();
        assert!(ring.find(&old).is_none());
        assert_eq!(ring.published().len(), 1);
    }

    #[test]
    fn the_kid_is_a_sha256_thumbprint() {
        let ring = KeyRing::new(Duration::ZERO);
        // 32 bytes, base64url without padding.
        assert_eq!(ring.current().kid.len(), 43);
    }
}
