//! [`verify`]: the checks of a compact JWS, shared by access tokens and ID tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::ErrorKind;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::auth::jwks::{KeyError, KeyStore};

use super::TokenError;
use super::error::loggable;

/// Which kind of JWT is expected, judged by `typ`.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// An access token: `typ` is `expected` or `application/{expected}`.
    Access {
        expected: String,
        allow_missing: bool,
    },
    /// An ID token: `typ` absent or `JWT`; never an access-token type.
    Id,
}

/// What a signed JWT is checked against.
#[derive(Debug, Clone)]
pub(crate) struct Checks {
    pub issuer: String,
    pub audience: String,
    pub algorithms: Vec<Algorithm>,
    pub leeway: u64,
    pub max_bytes: usize,
    pub kind: Kind,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    /// Present at all, even as `null`: any `crit` is refused.
    #[serde(default, deserialize_with = "present")]
    crit: bool,
    // `jku`, `x5u`, `jwk`, `x5c` are deliberately not read: keys come from the key store only.
}

/// True for any value, `null` included, so that a member's presence is what counts.
fn present<'de, D: serde::Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(value).map(|_| true)
}

fn is_base64url(part: &str) -> bool {
    part.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Verifies a compact JWS against `checks` and returns its claims. Shared by access tokens and
/// ID tokens.
pub(crate) async fn verify(
    token: &str,
    keys: &dyn KeyStore,
    checks: &Checks,
) -> Result<Map<String, Value>, TokenError> {
    if token.len() > checks.max_bytes {
        return Err(TokenError::TooLarge {
            max: checks.max_bytes,
        });
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed("not three parts"));
    };
    if [header, payload, signature]
        .iter()
        .any(|part| part.is_empty() || !is_base64url(part))
    {
        return Err(TokenError::Malformed("not base64url"));
    }
    let header: JoseHeader = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(TokenError::Malformed("header"))?;

    // The allow-list comes from configuration; the header only picks within it.
    let algorithm = header
        .alg
        .parse::<Algorithm>()
        .ok()
        .filter(|alg| checks.algorithms.contains(alg))
        .ok_or_else(|| TokenError::AlgorithmNotAllowed(loggable(&header.alg)))?;
    if header.crit {
        return Err(TokenError::CriticalHeader);
    }
    check_type(header.typ.as_deref(), &checks.kind)?;
    let kid = header
        .kid
        .filter(|kid| !kid.is_empty())
        .ok_or(TokenError::MissingKid)?;
    let key = keys.key(&kid).await.map_err(|e| match e {
        KeyError::Unknown => TokenError::UnknownKey,
        KeyError::Unavailable(why) => TokenError::KeysUnavailable(why),
    })?;
    if !key.algorithms.contains(&algorithm) {
        return Err(TokenError::KeyMismatch);
    }

    let mut validation = jsonwebtoken::Validation::new(algorithm);
    validation.leeway = checks.leeway;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.set_issuer(&[&checks.issuer]);
    validation.set_audience(&[&checks.audience]);
    let data =
        jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation).map_err(|e| {
            match e.into_kind() {
                ErrorKind::InvalidSignature => TokenError::BadSignature,
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::MissingRequiredClaim(claim) => TokenError::MissingClaim(claim),
                ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidEddsaKey
                | ErrorKind::InvalidRsaKey(_)
                | ErrorKind::InvalidKeyFormat => TokenError::KeyMismatch,
                _ => TokenError::Malformed("claims"),
            }
        })?;
    let claims = data.claims;

    // What jsonwebtoken does not check: `iss` exactly one string, `iat` present and not ahead.
    if claims.get("iss").and_then(Value::as_str) != Some(checks.issuer.as_str()) {
        return Err(TokenError::WrongIssuer);
    }
    match claims.get("iat") {
        None | Some(Value::Null) => return Err(TokenError::MissingClaim("iat".to_owned())),
        Some(iat) => {
            let iat = iat.as_u64().ok_or(TokenError::Malformed("iat"))?;
            if iat > now() + checks.leeway {
                return Err(TokenError::IssuedInFuture);
            }
        }
    }
    Ok(claims)
}

fn check_type(typ: Option<&str>, kind: &Kind) -> Result<(), TokenError> {
    let wrong = || TokenError::WrongType(typ.map(loggable));
    match kind {
        Kind::Access {
            expected,
            allow_missing,
        } => match typ {
            None if *allow_missing => Ok(()),
            None => Err(wrong()),
            Some(typ) => {
                let typ = typ.to_ascii_lowercase();
                let expected = expected.to_ascii_lowercase();
                let bare = typ.strip_prefix("application/").unwrap_or(&typ);
                if bare == expected {
                    Ok(())
                } else {
                    Err(wrong())
                }
            }
        },
        Kind::Id => match typ {
            None => Ok(()),
            Some(typ) if typ.eq_ignore_ascii_case("JWT") => Ok(()),
            Some(_) => Err(wrong()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_access_token_type_is_matched_case_insensitively_with_or_without_application() {
        let kind = Kind::Access {
            expected: "at+jwt".to_owned(),
            allow_missing: false,
        };
        for typ in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/AT+JWT",
        ] {
            assert!(check_type(Some(typ), &kind).is_ok(), "{typ}");
        }
        for typ in [
            Some("JWT"),
            Some("jwt"),
            None,
            Some("application/jwt"),
            Some("at+jwt "),
        ] {
            assert!(check_type(typ, &kind).is_err(), "{typ:?}");
        }
    }

    #[test]
    fn an_id_token_may_not_carry_the_access_token_type() {
        assert!(check_type(None, &Kind::Id).is_ok());
        assert!(check_type(Some("JWT"), &Kind::Id).is_ok());
        assert!(check_type(Some("at+jwt"), &Kind::Id).is_err());
        assert!(check_type(Some("application/at+jwt"), &Kind::Id).is_err());
    }
}
