//! What the provider's token endpoint answers: the token response (RFC 6749 §5.1), its errors
//! (§5.2), and their codes made safe for logs.

use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::provider::{self, FetchError};

/// The successful token response (RFC 6749 §5.1).
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Must be `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: Option<u64>,
    /// A new refresh token (rotation), if any.
    pub refresh_token: Option<String>,
    /// An ID token, if any.
    pub id_token: Option<String>,
}

/// Why a token request failed.
pub(crate) enum TokenEndpointError {
    /// An OAuth error response (`{"error": "invalid_grant"}`).
    OAuth(String),
    /// No usable answer (transport, timeout, status).
    Fetch(FetchError),
    /// A 200 that is not a usable token response.
    Invalid(&'static str),
}

/// Sends `request` (a form POST to a token endpoint) and reads the answer under `max_bytes`
/// within `timeout`: a 200 decoded as `T`, or for a status in `refusals` the OAuth error's code.
pub(crate) async fn post<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    max_bytes: usize,
    timeout: Duration,
    refusals: &[u16],
) -> Result<T, TokenEndpointError> {
    let (status, body) = provider::send_capped(request, max_bytes, timeout)
        .await
        .map_err(TokenEndpointError::Fetch)?;
    match status {
        200 => serde_json::from_slice(&body)
            .map_err(|_| TokenEndpointError::Invalid("not a token response")),
        status if refusals.contains(&status) => match oauth_error(&body) {
            Some(code) => Err(TokenEndpointError::OAuth(code)),
            None => Err(TokenEndpointError::Fetch(FetchError::Status(status))),
        },
        other => Err(TokenEndpointError::Fetch(FetchError::Status(other))),
    }
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
