//! The fuzz targets' checks, in the main workspace: `fuzz/` (nightly, libFuzzer) calls one
//! `check` per target, and `tests/corpus.rs` replays the committed corpora through the same
//! checks on stable with `cargo test`, so every seed and every past crash input is a regression
//! test of the ordinary suite.
//!
//! What the targets share: a fixed signing key set, the token validator that trusts it (no
//! network: `StaticKeyStore` of `shared`'s test helpers), a token forge, and the invariants the
//! targets assert. Fixed keys keep every crash reproducible from its input file alone.

use std::sync::{Arc, LazyLock};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use p256::pkcs8::EncodePrivateKey as _;
use serde_json::Value;
use shared::auth::jwks::StaticKeyStore;
use shared::auth::validator::{AccessClaims, JwtSettings, TokenError, TokenValidator};

pub mod client_hints;
pub mod ids_cursor;
pub mod return_to;
pub mod token_header;
pub mod token_structured;
pub mod upstream_json;

/// The issuer the validator expects.
pub const ISSUER: &str = "https://idp.example";
/// The audience the validator expects (the mobile BFF's).
pub const AUDIENCE: &str = "bff-mobile";
/// The `kid` of the trusted P-256 key.
pub const ES_KID: &str = "fuzz-es-1";
/// The `kid` of the trusted RSA key.
pub const RSA_KID: &str = "fuzz-rsa-1";
/// The leeway of the default settings, in seconds.
pub const LEEWAY: u64 = 30;

/// The fixed 2048-bit RSA key of the auth tests.
const RSA_PEM: &str = include_str!("../../../shared/tests/auth_support/rsa_test_key.pem");

/// Signing keys and the validator that trusts their public halves.
pub struct TokenKit {
    /// Validates like the mobile BFF does, with the default settings.
    pub validator: TokenValidator,
    /// The trusted ES256 key (`ES_KID`).
    pub es: EncodingKey,
    /// The trusted RS256 key (`RSA_KID`).
    pub rsa: EncodingKey,
    /// An ES256 key the validator does not know.
    pub stranger: EncodingKey,
    /// The public JWK of the ES256 key as bytes: the HMAC secret of an algorithm-confusion attack.
    pub es_public_bytes: Vec<u8>,
}

fn p256_key(scalar: u8) -> EncodingKey {
    let secret = p256::SecretKey::from_slice(&[scalar; 32]).expect("a valid P-256 scalar");
    let der = secret.to_pkcs8_der().expect("PKCS#8");
    EncodingKey::from_ec_der(der.as_bytes())
}

fn public(encoding: &EncodingKey, alg: Algorithm) -> (DecodingKey, Value) {
    let jwk = Jwk::from_encoding_key(encoding, alg).expect("public JWK");
    let decoding = DecodingKey::from_jwk(&jwk).expect("decoding key");
    (decoding, serde_json::to_value(jwk).expect("JWK JSON"))
}

/// The kit, built once per fuzzing process.
pub static KIT: LazyLock<TokenKit> = LazyLock::new(|| {
    let es = p256_key(7);
    let rsa = EncodingKey::from_rsa_pem(RSA_PEM.as_bytes()).expect("RSA test key");
    let stranger = p256_key(9);
    let (es_public, es_jwk) = public(&es, Algorithm::ES256);
    let (rsa_public, _) = public(&rsa, Algorithm::RS256);
    let store = StaticKeyStore::new()
        .with_key(ES_KID, es_public, Algorithm::ES256)
        .with_key(RSA_KID, rsa_public, Algorithm::RS256);
    let validator = TokenValidator::new(&JwtSettings::new(ISSUER, AUDIENCE), Arc::new(store))
        .expect("validator settings");
    TokenKit {
        validator,
        es,
        rsa,
        stranger,
        es_public_bytes: es_jwk.to_string().into_bytes(),
    }
});

/// Validates `token` with the kit's validator. The static key store answers at once, so the
/// future completes on its first poll.
pub fn validate(token: &str) -> Result<AccessClaims, TokenError> {
    futures::executor::block_on(KIT.validator.validate(token))
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// base64url without padding, as JWS segments are encoded.
pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `header.payload` signing input of a compact JWS with exactly these JSON texts.
pub fn signing_input(header: &str, claims: &str) -> String {
    format!("{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()))
}

/// Signs `message` with `key` for `alg` and returns the base64url signature.
pub fn sign(message: &str, key: &EncodingKey, alg: Algorithm) -> String {
    jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).expect("signing")
}

/// Claims a valid access token carries, expiring `ttl` seconds from `now`.
pub fn valid_claims(now: u64, ttl: u64) -> Value {
    serde_json::json!({
        "iss": ISSUER,
        "sub": "demo-user-1",
        "aud": [AUDIENCE, "accounts"],
        "exp": now + ttl,
        "iat": now,
        "nbf": now,
        "jti": "t-1",
        "client_id": "mobile-app",
        "scope": "openid orders:read",
    })
}

/// A valid ES256 access token for the kit's validator.
pub fn valid_token(now: u64, ttl: u64) -> String {
    let header = serde_json::json!({"alg": "ES256", "typ": "at+jwt", "kid": ES_KID});
    let message = signing_input(&header.to_string(), &valid_claims(now, ttl).to_string());
    let signature = sign(&message, &KIT.es, Algorithm::ES256);
    format!("{message}.{signature}")
}

/// What every accepted token must satisfy, whatever its origin: the configured issuer, this
/// audience, a subject, and times within the leeway (`slack` seconds more for the time the
/// check itself took).
pub fn assert_accepted_claims_hold(claims: &AccessClaims) {
    let now = now();
    let slack = LEEWAY + 5;
    assert_eq!(claims.iss, ISSUER, "accepted a foreign issuer");
    assert!(
        claims.aud.iter().any(|aud| aud == AUDIENCE),
        "accepted a token for another audience: {:?}",
        claims.aud
    );
    assert!(!claims.sub.is_empty(), "accepted an empty subject");
    // Saturating: a signed token may carry any `exp` up to `u64::MAX` (far future, not expired).
    assert!(
        claims.exp.saturating_add(slack) >= now,
        "accepted an expired token"
    );
    assert!(
        claims.iat <= now + slack,
        "accepted a token issued in the future"
    );
    if let Some(nbf) = claims.nbf {
        assert!(nbf <= now + slack, "accepted a token not yet valid");
    }
}

/// The `return_to` invariant: `/`, or a same-origin relative path: one leading `/` (never `//`),
/// no backslash, printable ASCII only (so no control characters or whitespace), no scheme.
pub fn assert_same_origin_path(value: &str) {
    assert!(value.starts_with('/'), "not a path: {value:?}");
    assert!(!value.starts_with("//"), "protocol-relative: {value:?}");
    assert!(!value.contains('\\'), "backslash: {value:?}");
    assert!(
        value.bytes().all(|b| b.is_ascii_graphic()),
        "non-printable or non-ASCII byte: {value:?}"
    );
    let path = value.split(['?', '#']).next().unwrap_or_default();
    assert!(!path.contains("//"), "empty path segment: {value:?}");
    assert_eq!(
        url::Url::parse(value),
        Err(url::ParseError::RelativeUrlWithoutBase),
        "not a relative reference: {value:?}"
    );
}
