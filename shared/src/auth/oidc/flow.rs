//! The values the login flow passes around: a [`PendingLogin`] (sealed in the browser), the
//! [`CallbackParams`], and what a login yields ([`User`], [`TokenSet`]).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::auth::secret::SecretToken;

/// A login in progress, between [`OidcClient::begin_login`] and the callback. The web BFF keeps it
/// in the browser, sealed (encrypted and authenticated) in the login cookie, never server-side:
/// anonymous requests create no state.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// 32 random bytes, base64url: sent to the provider, echoed to the callback.
    pub state: String,
    /// 32 random bytes, base64url: must come back in the ID token.
    pub nonce: SecretToken,
    /// The PKCE verifier (32 random bytes, base64url); its S256 hash went to the provider.
    pub pkce_verifier: SecretToken,
    /// Where the browser goes after login (already sanitised).
    pub return_to: String,
    /// When the login began, seconds since the epoch.
    pub created_at: u64,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("state", &"[redacted]")
            .field("return_to", &self.return_to)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// The query parameters of the callback (RFC 6749 §4.1.2, RFC 9207). Unknown ones are ignored.
#[derive(Clone, Default, Deserialize)]
pub struct CallbackParams {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` sent with the authorization request.
    pub state: Option<String>,
    /// The issuer that answered (RFC 9207).
    pub iss: Option<String>,
    /// An error code instead of a code (e.g. `access_denied`).
    pub error: Option<String>,
    /// The error's human-readable text (logged only, never shown).
    pub error_description: Option<String>,
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("iss", &self.iss)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Who logged in, from the ID token (or UserInfo when the ID token lacks the profile).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct User {
    /// The provider's subject identifier.
    pub sub: String,
    /// Display name, if released.
    pub name: Option<String>,
    /// E-mail address, if released.
    pub email: Option<String>,
}

/// The tokens of a session. Kept server-side only; every token is redacted in `Debug`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    /// The access token to forward to upstreams.
    pub access_token: SecretToken,
    /// The refresh token, if the provider issued one (`offline_access`).
    pub refresh_token: Option<SecretToken>,
    /// The last ID token (for `id_token_hint`).
    pub id_token: Option<SecretToken>,
    /// When the access token expires, seconds since the epoch.
    pub expires_at: u64,
    /// The user.
    pub user: User,
}

impl TokenSet {
    /// Whether the access token expires within `margin` (or has expired).
    pub fn expires_within(&self, margin: Duration) -> bool {
        self.expires_at <= now() + margin.as_secs()
    }
}

/// Seconds since the epoch.
pub(super) fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_logins_and_callback_params_do_not_show_secrets_in_debug() {
        let pending = PendingLogin {
            state: "state-value".to_owned(),
            nonce: SecretToken::new("nonce-value"),
            pkce_verifier: SecretToken::new("verifier-value"),
            return_to: "/orders".to_owned(),
            created_at: 0,
        };
        let debug = format!("{pending:?}");
        assert!(!debug.contains("value"), "{debug}");
        let params = CallbackParams {
            code: Some("code-value".to_owned()),
            ..CallbackParams::default()
        };
        assert!(!format!("{params:?}").contains("value"));
    }
}
