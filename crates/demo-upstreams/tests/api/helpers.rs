//! Spawning the services and speaking to them.

use std::time::Duration;

use demo_upstreams::config::DemoConfig;
use demo_upstreams::testing::{RunningService, TestUpstreams};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;
pub use shared::test_server::{cart_lines, each_str, each_u64};

/// The five services and an HTTP client.
pub struct TestApp {
    pub up: TestUpstreams,
    pub http: reqwest::Client,
}

/// A response read completely.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A header as a string ("" if absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem+json response with `status` and returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(self.header("content-type"), "application/problem+json");
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string(), "{body}");
        assert!(body["type"].is_string(), "{body}");
        assert!(body["detail"].is_string(), "{body}");
        body
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a reqwest client")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self {
            up: TestUpstreams::spawn().await,
            http: client(),
        }
    }

    pub async fn spawn_with(config: DemoConfig) -> Self {
        Self {
            up: TestUpstreams::spawn_with(config).await,
            http: client(),
        }
    }

    pub async fn get(&self, service: &RunningService, path: &str) -> Reply {
        self.send(self.http.get(format!("{}{path}", service.url())))
            .await
    }

    /// `GET`s `path` and asserts a problem+json answer of `status` ([`Reply::problem`]); a
    /// failure names the path. Returns the problem.
    pub async fn get_problem(&self, service: &RunningService, path: &str, status: u16) -> Value {
        let reply = self.get(service, path).await;
        assert_eq!(reply.status.as_u16(), status, "GET {path}: {}", reply.text);
        reply.problem(status)
    }

    /// `GET` from the catalog, the service most tests read.
    pub async fn catalog(&self, path: &str) -> Reply {
        self.get(&self.up.catalog, path).await
    }

    /// `GET` from the offers service.
    pub async fn offers(&self, path: &str) -> Reply {
        self.get(&self.up.offers, path).await
    }

    /// `GET` from the reviews service.
    pub async fn reviews(&self, path: &str) -> Reply {
        self.get(&self.up.reviews, path).await
    }

    /// `GET`s `path` and returns as soon as the headers arrive, the body unread (for faults
    /// that cut or never end it).
    pub async fn get_headers(&self, service: &RunningService, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", service.url()))
            .send()
            .await
            .expect("the headers arrive")
    }

    pub async fn get_with_token(&self, service: &RunningService, path: &str, token: &str) -> Reply {
        let authorization = format!("Bearer {token}");
        self.get_with_header(service, path, "authorization", &authorization)
            .await
    }

    /// `GET` with one request header `name: value`.
    pub async fn get_with_header(
        &self,
        service: &RunningService,
        path: &str,
        name: &str,
        value: &str,
    ) -> Reply {
        let request = self.http.get(format!("{}{path}", service.url()));
        self.send(request.header(name, value)).await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the service answers");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("a complete body"),
        }
    }

    /// `PUT /_control/fault` with a JSON body.
    pub async fn put_fault(&self, service: &RunningService, body: Value) -> Reply {
        self.send(
            self.http
                .put(format!("{}/_control/fault", service.url()))
                .json(&body),
        )
        .await
    }

    /// `GET /_control/stats` → `requests`.
    pub async fn stats(&self, service: &RunningService) -> u64 {
        self.get(service, "/_control/stats").await.json()["requests"]
            .as_u64()
            .expect("requests is a number")
    }
}

/// `p00001,p00002,...,p{n}`.
pub fn ids(range: std::ops::RangeInclusive<usize>) -> String {
    range
        .map(|i| format!("p{i:05}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether `content_type` is JSON.
pub fn is_json(reply: &Reply) -> bool {
    reply
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}
