//! What the journeys need of HTTP beyond reqwest: a browser-like cookie jar, status checks, and
//! the parts of a redirect.

use anyhow::ensure;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use url::Url;

/// A minimal cookie jar: keeps `name=value` of every `Set-Cookie` and sends them all back, as a
/// browser on `localhost` does (it treats localhost as secure, so `Secure` cookies flow over
/// plain HTTP there, which HTTP-client jars refuse to do).
#[derive(Default)]
pub(crate) struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    pub(crate) async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<reqwest::Response> {
        let header = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if header.is_empty() {
            request
        } else {
            request.header(COOKIE, header)
        };
        let response = request.send().await?;
        for set in response.headers().get_all(SET_COOKIE) {
            let set = set.to_str().unwrap_or_default();
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                let expired = set.to_ascii_lowercase().contains("max-age=0") || value.is_empty();
                if !expired {
                    self.cookies
                        .push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
        }
        Ok(response)
    }
}

/// Fails with `what: <status>` unless `response`'s status passes `ok`.
pub(crate) fn ensure_status(
    response: &reqwest::Response,
    ok: impl Fn(&StatusCode) -> bool,
    what: &str,
) -> anyhow::Result<()> {
    let status = response.status();
    ensure!(ok(&status), "{what}: {status}");
    Ok(())
}

/// For [`ensure_status`]: the status is 401, as for a request without credentials.
pub(crate) fn is_unauthorized(status: &StatusCode) -> bool {
    *status == StatusCode::UNAUTHORIZED
}

/// 256 random bits, base64url: a PKCE verifier, a state, a nonce.
pub(crate) fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The `Location` of a response, if any.
pub(crate) fn location(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get(LOCATION)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// A query parameter of `url`, decoded.
pub(crate) fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
