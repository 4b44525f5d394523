//! The exchange itself (RFC 8693 §2): one form POST to the provider's token endpoint,
//! authenticated as the BFF's client, and the response read under a cap.

use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::ExchangeError;
use crate::auth::client_auth::ClientCredentials;
use crate::auth::oidc::token_endpoint::{self, TokenEndpointError};

/// `grant_type` of a token exchange.
pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an access token (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// Where and how to exchange: the token endpoint and the client's credentials.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub url: Url,
    pub credentials: ClientCredentials,
}

/// An exchanged access token and its lifetime.
pub(crate) struct Issued {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct Response {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    issued_token_type: Option<String>,
}

/// Exchanges `subject_token` for an access token for `audience`.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    endpoint: &Endpoint,
    subject_token: &str,
    audience: &str,
    max_bytes: usize,
    timeout: Duration,
) -> Result<Issued, ExchangeError> {
    let request = endpoint.credentials.post_form(
        http,
        &endpoint.url,
        &[
            ("grant_type", GRANT_TYPE),
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("requested_token_type", ACCESS_TOKEN_TYPE),
            ("audience", audience),
        ],
    );
    let response: Response = token_endpoint::post(request, max_bytes, timeout, &[400, 401, 403])
        .await
        .map_err(|error| match error {
            TokenEndpointError::OAuth(code) if code == "invalid_grant" => {
                ExchangeError::SubjectRefused
            }
            TokenEndpointError::OAuth(code) => ExchangeError::Refused(code),
            TokenEndpointError::Fetch(error) => ExchangeError::Unavailable(error),
            TokenEndpointError::Invalid(why) => ExchangeError::InvalidResponse(why),
        })?;
    if response.access_token.is_empty() {
        return Err(ExchangeError::InvalidResponse("empty access_token"));
    }
    if response
        .issued_token_type
        .as_deref()
        .is_some_and(|t| t != ACCESS_TOKEN_TYPE)
    {
        return Err(ExchangeError::InvalidResponse(
            "issued_token_type is not an access token",
        ));
    }
    if response
        .token_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("Bearer"))
    {
        return Err(ExchangeError::InvalidResponse("token_type is not Bearer"));
    }
    Ok(Issued {
        access_token: response.access_token,
        expires_in: response.expires_in,
    })
}
