//! Spawning the provider and talking to it like a client would.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use dev_idp::config::IdpConfig;
use dev_idp::testing::{TestIdp, TokenResponse};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, TokenData, Validation};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use url::Url;

pub const WEB: &str = "bff-web";
pub const WEB_SECRET: &str = "dev-secret-change-me";
pub const WEB_CALLBACK: &str = "http://localhost:8080/auth/callback";
pub const MOBILE: &str = "mobile-app";
pub const MOBILE_CALLBACK: &str = "com.example.storefront:/oauth/callback";

/// A provider and an HTTP client that does not follow redirects.
pub struct App {
    pub idp: TestIdp,
    pub url: String,
    pub http: reqwest::Client,
}

/// The provider with `login_hint` honoured (off by default), which most of these tests use to
/// sign in without the login form.
pub async fn spawn() -> App {
    spawn_changing(|config| config.allow_login_hint = true).await
}

pub async fn spawn_with(config: IdpConfig) -> App {
    with_client(TestIdp::spawn_with(config).await)
}

/// The provider with its built-in defaults (login hints off) but for what `change` sets.
pub async fn spawn_changing(change: impl FnOnce(&mut IdpConfig)) -> App {
    let mut config = IdpConfig::default();
    change(&mut config);
    spawn_with(config).await
}

fn with_client(idp: TestIdp) -> App {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    App {
        url: idp.url(),
        idp,
        http,
    }
}

/// A PKCE verifier and its S256 challenge.
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = B64.encode(uuid::Uuid::new_v4().as_bytes())
            + &B64.encode(uuid::Uuid::new_v4().as_bytes());
        let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// The parameters of a valid authorization request; tests change what they test.
pub fn authorize_params(client_id: &str, redirect_uri: &str, pkce: &Pkce) -> Vec<(String, String)> {
    [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", "openid profile email"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Sets (or, with `None`, removes) a parameter.
pub fn with(
    mut params: Vec<(String, String)>,
    key: &str,
    value: Option<&str>,
) -> Vec<(String, String)> {
    params.retain(|(k, _)| k != key);
    if let Some(value) = value {
        params.push((key.to_owned(), value.to_owned()));
    }
    params
}

/// The `Location` of a redirect, parsed.
pub fn location(response: &reqwest::Response) -> Url {
    let location = response
        .headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("expected a redirect, got {}", response.status()))
        .to_str()
        .unwrap();
    Url::parse(location).unwrap()
}

/// One query parameter of a URL.
pub fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The hidden `request` field of the login page.
pub fn request_id(page: &str) -> String {
    let marker = "name=\"request\" value=\"";
    let start = page.find(marker).expect("a login form") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

impl App {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let request = self.http.get(format!("{}{path}", self.url));
        request.send().await.unwrap()
    }

    /// GETs `path` with a query.
    pub async fn get_with<Q: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        query: &Q,
    ) -> reqwest::Response {
        let request = self.http.get(format!("{}{path}", self.url)).query(query);
        request.send().await.unwrap()
    }

    pub async fn authorize(&self, params: &[(String, String)]) -> reqwest::Response {
        self.get_with("/authorize", params).await
    }

    /// POSTs a form, with Basic client credentials when given.
    pub async fn post_form(
        &self,
        path: &str,
        pairs: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send().await.unwrap()
    }

    /// POSTs a token request (Basic client credentials when given) and returns its
    /// [`error_code`]'s `error`.
    pub async fn token_error(&self, pairs: &[(&str, &str)], basic: Option<(&str, &str)>) -> String {
        error_code(self.post_form("/token", pairs, basic).await)
            .await
            .1
    }

    pub async fn login(
        &self,
        request_id: &str,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        self.post_form(
            "/login",
            &[
                ("request", request_id),
                ("username", username),
                ("password", password),
                ("action", "login"),
            ],
            None,
        )
        .await
    }

    /// Opens `bff-web`'s login page; returns the id of the sign-in it asks for.
    pub async fn web_login_request(&self, pkce: &Pkce) -> String {
        let page = self
            .authorize(&authorize_params(WEB, WEB_CALLBACK, pkce))
            .await;
        assert_eq!(page.status(), StatusCode::OK);
        request_id(&page.text().await.unwrap())
    }

    /// Signs `username` in for `bff-web` through the login form; returns the callback URL.
    pub async fn web_callback(&self, pkce: &Pkce, username: &str) -> Url {
        let id = self.web_login_request(pkce).await;
        let response = self.login(&id, username, "demo").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        location(&response)
    }

    /// `GET /authorize` for `mobile-app` with `login_hint=user`.
    pub async fn authorize_mobile(&self, pkce: &Pkce, user: &str) -> reqwest::Response {
        let params = with(
            authorize_params(MOBILE, MOBILE_CALLBACK, pkce),
            "login_hint",
            Some(user),
        );
        self.authorize(&params).await
    }

    /// An authorization code for `mobile-app`, via `login_hint`.
    pub async fn mobile_code(&self, pkce: &Pkce, user: &str) -> String {
        let response = self.authorize_mobile(pkce, user).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        query(&location(&response), "code").expect("a code")
    }

    /// Redeems a `mobile-app` code.
    pub async fn redeem_mobile_code(&self, code: &str, verifier: &str) -> reqwest::Response {
        self.redeem_code(code, MOBILE_CALLBACK, verifier, None)
            .await
    }

    /// Redeems a code naming `redirect_uri`: with `basic` client credentials, or else as the
    /// public `mobile-app`.
    pub async fn redeem_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        if basic.is_none() {
            form.push(("client_id", MOBILE));
        }
        form.push(("code_verifier", verifier));
        self.post_form("/token", &form, basic).await
    }

    /// Refreshes as `bff-web` (Basic credentials).
    pub async fn refresh_as_web(&self, refresh_token: &str) -> reqwest::Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
            Some((WEB, WEB_SECRET)),
        )
        .await
    }

    /// Refreshes a `mobile-app` token asking for `scope`.
    pub async fn refresh_mobile_with_scope(
        &self,
        refresh_token: &str,
        scope: &str,
    ) -> reqwest::Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", MOBILE),
                ("scope", scope),
            ],
            None,
        )
        .await
    }

    /// Revokes `token` as `mobile-app`, with `extra` parameters.
    pub async fn revoke_as_mobile(&self, token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("token", token)];
        form.extend_from_slice(extra);
        form.push(("client_id", MOBILE));
        self.post_form("/revoke", &form, None).await
    }

    /// Revokes `token` as `bff-web` (Basic credentials).
    pub async fn revoke_as_web(&self, token: &str) -> reqwest::Response {
        self.post_form("/revoke", &[("token", token)], Some((WEB, WEB_SECRET)))
            .await
    }

    /// `/userinfo` refuses `access_token` (revoked, or its family was).
    pub async fn assert_access_refused(&self, access_token: &str) {
        let status = self.userinfo_status(access_token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    /// `mobile-app`'s refresh of `refresh_token` is refused with `invalid_grant`.
    pub async fn assert_refresh_refused(&self, refresh_token: &str) {
        let response = self.refresh_mobile(refresh_token).await;
        assert_eq!(error_code(response).await.1, "invalid_grant");
    }

    /// The status `/userinfo` answers for `token`.
    pub async fn userinfo_status(&self, token: &str) -> StatusCode {
        self.userinfo(token).await.status()
    }

    /// `mobile-app`'s tokens refreshed with `refresh_token`; the refresh must succeed.
    pub async fn refreshed_mobile(&self, refresh_token: &str) -> TokenResponse {
        tokens(self.refresh_mobile(refresh_token).await).await
    }

    /// Signs `user` in on `mobile-app` and refreshes once: the first tokens and the refreshed.
    pub async fn mobile_tokens_refreshed_once(&self, user: &str) -> (TokenResponse, TokenResponse) {
        let first = self.idp.mobile_tokens(user).await;
        let second = self.refreshed_mobile(&first.refresh_token).await;
        (first, second)
    }

    pub async fn refresh_mobile(&self, refresh_token: &str) -> reqwest::Response {
        self.post_form(
            "/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("client_id", MOBILE),
            ],
            None,
        )
        .await
    }

    pub async fn userinfo(&self, token: &str) -> reqwest::Response {
        let request = self.http.get(format!("{}/userinfo", self.url));
        request.bearer_auth(token).send().await.unwrap()
    }

    pub async fn jwks(&self) -> JwkSet {
        self.get("/jwks").await.json().await.unwrap()
    }

    /// Verifies a JWT against the published JWKS the way a relying party would.
    pub async fn verify(&self, token: &str, typ: &str, audience: &str) -> TokenData<Value> {
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.typ.as_deref(), Some(typ));
        let kid = header.kid.expect("a kid");
        let jwks = self.jwks().await;
        let jwk = jwks.find(&kid).expect("the kid is published");
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[&self.url]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap()
    }

    /// The claims of an access token (`typ` `at+jwt`) for `audience`, verified.
    pub async fn access_claims(&self, token: &str, audience: &str) -> Value {
        self.verify(token, "at+jwt", audience).await.claims
    }
}

/// Asserts that `html` does not hold `raw` and holds `escaped`: a reflected value, escaped.
#[track_caller]
pub fn assert_escaped(html: &str, raw: &str, escaped: &str) {
    assert!(!html.contains(raw));
    assert!(html.contains(escaped));
}

pub async fn error_code(response: reqwest::Response) -> (StatusCode, String) {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

pub async fn tokens(response: reqwest::Response) -> TokenResponse {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}
