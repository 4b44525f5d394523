//! Secrets that never reach logs: tokens and client secrets.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;

/// A token (access, refresh, ID), a PKCE verifier or a nonce: its `Debug` output is
/// `[redacted]`, the memory is wiped on drop, and the value is reached only through
/// [`SecretToken::expose`] where a header or a request body is built.
///
/// It serialises to its plain value, so that the session store can keep it server-side; never
/// serialise it into a response.
#[derive(Clone)]
pub struct SecretToken(SecretString);

impl SecretToken {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The secret itself: use it only to build an outgoing header or request body.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Compares with `other` in constant time (for `state` and `nonce` checks).
    pub fn ct_eq(&self, other: &str) -> bool {
        self.expose().as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken([redacted])")
    }
}

impl From<String> for SecretToken {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl Serialize for SecretToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for SecretToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

/// Compares two strings in constant time (lengths may leak, contents do not).
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `n` random bytes, base64url without padding. `rand::rng()` is a CSPRNG (ChaCha12) seeded
/// from the operating system and reseeded periodically.
pub(crate) fn random_urlsafe(n: usize) -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = vec![0_u8; n];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_contains_the_secret() {
        let token = SecretToken::new("eyJhbGciOi.secret.value");
        let debug = format!("{token:?} {:?}", Some(&token));
        assert!(!debug.contains("secret"), "{debug}");
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn serialises_to_its_plain_value_for_the_session_store() {
        let token = SecretToken::new("abc");
        let json = serde_json::to_string(&token).unwrap();
        assert_eq!(json, "\"abc\"");
        let back: SecretToken = serde_json::from_str(&json).unwrap();
        assert_eq!(back.expose(), "abc");
    }

    #[test]
    fn random_values_are_32_bytes_of_base64url_and_differ() {
        let a = random_urlsafe(32);
        let b = random_urlsafe(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
