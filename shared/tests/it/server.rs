//! The shared server stack: one error format, request ids, panics contained, slow clients cut off.

use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use shared::protect::RateLimitSettings;
use shared::server::{ServeOptions, ServerSettings, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::server_support;

fn settings() -> ServerSettings {
    ServerSettings {
        request_timeout: Duration::from_millis(300),
        header_read_timeout: Duration::from_millis(300),
        compression_min_bytes: 256,
        ..server_support::local_settings()
    }
}

async fn explode() -> &'static str {
    panic!("boom: secret detail")
}

async fn spawn() -> String {
    spawn_with(settings()).await
}

async fn spawn_with(settings: ServerSettings) -> String {
    let routes = Router::new()
        .route("/ok", get(|| async { "x".repeat(4096) }))
        .route("/panic", get(explode))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/echo",
            post(|body: String| async move { body.len().to_string() }),
        )
        .route(
            "/json",
            post(|axum::Json(v): axum::Json<u32>| async move { v.to_string() }),
        );
    let app = shared::server::stack(routes, &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        serve_with(
            listener,
            app,
            &ServeOptions::from(&settings),
            std::future::pending(),
        )
        .await
    });
    format!("http://{addr}")
}

/// `GET /ok` with one header.
async fn get_ok_with(base: &str, name: &str, value: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{base}/ok"))
        .header(name, value)
        .send()
        .await
        .unwrap()
}

async fn assert_problem(response: reqwest::Response, status: u16) -> serde_json::Value {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    body
}

#[tokio::test]
async fn every_error_is_a_problem_with_the_request_id() {
    let base = spawn().await;
    let http = reqwest::Client::new();
    assert_problem(http.get(format!("{base}/nope")).send().await.unwrap(), 404).await;
    assert_problem(http.delete(format!("{base}/ok")).send().await.unwrap(), 405).await;
    let body = assert_problem(
        http.post(format!("{base}/json"))
            .header("content-type", "application/json")
            .body("{\"<script>\"")
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert!(
        !body.to_string().contains("script"),
        "the input is echoed: {body}"
    );
}

#[tokio::test]
async fn after_shutdown_starts_readiness_fails_while_requests_and_metrics_are_still_served_for_the_drain_delay()
 {
    let settings = ServerSettings {
        drain_delay: Duration::from_millis(800),
        ..settings()
    };
    // Readiness depends on no upstream here: it is 200 until the drain starts.
    let upstreams = std::sync::Arc::new(
        shared::upstream::Upstreams::new(&unreachable_upstreams(false)).unwrap(),
    );
    let routes = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .merge(shared::health::liveness());
    let app = shared::server::stack(routes, &settings);
    let readiness = shared::health::Readiness::new(upstreams).routes();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_base = format!("http://{}", admin.local_addr().unwrap());
    let metrics = format!("{admin_base}/metrics");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let options = ServeOptions::from(&settings);
        shared::server::serve_with_admin(listener, app, Some(admin), readiness, &options, async {
            let _ = stopped.await;
        })
        .await
    });
    // A fresh connection per request: what a balancer's probe and a new client do.
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    let readiness_before = fresh()
        .get(format!("{admin_base}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(readiness_before.status(), 200, "not draining yet");

    let started = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let readiness = fresh()
        .get(format!("{admin_base}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(readiness.status(), 503);
    let body: serde_json::Value = readiness.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    let served = fresh().get(format!("{base}/ok")).send().await.unwrap();
    assert_eq!(
        served.status(),
        200,
        "new requests are still served while draining"
    );
    let scraped = fresh().get(&metrics).send().await.unwrap();
    assert_eq!(scraped.status(), 200, "the drain is visible in metrics");

    server.await.unwrap().unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert!(
        fresh().get(format!("{base}/ok")).send().await.is_err(),
        "the listener is closed after the drain delay"
    );
    // The admin listener closes once the app has stopped (its task notices within moments).
    let mut admin_closed = false;
    for _ in 0..50 {
        if fresh().get(&metrics).send().await.is_err() {
            admin_closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(admin_closed, "the admin listener outlived the app");
}

#[tokio::test]
async fn a_query_that_is_not_utf8_once_decoded_is_a_400_and_utf8_passes() {
    let base = spawn().await;
    let http = reqwest::Client::new();
    for query in ["q=%FF", "q=caf%C3", "%FE=x", "a=1&q=%C3+%A9"] {
        let response = http.get(format!("{base}/ok?{query}")).send().await.unwrap();
        let body = assert_problem(response, 400).await;
        assert!(
            body["detail"].as_str().unwrap().contains("UTF-8"),
            "{query}"
        );
    }
    for query in ["q=caf%C3%A9", "q=a+b&x=%E2%82%AC", "q=50%25", "flag", ""] {
        let response = http.get(format!("{base}/ok?{query}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{query}");
    }
}

#[tokio::test]
async fn a_panic_is_a_generic_500_and_the_server_keeps_serving() {
    let base = spawn().await;
    let body = assert_problem(reqwest::get(format!("{base}/panic")).await.unwrap(), 500).await;
    assert!(!body.to_string().contains("secret"));
    assert_eq!(
        reqwest::get(format!("{base}/ok")).await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn a_request_over_the_timeout_is_a_503_with_retry_after() {
    let base = spawn().await;
    let response = reqwest::get(format!("{base}/slow")).await.unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_problem(response, 503).await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413() {
    let base = spawn().await;
    let http = reqwest::Client::new();
    let echo = |bytes: usize| {
        http.post(format!("{base}/echo"))
            .body("x".repeat(bytes))
            .send()
    };
    assert_problem(echo(2048).await.unwrap(), 413).await;
    assert_eq!(echo(100).await.unwrap().text().await.unwrap(), "100");
}

#[tokio::test]
async fn a_plain_client_request_id_is_kept_and_a_hostile_one_replaced() {
    let base = spawn().await;
    let kept = get_ok_with(&base, "x-request-id", "abc-123").await;
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
    let replaced = get_ok_with(&base, "x-request-id", "a b\"<x>").await;
    assert_ne!(replaced.headers()["x-request-id"], "a b\"<x>");
}

#[tokio::test]
async fn large_responses_are_compressed_for_clients_that_accept_it() {
    let base = spawn().await;
    let response = get_ok_with(&base, "accept-encoding", "gzip").await;
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_disconnected() {
    let base = spawn().await;
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Never finish the head: the server must give up after its header-read timeout.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 3 s");
}

#[tokio::test]
async fn a_repeated_get_with_the_etag_is_answered_304_without_a_body() {
    let base = spawn().await;
    let http = reqwest::Client::new();
    let first = http.get(format!("{base}/ok")).send().await.unwrap();
    let etag = first.headers()["etag"].clone();
    assert!(etag.to_str().unwrap().starts_with("W/\""));
    let second = get_ok_with(&base, "if-none-match", etag.to_str().unwrap()).await;
    assert_eq!(second.status(), 304);
    assert_eq!(second.headers()["etag"], etag);
    assert!(second.bytes().await.unwrap().is_empty());
    let stale = get_ok_with(&base, "if-none-match", "W/\"0\"").await;
    assert_eq!(stale.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status_on_the_admin_listener_only() {
    let base = spawn().await;
    for _ in 0..3 {
        reqwest::get(format!("{base}/ok")).await.unwrap();
    }
    // Not on the public port: a problem 404, no counter.
    let public = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(public.status(), 404);
    let body = public.text().await.unwrap();
    assert!(!body.contains("http_requests_total"), "{body}");

    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin_base = format!("http://{}", admin.local_addr().unwrap());
    tokio::spawn(shared::server::serve_admin(
        admin,
        Router::new(),
        std::future::pending(),
    ));
    let text = reqwest::get(format!("{admin_base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total{")
                && l.contains("route=\"/ok\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no counter for /ok in:\n{text}"));
    let count: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 3.0, "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    // The admin listener serves nothing else.
    let other = reqwest::get(format!("{admin_base}/ok")).await.unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn metrics_on_the_public_port_only_when_the_settings_relax_it() {
    let base = spawn_with(ServerSettings {
        metrics_on_public_port: true,
        trust_inbound_traceparent: Default::default(),
        ..settings()
    })
    .await;
    reqwest::get(format!("{base}/ok")).await.unwrap();
    let metrics = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("http_requests_total")
    );
}

#[test]
fn the_admin_port_defaults_to_the_public_port_plus_1000() {
    let at = |port: u16, admin_port: Option<u16>| {
        ServerSettings {
            port,
            admin_port,
            ..settings()
        }
        .admin_addr()
        .map(|addr| addr.map(|addr| addr.port()))
    };
    assert_eq!(at(8080, None).unwrap(), Some(9080));
    assert_eq!(at(8080, Some(9100)).unwrap(), Some(9100));
    assert_eq!(
        at(0, None).unwrap(),
        Some(0),
        "a random public port, a random admin port"
    );
    assert!(at(65000, None).is_err(), "no port 66000");
    let relaxed = ServerSettings {
        metrics_on_public_port: true,
        trust_inbound_traceparent: Default::default(),
        ..settings()
    };
    assert_eq!(relaxed.admin_addr().unwrap(), None);
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let base = spawn_with(ServerSettings {
        rate_limit: RateLimitSettings {
            enabled: true,
            per_second: 1,
            burst: 3,
            trusted_proxies: Vec::new(),
        },
        ..settings()
    })
    .await;
    let http = reqwest::Client::new();
    for _ in 0..3 {
        assert_eq!(
            http.get(format!("{base}/ok"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    let refused = http.get(format!("{base}/ok")).send().await.unwrap();
    assert!(
        refused.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_problem(refused, 429).await;
}

/// The status of GET `/ok` sent with `X-Forwarded-For: forwarded_for`.
async fn status_forwarded_for(base: &str, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}/ok"))
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_rate_and_cannot_pick_another() {
    let limited = |trusted_proxies: Vec<String>| ServerSettings {
        rate_limit: RateLimitSettings {
            enabled: true,
            per_second: 1,
            burst: 2,
            trusted_proxies,
        },
        ..settings()
    };
    // The test client plays the load balancer at 127.0.0.1.
    let base = spawn_with(limited(vec!["127.0.0.0/8".into()])).await;
    for _ in 0..2 {
        assert_eq!(status_forwarded_for(&base, "203.0.113.7").await, 200);
    }
    assert_eq!(status_forwarded_for(&base, "203.0.113.7").await, 429);
    assert_eq!(
        status_forwarded_for(&base, "203.0.113.8").await,
        200,
        "another user behind the same balancer keeps their share"
    );
    // The client writes what it likes left of what the balancer appended: not believed.
    assert_eq!(
        status_forwarded_for(&base, "198.51.100.1, 203.0.113.7").await,
        429
    );
    assert_eq!(
        status_forwarded_for(&base, "not-an-address, 203.0.113.7").await,
        429
    );

    // Without trusted proxies the header is ignored: rotating it does not reset the limit.
    let base = spawn_with(limited(Vec::new())).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        statuses.push(status_forwarded_for(&base, &format!("203.0.113.{i}")).await);
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[test]
fn a_trusted_proxy_that_is_not_an_address_or_a_range_fails_the_start_naming_the_key() {
    let mut settings = settings();
    settings.rate_limit.trusted_proxies = vec!["10.0.0.0/8".into(), "::1".into()];
    settings.validate().unwrap();
    settings
        .rate_limit
        .trusted_proxies
        .push("10.0.0.0/33".into());
    let error = settings.validate().unwrap_err().to_string();
    assert!(
        error.contains("server.rate_limit.trusted_proxies"),
        "{error}"
    );
    assert!(error.contains("10.0.0.0/33"), "{error}");
}

#[tokio::test]
async fn requests_above_the_concurrency_limit_are_shed_with_503() {
    let base = spawn_with(ServerSettings {
        max_in_flight: 1,
        request_timeout: Duration::from_secs(2),
        ..settings()
    })
    .await;
    let slow = tokio::spawn(reqwest::get(format!("{base}/slow")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shed = reqwest::get(format!("{base}/ok")).await.unwrap();
    assert_eq!(shed.headers()["retry-after"], "1");
    assert_problem(shed, 503).await;
    slow.abort();
}

#[tokio::test]
async fn the_local_health_check_sees_a_live_server_and_not_a_dead_port() {
    let routes = Router::new().merge(shared::health::liveness::<()>());
    let routes = shared::server::stack(routes, &settings());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(shared::server::serve(
        listener,
        routes,
        std::future::pending(),
    ));
    assert!(shared::health::check_local(port).await);
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = free.local_addr().unwrap().port();
    drop(free);
    assert!(!shared::health::check_local(dead).await);
}

fn dead_upstreams() -> shared::upstream::UpstreamsSettings {
    unreachable_upstreams(true)
}

/// Upstreams nobody listens for; `required` says whether readiness depends on them.
fn unreachable_upstreams(required: bool) -> shared::upstream::UpstreamsSettings {
    let one = shared::upstream::UpstreamSettings {
        url: "http://127.0.0.1:9".parse().unwrap(),
        connect_timeout: Duration::from_millis(100),
        timeout: Duration::from_millis(200),
        max_body_bytes: 1024,
        pool_max_idle: 1,
        required_for_readiness: required,
        resilience: Default::default(),
        cache: Default::default(),
        audience: None,
    };
    shared::upstream::UpstreamsSettings {
        catalog: one.clone(),
        offers: one.clone(),
        reviews: one.clone(),
        recommendations: one.clone(),
        accounts: one,
    }
}

#[tokio::test]
async fn readiness_fails_while_a_required_upstream_is_unreachable() {
    let readiness = shared::health::Readiness::new(std::sync::Arc::new(
        shared::upstream::Upstreams::new(&dead_upstreams()).unwrap(),
    ));
    let routes = Router::new().merge(readiness.routes::<()>());
    // Through the whole stack: the 503 keeps its document, not a generic problem.
    let routes = shared::server::stack(routes, &settings());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shared::server::serve(
        listener,
        routes,
        std::future::pending(),
    ));
    let response = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unready");
    assert_eq!(body["upstreams"][0]["reachable"], false);
}
