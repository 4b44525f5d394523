//! Spawning the app against in-process demo upstreams, one method per endpoint, and the
//! assertions every error test shares.

use std::time::Duration;

use bff_mobile::Settings;
use demo_upstreams::testing::TestUpstreams;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;

/// Each screen's deadline in tests: short, so deadline tests are fast.
pub const DEADLINE: Duration = Duration::from_millis(300);
/// How far past the deadline a screen may answer (scheduling, a debug build, a busy machine).
pub const SLACK: Duration = Duration::from_millis(200);

/// The app under test and the upstreams it talks to.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The demo upstreams (faults, request logs).
    pub upstreams: TestUpstreams,
    client: reqwest::Client,
}

/// Spawns the app with test deadlines against fresh upstreams.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app with test deadlines, then `configure` applied to its settings.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let upstreams = TestUpstreams::spawn().await;
    let mut settings = Settings::defaults().expect("the defaults are valid");
    settings.upstreams.catalog.url = upstreams.catalog.url().parse().unwrap();
    settings.upstreams.offers.url = upstreams.offers.url().parse().unwrap();
    settings.upstreams.reviews.url = upstreams.reviews.url().parse().unwrap();
    settings.upstreams.recommendations.url = upstreams.recommendations.url().parse().unwrap();
    settings.upstreams.accounts.url = upstreams.accounts.url().parse().unwrap();
    settings.screens.home = DEADLINE;
    settings.screens.product = DEADLINE;
    settings.screens.search = DEADLINE;
    configure(&mut settings);
    warm_up(&upstreams).await;
    let app = bff_mobile::build(settings).expect("the app builds");
    let address = serve(app).await;
    TestApp {
        address,
        upstreams,
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    address
}

/// A client that follows no redirects and asks for no compression (sizes are uncompressed).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
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

    /// Requests received by all five upstreams since the last reset.
    pub fn upstream_hits(&self) -> usize {
        let u = &self.upstreams;
        [
            &u.catalog,
            &u.offers,
            &u.reviews,
            &u.recommendations,
            &u.accounts,
        ]
        .iter()
        .map(|service| service.hits())
        .sum()
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

/// Asserts a problem+json response of `status` with a request id, whose body contains none of
/// `not_echoed`; returns its body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    not_echoed: &[&str],
) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    // The request id is random hex: leave it out of the search for echoed input.
    let searched = text.replace(&request_id, "");
    for input in not_echoed {
        assert!(
            !searched.contains(input),
            "the problem echoes {input:?}: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

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
    cards
        .as_array()
        .expect("a list of cards")
        .iter()
        .map(|card| card["id"].as_str().unwrap().to_owned())
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
