//! The `auth` section: how the app's bearer tokens are validated (shared's [`JwtSettings`]), and
//! the confidential client this BFF exchanges them as (`auth.token_exchange`).

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use shared::auth::JwtSettings;
use shared::config::ConfigError;
use shared::config::sections::{split_section, take};

/// The development secret of the dev-idp's `bff-mobile` client: a WARN at start-up.
pub const DEV_EXCHANGE_SECRET: &str = "bff-mobile-dev-secret";

/// How the app's bearer tokens are validated, and how they are exchanged for upstream audiences.
#[derive(Debug, Clone, Serialize)]
pub struct MobileAuthSettings {
    /// `issuer` (default `http://localhost:7000`, the dev-idp; env `BFF_MOBILE__AUTH__ISSUER`),
    /// `audience` (default `bff-mobile`; env `BFF_MOBILE__AUTH__AUDIENCE`), and the algorithm
    /// allow-list, leeway, `typ`, size cap and JWKS cache of [`JwtSettings`] (env
    /// `BFF_MOBILE__AUTH__<KEY>`, `BFF_MOBILE__AUTH__JWKS__<KEY>`). The issuer is discovered at
    /// start-up.
    #[serde(flatten)]
    pub jwt: JwtSettings,
    /// The client that exchanges the app's tokens (RFC 8693) for the upstreams that have an
    /// `audience`.
    pub token_exchange: TokenExchangeClient,
}

/// The confidential client bff-mobile exchanges tokens as, at the issuer's token endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangeClient {
    /// The client id. Default `bff-mobile`; env `BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_ID`.
    #[serde(default = "default_client_id")]
    pub client_id: String,
    /// The client secret (`client_secret_basic`, or `client_secret_post` when the provider
    /// offers only that). Required when any upstream has an `audience`; masked in
    /// `--check-config`, never logged. The default is the dev-idp's development secret (a WARN
    /// at start-up); give the real one through
    /// `BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET`.
    #[serde(default, serialize_with = "shared::config::masked::optional_secret")]
    pub client_secret: Option<SecretString>,
}

fn default_client_id() -> String {
    "bff-mobile".to_owned()
}

impl<'de> Deserialize<'de> for MobileAuthSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let (mut own, rest) = split_section(deserializer, "auth", &["token_exchange"])?;
        let token_exchange = if own.contains_key("token_exchange") {
            take(&mut own, "auth", "token_exchange")?
        } else {
            TokenExchangeClient {
                client_id: default_client_id(),
                client_secret: None,
            }
        };
        Ok(Self {
            jwt: JwtSettings::deserialize(rest)
                .map_err(|e| D::Error::custom(format!("auth: {e}")))?,
            token_exchange,
        })
    }
}

impl MobileAuthSettings {
    /// Checks the values; `exchanges` says whether any upstream has an `audience` (then the
    /// client secret is required).
    pub fn validate(&self, exchanges: bool) -> Result<(), ConfigError> {
        self.jwt.validate("auth")?;
        if self.token_exchange.client_id.trim().is_empty() {
            return Err(ConfigError::invalid(
                "auth.token_exchange.client_id",
                "must not be empty",
            ));
        }
        let has_secret = self
            .token_exchange
            .client_secret
            .as_ref()
            .is_some_and(|s| !s.expose_secret().is_empty());
        if exchanges && !has_secret {
            return Err(ConfigError::invalid(
                "auth.token_exchange.client_secret",
                "is required when an upstream has an `audience` (token exchange); give it \
                 through BFF_MOBILE__AUTH__TOKEN_EXCHANGE__CLIENT_SECRET",
            ));
        }
        Ok(())
    }

    /// Whether the exchange secret is the dev-idp's development one.
    pub fn uses_dev_secret(&self) -> bool {
        self.token_exchange
            .client_secret
            .as_ref()
            .is_some_and(|s| s.expose_secret() == DEV_EXCHANGE_SECRET)
    }
}
