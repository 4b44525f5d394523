//! The grant store, all in memory: pending sign-ins, authorization codes, refresh token families
//! and revoked access tokens.
//!
//! Each successful code exchange starts a *family*: the refresh tokens that descend from it by
//! rotation and the access tokens issued along the way. A replayed code or a replayed (already
//! rotated) refresh token revokes the whole family, as RFC 9700 §4.14 recommends: one of the two
//! parties holding it is an attacker, and the provider cannot tell which.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::users::User;

/// How long the login page of a pending sign-in stays usable.
pub(crate) const LOGIN_TTL: Duration = Duration::from_secs(600);
/// How long a redeemed or expired code is remembered, so that a replay is still detected.
const CODE_MEMORY: Duration = Duration::from_secs(600);
/// More pending sign-ins or live codes than this are refused (memory stays bounded).
const MAX_ENTRIES: usize = 10_000;
/// Expired entries are swept at most this often.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// A validated authorization request, waiting for a user or bound into a code.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    /// The client that asked.
    pub client_id: String,
    /// The registered redirect URI it named (exact match already checked).
    pub redirect_uri: String,
    /// The client's `state`, returned untouched.
    pub state: Option<String>,
    /// The client's `nonce`, copied into the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    /// The granted scope (space separated, includes `openid`).
    pub scope: String,
    /// The RFC 8707 resources asked for (absolute URIs); empty for the client's audiences.
    pub resources: Vec<String>,
}

/// What a successful code exchange or refresh yields, for minting the tokens.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The `sub`.
    pub user_id: String,
    /// The scope of the new access token.
    pub scope: String,
    /// The `nonce` of the original authorization request.
    pub nonce: Option<String>,
    /// When the user signed in (seconds since the epoch).
    pub auth_time: u64,
    /// The sign-in's session id (`sid`).
    pub sid: String,
    /// The new refresh token.
    pub refresh_token: String,
    /// The RFC 8707 resources of the grant; empty for the client's audiences.
    pub resources: Vec<String>,
}

/// Why a grant was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrantError {
    /// RFC 6749 `invalid_grant`, with a fixed description.
    InvalidGrant(&'static str),
    /// RFC 6749 `invalid_scope`.
    InvalidScope(&'static str),
    /// Too many entries in memory.
    Busy,
}

/// An access token being issued: its `jti` and `exp`, so that revoking its family revokes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessToken<'a> {
    pub jti: &'a str,
    pub exp: u64,
}

struct Pending {
    request: AuthorizationRequest,
    created: Instant,
}

struct Code {
    request: AuthorizationRequest,
    user_id: &'static str,
    auth_time: u64,
    sid: String,
    expires_at: Instant,
    used: bool,
    /// The family started by redeeming this code.
    family: Option<u64>,
}

struct Family {
    client_id: String,
    user_id: String,
    scope: String,
    nonce: Option<String>,
    auth_time: u64,
    sid: String,
    resources: Vec<String>,
    revoked: bool,
    /// The latest expiry of anything in the family; swept after it.
    expires_at: Instant,
    /// Access tokens issued in this family: `jti` and `exp`.
    access_tokens: Vec<(String, u64)>,
}

struct Refresh {
    family: u64,
    /// Only the newest refresh token of a family is current; the older ones are replays.
    current: bool,
    expires_at: Instant,
}

#[derive(Default)]
struct Inner {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, Code>,
    families: HashMap<u64, Family>,
    next_family: u64,
    refresh: HashMap<String, Refresh>,
    /// Revoked access tokens by `jti`, with their `exp` (forgotten once expired).
    revoked_access: HashMap<String, u64>,
    last_sweep: Option<Instant>,
}

/// The grant store.
#[derive(Default)]
pub(crate) struct Grants {
    inner: Mutex<Inner>,
}

/// A fresh opaque value (code, refresh token, pending id): 256 random bits, base64url.
pub(crate) fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

/// Keeps `entry` under a fresh [`random_token`] and returns it; refused ([`GrantError::Busy`])
/// once `entries` holds [`MAX_ENTRIES`], so memory stays bounded.
fn insert_under_new_token<T>(
    entries: &mut HashMap<String, T>,
    entry: T,
) -> Result<String, GrantError> {
    if entries.len() >= MAX_ENTRIES {
        return Err(GrantError::Busy);
    }
    let token = random_token();
    entries.insert(token.clone(), entry);
    Ok(token)
}

/// The scope of a refreshed or exchanged token: all of `granted` (space-separated) when nothing
/// is `requested`, `requested` when it names only granted scopes, `None` when it asks for more.
pub(crate) fn narrowed_scope(requested: Option<&str>, granted: &str) -> Option<String> {
    let Some(requested) = requested else {
        return Some(granted.to_owned());
    };
    let granted: HashSet<&str> = granted.split(' ').collect();
    requested
        .split(' ')
        .all(|scope| granted.contains(scope))
        .then(|| requested.to_owned())
}

/// Whether `verifier` matches the S256 `challenge` (RFC 7636 §4.6), compared in constant time.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let computed = B64.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

/// Seconds since the Unix epoch.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Grants {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.sweep();
        inner
    }

    /// Remembers a request waiting for the login page; returns its id.
    pub fn begin(&self, request: AuthorizationRequest) -> Result<String, GrantError> {
        let pending = Pending {
            request,
            created: Instant::now(),
        };
        insert_under_new_token(&mut self.lock().pending, pending)
    }

    /// The pending request with this id, if it is still usable.
    pub fn pending(&self, id: &str) -> Option<AuthorizationRequest> {
        let inner = self.lock();
        inner
            .pending
            .get(id)
            .filter(|p| p.created.elapsed() < LOGIN_TTL)
            .map(|p| p.request.clone())
    }

    /// Removes and returns the pending request with this id (a sign-in completes once).
    pub fn take_pending(&self, id: &str) -> Option<AuthorizationRequest> {
        let mut inner = self.lock();
        inner
            .pending
            .remove(id)
            .filter(|p| p.created.elapsed() < LOGIN_TTL)
            .map(|p| p.request)
    }

    /// Issues a single-use authorization code for `user`, valid for `ttl`.
    pub fn issue_code(
        &self,
        request: AuthorizationRequest,
        user: &'static User,
        auth_time: u64,
        sid: String,
        ttl: Duration,
    ) -> Result<String, GrantError> {
        let code = Code {
            request,
            user_id: user.id,
            auth_time,
            sid,
            expires_at: Instant::now() + ttl,
            used: false,
            family: None,
        };
        insert_under_new_token(&mut self.lock().codes, code)
    }

    /// Redeems `code` for `client_id`: checks expiry, single use, the redirect URI and PKCE,
    /// then starts a refresh token family holding `access`. A replayed code revokes the family
    /// its first redemption started.
    pub fn exchange_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: &str,
        access: AccessToken<'_>,
        refresh_ttl: Duration,
    ) -> Result<Session, GrantError> {
        let mut inner = self.lock();
        let Some(entry) = inner.codes.get_mut(code) else {
            return Err(GrantError::InvalidGrant(
                "the code is unknown, expired or already used",
            ));
        };
        if entry.request.client_id != client_id {
            return Err(GrantError::InvalidGrant(
                "the code was issued to another client",
            ));
        }
        if entry.used {
            let family = entry.family;
            if let Some(family) = family {
                tracing::warn!(
                    client_id,
                    "authorization code replayed: revoking the tokens issued from it"
                );
                inner.revoke_family(family);
            }
            return Err(GrantError::InvalidGrant(
                "the code is unknown, expired or already used",
            ));
        }
        // From here on the code is spent, whatever the outcome.
        entry.used = true;
        if entry.expires_at <= Instant::now() {
            return Err(GrantError::InvalidGrant(
                "the code is unknown, expired or already used",
            ));
        }
        if entry.request.redirect_uri != redirect_uri {
            return Err(GrantError::InvalidGrant(
                "redirect_uri differs from the authorization request",
            ));
        }
        if !pkce_matches(code_verifier, &entry.request.code_challenge) {
            return Err(GrantError::InvalidGrant(
                "code_verifier does not match the code_challenge",
            ));
        }
        let request = entry.request.clone();
        let (user_id, auth_time, sid) = (entry.user_id, entry.auth_time, entry.sid.clone());
        let family_id = inner.next_family;
        inner.next_family += 1;
        if let Some(entry) = inner.codes.get_mut(code) {
            entry.family = Some(family_id);
        }
        let refresh_token = random_token();
        let expires_at = Instant::now() + refresh_ttl;
        inner.families.insert(
            family_id,
            Family {
                client_id: client_id.to_owned(),
                user_id: user_id.to_owned(),
                scope: request.scope.clone(),
                nonce: request.nonce.clone(),
                auth_time,
                sid: sid.clone(),
                resources: request.resources.clone(),
                revoked: false,
                expires_at,
                access_tokens: vec![(access.jti.to_owned(), access.exp)],
            },
        );
        inner.refresh.insert(
            refresh_token.clone(),
            Refresh {
                family: family_id,
                current: true,
                expires_at,
            },
        );
        Ok(Session {
            user_id: user_id.to_owned(),
            scope: request.scope,
            nonce: request.nonce,
            auth_time,
            sid,
            refresh_token,
            resources: request.resources,
        })
    }

    /// Uses `refresh_token` for `client_id`: rotates it (the old one becomes a replay) and
    /// records `access` in its family. A replayed token revokes the family. `scope`, if given,
    /// must be a subset of the original grant and narrows only the new access token.
    pub fn refresh(
        &self,
        refresh_token: &str,
        client_id: &str,
        scope: Option<&str>,
        access: AccessToken<'_>,
        refresh_ttl: Duration,
    ) -> Result<Session, GrantError> {
        const UNKNOWN: GrantError =
            GrantError::InvalidGrant("the refresh token is unknown, expired or revoked");
        let mut inner = self.lock();
        let Some(record) = inner.refresh.get(refresh_token) else {
            return Err(UNKNOWN);
        };
        let (family_id, current, expires_at) = (record.family, record.current, record.expires_at);
        let Some(family) = inner.families.get(&family_id) else {
            return Err(UNKNOWN);
        };
        if family.client_id != client_id {
            return Err(GrantError::InvalidGrant(
                "the refresh token was issued to another client",
            ));
        }
        if family.revoked {
            return Err(UNKNOWN);
        }
        if !current {
            tracing::warn!(
                client_id,
                "rotated refresh token replayed: revoking its whole family"
            );
            inner.revoke_family(family_id);
            return Err(GrantError::InvalidGrant(
                "the refresh token was already used; every token of this sign-in is revoked",
            ));
        }
        if expires_at <= Instant::now() {
            return Err(UNKNOWN);
        }
        let Some(scope) = narrowed_scope(scope, &family.scope) else {
            return Err(GrantError::InvalidScope(
                "scope may only narrow the original grant",
            ));
        };
        let new_token = random_token();
        let new_expiry = Instant::now() + refresh_ttl;
        let session = Session {
            user_id: family.user_id.clone(),
            scope,
            nonce: family.nonce.clone(),
            auth_time: family.auth_time,
            sid: family.sid.clone(),
            refresh_token: new_token.clone(),
            resources: family.resources.clone(),
        };
        if let Some(family) = inner.families.get_mut(&family_id) {
            family.expires_at = family.expires_at.max(new_expiry);
            family
                .access_tokens
                .push((access.jti.to_owned(), access.exp));
        }
        if let Some(old) = inner.refresh.get_mut(refresh_token) {
            old.current = false;
        }
        inner.refresh.insert(
            new_token,
            Refresh {
                family: family_id,
                current: true,
                expires_at: new_expiry,
            },
        );
        Ok(session)
    }

    /// Revokes the family of `refresh_token` if it belongs to `client_id` (RFC 7009); returns
    /// whether anything was revoked.
    pub fn revoke_refresh_token(&self, refresh_token: &str, client_id: &str) -> bool {
        let mut inner = self.lock();
        let Some(family_id) = inner.refresh.get(refresh_token).map(|r| r.family) else {
            return false;
        };
        if inner
            .families
            .get(&family_id)
            .is_none_or(|f| f.client_id != client_id)
        {
            return false;
        }
        inner.revoke_family(family_id);
        true
    }

    /// Revokes one access token until its expiry.
    pub fn revoke_access_token(&self, jti: &str, exp: u64) {
        self.lock().revoked_access.insert(jti.to_owned(), exp);
    }

    /// Whether the access token with this `jti` was revoked.
    pub fn is_access_token_revoked(&self, jti: &str) -> bool {
        self.lock().revoked_access.contains_key(jti)
    }

    /// Revokes every family of the sign-in `sid` (RP-initiated logout); returns how many.
    pub fn end_session(&self, sid: &str) -> usize {
        let mut inner = self.lock();
        let families: Vec<u64> = inner
            .families
            .iter()
            .filter(|(_, f)| f.sid == sid && !f.revoked)
            .map(|(id, _)| *id)
            .collect();
        for id in &families {
            inner.revoke_family(*id);
        }
        families.len()
    }
}

impl Inner {
    fn revoke_family(&mut self, id: u64) {
        let Some(family) = self.families.get_mut(&id) else {
            return;
        };
        family.revoked = true;
        for (jti, exp) in std::mem::take(&mut family.access_tokens) {
            self.revoked_access.insert(jti, exp);
        }
    }

    /// Forgets what can no longer matter: old pending sign-ins, codes past their replay
    /// memory, expired refresh tokens and families, revoked access tokens past their expiry.
    fn sweep(&mut self) {
        let now = Instant::now();
        if self
            .last_sweep
            .is_some_and(|t| now.duration_since(t) < SWEEP_EVERY)
        {
            return;
        }
        self.last_sweep = Some(now);
        self.pending.retain(|_, p| p.created.elapsed() < LOGIN_TTL);
        self.codes.retain(|_, c| c.expires_at + CODE_MEMORY > now);
        self.refresh.retain(|_, r| r.expires_at > now);
        self.families.retain(|_, f| f.expires_at > now);
        let unix = unix_now();
        self.revoked_access.retain(|_, exp| *exp >= unix);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifier_matches_its_challenge() {
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }
}
