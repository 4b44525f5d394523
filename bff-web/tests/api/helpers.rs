//! Spawning the app against in-process demo upstreams, and one method per endpoint.

use std::time::Duration;

use bff_web::Settings;
use demo_upstreams::testing::{RunningService, TestUpstreams};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::Value;

/// The screen deadline of tests about deadlines: short, so they are fast.
pub const DEADLINE: Duration = Duration::from_millis(300);
/// The screen deadline of every other test: generous, because the in-process upstreams run
/// unoptimised and some of their work (a search matching nothing scans every description) takes
/// hundreds of milliseconds in a debug build on a busy machine.
pub const RELAXED_DEADLINE: Duration = Duration::from_secs(2);
/// How far past the deadline a screen may answer (scheduling, a debug build, a busy machine).
pub const SLACK: Duration = Duration::from_millis(200);
/// The eight rendition widths the catalog serves.
pub const WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// The app under test and the upstreams it talks to.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The demo upstreams (faults, request logs).
    pub upstreams: TestUpstreams,
    client: reqwest::Client,
}

/// Spawns the app with relaxed deadlines.
pub async fn spawn_app() -> TestApp {
    spawn_app_with_deadline(RELAXED_DEADLINE).await
}

/// Spawns the app with `deadline` for every screen.
pub async fn spawn_app_with_deadline(deadline: Duration) -> TestApp {
    let upstreams = TestUpstreams::spawn().await;
    let mut settings = Settings::defaults().expect("the defaults are valid");
    settings.upstreams.catalog.url = upstreams.catalog.url().parse().unwrap();
    settings.upstreams.offers.url = upstreams.offers.url().parse().unwrap();
    settings.upstreams.reviews.url = upstreams.reviews.url().parse().unwrap();
    settings.upstreams.recommendations.url = upstreams.recommendations.url().parse().unwrap();
    settings.upstreams.accounts.url = upstreams.accounts.url().parse().unwrap();
    settings.screens.home = deadline;
    settings.screens.product = deadline;
    settings.screens.search = deadline;
    settings.screens.reviews = deadline;
    let app = bff_web::build(settings).expect("the app builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    TestApp {
        address,
        upstreams,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

impl TestApp {
    /// GETs a path of the app, as given (no re-encoding).
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.get_with_request_id(path_and_query, None).await
    }

    /// GETs a path with an `X-Request-Id`.
    pub async fn get_with_request_id(
        &self,
        path_and_query: &str,
        request_id: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path_and_query}", self.address));
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        request.send().await.expect("the app answers")
    }

    /// `GET /api/home`.
    pub async fn get_home(&self) -> reqwest::Response {
        self.get("/api/home").await
    }

    /// `GET /api/products/{id}`; `id` is put into the path as given (already encoded).
    pub async fn get_product(&self, id: &str) -> reqwest::Response {
        self.get(&format!("/api/products/{id}")).await
    }

    /// `GET /api/products/{id}/reviews?{query}`.
    pub async fn get_reviews(&self, id: &str, query: &str) -> reqwest::Response {
        self.get(&format!("/api/products/{id}/reviews?{query}"))
            .await
    }

    /// `GET /api/search?{query}`.
    pub async fn search(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/api/search?{query}")).await
    }

    /// Every upstream, with its name.
    pub fn services(&self) -> [(&'static str, &RunningService); 5] {
        [
            ("catalog", &self.upstreams.catalog),
            ("offers", &self.upstreams.offers),
            ("reviews", &self.upstreams.reviews),
            ("recommendations", &self.upstreams.recommendations),
            ("accounts", &self.upstreams.accounts),
        ]
    }

    /// Requests that reached any upstream.
    pub fn upstream_hits(&self) -> usize {
        self.services().iter().map(|(_, s)| s.hits()).sum()
    }

    /// The path and query of every request `service` received, in order.
    pub fn paths(service: &RunningService) -> Vec<String> {
        service
            .requests()
            .into_iter()
            .map(|r| r.path_and_query)
            .collect()
    }
}

/// Asserts a 200 JSON response and returns its body.
pub async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "body: {body}");
    serde_json::from_str(&body).expect("a JSON body")
}

/// The `Cache-Control` header of a response.
pub fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Asserts an RFC 9457 problem with `status` and a request id, whose body contains none of
/// `never_echoed`; returns the body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    never_echoed: &[&str],
) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get(CONTENT_TYPE).unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body = response.text().await.unwrap();
    let problem: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(problem["status"], status);
    let request_id = problem["request_id"].as_str().unwrap_or_default();
    assert!(!request_id.is_empty(), "{problem}");
    // A random request id may contain anything hexadecimal; look for echoes around it.
    let rest = body.replace(request_id, "");
    for input in never_echoed {
        assert!(
            !rest.contains(input),
            "the problem echoes {input:?}: {body}"
        );
    }
    problem
}

/// Asserts that a card has the web card's shape, an image with every rendition in `srcset` and,
/// when `with_extras`, a price, stock and rating.
pub fn assert_web_card(card: &Value, with_extras: bool) {
    let id = card["id"].as_str().expect("an id");
    assert_eq!(card["href"], format!("/products/{id}"));
    assert!(card["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(card["brand"].as_str().is_some_and(|n| !n.is_empty()));
    let image = &card["image"];
    assert!(
        image["src"].as_str().unwrap().ends_with("/480.svg"),
        "{image}"
    );
    assert_eq!(image["width"], 480);
    assert_eq!(image["height"], 360);
    assert!(image["alt"].is_string());
    assert_srcset_has_every_width(image["srcset"].as_str().unwrap());
    if with_extras {
        let price = &card["price"];
        assert!(price["amount_cents"].as_i64().unwrap() > 0);
        assert_eq!(price["currency"], "EUR");
        assert!(
            price["display"].as_str().unwrap().starts_with('€'),
            "{price}"
        );
        assert!(card["in_stock"].is_boolean());
        assert!(card["rating"]["count"].is_u64());
    }
}

/// Asserts that a `srcset` lists all eight widths, narrowest first.
pub fn assert_srcset_has_every_width(srcset: &str) {
    let widths: Vec<&str> = srcset
        .split(", ")
        .map(|entry| entry.rsplit_once(' ').unwrap().1)
        .collect();
    let expected: Vec<String> = WIDTHS.iter().map(|w| format!("{w}w")).collect();
    assert_eq!(widths, expected, "{srcset}");
}
