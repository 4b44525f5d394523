//! Spawning the app against an in-process identity provider (dev-idp's `TestIdp`) and
//! in-process demo upstreams (accounts and recommendations verifying the provider's tokens), one
//! method per endpoint, and the assertions every error test shares.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use bff_mobile::Settings;
use demo_upstreams::Service;
use demo_upstreams::fault::Fault;
use demo_upstreams::testing::{RunningService, TestUpstreams};
use dev_idp::testing::TestIdp;
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::Value;

/// The public screens' deadline in tests: short, so deadline tests are fast.
pub const DEADLINE: Duration = Duration::from_millis(300);
/// The personal screens' deadline in tests: generous, because every call there verifies a
/// signed token twice (here and at accounts) in a debug build on a busy machine.
pub const RELAXED_DEADLINE: Duration = Duration::from_secs(2);
/// How far past the deadline a screen may answer (scheduling, a debug build, a busy machine).
pub const SLACK: Duration = Duration::from_millis(200);

/// An upstream slower than any screen's deadline in tests.
pub const SLOW: Fault = Fault::Delay(Duration::from_secs(2));

/// Fails unless the screen started at `started` answered within [`DEADLINE`] + [`SLACK`].
#[track_caller]
pub fn assert_within_deadline(started: Instant) {
    let elapsed = started.elapsed();
    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
}

/// Awaits `request`; returns its output and how long it took.
pub async fn timed<T>(request: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = request.await;
    (output, started.elapsed())
}

/// The app under test, the provider and the upstreams it talks to.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The demo upstreams (faults, request logs).
    pub upstreams: TestUpstreams,
    /// The identity provider that issues the app's tokens.
    pub idp: TestIdp,
    /// `http://127.0.0.1:PORT` of the admin listener (`/metrics`, `/readyz`).
    pub admin_address: String,
    client: reqwest::Client,
}

/// Spawns the app with test deadlines against a fresh provider and fresh upstreams.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app as [`spawn_app`] does, with `service` answering every request with `fault`.
pub async fn spawn_app_with_fault(service: Service, fault: Fault) -> TestApp {
    let app = spawn_app().await;
    app.upstreams.service(service).set_fault(fault);
    app
}

/// Calls accounts and recommendations with the app's own token, unexchanged (no `audience`): a
/// provider that puts every audience in one token, or one that cannot exchange (the mock).
pub fn forward_user_tokens(settings: &mut Settings) {
    settings.upstreams.accounts.audience = None;
    settings.upstreams.recommendations.audience = None;
}

/// The claims of a JWT, unverified (a token the test got from a real server).
pub fn claims_of(token: &str) -> Value {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

/// Spawns the app with test deadlines, then `configure` applied to its settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let idp = TestIdp::spawn().await;
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    spawn_app_against(idp, upstreams, configure).await
}

/// Spawns the app against `idp` and `upstreams` (already verifying `idp`'s tokens), with test
/// deadlines, then `configure` applied to its settings.
pub async fn spawn_app_against(
    idp: TestIdp,
    upstreams: TestUpstreams,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings::defaults().expect("the defaults are valid");
    upstreams.point(&mut settings.upstreams);
    settings.auth.jwt.issuer = idp.url();
    settings.screens.home = DEADLINE;
    settings.screens.product = DEADLINE;
    settings.screens.search = DEADLINE;
    settings.screens.me = RELAXED_DEADLINE;
    settings.screens.cart = RELAXED_DEADLINE;
    configure(&mut settings);
    warm_up(&upstreams).await;
    let state = bff_mobile::AppState::new(settings)
        .await
        .expect("the app builds");
    let admin_address = shared::test_server::serve_admin(bff_mobile::admin_routes(&state)).await;
    let address = serve(bff_mobile::app(state)).await;
    TestApp {
        address,
        admin_address,
        upstreams,
        idp,
        client: client(),
    }
}

/// Builds the catalog's search index (made on the first search, and slow in a debug build) so
/// that no test's screen deadline pays for it, then forgets the request.
async fn warm_up(upstreams: &TestUpstreams) {
    let url = format!("{}/products/search?q=warm&limit=1", upstreams.catalog.url());
    let response = reqwest::get(url).await.expect("the catalog answers");
    assert_eq!(response.status(), 200);
    upstreams.catalog.reset_log();
}

/// Serves `app` on a random port of 127.0.0.1; returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    shared::test_server::serve(app).await
}

/// A client that follows no redirects and asks for no compression (sizes are uncompressed).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// The admin listener's `/metrics` text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.admin_address))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// GETs a path of the app, as given (no re-encoding).
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.get_with(path_and_query, &[]).await
    }

    /// GETs a path of the app with extra request headers.
    pub async fn get_with(
        &self,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path_and_query}", self.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the app answers")
    }

    /// `GET /v1/home`.
    pub async fn get_home(&self) -> reqwest::Response {
        self.get("/v1/home").await
    }

    /// `GET /v1/products/{id}`; `id` is put into the path as given (already encoded).
    pub async fn get_product(&self, id: &str) -> reqwest::Response {
        self.get(&format!("/v1/products/{id}")).await
    }

    /// `GET /v1/search?{query}`; `query` is sent as given (already encoded).
    pub async fn get_search(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/v1/search?{query}")).await
    }

    /// Sends `method path_and_query` with `headers` (appended: a name may repeat) and an
    /// optional JSON body (sent as `application/json`).
    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        json: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path_and_query}", self.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = json {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        request.send().await.expect("the app answers")
    }

    /// Sends `method path_and_query` with `headers` and `body` exactly as given.
    pub async fn send_raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: String,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method, format!("{}{path_and_query}", self.address))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the app answers")
    }

    /// Sends `method path_and_query` with `token` as bearer and an optional JSON body.
    pub async fn send_as(
        &self,
        token: &str,
        method: Method,
        path_and_query: &str,
        json: Option<&Value>,
    ) -> reqwest::Response {
        self.send(method, path_and_query, &[bearer(token).as_header()], json)
            .await
    }

    /// `GET /v1/me` with `token` as bearer.
    pub async fn get_me(&self, token: &str) -> reqwest::Response {
        self.send_as(token, Method::GET, "/v1/me", None).await
    }

    /// `GET /v1/cart` with `token` as bearer.
    pub async fn get_cart(&self, token: &str) -> reqwest::Response {
        self.send_as(token, Method::GET, "/v1/cart", None).await
    }

    /// `POST /v1/cart/items` with `token` as bearer and `{"product_id", "quantity"}`.
    pub async fn add_to_cart(
        &self,
        token: &str,
        product_id: &str,
        quantity: u32,
    ) -> reqwest::Response {
        let body = serde_json::json!({"product_id": product_id, "quantity": quantity});
        self.send_as(token, Method::POST, "/v1/cart/items", Some(&body))
            .await
    }

    /// `DELETE /v1/cart/items/{id}` with `token` as bearer; `id` is put into the path as given.
    pub async fn remove_from_cart(&self, token: &str, id: &str) -> reqwest::Response {
        let path = format!("/v1/cart/items/{id}");
        self.send_as(token, Method::DELETE, &path, None).await
    }

    /// A fresh access token of `user` from the provider (authorization code + PKCE, as the app
    /// gets it).
    pub async fn token_of(&self, user: &str) -> String {
        self.idp.mobile_tokens(user).await.access_token
    }

    /// The five upstreams.
    pub fn services(&self) -> [&RunningService; 5] {
        let u = &self.upstreams;
        [
            &u.catalog,
            &u.offers,
            &u.reviews,
            &u.recommendations,
            &u.accounts,
        ]
    }

    /// Requests each upstream received since the last reset, in [`Self::services`]' order:
    /// catalog, offers, reviews, recommendations, accounts.
    pub fn hits(&self) -> [usize; 5] {
        self.services().map(RunningService::hits)
    }

    /// Requests received by all five upstreams since the last reset.
    pub fn upstream_hits(&self) -> usize {
        self.services().iter().map(|service| service.hits()).sum()
    }

    /// Forgets what every upstream received so far.
    pub fn reset_upstream_logs(&self) {
        let u = &self.upstreams;
        for service in [
            &u.catalog,
            &u.offers,
            &u.reviews,
            &u.recommendations,
            &u.accounts,
        ] {
            service.reset_log();
        }
    }
}

/// A route to call: method, path and query, and the JSON body if it takes one.
pub type Route = (Method, &'static str, Option<Value>);

/// `POST /v1/cart/items` with a valid body: one `product_id`.
pub fn post_cart_item(product_id: &str) -> Route {
    let line = serde_json::json!({"product_id": product_id, "quantity": 1});
    (Method::POST, "/v1/cart/items", Some(line))
}

/// Every route that takes a bearer token, with a body where it needs one: the personal ones,
/// then `/v1/home` (anonymous without a header, and it must refuse an invalid one all the same).
pub fn token_routes() -> Vec<Route> {
    vec![
        (Method::GET, "/v1/me", None),
        (Method::GET, "/v1/cart", None),
        post_cart_item("p00001"),
        (Method::DELETE, "/v1/cart/items/p00001", None),
        (Method::GET, "/v1/home", None),
    ]
}

/// An `Authorization: Bearer …` header value.
pub struct Bearer(String);

/// `Authorization: Bearer {token}`.
pub fn bearer(token: &str) -> Bearer {
    Bearer(format!("Bearer {token}"))
}

impl Bearer {
    /// The `(name, value)` pair for [`TestApp::send`].
    pub fn as_header(&self) -> (&'static str, &str) {
        (AUTHORIZATION.as_str(), &self.0)
    }
}

/// Asserts a 401 problem whose `WWW-Authenticate` is `challenge`, that does not echo
/// `not_echoed`.
pub async fn assert_unauthorized(
    response: reqwest::Response,
    challenge: &str,
    not_echoed: &[&str],
) -> Value {
    let status = response.status();
    let www_authenticate: Vec<String> = response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert_eq!(status, 401);
    assert_eq!(www_authenticate, [challenge]);
    assert_problem(response, 401, not_echoed).await
}

/// The challenge of a request without credentials (RFC 6750 §3.1: no error code).
pub const NO_TOKEN: &str = "Bearer";
/// The challenge of a request with an invalid token.
pub const INVALID_TOKEN: &str = r#"Bearer error="invalid_token""#;

pub use shared::test_server::cache_control;

/// Whether the response's `Vary` names `name` (case-insensitively, any line).
pub fn varies_on(response: &reqwest::Response, name: &str) -> bool {
    response
        .headers()
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .any(|item| item.trim().eq_ignore_ascii_case(name))
}

/// Asserts a 200 JSON screen and returns its body.
pub async fn screen_json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{:?}", response.headers());
    let content_type = response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

/// Asserts a 200 JSON public screen that no cache may keep (`no-cache`: a partial screen) and
/// that names exactly `sections` as `degraded`; returns its body.
pub async fn degraded_json(response: reqwest::Response, sections: &[&str]) -> Value {
    assert_eq!(cache_control(&response), "no-cache");
    let screen = screen_json(response).await;
    assert_eq!(screen["degraded"], serde_json::json!(sections), "{screen}");
    screen
}

pub use shared::test_server::{assert_problem, cart_lines, each_str};

/// The width a rendition URL names (`…/960.svg` → 960).
pub fn rendition_width(url: &Value) -> u32 {
    let url = url.as_str().expect("an image URL");
    url.rsplit('/')
        .next()
        .and_then(|file| file.strip_suffix(".svg"))
        .and_then(|width| width.parse().ok())
        .unwrap_or_else(|| panic!("not a rendition URL: {url}"))
}

/// The ids of a list of cards.
pub fn ids(cards: &Value) -> Vec<String> {
    shared::test_server::each_str(cards, "id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Asserts that a card has the mobile shape: id, name, a display price, a one-decimal rating
/// (when rated) and one image URL, nothing else.
pub fn assert_card(card: &Value) {
    let object = card.as_object().expect("a card is an object");
    for key in object.keys() {
        assert!(
            ["id", "name", "price", "rating", "image"].contains(&key.as_str()),
            "unexpected card field {key}: {card}"
        );
    }
    assert!(
        card["id"].as_str().is_some_and(|id| id.starts_with('p')),
        "{card}"
    );
    assert!(
        card["name"].as_str().is_some_and(|n| !n.is_empty()),
        "{card}"
    );
    let price = card["price"].as_str().expect("a display price");
    assert!(price.starts_with('€') && price.contains('.'), "{price}");
    if let Some(rating) = card.get("rating") {
        let rating = rating.as_f64().unwrap();
        assert!((0.0..=5.0).contains(&rating), "{rating}");
        assert!(
            ((rating * 10.0).round() - rating * 10.0).abs() < 1e-6,
            "{rating}"
        );
    }
    rendition_width(&card["image"]);
}

/// Asserts a shelf of `count` cards, each of the mobile shape ([`assert_card`]).
#[track_caller]
pub fn assert_cards(shelf: &Value, count: usize) {
    let cards = shelf.as_array().expect("a list of cards");
    assert_eq!(cards.len(), count, "{shelf}");
    cards.iter().for_each(assert_card);
}
