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

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use jsonwebtoken::errors::ErrorKind;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::jwks::{DeferredKeyStore, JwksError, JwksKeyStore, JwksSettings, KeyError, KeyStore};
use crate::config::ConfigError;
use crate::problem::Problem;

/// The most leeway that can be configured.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// How access tokens are validated. Env `…__JWT__<KEY>` (the BFF chooses the section name).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The issuer: `iss` must equal it exactly, and keys are discovered from
    /// `{issuer}/.well-known/openid-configuration`. Required.
    pub issuer: String,
    /// This service's identifier: `aud` must contain it. Required.
    pub audience: String,
    /// Accepted signature algorithms (never taken from the token). `none` and the HMAC family
    /// are refused at start-up. Default `["ES256", "RS256"]`.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Default `30s`; at most `5m`.
    #[serde(default = "default_leeway", with = "humantime_serde")]
    pub leeway: Duration,
    /// The `typ` header access tokens carry (RFC 9068); `application/` + it is accepted too,
    /// both case-insensitively. Default `at+jwt`.
    #[serde(default = "default_token_type")]
    pub token_type: String,
    /// Whether a token without `typ` is accepted, for providers that do not set it (ID tokens
    /// are then told apart by `aud` only). Default `false`.
    #[serde(default)]
    pub allow_missing_typ: bool,
    /// Largest token accepted, checked before any decoding. Default `8192`.
    #[serde(default = "default_max_token_bytes")]
    pub max_token_bytes: usize,
    /// How the provider's JWKS is fetched and cached; every key has a default.
    #[serde(default)]
    pub jwks: JwksSettings,
    /// The provider's base URL as this service reaches it, when that differs from the issuer
    /// URL (containers: `http://dev-idp:7000` vs `http://localhost:7000`). Default: none.
    #[serde(default, serialize_with = "crate::config::masked::optional_url")]
    pub backchannel_url: Option<url::Url>,
}

fn default_algorithms() -> Vec<String> {
    vec!["ES256".to_owned(), "RS256".to_owned()]
}

fn default_leeway() -> Duration {
    Duration::from_secs(30)
}

fn default_token_type() -> String {
    "at+jwt".to_owned()
}

fn default_max_token_bytes() -> usize {
    8 * 1024
}

impl JwtSettings {
    /// Settings with every default, for `issuer` and `audience`.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            algorithms: default_algorithms(),
            leeway: default_leeway(),
            token_type: default_token_type(),
            allow_missing_typ: false,
            max_token_bytes: default_max_token_bytes(),
            jwks: JwksSettings::default(),
            backchannel_url: None,
        }
    }

    /// Checks the values; `prefix` names the section in errors (e.g. `jwt`).
    pub fn validate(&self, prefix: &str) -> Result<(), ConfigError> {
        let key = |name: &str| format!("{prefix}.{name}");
        super::provider::discovery_url(&self.issuer)
            .map_err(|e| ConfigError::invalid(&key("issuer"), e))?;
        if self.audience.trim().is_empty() {
            return Err(ConfigError::invalid(&key("audience"), "must not be empty"));
        }
        parse_algorithms(&self.algorithms)
            .map_err(|e| ConfigError::invalid(&key("algorithms"), e))?;
        if self.leeway > MAX_LEEWAY {
            return Err(ConfigError::invalid(&key("leeway"), "must be at most 5m"));
        }
        if self.token_type.trim().is_empty() {
            return Err(ConfigError::invalid(
                &key("token_type"),
                "must not be empty",
            ));
        }
        if !(1024..=64 * 1024).contains(&self.max_token_bytes) {
            return Err(ConfigError::invalid(
                &key("max_token_bytes"),
                "must be between 1024 and 65536",
            ));
        }
        self.jwks.validate(&key("jwks"))
    }

    /// The configured algorithms, parsed.
    pub fn parsed_algorithms(&self) -> Result<Vec<Algorithm>, ConfigError> {
        parse_algorithms(&self.algorithms).map_err(|e| ConfigError::invalid("algorithms", e))
    }
}

/// Parses an allow-list: asymmetric algorithms only, at least one.
pub(crate) fn parse_algorithms(names: &[String]) -> Result<Vec<Algorithm>, String> {
    if names.is_empty() {
        return Err("at least one algorithm is required".to_owned());
    }
    names
        .iter()
        .map(|name| {
            let alg: Algorithm = name
                .parse()
                .map_err(|_| format!("{name:?} is not a supported algorithm"))?;
            if matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512) {
                return Err(format!(
                    "{name:?}: shared-secret algorithms are not accepted for tokens from a provider"
                ));
            }
            Ok(alg)
        })
        .collect()
}

/// Why a token was refused. For logs only: every variant is the same 401 for the client
/// ([`TokenError::to_problem`]).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Larger than `max_token_bytes` (checked before decoding).
    #[error("token larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// Not a compact JWS with a JSON header and payload, or a claim of the wrong type.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// The header's `alg` is not in the configured allow-list (`none` included).
    #[error("algorithm {0:?} not allowed")]
    AlgorithmNotAllowed(String),
    /// The header has `crit`: no extension is understood here.
    #[error("critical header parameters are not supported")]
    CriticalHeader,
    /// The header's `typ` is not the expected one (e.g. an ID token used as access token).
    #[error("wrong token type {0:?}")]
    WrongType(Option<String>),
    /// The header has no `kid`.
    #[error("no kid in the header")]
    MissingKid,
    /// No key has this `kid`.
    #[error("unknown signing key")]
    UnknownKey,
    /// The provider's keys could not be fetched for too long.
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
    /// The key found does not verify this algorithm.
    #[error("the key does not fit the token's algorithm")]
    KeyMismatch,
    /// The signature does not verify.
    #[error("invalid signature")]
    BadSignature,
    /// `exp` has passed (beyond the leeway).
    #[error("expired")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("not yet valid")]
    NotYetValid,
    /// `iat` is in the future (beyond the leeway).
    #[error("issued in the future")]
    IssuedInFuture,
    /// A required claim is absent.
    #[error("missing claim {0}")]
    MissingClaim(String),
    /// `iss` is not the configured issuer.
    #[error("wrong issuer")]
    WrongIssuer,
    /// `aud` does not contain this service (or the client, for ID tokens).
    #[error("wrong audience")]
    WrongAudience,
    /// An ID token's `nonce` is not the one sent with the login.
    #[error("nonce mismatch")]
    NonceMismatch,
}

/// The value of `WWW-Authenticate` for a refused token (RFC 6750 §3.1).
pub const INVALID_TOKEN_CHALLENGE: &str = r#"Bearer error="invalid_token""#;

impl TokenError {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed(_) => "malformed",
            Self::AlgorithmNotAllowed(_) => "algorithm",
            Self::CriticalHeader => "crit",
            Self::WrongType(_) => "typ",
            Self::MissingKid => "missing_kid",
            Self::UnknownKey => "unknown_kid",
            Self::KeysUnavailable(_) => "keys_unavailable",
            Self::KeyMismatch => "key_mismatch",
            Self::BadSignature => "signature",
            Self::Expired => "expired",
            Self::NotYetValid => "nbf",
            Self::IssuedInFuture => "iat",
            Self::MissingClaim(_) => "missing_claim",
            Self::WrongIssuer => "iss",
            Self::WrongAudience => "aud",
            Self::NonceMismatch => "nonce",
        }
    }

    /// The client-facing problem: 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
    /// the same for every variant, except when the provider's keys are unavailable: then the
    /// token may well be good, and a 503 with `Retry-After` keeps the app from discarding it.
    pub fn to_problem(&self) -> Problem {
        match self {
            Self::KeysUnavailable(_) => super::provider::unavailable_problem(
                "Sign-in cannot be checked right now; try again shortly.",
            ),
            _ => invalid_token_problem(),
        }
    }
}

/// 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
pub(crate) fn invalid_token_problem() -> Problem {
    Problem::new(StatusCode::UNAUTHORIZED)
        .with_detail("The access token is missing, invalid or expired.")
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(INVALID_TOKEN_CHALLENGE),
        )
}

/// Keeps an attacker-chosen header value short and printable for the logs.
fn loggable(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(40)
        .collect()
}

/// The claims of a validated access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccessClaims {
    /// The subject: the user (or the client, for client-credentials tokens).
    pub sub: String,
    /// The issuer (equal to the configured one).
    pub iss: String,
    /// The audiences (containing this service).
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch.
    pub iat: u64,
    /// Not-before, seconds since the epoch, if set.
    pub nbf: Option<u64>,
    /// The granted scopes (`scope`, space-separated, or a `scp` array).
    pub scope: Vec<String>,
    /// The OAuth client the token was issued to (RFC 9068 `client_id`), if set.
    pub client_id: Option<String>,
    /// The token's id, if set.
    pub jti: Option<String>,
    /// Every other claim, untouched (e.g. roles).
    pub extra: Map<String, Value>,
}

impl AccessClaims {
    /// Whether `scope` was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    fn from_claims(mut claims: Map<String, Value>) -> Result<Self, TokenError> {
        fn string(value: Option<Value>, name: &'static str) -> Result<Option<String>, TokenError> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(TokenError::Malformed(name)),
            }
        }
        fn number(value: Option<Value>, name: &'static str) -> Result<Option<u64>, TokenError> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::Number(n)) => n.as_u64().map(Some).ok_or(TokenError::Malformed(name)),
                Some(_) => Err(TokenError::Malformed(name)),
            }
        }
        let required = |v: Option<String>, name: &str| {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| TokenError::MissingClaim(name.to_owned()))
        };
        let sub = required(string(claims.remove("sub"), "sub")?, "sub")?;
        let iss = required(string(claims.remove("iss"), "iss")?, "iss")?;
        let aud = audiences(claims.remove("aud"))?;
        let exp = number(claims.remove("exp"), "exp")?
            .ok_or_else(|| TokenError::MissingClaim("exp".to_owned()))?;
        let iat = number(claims.remove("iat"), "iat")?
            .ok_or_else(|| TokenError::MissingClaim("iat".to_owned()))?;
        let nbf = number(claims.remove("nbf"), "nbf")?;
        let mut scope: Vec<String> = string(claims.remove("scope"), "scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if scope.is_empty()
            && let Some(Value::Array(items)) = claims.remove("scp")
        {
            scope = items
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        let client_id = string(claims.remove("client_id"), "client_id")?;
        let jti = string(claims.remove("jti"), "jti")?;
        Ok(Self {
            sub,
            iss,
            aud,
            exp,
            iat,
            nbf,
            scope,
            client_id,
            jti,
            extra: claims,
        })
    }
}

/// `aud` as a list: a string or an array of strings.
pub(crate) fn audiences(value: Option<Value>) -> Result<Vec<String>, TokenError> {
    match value {
        Some(Value::String(s)) => Ok(vec![s]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(TokenError::Malformed("aud")),
            })
            .collect(),
        None | Some(Value::Null) => Err(TokenError::MissingClaim("aud".to_owned())),
        Some(_) => Err(TokenError::Malformed("aud")),
    }
}

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

/// Validates access tokens. Build once at start-up; share as `Arc<TokenValidator>`.
#[derive(Debug)]
pub struct TokenValidator {
    checks: Checks,
    keys: Arc<dyn KeyStore>,
}

/// Why a validator could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ValidatorError {
    /// The settings are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The key store could not be built (discovery failed).
    #[error(transparent)]
    Keys(#[from] JwksError),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_es256_and_rs256_30s_leeway_at_jwt_and_8_kib() {
        let settings: JwtSettings =
            serde_json::from_str(r#"{"issuer": "https://idp.example", "audience": "shop-api"}"#)
                .unwrap();
        assert_eq!(
            settings,
            JwtSettings::new("https://idp.example", "shop-api")
        );
        assert_eq!(settings.algorithms, ["ES256", "RS256"]);
        assert_eq!(settings.leeway, Duration::from_secs(30));
        assert_eq!(settings.token_type, "at+jwt");
        assert_eq!(settings.max_token_bytes, 8192);
        settings.validate("jwt").unwrap();
    }

    #[test]
    fn none_and_hmac_algorithms_cannot_be_configured() {
        for alg in ["none", "HS256", "HS512", "ES999", ""] {
            let mut settings = JwtSettings::new("https://idp.example", "api");
            settings.algorithms = vec![alg.to_owned()];
            let error = settings.validate("jwt").unwrap_err().to_string();
            assert!(error.contains("jwt.algorithms"), "{alg}: {error}");
        }
        let mut settings = JwtSettings::new("https://idp.example", "api");
        settings.algorithms.clear();
        assert!(settings.validate("jwt").is_err());
    }

    #[test]
    fn a_leeway_above_five_minutes_is_refused() {
        let mut settings = JwtSettings::new("https://idp.example", "api");
        settings.leeway = Duration::from_secs(301);
        let error = settings.validate("jwt").unwrap_err().to_string();
        assert!(error.contains("jwt.leeway"), "{error}");
        settings.leeway = MAX_LEEWAY;
        settings.validate("jwt").unwrap();
    }

    #[test]
    fn unknown_settings_keys_are_refused() {
        let result: Result<JwtSettings, _> = serde_json::from_str(
            r#"{"issuer": "https://idp.example", "audience": "a", "algorithm": "RS256"}"#,
        );
        assert!(result.is_err());
    }

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

    #[test]
    fn scopes_come_from_the_space_separated_scope_claim_or_a_scp_array() {
        let base = serde_json::json!({
            "sub": "u1", "iss": "i", "aud": "a", "exp": 2, "iat": 1, "scope": "orders:read  profile"
        });
        let claims = AccessClaims::from_claims(base.as_object().unwrap().clone()).unwrap();
        assert_eq!(claims.scope, ["orders:read", "profile"]);
        assert!(claims.has_scope("profile"));
        assert!(!claims.has_scope("orders"));
        let scp = serde_json::json!({
            "sub": "u1", "iss": "i", "aud": ["a", "b"], "exp": 2, "iat": 1, "scp": ["x"], "role": "admin"
        });
        let claims = AccessClaims::from_claims(scp.as_object().unwrap().clone()).unwrap();
        assert_eq!(claims.scope, ["x"]);
        assert_eq!(claims.aud, ["a", "b"]);
        assert_eq!(claims.extra["role"], "admin");
    }
}
