//! Structure-aware token fuzzing: a valid signed access token whose header and claims are
//! mutated field by field (known-interesting values, arbitrary text, numbers, times around
//! now), then signed by the right key, another key, HMAC with the public key, or not at all.
//!
//! Oracles: the untouched token signed by the trusted key is accepted (so the target can fail);
//! a token is accepted only when it was signed by the trusted key its `kid` names with that
//! key's algorithm, carries no `crit`, has the access-token `typ`, and its claims hold.

use crate::{
    ES_KID, KIT, RSA_KID, assert_accepted_claims_hold, b64, now, sign, signing_input, valid_claims,
    validate,
};
use arbitrary::{Arbitrary, Unstructured};
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::{Map, Value, json};

/// What happens to one field.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
enum Patch {
    Keep,
    Remove,
    Null,
    /// One of the field's interesting values.
    Known(u8),
    Text(String),
    Int(i64),
    /// Now plus this many seconds.
    Offset(i32),
    Float(f64),
    Bool(bool),
    List(Vec<String>),
    Object(Vec<(String, String)>),
}

#[derive(Arbitrary, Debug)]
enum Signer {
    /// The trusted key the header's algorithm asks for (ES256 for anything else).
    Trusted,
    /// The trusted ES256 key, whatever the header says.
    Es,
    /// The trusted RSA key, whatever the header says.
    Rsa,
    /// A key the validator does not know.
    Stranger,
    /// HMAC-SHA256 with the ES256 public JWK as secret (algorithm confusion).
    HmacWithPublicKey,
    /// No signature: `header.payload.`
    Empty,
    Garbage(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    alg: Patch,
    typ: Patch,
    kid: Patch,
    /// `crit`, `jku`, `x5u`, `jwk`, `x5c`, `cty`, `b64`, `zip`.
    extra_header: Vec<(u8, Patch)>,
    iss: Patch,
    sub: Patch,
    aud: Patch,
    exp: Patch,
    iat: Patch,
    nbf: Patch,
    scope: Patch,
    scp: Patch,
    client_id: Patch,
    jti: Patch,
    extra_claims: Vec<(String, Patch)>,
    signer: Signer,
    /// Appended to the compact form.
    tail: Option<String>,
    /// Replaces the header JSON text altogether (duplicate keys, odd whitespace, nesting).
    raw_header: Option<String>,
}

const EXTRA_HEADERS: [&str; 8] = ["crit", "jku", "x5u", "jwk", "x5c", "cty", "b64", "zip"];

fn known(field: &str, index: u8, now: i64) -> Value {
    let options: Vec<Value> = match field {
        "alg" => [
            "ES256", "RS256", "HS256", "none", "None", "es256", "ES384", "PS256", "EdDSA", "",
        ]
        .map(Value::from)
        .to_vec(),
        "typ" => [
            "at+jwt",
            "application/at+jwt",
            "AT+JWT",
            "JWT",
            "jwt",
            "at+jwt ",
            "",
        ]
        .map(Value::from)
        .to_vec(),
        "kid" => [
            ES_KID,
            RSA_KID,
            "",
            "unknown",
            "../../etc/passwd",
            "fuzz-es-1\0",
        ]
        .map(Value::from)
        .to_vec(),
        "iss" => [
            crate::ISSUER,
            "https://idp.example/",
            "https://IDP.example",
            "https://evil.example",
            "",
        ]
        .map(Value::from)
        .to_vec(),
        "aud" => vec![
            json!(crate::AUDIENCE),
            json!([crate::AUDIENCE]),
            json!(["accounts"]),
            json!([]),
            json!([crate::AUDIENCE, 1]),
            json!("bff-web"),
        ],
        "exp" | "iat" | "nbf" => vec![
            json!(now),
            json!(now - 31),
            json!(now + 31),
            json!(now - 3600),
            json!(now + 3600),
            json!(0),
            json!(u64::MAX),
            json!(-1),
            json!(now as f64 + 0.5),
            json!(now.to_string()),
        ],
        "crit" => vec![json!(["exp"]), json!([]), json!("b64")],
        _ => vec![
            json!("x"),
            json!(["a", "b"]),
            json!({"kty": "oct", "k": "AAAA"}),
        ],
    };
    options[usize::from(index) % options.len()].clone()
}

/// Applies `patch` to `field` of `object`; true when the field was changed.
fn apply(object: &mut Map<String, Value>, field: &str, patch: &Patch, now: i64) -> bool {
    let value = match patch {
        Patch::Keep => return false,
        Patch::Remove => {
            object.remove(field);
            return true;
        }
        Patch::Null => Value::Null,
        Patch::Known(i) => known(field, *i, now),
        Patch::Text(s) => json!(s),
        Patch::Int(n) => json!(n),
        Patch::Offset(d) => json!(now + i64::from(*d)),
        Patch::Float(f) => json!(f),
        Patch::Bool(b) => json!(b),
        Patch::List(items) => json!(items),
        Patch::Object(pairs) => {
            Value::Object(pairs.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
        }
    };
    let changed = object.get(field) != Some(&value);
    object.insert(field.to_owned(), value);
    changed
}

fn algorithm_of(header: &Map<String, Value>) -> Option<Algorithm> {
    header.get("alg")?.as_str()?.parse().ok()
}

/// One fuzz input: the bytes decode into an [`Input`] as libFuzzer's typed targets do.
pub fn check(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check_input(&input);
    }
}

fn check_input(input: &Input) {
    let now = now();
    let now_i = i64::try_from(now).unwrap_or(i64::MAX);
    let mut header = json!({"alg": "ES256", "typ": "at+jwt", "kid": ES_KID})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut claims = valid_claims(now, 300)
        .as_object()
        .cloned()
        .unwrap_or_default();

    let mut changed = false;
    for (field, patch) in [
        ("alg", &input.alg),
        ("typ", &input.typ),
        ("kid", &input.kid),
    ] {
        changed |= apply(&mut header, field, patch, now_i);
    }
    for (which, patch) in input.extra_header.iter().take(4) {
        let field = EXTRA_HEADERS[usize::from(*which) % EXTRA_HEADERS.len()];
        changed |= apply(&mut header, field, patch, now_i);
    }
    for (field, patch) in [
        ("iss", &input.iss),
        ("sub", &input.sub),
        ("aud", &input.aud),
        ("exp", &input.exp),
        ("iat", &input.iat),
        ("nbf", &input.nbf),
        ("scope", &input.scope),
        ("scp", &input.scp),
        ("client_id", &input.client_id),
        ("jti", &input.jti),
    ] {
        changed |= apply(&mut claims, field, patch, now_i);
    }
    for (field, patch) in input.extra_claims.iter().take(4) {
        changed |= apply(&mut claims, field, patch, now_i);
    }

    let header_json = match &input.raw_header {
        Some(raw) => {
            changed = true;
            raw.clone()
        }
        None => Value::Object(header.clone()).to_string(),
    };
    let message = signing_input(&header_json, &Value::Object(claims).to_string());
    let header_alg = algorithm_of(&header);
    // Which trusted (kid, algorithm) the signature really belongs to, if any.
    let (signature, signed_as): (String, Option<(&str, Algorithm)>) = match &input.signer {
        Signer::Trusted => match header_alg {
            Some(Algorithm::RS256) => (
                sign(&message, &KIT.rsa, Algorithm::RS256),
                Some((RSA_KID, Algorithm::RS256)),
            ),
            _ => (
                sign(&message, &KIT.es, Algorithm::ES256),
                Some((ES_KID, Algorithm::ES256)),
            ),
        },
        Signer::Es => (
            sign(&message, &KIT.es, Algorithm::ES256),
            Some((ES_KID, Algorithm::ES256)),
        ),
        Signer::Rsa => (
            sign(&message, &KIT.rsa, Algorithm::RS256),
            Some((RSA_KID, Algorithm::RS256)),
        ),
        Signer::Stranger => (sign(&message, &KIT.stranger, Algorithm::ES256), None),
        Signer::HmacWithPublicKey => (
            sign(
                &message,
                &EncodingKey::from_secret(&KIT.es_public_bytes),
                Algorithm::HS256,
            ),
            None,
        ),
        Signer::Empty => (String::new(), None),
        Signer::Garbage(bytes) => (b64(bytes), None),
    };
    let mut token = format!("{message}.{signature}");
    if let Some(tail) = &input.tail {
        changed |= !tail.is_empty();
        token.push_str(tail);
    }

    let result = validate(&token);
    let untouched = !changed && matches!(input.signer, Signer::Trusted | Signer::Es);
    if untouched {
        assert!(result.is_ok(), "the valid token was refused: {result:?}");
    }
    let Ok(accepted) = result else {
        return;
    };
    assert_accepted_claims_hold(&accepted);
    let (kid, alg) = signed_as.expect("accepted a token no trusted key signed");
    if input.raw_header.is_none() {
        assert_eq!(
            header_alg,
            Some(alg),
            "accepted an algorithm the key does not sign"
        );
        assert_eq!(
            header.get("kid"),
            Some(&json!(kid)),
            "accepted under another kid"
        );
        assert!(!header.contains_key("crit"), "accepted a crit header");
        let typ = header
            .get("typ")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase);
        assert!(
            matches!(typ.as_deref(), Some("at+jwt" | "application/at+jwt")),
            "accepted typ {typ:?}"
        );
    }
}
