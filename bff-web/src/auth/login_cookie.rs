//! The login cookie's value: the browser's logins in progress, sealed, so that starting a login
//! keeps nothing server-side (an anonymous flood of `/auth/login` cannot grow the session store).
//!
//! The value is `base64url(version ‖ nonce ‖ XChaCha20-Poly1305(JSON list of PendingLogin))`:
//! encrypted (the nonce and the PKCE verifier stay secret) and authenticated (a changed byte,
//! another key or another purpose opens to nothing). Each pending login carries its `state`,
//! nonce, PKCE verifier, sanitised `return_to` and start time; it expires `login_timeout` after
//! the start. The list is bounded ([`MAX_PENDING`], oldest dropped) and so is `return_to`
//! ([`MAX_RETURN_TO`]), so the cookie stays well under the browsers' 4 KiB however often a page
//! (or another site, by top-level navigation) starts a login: several tabs can sign in at once,
//! and no cookie bomb is possible.
//!
//! The key is `session.login_cookie_key` (32 bytes) or, when unset, derived from the OIDC client
//! secret with HKDF-SHA256: every instance behind a balancer shares it either way.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use shared::auth::SessionSettings;
use shared::auth::oidc::PendingLogin;
use shared::auth::return_to;
use std::time::Duration;

/// At most this many logins in progress per browser; a further one drops the oldest.
pub const MAX_PENDING: usize = 3;

/// The longest `return_to` a pending login keeps; a longer one becomes `/` (a path that long is
/// no page of the storefront, and the cookie must stay small).
pub const MAX_RETURN_TO: usize = 512;

/// The format's version: the first byte of the sealed value.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
/// Binds a sealed value to its purpose: a ciphertext made for anything else never opens here.
const PURPOSE: &[u8] = b"bff-web login cookie v1";
/// A sealed value longer than this is not ours (a cookie is at most 4 KiB): refused unopened.
const MAX_SEALED_LEN: usize = 4096;

/// Seals and opens login cookie values with one key.
#[derive(Clone)]
pub struct LoginSealer {
    cipher: XChaCha20Poly1305,
    timeout: Duration,
}

shared::debug_showing!(LoginSealer { timeout });

impl LoginSealer {
    /// The sealer of `session.login_cookie_key`, or of a key derived from `client_secret` when
    /// that is unset (HKDF-SHA256, info `PURPOSE`). The settings were validated.
    pub fn new(session: &SessionSettings, client_secret: &SecretString) -> Self {
        let key = session
            .login_cookie_key_bytes()
            .ok()
            .flatten()
            .unwrap_or_else(|| derive_key(client_secret));
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            timeout: session.login_timeout,
        }
    }

    /// The cookie value carrying `logins` (at most the newest [`MAX_PENDING`]).
    pub fn seal(&self, logins: &[PendingLogin]) -> String {
        let newest = &logins[logins.len().saturating_sub(MAX_PENDING)..];
        // A list of strings and numbers always serialises.
        let plaintext = serde_json::to_vec(newest).unwrap_or_default();
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: &plaintext,
            aad: PURPOSE,
        };
        // Encryption fails only for messages of gigabytes.
        let ciphertext = self.cipher.encrypt(&nonce, payload).unwrap_or_default();
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// The unexpired logins of a cookie value at `now` (seconds since the epoch), or `None` when
    /// the value was not sealed by this key for this purpose (tampered, truncated, foreign).
    pub fn open(&self, value: &str, now: u64) -> Option<Vec<PendingLogin>> {
        if value.len() > MAX_SEALED_LEN {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
        let (&version, rest) = sealed.split_first()?;
        if version != VERSION || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::from(<[u8; NONCE_LEN]>::try_from(nonce).ok()?);
        let payload = Payload {
            msg: ciphertext,
            aad: PURPOSE,
        };
        let plaintext = self.cipher.decrypt(&nonce, payload).ok()?;
        let mut logins: Vec<PendingLogin> = serde_json::from_slice(&plaintext).ok()?;
        let timeout = self.timeout.as_secs().max(1);
        logins.retain(|login| {
            now >= login.created_at && now < login.created_at.saturating_add(timeout)
        });
        Some(logins)
    }
}

/// `pending` with a `return_to` short enough for the cookie ([`MAX_RETURN_TO`]).
pub fn bounded(mut pending: PendingLogin) -> PendingLogin {
    if pending.return_to.len() > MAX_RETURN_TO {
        tracing::info!(
            length = pending.return_to.len(),
            "return_to too long for the login cookie; the login ends at /"
        );
        return_to::FALLBACK.clone_into(&mut pending.return_to);
    }
    pending
}

/// Removes and returns the login whose `state` is `state` (compared in constant time).
pub fn take(logins: &mut Vec<PendingLogin>, state: &str) -> Option<PendingLogin> {
    let position = logins
        .iter()
        .position(|login| shared::auth::SecretToken::new(login.state.clone()).ct_eq(state))?;
    Some(logins.remove(position))
}

fn derive_key(client_secret: &SecretString) -> [u8; 32] {
    let mut key = [0_u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, client_secret.expose_secret().as_bytes())
        .expand(PURPOSE, &mut key)
        // 32 bytes is far below HKDF-SHA256's limit (8160).
        .unwrap_or_else(|_| unreachable!("HKDF output of 32 bytes"));
    key
}

#[cfg(test)]
mod tests {
    use shared::auth::SecretToken;

    use super::*;

    fn pending(state: &str, created_at: u64) -> PendingLogin {
        PendingLogin {
            state: state.to_owned(),
            nonce: SecretToken::new(format!("nonce-{state}")),
            pkce_verifier: SecretToken::new(format!("verifier-{state}")),
            return_to: "/cart".to_owned(),
            created_at,
        }
    }

    fn sealer(secret: &str) -> LoginSealer {
        LoginSealer::new(&SessionSettings::default(), &SecretString::from(secret))
    }

    #[test]
    fn a_sealed_value_opens_to_its_logins_and_shows_none_of_them() {
        let sealer = sealer("client-secret");
        let value = sealer.seal(&[pending("state-1", 1000), pending("state-2", 1001)]);
        // States long enough that the random ciphertext cannot contain one by chance.
        for secret in ["state-1", "nonce-", "verifier-", "cart"] {
            assert!(!value.contains(secret), "{value}");
        }
        let logins = sealer.open(&value, 1002).unwrap();
        assert_eq!(logins.len(), 2);
        assert_eq!(logins[1].state, "state-2");
        assert_eq!(logins[1].pkce_verifier.expose(), "verifier-state-2");
        assert_ne!(
            value,
            sealer.seal(&[pending("state-1", 1000), pending("state-2", 1001)])
        );
    }

    #[test]
    fn tampered_truncated_foreign_and_garbage_values_open_to_nothing() {
        let sealer = sealer("client-secret");
        let value = sealer.seal(&[pending("s1", 1000)]);
        let mut bytes = URL_SAFE_NO_PAD.decode(&value).unwrap();
        for index in [0, 1, 30, bytes.len() - 1] {
            bytes[index] ^= 1;
            assert!(sealer.open(&URL_SAFE_NO_PAD.encode(&bytes), 1001).is_none());
            bytes[index] ^= 1;
        }
        assert!(sealer.open(&value[..value.len() - 2], 1001).is_none());
        assert!(self::sealer("another-secret").open(&value, 1001).is_none());
        for garbage in ["", "abc", "s1", &"A".repeat(5000), "%%%"] {
            assert!(sealer.open(garbage, 1001).is_none(), "{garbage}");
        }
    }

    #[test]
    fn logins_expire_after_the_login_timeout_and_the_list_keeps_the_newest_three() {
        let sealer = sealer("client-secret");
        let value = sealer.seal(&[pending("old", 1000), pending("new", 1500)]);
        let at = |now| {
            sealer
                .open(&value, now)
                .unwrap()
                .into_iter()
                .map(|l| l.state)
                .collect::<Vec<_>>()
        };
        assert_eq!(at(1599), ["old", "new"]);
        assert_eq!(at(1600), ["new"], "600 s after its start");
        assert_eq!(at(2100), Vec::<String>::new());
        assert_eq!(at(999), Vec::<String>::new(), "not yet started");

        let five: Vec<_> = (0..5).map(|i| pending(&format!("s{i}"), 1000)).collect();
        let kept = sealer.open(&sealer.seal(&five), 1000).unwrap();
        let states: Vec<_> = kept.iter().map(|l| l.state.as_str()).collect();
        assert_eq!(states, ["s2", "s3", "s4"]);
    }

    #[test]
    fn a_full_cookie_of_longest_return_tos_stays_under_4_kib() {
        let sealer = sealer("client-secret");
        let mut long = pending(&"s".repeat(43), 1000);
        long.nonce = SecretToken::new("n".repeat(43));
        long.pkce_verifier = SecretToken::new("v".repeat(43));
        long.return_to = format!("/{}", "a".repeat(MAX_RETURN_TO - 1));
        let value = sealer.seal(&[long.clone(), long.clone(), long.clone()]);
        assert!(
            value.len() + "__Host-login=".len() < 4000,
            "{}",
            value.len()
        );
        long.return_to.push('b');
        assert_eq!(bounded(long).return_to, "/");
    }

    #[test]
    fn the_configured_key_wins_over_the_derived_one() {
        let settings = SessionSettings {
            login_cookie_key: Some(SecretString::from(URL_SAFE_NO_PAD.encode([7_u8; 32]))),
            ..SessionSettings::default()
        };
        let configured = LoginSealer::new(&settings, &SecretString::from("one"));
        let same_key = LoginSealer::new(&settings, &SecretString::from("two"));
        let value = configured.seal(&[pending("s1", 1000)]);
        assert!(same_key.open(&value, 1000).is_some());
        assert!(sealer("one").open(&value, 1000).is_none());
    }
}
