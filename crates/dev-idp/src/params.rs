//! Request parameters of the OAuth endpoints (query strings and form bodies), and client
//! authentication at the token and revocation endpoints.
//!
//! RFC 6749 §3.1: parameters sent without a value are treated as omitted, and a parameter must
//! not appear twice (a repeated one is refused rather than silently picking one value), except
//! `resource`, which RFC 8707 §2 lets a client repeat.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::state::AppState;

/// Decoded, de-duplicated parameters, and the `resource` values (RFC 8707) apart.
#[derive(Debug, Default)]
pub(crate) struct Params {
    values: HashMap<String, String>,
    resources: Vec<String>,
}

/// A parameter appeared more than once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepeatedParameter;

impl Params {
    /// Parses `application/x-www-form-urlencoded` bytes (a query string or a form body).
    pub fn parse(bytes: &[u8]) -> Result<Self, RepeatedParameter> {
        let mut map = HashMap::new();
        let mut resources = Vec::new();
        for (key, value) in url::form_urlencoded::parse(bytes) {
            if key == "resource" {
                if !value.is_empty() && !resources.iter().any(|r| r == &value) {
                    resources.push(value.into_owned());
                }
                continue;
            }
            if map.contains_key(key.as_ref()) {
                return Err(RepeatedParameter);
            }
            map.insert(key.into_owned(), value.into_owned());
        }
        map.retain(|_, value: &mut String| !value.is_empty());
        Ok(Self {
            values: map,
            resources,
        })
    }

    /// The value of `key`, if present and not empty.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Whether `resource` can be an RFC 8707 resource indicator: an absolute URI without fragment.
pub(crate) fn is_resource_indicator(resource: &str) -> bool {
    url::Url::parse(resource).is_ok_and(|url| url.fragment().is_none())
}

impl Params {
    /// The `resource` values, checked: absolute URIs without fragment (`invalid_target`).
    pub fn checked_resources(&self) -> Result<&[String], OAuthError> {
        if self.resources.iter().all(|r| is_resource_indicator(r)) {
            Ok(&self.resources)
        } else {
            Err(OAuthError::invalid_target(
                "resource must be an absolute URI without fragment",
            ))
        }
    }
}

/// Whether the request body is declared as a form.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Authenticates the client of a token or revocation request: `client_secret_basic`,
/// `client_secret_post`, or `none` for public clients. Exactly one method may be used.
pub(crate) fn authenticate_client(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<ClientConfig, OAuthError> {
    let basic = basic_credentials(headers)?;
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.get("client_secret").is_some() {
                return Err(OAuthError::invalid_request(
                    "use one client authentication method, not two",
                ));
            }
            if params.get("client_id").is_some_and(|form_id| form_id != id) {
                return Err(OAuthError::invalid_client(
                    "client_id differs from the authenticated client",
                ));
            }
            (id, Some(secret))
        }
        None => {
            let Some(id) = params.get("client_id") else {
                return Err(OAuthError::invalid_client("client authentication failed"));
            };
            (
                id.to_owned(),
                params.get("client_secret").map(str::to_owned),
            )
        }
    };
    let Some(client) = state.client(&client_id) else {
        return Err(OAuthError::invalid_client("client authentication failed"));
    };
    let authenticated = match (&client.secret, &secret) {
        (Some(expected), Some(given)) => secrets_match(expected.expose(), given),
        // A public client authenticates with `none`; PKCE binds its codes instead.
        (None, None) => true,
        (Some(_), None) | (None, Some(_)) => false,
    };
    if !authenticated {
        tracing::info!(client_id, "client authentication failed");
        return Err(OAuthError::invalid_client("client authentication failed"));
    }
    Ok(client)
}

/// Compares secrets in constant time (hashing first hides their lengths too).
fn secrets_match(expected: &str, given: &str) -> bool {
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(given.as_bytes()))
        .into()
}

/// `Authorization: Basic` credentials (RFC 6749 §2.3.1: both parts form-urlencoded), if sent.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic credentials");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(malformed());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client(
            "only Basic client authentication is accepted in Authorization",
        ));
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape = |part: &str| {
        percent_encoding::percent_decode_str(&part.replace('+', " "))
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| malformed())
    };
    Ok(Some((unescape(id)?, unescape(secret)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_parameter_is_refused_and_an_empty_one_is_omitted() {
        assert!(Params::parse(b"a=1&a=2").is_err());
        let params = Params::parse(b"a=&b=x+y%21").unwrap();
        assert_eq!(params.get("a"), None);
        assert_eq!(params.get("b"), Some("x y!"));
    }

    #[test]
    fn basic_credentials_are_form_urlencoded() {
        let mut headers = HeaderMap::new();
        let encoded = STANDARD.encode("my%3Aclient:p%40ss+word");
        headers.insert(
            header::AUTHORIZATION,
            format!("basic {encoded}").parse().unwrap(),
        );
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!(id, "my:client");
        assert_eq!(secret, "p@ss word");
    }
}
