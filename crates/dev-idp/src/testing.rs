//! The provider in-process, for tests of this crate and of the BFFs.
//!
//! [`TestIdp::spawn`] serves the real provider on `127.0.0.1` and a random port, with the issuer
//! set to its own URL, the default clients and the demo users. Tests register their BFF's
//! callback (whose port is only known at run time) with [`TestIdp::add_redirect_uri`], get
//! tokens without a browser with [`TestIdp::mobile_tokens`] or `auto_login`, and forge tokens
//! for negative tests with [`TestIdp::mint_access_token`]. The server stops when the `TestIdp`
//! is dropped.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use shared::server::ServeOptions;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::config::{ClientConfig, IdpConfig, check_redirect_uri};
use crate::grants::{random_token, unix_now};
use crate::state::AppState;
use crate::tokens::{self, ACCESS_TOKEN_TYP};
use crate::users::{self, PASSWORD};

pub use crate::tokens::TokenResponse;

/// The client id of the default public (mobile) client.
pub const MOBILE_CLIENT_ID: &str = "mobile-app";
/// The client id of the default confidential (web BFF) client.
pub const WEB_CLIENT_ID: &str = "bff-web";
/// The secret of the default confidential client.
pub const WEB_CLIENT_SECRET: &str = "dev-secret-change-me";

/// A running provider; stops when dropped.
pub struct TestIdp {
    /// `http://127.0.0.1:PORT`, also the issuer.
    url: String,
    /// The provider's state, shared with the server task.
    state: Arc<AppState>,
    /// Client for the flows this helper runs (redirects not followed).
    http: reqwest::Client,
    /// Dropping it shuts the server down.
    _shutdown: oneshot::Sender<()>,
}

impl TestIdp {
    /// The provider on 127.0.0.1, random port, issuer = its own URL, default clients and users,
    /// and `allow_login_hint` on: tests sign users in without a browser (the shipped default is
    /// off; [`TestIdp::spawn_with`] takes the configuration as given).
    pub async fn spawn() -> TestIdp {
        Self::spawn_with(IdpConfig {
            allow_login_hint: true,
            ..IdpConfig::default()
        })
        .await
    }

    /// Like [`TestIdp::spawn`] with `config`; its bind address, port and issuer are overridden.
    /// Panics if `config` is invalid.
    pub async fn spawn_with(mut config: IdpConfig) -> TestIdp {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("TestIdp: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("TestIdp: local address");
        let url = format!("http://{addr}");
        config.issuer = url.clone();
        config.bind_address = IpAddr::V4(Ipv4Addr::LOCALHOST);
        config.port = addr.port();
        let state = Arc::new(
            AppState::new(config).unwrap_or_else(|error| panic!("TestIdp::spawn_with: {error}")),
        );
        let app = crate::routes::app(state.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            shutdown_grace: Duration::from_millis(200),
            ..ServeOptions::default()
        };
        tokio::spawn(async move {
            let stop = async {
                let _ = stopped.await;
            };
            if let Err(error) = shared::server::serve_with(listener, app, &options, stop).await {
                tracing::warn!(%error, "TestIdp server failed");
            }
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .expect("TestIdp: HTTP client");
        TestIdp {
            url,
            state,
            http,
            _shutdown: shutdown,
        }
    }

    /// `http://127.0.0.1:PORT`: the base URL and the issuer.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Signs this user (id `demo-user-1` or username `ada`) in on every `/authorize` without
    /// the login page; `None` shows the page again. Panics for an unknown user.
    pub fn set_auto_login(&self, user: Option<&str>) {
        let user = user.map(|name| {
            users::find(name).unwrap_or_else(|| panic!("TestIdp: no demo user {name:?}"))
        });
        self.state.set_auto_login(user);
    }

    /// Registers another redirect URI for a client (e.g. a BFF's callback on a random port).
    pub fn add_redirect_uri(&self, client_id: &str, uri: &str) {
        self.add_uri(client_id, uri, |client| &mut client.redirect_uris);
    }

    /// Registers another post-logout redirect URI for a client.
    pub fn add_post_logout_redirect_uri(&self, client_id: &str, uri: &str) {
        self.add_uri(client_id, uri, |client| {
            &mut client.post_logout_redirect_uris
        });
    }

    /// Adds `uri` (once) to the list `list` picks from the client's registration.
    fn add_uri(
        &self,
        client_id: &str,
        uri: &str,
        list: impl FnOnce(&mut ClientConfig) -> &mut Vec<String>,
    ) {
        check_redirect_uri(uri).unwrap_or_else(|why| panic!("TestIdp: {uri:?}: {why}"));
        let known = self.state.update_client(client_id, |client| {
            let uris = list(client);
            if !uris.iter().any(|u| u == uri) {
                uris.push(uri.to_owned());
            }
        });
        assert!(known, "TestIdp: no client {client_id:?}");
    }

    /// Signs with a new key from now on; the old key stays in the JWKS for `key_grace`.
    pub fn rotate_keys(&self) {
        self.state.keys.rotate();
    }

    /// The `kid` of the key that signs now.
    pub fn current_kid(&self) -> String {
        self.state.keys.current().kid.clone()
    }

    /// `GET /jwks` requests served so far.
    pub fn jwks_requests(&self) -> usize {
        self.state.jwks_requests.load(Ordering::Relaxed)
    }

    /// `POST /token` requests received so far (the ones made by [`TestIdp::mobile_tokens`]
    /// included).
    pub fn token_requests(&self) -> usize {
        self.state.token_requests.load(Ordering::Relaxed)
    }

    /// Runs the whole authorization code + PKCE flow for the public `mobile-app` client over
    /// HTTP, without a browser (`login_hint`, or the login form when hints are disabled), and
    /// returns the token response. `user` is a user id (`demo-user-1`) or username (`ada`).
    /// Panics if any step fails.
    pub async fn mobile_tokens(&self, user: &str) -> TokenResponse {
        let user = users::find(user).unwrap_or_else(|| panic!("TestIdp: no demo user {user:?}"));
        let client = self
            .state
            .client(MOBILE_CLIENT_ID)
            .expect("TestIdp::mobile_tokens needs the `mobile-app` client");
        let redirect_uri = client
            .redirect_uris
            .first()
            .expect("`mobile-app` has a redirect URI")
            .clone();
        let verifier = random_token();
        let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
        let response = self
            .http
            .get(format!("{}/authorize", self.url))
            .query(&[
                ("response_type", "code"),
                ("client_id", MOBILE_CLIENT_ID),
                ("redirect_uri", &redirect_uri),
                ("scope", "openid profile email offline_access"),
                ("state", "test-state"),
                ("nonce", "test-nonce"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
                ("login_hint", user.id),
            ])
            .send()
            .await
            .expect("TestIdp: GET /authorize");
        let location = if response.status().is_redirection() {
            location(&response)
        } else {
            // Hints disabled: fill in the login form like a user would.
            let page = response.text().await.expect("TestIdp: login page");
            let request_id = hidden_field(&page, "request")
                .unwrap_or_else(|| panic!("TestIdp: /authorize showed no login form: {page}"));
            let response = self
                .post_form(
                    "/login",
                    &[
                        ("request", &request_id),
                        ("username", user.username),
                        ("password", PASSWORD),
                        ("action", "login"),
                    ],
                )
                .await;
            location(&response)
        };
        let location = url::Url::parse(&location)
            .unwrap_or_else(|_| panic!("TestIdp: bad redirect {location:?}"));
        let code = location
            .query_pairs()
            .find(|(key, _)| key == "code")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("TestIdp: no code in the redirect {location}"));
        let response = self
            .post_form(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", &redirect_uri),
                    ("client_id", MOBILE_CLIENT_ID),
                    ("code_verifier", &verifier),
                ],
            )
            .await;
        let status = response.status();
        let body = response.text().await.expect("TestIdp: token response");
        assert!(status.is_success(), "TestIdp: POST /token: {status} {body}");
        let tokens: TokenResponse =
            serde_json::from_str(&body).expect("TestIdp: token response JSON");
        let sub = unverified_claims(&tokens.id_token)["sub"].clone();
        assert_eq!(
            sub,
            json!(user.id),
            "TestIdp: signed in as another user (is auto_login set?)"
        );
        tokens
    }

    /// Mints an access token signed with the current key: the defaults of a `mobile-app` token
    /// for `demo-user-1` (`iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `jti`, `client_id`,
    /// `scope`), with `overrides` (a JSON object) merged over them. A `null` override removes
    /// the claim. For negative tests: `json!({"exp": 1})`, `json!({"aud": "other"})`, ...
    pub fn mint_access_token(&self, overrides: Value) -> String {
        let now = unix_now();
        let audiences = self
            .state
            .client(MOBILE_CLIENT_ID)
            .map(|client| client.audiences)
            .unwrap_or_else(|| vec!["bff-mobile".to_owned()]);
        let mut claims = json!({
            "iss": self.url,
            "sub": "demo-user-1",
            "aud": audiences,
            "exp": tokens::access_token_expiry(&self.state, now),
            "iat": now,
            "nbf": now,
            "jti": tokens::new_jti(),
            "client_id": MOBILE_CLIENT_ID,
            "scope": "openid profile email offline_access",
        });
        let Value::Object(defaults) = &mut claims else {
            unreachable!("a JSON object literal")
        };
        match overrides {
            Value::Object(overrides) => {
                for (name, value) in overrides {
                    if value.is_null() {
                        defaults.remove(&name);
                    } else {
                        defaults.insert(name, value);
                    }
                }
            }
            Value::Null => {}
            other => panic!("TestIdp::mint_access_token: overrides must be an object, not {other}"),
        }
        self.state
            .keys
            .sign(ACCESS_TOKEN_TYP, &claims)
            .expect("TestIdp: signing")
    }

    async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.http
            .post(format!("{}{path}", self.url))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|error| panic!("TestIdp: POST {path}: {error}"))
    }
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("TestIdp: expected a redirect, got {}", response.status()))
        .to_owned()
}

/// The value of the hidden input `name` in a page this provider rendered.
fn hidden_field(page: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker)? + marker.len();
    let len = page[start..].find('"')?;
    Some(page[start..start + len].to_owned())
}

/// The claims of a JWT, without verifying it (the token was just received from the provider).
fn unverified_claims(token: &str) -> Value {
    token
        .split('.')
        .nth(1)
        .and_then(|payload| B64.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}
