//! Test kit of the auth tests: signing keys, a token forge that writes any header, and a
//! counting mock provider (discovery + JWKS) whose JWKS can go down, slow or huge on demand.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use p256::pkcs8::EncodePrivateKey as _;
use rand::RngCore as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A fixed 2048-bit RSA key for RS256 tests (generating one per test is slow in debug builds).
const RSA_TEST_KEY: &str = include_str!("rsa_test_key.pem");

/// A signing key and its public JWK.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub public_jwk: Value,
}

impl TestKey {
    /// A fresh P-256 key.
    pub fn es256(kid: &str) -> Self {
        let secret = loop {
            let mut bytes = [0_u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
                break key;
            }
        };
        let der = secret.to_pkcs8_der().expect("PKCS#8");
        let encoding = EncodingKey::from_ec_der(der.as_bytes());
        Self::with(kid, Algorithm::ES256, encoding)
    }

    /// The fixed RSA test key.
    pub fn rs256(kid: &str) -> Self {
        let encoding = EncodingKey::from_rsa_pem(RSA_TEST_KEY.as_bytes()).expect("RSA test key");
        Self::with(kid, Algorithm::RS256, encoding)
    }

    fn with(kid: &str, alg: Algorithm, encoding: EncodingKey) -> Self {
        let jwk = Jwk::from_encoding_key(&encoding, alg).expect("public JWK");
        let mut public_jwk = serde_json::to_value(jwk).expect("JWK JSON");
        public_jwk["kid"] = json!(kid);
        public_jwk["use"] = json!("sig");
        Self {
            kid: kid.to_owned(),
            alg,
            encoding,
            public_jwk,
        }
    }

    /// The public key's JWK as the HMAC secret of an algorithm-confusion attack.
    pub fn public_bytes(&self) -> Vec<u8> {
        self.public_jwk.to_string().into_bytes()
    }
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How to sign a forged token.
pub enum Signer<'a> {
    /// With the key, using the header's `alg` (which must fit the key).
    Key(&'a TestKey),
    /// HMAC with a secret (the header's `alg` must be HS*).
    Hmac(Vec<u8>, Algorithm),
    /// No signature part at all: `header.payload.`
    Empty,
    /// A signature part that is not a signature.
    Garbage,
}

/// A compact JWS with exactly this header and these claims.
pub fn forge(header: &Value, claims: &Value, signer: Signer<'_>) -> String {
    let message = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = match signer {
        Signer::Key(key) => {
            jsonwebtoken::crypto::sign(message.as_bytes(), &key.encoding, key.alg).expect("signing")
        }
        Signer::Hmac(secret, alg) => {
            jsonwebtoken::crypto::sign(message.as_bytes(), &EncodingKey::from_secret(&secret), alg)
                .expect("HMAC signing")
        }
        Signer::Empty => String::new(),
        Signer::Garbage => b64(b"not a signature at all"),
    };
    format!("{message}.{signature}")
}

/// Merges `patch` into `base`; a `null` in the patch removes the member.
pub fn patched(base: &Value, patch: &Value) -> Value {
    let mut merged = base.clone();
    if let (Some(target), Some(patch)) = (merged.as_object_mut(), patch.as_object()) {
        for (name, value) in patch {
            if value.is_null() {
                target.remove(name);
            } else {
                target.insert(name.clone(), value.clone());
            }
        }
    }
    merged
}

/// What the mock JWKS endpoint does.
#[derive(Clone, Debug)]
pub enum JwksMode {
    /// Serves the current keys.
    Normal,
    /// Answers 503.
    Down,
    /// Serves the keys padded to this many bytes.
    Oversized(usize),
    /// Waits this long before answering.
    Slow(Duration),
}

/// What the mock token endpoint does.
#[derive(Clone, Debug)]
pub enum TokenMode {
    /// `{"error": "invalid_grant"}` with 400.
    InvalidGrant,
    /// A 200 body of this many bytes.
    Oversized(usize),
    /// Waits this long before answering.
    Slow(Duration),
    /// A 302 to another host (which must not be followed).
    Redirect,
    /// Answers 503.
    Down,
    /// A token exchange answer (RFC 8693): `exchanged-<n>` valid for this many seconds.
    Exchanged(u64),
}

pub struct MockState {
    pub token_mode: Mutex<TokenMode>,
    pub token_hits: AtomicUsize,
    pub issuer: Mutex<String>,
    /// The issuer the discovery document claims (defaults to the real one).
    pub claimed_issuer: Mutex<Option<String>>,
    pub keys: Mutex<Vec<Value>>,
    pub mode: Mutex<JwksMode>,
    pub jwks_hits: AtomicUsize,
    pub discovery_hits: AtomicUsize,
    /// Discovery answers 503 while set.
    pub discovery_down: AtomicBool,
    pub other_hits: AtomicUsize,
    /// The `token_endpoint_auth_methods_supported` the discovery document lists, if any.
    pub auth_methods: Mutex<Option<Vec<String>>>,
    /// Every token request: its `Authorization` header and its form body.
    pub token_requests: Mutex<Vec<(Option<String>, String)>>,
}

/// A counting provider: `/.well-known/openid-configuration`, `/jwks`; every other path is
/// counted in `other_hits` and answers with the JWKS too (so it can pose as a `jku` target).
pub struct MockProvider {
    pub url: String,
    pub state: Arc<MockState>,
    task: tokio::task::AbortHandle,
}

impl Drop for MockProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockProvider {
    pub async fn spawn(keys: &[&TestKey]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let url = format!("http://{addr}");
        let state = Arc::new(MockState {
            token_mode: Mutex::new(TokenMode::InvalidGrant),
            token_hits: AtomicUsize::new(0),
            issuer: Mutex::new(url.clone()),
            claimed_issuer: Mutex::new(None),
            keys: Mutex::new(keys.iter().map(|k| k.public_jwk.clone()).collect()),
            mode: Mutex::new(JwksMode::Normal),
            jwks_hits: AtomicUsize::new(0),
            discovery_hits: AtomicUsize::new(0),
            discovery_down: AtomicBool::new(false),
            other_hits: AtomicUsize::new(0),
            auth_methods: Mutex::new(None),
            token_requests: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", axum::routing::post(token))
            .fallback(other)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("mock provider");
        })
        .abort_handle();
        Self { url, state, task }
    }

    pub fn jwks_uri(&self) -> url::Url {
        format!("{}/jwks", self.url).parse().expect("URL")
    }

    pub fn jwks_hits(&self) -> usize {
        self.state.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn other_hits(&self) -> usize {
        self.state.other_hits.load(Ordering::SeqCst)
    }

    pub fn set_mode(&self, mode: JwksMode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn publish(&self, key: &TestKey) {
        self.state.keys.lock().unwrap().push(key.public_jwk.clone());
    }

    pub fn set_token_mode(&self, mode: TokenMode) {
        *self.state.token_mode.lock().unwrap() = mode;
    }

    pub fn token_hits(&self) -> usize {
        self.state.token_hits.load(Ordering::SeqCst)
    }

    pub fn discovery_hits(&self) -> usize {
        self.state.discovery_hits.load(Ordering::SeqCst)
    }

    pub fn set_discovery_down(&self, down: bool) {
        self.state.discovery_down.store(down, Ordering::SeqCst);
    }

    /// Lists these client authentication methods in the discovery document.
    pub fn set_auth_methods(&self, methods: &[&str]) {
        *self.state.auth_methods.lock().unwrap() =
            Some(methods.iter().map(|m| (*m).to_owned()).collect());
    }

    /// The token requests so far: `Authorization` header and form body.
    pub fn token_requests(&self) -> Vec<(Option<String>, String)> {
        self.state.token_requests.lock().unwrap().clone()
    }

    pub fn claim_issuer(&self, issuer: &str) {
        *self.state.claimed_issuer.lock().unwrap() = Some(issuer.to_owned());
    }
}

async fn discovery(State(state): State<Arc<MockState>>) -> Response {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    if state.discovery_down.load(Ordering::SeqCst) {
        return axum::http::StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let issuer = state.issuer.lock().unwrap().clone();
    let claimed = state
        .claimed_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| issuer.clone());
    let mut document = json!({
        "issuer": claimed,
        "jwks_uri": format!("{issuer}/jwks"),
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
    });
    if let Some(methods) = state.auth_methods.lock().unwrap().clone() {
        document["token_endpoint_auth_methods_supported"] = json!(methods);
    }
    axum::Json(document).into_response()
}

async fn jwks(State(state): State<Arc<MockState>>) -> Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    serve_keys(&state).await
}

async fn other(State(state): State<Arc<MockState>>) -> Response {
    state.other_hits.fetch_add(1, Ordering::SeqCst);
    serve_keys(&state).await
}

async fn serve_keys(state: &MockState) -> Response {
    let mode = state.mode.lock().unwrap().clone();
    let keys = state.keys.lock().unwrap().clone();
    match mode {
        JwksMode::Normal => axum::Json(json!({ "keys": keys })).into_response(),
        JwksMode::Down => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        JwksMode::Oversized(bytes) => {
            axum::Json(json!({ "keys": keys, "padding": "x".repeat(bytes) })).into_response()
        }
        JwksMode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            axum::Json(json!({ "keys": keys })).into_response()
        }
    }
}

async fn token(
    State(state): State<Arc<MockState>>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    let n = state.token_hits.fetch_add(1, Ordering::SeqCst) + 1;
    let authorization = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state
        .token_requests
        .lock()
        .unwrap()
        .push((authorization, body));
    let mode = state.token_mode.lock().unwrap().clone();
    match mode {
        TokenMode::InvalidGrant => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response(),
        TokenMode::Oversized(bytes) => axum::Json(json!({
            "access_token": "x".repeat(bytes),
            "token_type": "Bearer",
        }))
        .into_response(),
        TokenMode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        TokenMode::Redirect => (
            StatusCode::FOUND,
            [(axum::http::header::LOCATION, "http://127.0.0.1:9/steal")],
        )
            .into_response(),
        TokenMode::Down => (StatusCode::SERVICE_UNAVAILABLE, "down: secret detail").into_response(),
        TokenMode::Exchanged(expires_in) => {
            // Slow enough that concurrent identical exchanges overlap.
            tokio::time::sleep(Duration::from_millis(50)).await;
            axum::Json(json!({
            "access_token": format!("exchanged-{n}"),
            "token_type": "Bearer",
            "expires_in": expires_in,
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            }))
            .into_response()
        }
    }
}
