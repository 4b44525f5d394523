//! What the provider's token endpoint answers: the token response (RFC 6749 §5.1), its errors
//! (§5.2), and their codes made safe for logs.

use serde::Deserialize;

use crate::auth::provider::FetchError;

/// The successful token response (RFC 6749 §5.1).
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Must be `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// A new refresh token (rotation), if any.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// An ID token, if any.
    #[serde(default)]
    pub id_token: Option<String>,
}

/// Why a token request failed.
pub(super) enum TokenEndpointError {
    /// An OAuth error response (`{"error": "invalid_grant"}`).
    OAuth(String),
    /// No usable answer (transport, timeout, status).
    Fetch(FetchError),
    /// A 200 that is not a usable token response.
    Invalid(&'static str),
}

/// Keeps a provider-chosen error code short and printable for the logs.
pub(super) fn error_code(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

/// The `error` of an OAuth error response, sanitised for logs.
pub(crate) fn oauth_error(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorResponse {
        error: String,
    }
    serde_json::from_slice::<ErrorResponse>(body)
        .ok()
        .map(|e| error_code(&e.error))
}
