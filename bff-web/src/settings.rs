//! bff-web's settings: built-in defaults (`config/default.toml`), an optional file named by
//! `BFF_WEB_CONFIG`, then `BFF_WEB__…` environment variables.
//!
//! Two sections extend a shared settings struct with keys of this crate: `server` (shared's
//! [`ServerSettings`] plus `public_origin`) and `oidc` (shared's [`OidcSettings`] plus
//! `post_logout_redirect_uri`). Both keep `deny_unknown_fields`: this crate takes its own keys
//! out of the section and hands the rest to the shared struct (see [`split_section`](shared::config::sections::split_section)).

use std::path::PathBuf;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use shared::auth::{OidcSettings, SessionSettings};
use shared::config::ConfigError;
use shared::config::sections::{split_section, take};
use shared::server::ServerSettings;
use shared::telemetry::TelemetrySettings;
use shared::upstream::UpstreamsSettings;
use url::Url;

/// The prefix of environment variables (`BFF_WEB__SERVER__PORT`).
pub const ENV_PREFIX: &str = "BFF_WEB";
/// The environment variable naming an optional settings file.
pub const FILE_ENV: &str = "BFF_WEB_CONFIG";
const DEFAULTS: &str = include_str!("../config/default.toml");

/// The client secret the dev-idp's `bff-web` client has out of the box: fine on a laptop, a
/// warning anywhere else.
pub const DEV_CLIENT_SECRET: &str = "dev-secret-change-me";

/// The path of the login callback, as registered with the provider (`oidc.redirect_uri` must
/// point here on the public origin).
pub const CALLBACK_PATH: &str = "/auth/callback";

/// Everything bff-web can be told. It serializes with every secret masked (`--check-config`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Listener, inbound limits and the public origin.
    pub server: WebServerSettings,
    /// Each screen's deadline.
    pub screens: ScreenDeadlines,
    /// Where the upstream services are.
    pub upstreams: UpstreamsSettings,
    /// Complete public screens kept while every upstream answer they were built from is fresh
    /// (env `BFF_WEB__SCREEN_CACHE__<KEY>`).
    #[serde(default)]
    pub screen_cache: shared::screen_cache::ScreenCacheSettings,
    /// The OpenID Connect client that signs browsers in.
    pub oidc: WebOidcSettings,
    /// Server-side sessions (shared's [`SessionSettings`]; env `BFF_WEB__SESSION__<KEY>`).
    /// Default: the memory store (`store = "memory"`), `idle_timeout` `30m`,
    /// `absolute_timeout` `8h`, `login_timeout` `10m`, `refresh_margin` `30s`, `key_prefix`
    /// `bff-web:`. Redis: `BFF_WEB__SESSION__STORE=redis` and
    /// `BFF_WEB__SESSION__REDIS_URL=redis://host:6379/`.
    #[serde(default)]
    pub session: SessionSettings,
    /// The session and login cookies (env `BFF_WEB__COOKIES__<KEY>`).
    pub cookies: CookieSettings,
    /// The storefront page (env `BFF_WEB__STOREFRONT__<KEY>`).
    pub storefront: crate::storefront::StorefrontSettings,
    /// Logging.
    pub telemetry: TelemetrySettings,
    /// The GraphQL endpoint (env `BFF_WEB__GRAPHQL__<KEY>`).
    pub graphql: crate::graphql::GraphqlSettings,
}

/// The `server` section: shared's listener settings plus where the browser reaches this BFF.
#[derive(Debug, Clone, Serialize)]
pub struct WebServerSettings {
    /// The origin browsers use to reach this BFF (`scheme://host[:port]`, nothing else). Every
    /// link and redirect is built from it, never from the request's `Host`. Default
    /// `http://localhost:8080`; env `BFF_WEB__SERVER__PUBLIC_ORIGIN`.
    pub public_origin: Url,
    /// The keys every BFF has (host, port, timeouts, limits; see [`ServerSettings`]); env
    /// `BFF_WEB__SERVER__<KEY>`.
    #[serde(flatten)]
    pub common: ServerSettings,
}

impl WebServerSettings {
    /// The public origin without trailing slash (`http://localhost:8080`).
    pub fn origin(&self) -> String {
        self.public_origin.origin().ascii_serialization()
    }
}

impl<'de> Deserialize<'de> for WebServerSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (mut own, rest) = split_section(deserializer, "server", &["public_origin"])?;
        Ok(Self {
            public_origin: take(&mut own, "server", "public_origin")?,
            common: ServerSettings::deserialize(rest)
                .map_err(|e| D::Error::custom(format!("server: {e}")))?,
        })
    }
}

/// The `oidc` section: shared's OIDC client settings plus where the provider sends the browser
/// after logout.
#[derive(Debug, Clone, Serialize)]
pub struct WebOidcSettings {
    /// Where the provider sends the browser after logout; must be registered with the provider
    /// for this client. Default `http://localhost:8080/`; env
    /// `BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI`.
    pub post_logout_redirect_uri: Url,
    /// Whether the logout URL carries `id_token_hint` (OIDC RP-Initiated Logout §2, which
    /// recommends it; Keycloak and others ask the user to confirm the logout without it).
    /// Default `false`: that URL goes to the browser, and no token may travel in a URL the
    /// browser sees (history, logs); `true` is a relaxation, logged at start-up. Env
    /// `BFF_WEB__OIDC__LOGOUT_ID_TOKEN_HINT`.
    pub logout_id_token_hint: bool,
    /// The client registration (see [`OidcSettings`]; env `BFF_WEB__OIDC__<KEY>`). Defaults,
    /// for the dev-idp: `issuer` `http://localhost:7000`, `client_id` `bff-web`,
    /// `client_secret` `dev-secret-change-me` (a WARN at start-up), `redirect_uri`
    /// `http://localhost:8080/auth/callback`.
    #[serde(flatten)]
    pub client: OidcSettings,
}

impl<'de> Deserialize<'de> for WebOidcSettings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (mut own, rest) = split_section(
            deserializer,
            "oidc",
            &["post_logout_redirect_uri", "logout_id_token_hint"],
        )?;
        Ok(Self {
            post_logout_redirect_uri: take(&mut own, "oidc", "post_logout_redirect_uri")?,
            logout_id_token_hint: take(&mut own, "oidc", "logout_id_token_hint")?,
            client: OidcSettings::deserialize(rest)
                .map_err(|e| D::Error::custom(format!("oidc: {e}")))?,
        })
    }
}

/// The session and login cookies.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CookieSettings {
    /// Strict cookies: the `__Host-` name prefix and `Secure` (browsers treat
    /// `http://localhost` as secure). `false` drops both, for plain-HTTP clients that are not
    /// a browser on localhost (a test's cookie jar, Docker behind another host name), and logs
    /// a WARN at start-up. Default `true`; env `BFF_WEB__COOKIES__SECURE`.
    pub secure: bool,
}

/// How long each screen may take, all upstream calls included; optional sections that are not
/// back by then are left out.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenDeadlines {
    /// `GET /api/home`. Default `800ms`; env `BFF_WEB__SCREENS__HOME`.
    #[serde(with = "humantime_serde")]
    pub home: Duration,
    /// `GET /api/products/{id}`. Default `800ms`; env `BFF_WEB__SCREENS__PRODUCT`.
    #[serde(with = "humantime_serde")]
    pub product: Duration,
    /// `GET /api/search`. Default `800ms`; env `BFF_WEB__SCREENS__SEARCH`.
    #[serde(with = "humantime_serde")]
    pub search: Duration,
    /// `GET /api/products/{id}/reviews`. Default `800ms`; env `BFF_WEB__SCREENS__REVIEWS`.
    #[serde(with = "humantime_serde")]
    pub reviews: Duration,
    /// `GET /api/me`. Default `800ms`; env `BFF_WEB__SCREENS__ME`.
    #[serde(with = "humantime_serde")]
    pub me: Duration,
    /// `GET /api/cart` and the cart changes (`POST /api/cart/items`,
    /// `DELETE /api/cart/items/{id}`). Default `800ms`; env `BFF_WEB__SCREENS__CART`.
    #[serde(with = "humantime_serde")]
    pub cart: Duration,
}

impl Settings {
    /// Loads the settings from defaults, file and environment, and validates them.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os(FILE_ENV).map(PathBuf::from);
        let settings: Self = shared::config::load(ENV_PREFIX, DEFAULTS, file.as_deref())?;
        settings.validate()
    }

    /// The built-in defaults alone (tests start from these).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::from_env(Vec::new())
    }

    /// The built-in defaults with `env` as the only environment variables (tests).
    pub fn from_env(env: Vec<(String, String)>) -> Result<Self, ConfigError> {
        let settings: Self = shared::config::load_from(ENV_PREFIX, DEFAULTS, None, Some(env))?;
        settings.validate()
    }

    /// Checks what serde cannot; the error names the key.
    pub fn validate(self) -> Result<Self, ConfigError> {
        shared::config::check_deadlines(&[
            ("screens.home", self.screens.home),
            ("screens.product", self.screens.product),
            ("screens.search", self.screens.search),
            ("screens.reviews", self.screens.reviews),
            ("screens.me", self.screens.me),
            ("screens.cart", self.screens.cart),
        ])?;
        check_origin(&self.server.public_origin)?;
        self.oidc.client.validate("oidc")?;
        let redirect = &self.oidc.client.redirect_uri;
        if redirect.origin() != self.server.public_origin.origin()
            || redirect.path() != CALLBACK_PATH
            || redirect.query().is_some()
        {
            return Err(ConfigError::invalid(
                "oidc.redirect_uri",
                format!(
                    "must be {}{CALLBACK_PATH} (the callback on server.public_origin)",
                    self.server.origin()
                ),
            ));
        }
        let logout = &self.oidc.post_logout_redirect_uri;
        if !matches!(logout.scheme(), "http" | "https")
            || logout.host().is_none()
            || logout.fragment().is_some()
        {
            return Err(ConfigError::invalid(
                "oidc.post_logout_redirect_uri",
                "must be an http(s) URL without fragment",
            ));
        }
        self.session.validate("session")?;
        self.server.common.validate()?;
        self.upstreams.validate()?;
        self.graphql.validate()?;
        Ok(self)
    }

    /// What deserves a WARN at start-up: development values that must not reach production.
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.oidc.client.client_secret.expose_secret() == DEV_CLIENT_SECRET {
            warnings.push(
                "oidc.client_secret is the dev-idp's development secret; give the real one \
                 through BFF_WEB__OIDC__CLIENT_SECRET"
                    .to_owned(),
            );
        }
        if self.oidc.logout_id_token_hint {
            warnings.push(
                "oidc.logout_id_token_hint is true: the logout URL the browser follows carries \
                 the user's ID token (browser history, the provider's access logs)"
                    .to_owned(),
            );
        }
        if !self.cookies.secure {
            warnings.push(
                "cookies.secure is false: session cookies lose `Secure` and the `__Host-` \
                 prefix; only for plain-HTTP test clients, never in production"
                    .to_owned(),
            );
        } else if self.server.public_origin.scheme() == "http"
            && !is_localhost(&self.server.public_origin)
        {
            warnings.push(format!(
                "server.public_origin {} is plain HTTP on a host other than localhost: browsers \
                 will refuse the `Secure` session cookie (serve HTTPS, or set cookies.secure = \
                 false for a test setup)",
                self.server.origin()
            ));
        }
        warnings.extend(self.graphql.startup_warnings());
        warnings
    }
}

/// Whether `url` is `http(s)://host[:port]` and nothing else (a trailing `/` is tolerated).
pub(crate) fn is_bare_origin(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
}

/// `server.public_origin` must be a bare origin ([`is_bare_origin`]).
fn check_origin(url: &Url) -> Result<(), ConfigError> {
    if is_bare_origin(url) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            "server.public_origin",
            "must be scheme://host[:port] (http or https, no path, query or fragment)",
        ))
    }
}

fn is_localhost(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// What `main` ([`shared::cli::run`]) needs: loading, the listener and logging sections.
impl shared::cli::ServiceSettings for Settings {
    fn load() -> Result<Self, ConfigError> {
        Settings::load()
    }

    fn common(&self) -> (&ServerSettings, &TelemetrySettings) {
        (&self.server.common, &self.telemetry)
    }

    fn warnings(&self) -> Vec<String> {
        self.startup_warnings()
    }
}

#[cfg(test)]
mod tests {
    use shared::auth::session::StoreKind;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn the_defaults_point_at_the_dev_idp_and_keep_sessions_in_memory() {
        let settings = Settings::defaults().unwrap();
        assert_eq!(settings.server.origin(), "http://localhost:8080");
        assert_eq!(settings.server.common.port, 8080);
        let oidc = &settings.oidc.client;
        assert_eq!(oidc.issuer, "http://localhost:7000");
        assert_eq!(oidc.client_id, "bff-web");
        assert_eq!(oidc.client_secret.expose_secret(), DEV_CLIENT_SECRET);
        assert_eq!(
            oidc.redirect_uri.as_str(),
            "http://localhost:8080/auth/callback"
        );
        assert_eq!(
            settings.oidc.post_logout_redirect_uri.as_str(),
            "http://localhost:8080/"
        );
        assert_eq!(settings.session.store, StoreKind::Memory);
        assert!(settings.cookies.secure);
    }

    #[test]
    fn the_environment_overrides_every_section_with_typed_values() {
        let settings = Settings::from_env(env(&[
            ("BFF_WEB__SERVER__PORT", "9090"),
            ("BFF_WEB__SERVER__PUBLIC_ORIGIN", "https://shop.example"),
            (
                "BFF_WEB__OIDC__REDIRECT_URI",
                "https://shop.example/auth/callback",
            ),
            ("BFF_WEB__OIDC__CLIENT_SECRET", "a-real-secret"),
            ("BFF_WEB__OIDC__TIMEOUT", "2s"),
            ("BFF_WEB__OIDC__BACKCHANNEL_URL", "http://dev-idp:7000"),
            (
                "BFF_WEB__OIDC__RESOURCE",
                "https://api.shop.example/, urn:shop:accounts",
            ),
            (
                "BFF_WEB__UPSTREAMS__ACCOUNTS__AUDIENCE",
                "urn:shop:accounts",
            ),
            ("BFF_WEB__SESSION__STORE", "redis"),
            ("BFF_WEB__SESSION__REDIS_URL", "redis://127.0.0.1:6379/"),
            ("BFF_WEB__SESSION__IDLE_TIMEOUT", "5m"),
            ("BFF_WEB__COOKIES__SECURE", "false"),
        ]))
        .unwrap();
        assert_eq!(settings.server.common.port, 9090);
        assert_eq!(settings.server.origin(), "https://shop.example");
        assert_eq!(settings.oidc.client.timeout, Duration::from_secs(2));
        assert_eq!(
            settings
                .oidc
                .client
                .backchannel_url
                .as_ref()
                .map(Url::as_str),
            Some("http://dev-idp:7000/")
        );
        assert_eq!(
            settings.oidc.client.resource,
            ["https://api.shop.example/", "urn:shop:accounts"]
        );
        assert_eq!(
            settings.upstreams.accounts.audience.as_deref(),
            Some("urn:shop:accounts")
        );
        assert_eq!(settings.session.store, StoreKind::Redis);
        assert_eq!(settings.session.idle_timeout, Duration::from_secs(300));
        assert!(!settings.cookies.secure);
    }

    #[test]
    fn unknown_keys_are_refused_in_the_extended_sections_too() {
        for key in [
            "BFF_WEB__SERVER__PUBLIC_ORIGN",
            "BFF_WEB__OIDC__CLIENT_SECRETT",
            "BFF_WEB__COOKIES__SECUR",
        ] {
            let error = Settings::from_env(env(&[(key, "x")])).unwrap_err();
            assert!(
                error.to_string().contains("unknown field"),
                "{key}: {error}"
            );
        }
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            (
                (
                    "BFF_WEB__SERVER__PUBLIC_ORIGIN",
                    "http://localhost:8080/shop",
                ),
                "server.public_origin",
            ),
            (
                ("BFF_WEB__SERVER__PUBLIC_ORIGIN", "ftp://localhost"),
                "server.public_origin",
            ),
            (
                (
                    "BFF_WEB__OIDC__REDIRECT_URI",
                    "http://evil.example/auth/callback",
                ),
                "oidc.redirect_uri",
            ),
            (
                ("BFF_WEB__OIDC__REDIRECT_URI", "http://localhost:8080/cb"),
                "oidc.redirect_uri",
            ),
            (("BFF_WEB__OIDC__CLIENT_SECRET", ""), "oidc.client_secret"),
            (("BFF_WEB__SESSION__STORE", "redis"), "session.redis_url"),
            (
                ("BFF_WEB__OIDC__POST_LOGOUT_REDIRECT_URI", "not a url"),
                "oidc.post_logout_redirect_uri",
            ),
            (("BFF_WEB__SCREENS__CART", "0s"), "screens.cart"),
        ];
        for ((key, value), named) in cases {
            let error = Settings::from_env(env(&[(key, value)])).unwrap_err();
            assert!(error.to_string().contains(named), "{key}={value}: {error}");
        }
    }

    #[test]
    fn the_printed_settings_name_every_section_and_mask_every_secret() {
        let settings = Settings::from_env(env(&[
            ("BFF_WEB__OIDC__CLIENT_SECRET", "client-s3cret"),
            ("BFF_WEB__SESSION__STORE", "redis"),
            ("BFF_WEB__SESSION__REPLICATED", "true"),
            (
                "BFF_WEB__SESSION__REDIS_URL",
                "redis://:redis-s3cret@redis:6379/0",
            ),
            (
                "BFF_WEB__SESSION__LOGIN_COOKIE_KEY",
                "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ),
        ]))
        .unwrap();
        let printed = serde_json::to_value(&settings).unwrap();
        assert_eq!(printed["oidc"]["client_secret"], "***");
        assert_eq!(printed["oidc"]["client_id"], "bff-web");
        assert_eq!(printed["session"]["redis_url"], "redis://:***@redis:6379/0");
        assert_eq!(printed["session"]["login_cookie_key"], "***");
        assert_eq!(printed["session"]["replicated"], true);
        assert_eq!(printed["server"]["public_origin"], "http://localhost:8080/");
        assert_eq!(
            printed["server"]["port"], 8080,
            "the shared keys sit beside it"
        );
        let text = printed.to_string();
        for secret in ["client-s3cret", "redis-s3cret", "AAAAAAAA"] {
            assert!(!text.contains(secret), "{secret} printed");
        }
    }

    /// The one start-up warning of the defaults with `pairs` as the environment.
    fn only_warning(pairs: &[(&str, &str)]) -> String {
        let mut warnings = Settings::from_env(env(pairs)).unwrap().startup_warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        warnings.remove(0)
    }

    #[test]
    fn development_values_are_warned_about() {
        assert!(only_warning(&[]).contains("oidc.client_secret"));
        let relaxed = only_warning(&[
            ("BFF_WEB__COOKIES__SECURE", "false"),
            ("BFF_WEB__OIDC__CLIENT_SECRET", "a-real-secret"),
        ]);
        assert!(relaxed.contains("cookies.secure"));

        let production = Settings::from_env(env(&[
            ("BFF_WEB__OIDC__CLIENT_SECRET", "a-real-secret"),
            ("BFF_WEB__SERVER__PUBLIC_ORIGIN", "https://shop.example"),
            (
                "BFF_WEB__OIDC__REDIRECT_URI",
                "https://shop.example/auth/callback",
            ),
        ]))
        .unwrap();
        assert!(production.startup_warnings().is_empty());

        let plain_http = Settings::from_env(env(&[
            ("BFF_WEB__OIDC__CLIENT_SECRET", "a-real-secret"),
            (
                "BFF_WEB__SERVER__PUBLIC_ORIGIN",
                "http://shop.internal:8080",
            ),
            (
                "BFF_WEB__OIDC__REDIRECT_URI",
                "http://shop.internal:8080/auth/callback",
            ),
        ]))
        .unwrap();
        assert!(plain_http.startup_warnings()[0].contains("plain HTTP"));
    }
}
