//! [`ClientCredentials`]: how a confidential client (bff-web's OIDC client, either BFF's token
//! exchange) authenticates at the provider's token and revocation endpoints.
//!
//! The method is chosen once from the provider's discovery document
//! (`token_endpoint_auth_methods_supported`): `client_secret_basic` when listed (or when the list
//! is absent, its RFC 8414 default), else `client_secret_post`; a provider that offers neither is
//! refused at start-up. The secret never appears in `Debug` output or logs.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use url::Url;
use url::form_urlencoded;

use crate::auth::provider::ProviderMetadata;

/// A client authentication method at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// RFC 6749 §2.3.1: HTTP Basic with the form-encoded id and secret.
    ClientSecretBasic,
    /// RFC 6749 §2.3.1: `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl AuthMethod {
    /// The method to use with a provider: `client_secret_basic` if it supports it (an absent
    /// list means it does), else `client_secret_post`, else none.
    pub fn for_provider(metadata: &ProviderMetadata) -> Option<Self> {
        let supported = &metadata.token_endpoint_auth_methods_supported;
        if supported.is_empty() || supported.iter().any(|m| m == "client_secret_basic") {
            Some(Self::ClientSecretBasic)
        } else if supported.iter().any(|m| m == "client_secret_post") {
            Some(Self::ClientSecretPost)
        } else {
            None
        }
    }
}

/// A confidential client's id, secret and authentication method.
#[derive(Clone)]
pub struct ClientCredentials {
    id: String,
    secret: SecretString,
    method: AuthMethod,
}

crate::debug_showing!(ClientCredentials { id, method });

impl ClientCredentials {
    /// Credentials authenticated with `method`.
    pub fn new(id: impl Into<String>, secret: SecretString, method: AuthMethod) -> Self {
        Self {
            id: id.into(),
            secret,
            method,
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The method in use.
    pub fn method(&self) -> AuthMethod {
        self.method
    }

    /// A form POST of `params` to `url`, authenticated as this client.
    pub(crate) fn post_form(
        &self,
        http: &reqwest::Client,
        url: &Url,
        params: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(params);
        let mut request = http
            .post(url.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        match self.method {
            AuthMethod::ClientSecretBasic => {
                let id: String = form_urlencoded::byte_serialize(self.id.as_bytes()).collect();
                let secret: String =
                    form_urlencoded::byte_serialize(self.secret.expose_secret().as_bytes())
                        .collect();
                let credentials = STANDARD.encode(format!("{id}:{secret}"));
                request =
                    request.header(http::header::AUTHORIZATION, format!("Basic {credentials}"));
            }
            AuthMethod::ClientSecretPost => {
                form.append_pair("client_id", &self.id)
                    .append_pair("client_secret", self.secret.expose_secret());
            }
        }
        request.body(form.finish())
    }
}
