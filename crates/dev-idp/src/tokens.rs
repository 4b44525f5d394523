//! The tokens: RFC 9068 access tokens, OpenID Connect ID tokens, and their verification when
//! they come back (`/userinfo`, `/revoke`, `id_token_hint`).

use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};

use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::grants::Session;
use crate::state::AppState;
use crate::users;

/// `typ` of access tokens (RFC 9068 §2.1).
pub(crate) const ACCESS_TOKEN_TYP: &str = "at+jwt";
/// `typ` of ID tokens.
pub(crate) const ID_TOKEN_TYP: &str = "JWT";
/// Tokens longer than this are refused before any decoding.
pub(crate) const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated when verifying our own tokens.
const LEEWAY_SECONDS: u64 = 5;

/// A successful token response (RFC 6749 §5.1 plus the OpenID Connect `id_token`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// An RFC 9068 JWT access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The new refresh token (rotated on every use); empty, and left out of the response, when
    /// none is issued (`offline_access_needs_consent` and no `offline_access` granted).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub refresh_token: String,
    /// The ID token.
    pub id_token: String,
    /// The scope of the access token.
    pub scope: String,
}

/// The claims of an access token (RFC 9068 §2.2). No profile claims: those are in the ID token
/// and at `/userinfo`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub iss: String,
    pub sub: String,
    /// The client's configured audiences, or the RFC 8707 resources asked for.
    pub aud: Vec<String>,
    pub exp: u64,
    pub iat: u64,
    pub nbf: u64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    /// The party acting for the subject, on exchanged tokens (RFC 8693 §4.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
}

/// The `act` claim: who acts on the subject's behalf.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Actor {
    pub sub: String,
}

/// The claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IdClaims {
    pub iss: String,
    pub sub: String,
    /// The client id.
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub name: String,
    pub email: String,
    pub auth_time: u64,
    pub sid: String,
}

/// A fresh `jti`.
pub(crate) fn new_jti() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The expiry of an access token issued at `now`.
pub(crate) fn access_token_expiry(state: &AppState, now: u64) -> u64 {
    now + state.config.access_token_ttl.as_secs()
}

/// Mints the access and ID tokens of `session` for `client` and assembles the token response.
/// `jti` is the access token's id already recorded in the session's family.
pub(crate) fn issue(
    state: &AppState,
    client: &ClientConfig,
    session: &Session,
    audience: &[String],
    jti: String,
    now: u64,
) -> Result<TokenResponse, OAuthError> {
    let Some(user) = users::by_id(&session.user_id) else {
        return Err(OAuthError::server_error());
    };
    let access = AccessClaims {
        iss: state.issuer().to_owned(),
        sub: user.id.to_owned(),
        aud: audience.to_vec(),
        exp: access_token_expiry(state, now),
        iat: now,
        nbf: now,
        jti,
        client_id: client.client_id.clone(),
        scope: session.scope.clone(),
        act: None,
    };
    let id = IdClaims {
        iss: state.issuer().to_owned(),
        sub: user.id.to_owned(),
        aud: client.client_id.clone(),
        exp: now + state.config.id_token_ttl.as_secs(),
        iat: now,
        nonce: session.nonce.clone(),
        name: user.name.to_owned(),
        email: user.email.to_owned(),
        auth_time: session.auth_time,
        sid: session.sid.clone(),
    };
    Ok(TokenResponse {
        access_token: sign(state, ACCESS_TOKEN_TYP, &access)?,
        token_type: "Bearer".to_owned(),
        expires_in: state.config.access_token_ttl.as_secs(),
        refresh_token: if issues_refresh_token(state, &session.scope) {
            session.refresh_token.clone()
        } else {
            String::new()
        },
        id_token: sign(state, ID_TOKEN_TYP, &id)?,
        scope: session.scope.clone(),
    })
}

/// Whether a grant of `scope` gets a refresh token: always, unless `offline_access` must be
/// consented to and was not granted.
fn issues_refresh_token(state: &AppState, scope: &str) -> bool {
    !state.config.offline_access_needs_consent || scope.split(' ').any(|s| s == "offline_access")
}

/// Signs access token claims (`typ` `at+jwt`).
pub(crate) fn sign_access_token(
    state: &AppState,
    claims: &AccessClaims,
) -> Result<String, OAuthError> {
    sign(state, ACCESS_TOKEN_TYP, claims)
}

fn sign<T: Serialize>(state: &AppState, typ: &str, claims: &T) -> Result<String, OAuthError> {
    state.keys.sign(typ, claims).map_err(|error| {
        tracing::error!(%error, "signing failed");
        OAuthError::server_error()
    })
}

/// Verifies an access token the way a resource server should: size, `alg` ES256 only, `typ`
/// `at+jwt`, no `crit`, a published `kid`, signature, `exp`, `nbf`, exact `iss`, and not
/// revoked. `aud` is not checked: `/userinfo` serves any client of this provider.
pub(crate) fn verify_access_token(state: &AppState, token: &str) -> Option<AccessClaims> {
    let claims: AccessClaims = verify(state, token, ACCESS_TOKEN_TYP, true)?;
    (!state.grants.is_access_token_revoked(&claims.jti)).then_some(claims)
}

/// Verifies an `id_token_hint`: like an ID token but expiry is not checked (OpenID Connect
/// RP-Initiated Logout §2 lets clients send expired ones).
pub(crate) fn verify_id_token_hint(state: &AppState, token: &str) -> Option<IdClaims> {
    verify(state, token, ID_TOKEN_TYP, false)
}

fn verify<T: serde::de::DeserializeOwned>(
    state: &AppState,
    token: &str,
    typ: &str,
    check_exp: bool,
) -> Option<T> {
    if token.len() > MAX_TOKEN_BYTES {
        return None;
    }
    let header = jsonwebtoken::decode_header(token).ok()?;
    let typ_matches = header.typ.as_deref().is_some_and(|t| {
        t.eq_ignore_ascii_case(typ) || t.eq_ignore_ascii_case(&format!("application/{typ}"))
    });
    if header.alg != Algorithm::ES256 || !typ_matches || header.crit.is_some() {
        return None;
    }
    let key = state.keys.find(header.kid.as_deref()?)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[state.issuer()]);
    validation.validate_aud = false;
    validation.validate_exp = check_exp;
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECONDS;
    if check_exp {
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    } else {
        validation.set_required_spec_claims(&["iss", "sub"]);
    }
    jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
        .ok()
        .map(|data| data.claims)
}
