//! The upstream client against a real local HTTP server that misbehaves on demand.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::upstream_support::local_upstream;
use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::aggregate::{Screen, Section};
use shared::upstream::{ErrorKind, UpstreamClient, UpstreamError, UpstreamSettings};

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Thing {
    name: String,
}

/// A body with each kind of field the typed clients decode.
#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Decoded {
    name: String,
    #[serde(default)]
    n: Option<i64>,
    #[serde(default)]
    price: Option<f64>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Bodies an upstream might send, well-formed or not, served at `/body/{index}`.
fn bodies() -> Vec<Vec<u8>> {
    let deep = format!(
        r#"{{"name":"a","extra":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let mut bodies: Vec<Vec<u8>> = [
        r#"{"name":"plain","n":-42,"price":19.99,"tags":["a","b"]}"#,
        r#"{"name":"\u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","tags":["日本語","😀"]}"#,
        r#"  {"extra":{"nested":[1,2,{"x":null}]},"name":"ws"}  "#,
        r#"{"name":"big","n":9223372036854775807,"price":1e308}"#,
        r#"{"name":"overflow","n":9223372036854775808}"#,
        r#"{"name":"fraction for an integer","n":1.5}"#,
        r#"{"name":"\ud800"}"#,
        r#"{"name":"\udc00\ud800"}"#,
        r#"{"name":"a","name":"b"}"#,
        r#"{"name":"trailing"} x"#,
        r#"{"name":"comma",}"#,
        "{\"name\":\"control char\t\"}",
        r#"{"name":"unterminated"#,
        r#"{"n":1}"#,
        r#"{"name":null}"#,
        r#"[]"#,
        "",
        "nul\u{0}",
    ]
    .map(|body| body.as_bytes().to_vec())
    .to_vec();
    bodies.push(deep.into_bytes());
    bodies.push(b"{\"name\":\"not UTF-8: \xff\"}".to_vec());
    bodies.push(b"{\"name\":\"overlong: \xc0\xaf\"}".to_vec());
    bodies.push(b"{\"name\":\"a surrogate in UTF-8: \xed\xa0\x80\"}".to_vec());
    bodies
}

/// What the server saw last: path and query, and headers.
type Seen = Arc<Mutex<Vec<(String, HeaderMap)>>>;

async fn spawn_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = Router::new()
        .route(
            "/thing",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"name":"a","extra":1}"#,
                )
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "{}"
            }),
        )
        .route("/huge", get(|| async { "x".repeat(2 * 1024 * 1024) }))
        .route("/html", get(|| async { "<html>oops</html>" }))
        .route(
            "/body/{index}",
            get(
                |axum::extract::Path(index): axum::extract::Path<usize>| async move {
                    bodies()[index].clone()
                },
            ),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/broken",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "stack trace here") }),
        )
        .route(
            "/redirect",
            get(|| async { Redirect::temporary("http://example.invalid/steal") }),
        )
        .fallback(|| async { (StatusCode::OK, r#"{"name":"fallback"}"#).into_response() })
        .layer(axum::middleware::from_fn(
            move |request: Request, next: axum::middleware::Next| {
                let record = record.clone();
                async move {
                    let path = request
                        .uri()
                        .path_and_query()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    record
                        .lock()
                        .unwrap()
                        .push((path, request.headers().clone()));
                    let response: Response = next.run(request).await;
                    response
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    (url, seen)
}

fn client(url: &str) -> UpstreamClient {
    UpstreamClient::new("test", &local_upstream(url)).unwrap()
}

/// `GET /{path}` within `screen`, which must fail; the error.
async fn get_error(client: &UpstreamClient, screen: &Screen, path: &str) -> UpstreamError {
    client
        .get_json::<Thing>(screen, "test", &[path], &[])
        .await
        .unwrap_err()
}

/// `GET /thing` within `screen`, decoded.
async fn get_thing(client: &UpstreamClient, screen: &Screen) -> Thing {
    client
        .get_json(screen, "test", &["thing"], &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_json_body_decodes_into_the_typed_struct_ignoring_unknown_fields() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_secs(1));
    let thing = get_thing(&client(&url), &screen).await;
    assert_eq!(thing, Thing { name: "a".into() });
}

/// Whatever an upstream sends, the client decodes what serde_json decodes, and refuses what it
/// refuses as an invalid body (a 502), nesting too deep for any parser included.
#[tokio::test]
async fn a_body_decodes_exactly_when_serde_json_decodes_it() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_secs(10));
    let c = client(&url);
    for (index, body) in bodies().iter().enumerate() {
        let index = index.to_string();
        let decoded = c
            .get_json::<Decoded>(&screen, "test", &["body", &index], &[])
            .await;
        let label = String::from_utf8_lossy(&body[..body.len().min(60)]);
        match serde_json::from_slice::<Decoded>(body) {
            Ok(expected) => assert_eq!(decoded.unwrap(), expected, "{label}"),
            Err(_) => assert_eq!(decoded.unwrap_err().kind, ErrorKind::InvalidBody, "{label}"),
        }
    }
}

#[tokio::test]
async fn a_path_segment_is_encoded_as_one_segment() {
    let (url, seen) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_secs(1));
    let _: Result<Thing, _> = client(&url)
        .get_json(
            &screen,
            "test",
            &["products", "../admin?x=1/y"],
            &[("q", "a&b=c")],
        )
        .await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, "/products/..%2Fadmin%3Fx=1%2Fy?q=a%26b%3Dc");
}

#[tokio::test]
async fn the_remaining_deadline_travels_with_the_call() {
    let (url, seen) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_millis(700));
    get_thing(&client(&url), &screen).await;
    let seen = seen.lock().unwrap();
    let deadline: u64 = seen[0].1["x-request-deadline-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((500..=700).contains(&deadline), "{deadline}");
}

#[tokio::test]
async fn the_screen_deadline_cuts_a_slow_call_short() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_millis(200));
    let started = Instant::now();
    let error = get_error(&client(&url), &screen, "slow").await;
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_secs(2));
    let error = get_error(&client(&url), &screen, "huge").await;
    assert_eq!(error.kind, ErrorKind::TooLarge);
}

#[tokio::test]
async fn failures_map_to_kinds_and_never_carry_the_upstream_body() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_secs(2));
    let c = client(&url);
    for (path, kind, status) in [
        ("missing", ErrorKind::NotFound, 404),
        ("broken", ErrorKind::Failed(500), 502),
        ("html", ErrorKind::InvalidBody, 502),
        ("redirect", ErrorKind::Failed(307), 502),
    ] {
        let error = get_error(&c, &screen, path).await;
        assert_eq!(error.kind, kind, "{path}");
        let problem = error.to_problem();
        assert_eq!(problem.status_code().as_u16(), status, "{path}");
        assert!(!problem.detail().unwrap_or_default().contains("stack"));
    }
}

#[tokio::test]
async fn an_unreachable_upstream_fails_fast() {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let screen = Screen::start(Duration::from_secs(2));
    let started = Instant::now();
    let error = get_error(&client(&url), &screen, "thing").await;
    assert_eq!(error.kind, ErrorKind::Unreachable);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn optional_sections_are_named_when_they_fail_and_critical_ones_become_problems() {
    let (url, _) = spawn_upstream().await;
    let screen = Screen::start(Duration::from_millis(300));
    let c = client(&url);
    let (slow, broken, fine) = tokio::join!(
        screen.optional(
            Section::Recommendations,
            c.get_json::<Thing>(&screen, "test", &["slow"], &[])
        ),
        screen.optional(
            Section::Reviews,
            c.get_json::<Thing>(&screen, "test", &["broken"], &[])
        ),
        screen.critical(c.get_json::<Thing>(&screen, "test", &["thing"], &[])),
    );
    assert!(slow.is_none() && broken.is_none());
    assert!(fine.is_ok());
    assert_eq!(
        screen.degraded(),
        Some(vec![Section::Recommendations, Section::Reviews])
    );
    let problem = screen
        .critical(c.get_json::<Thing>(&screen, "test", &["slow"], &[]))
        .await
        .unwrap_err();
    assert_eq!(problem.status_code(), StatusCode::GATEWAY_TIMEOUT);
}

/// The traceparent the upstream received for one screen request carrying `inbound`, with the
/// BFF's peer (127.0.0.1) a trusted proxy or not.
async fn traceparent_upstream_sees(inbound: &str, peer_is_trusted_proxy: bool) -> String {
    let (upstream, seen) = spawn_upstream().await;
    let client = client(&upstream);
    let screen_route = axum::routing::get(move || {
        let client = client.clone();
        async move {
            let screen = Screen::start(Duration::from_secs(1));
            let thing = get_thing(&client, &screen).await;
            thing.name
        }
    });
    let trusted: &[&str] = if peer_is_trusted_proxy {
        &["127.0.0.1"]
    } else {
        &[]
    };
    let settings: shared::server::ServerSettings = serde_json::from_value(serde_json::json!({
        "host": "127.0.0.1", "port": 0, "request_timeout": "2s", "header_read_timeout": "2s",
        "shutdown_grace": "1s", "max_body_bytes": 1024, "max_header_bytes": 8192,
        "compression_min_bytes": 1024, "rate_limit": {"trusted_proxies": trusted}
    }))
    .unwrap();
    let app = shared::server::stack(Router::new().route("/screen", screen_route), &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));

    let response = reqwest::Client::new()
        .get(format!("http://{addr}/screen"))
        .header("traceparent", inbound)
        .header("tracestate", "vendor=opaque")
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let seen = seen.lock().unwrap();
    let headers = &seen.last().unwrap().1;
    assert_eq!(headers["x-request-id"], "req-42");
    let hosts: Vec<_> = headers.get_all("host").iter().collect();
    let authority = upstream.trim_start_matches("http://").trim_end_matches('/');
    assert_eq!(hosts, [authority], "one Host: the upstream's host and port");
    let tracestate = headers.get("tracestate").map(|v| v.to_str().unwrap());
    assert_eq!(
        tracestate,
        peer_is_trusted_proxy.then_some("vendor=opaque"),
        "tracestate travels with a continued traceparent only"
    );
    headers["traceparent"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_request_id_a_child_traceparent_and_the_tracestate_reach_the_upstream() {
    let inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traceparent = traceparent_upstream_sees(inbound, true).await;
    assert!(
        traceparent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
        "{traceparent}"
    );
    assert!(
        !traceparent.contains("00f067aa0ba902b7"),
        "the parent span was reused"
    );
}

#[tokio::test]
async fn a_traceparent_from_a_client_that_is_not_a_trusted_proxy_starts_a_new_sampled_trace() {
    // Unsampled: a client that could choose would switch tracing off for its requests.
    let inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    let traceparent = traceparent_upstream_sees(inbound, false).await;
    assert!(
        !traceparent.contains("4bf92f3577b34da6a3ce929d0e0e4736"),
        "{traceparent}"
    );
    assert!(traceparent.ends_with("-01"), "{traceparent}");
}

/// An upstream whose `/held` answers only once `width` requests are in flight at once, so a
/// round of `width` concurrent calls needs `width` connections at the same moment.
async fn spawn_held_upstream(width: usize) -> String {
    let barrier = Arc::new(tokio::sync::Barrier::new(width));
    let app = Router::new().route(
        "/held",
        get(move || {
            let barrier = barrier.clone();
            async move {
                barrier.wait().await;
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"name":"held"}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    url
}

/// Connections the client opens for a second round of `width` concurrent calls, after a first
/// round of the same width.
async fn opened_by_a_second_round(width: usize, pool_max_idle: usize) -> u64 {
    let url = spawn_held_upstream(width).await;
    let settings = UpstreamSettings {
        connect_timeout: Duration::from_secs(1),
        timeout: Duration::from_secs(5),
        pool_max_idle,
        ..local_upstream(&url)
    };
    let client = UpstreamClient::new("test", &settings).unwrap();
    let round = || async {
        let screen = Screen::start(Duration::from_secs(5));
        // Each call its own query: identical concurrent GETs would share one call.
        let queries: Vec<String> = (0..width).map(|n| n.to_string()).collect();
        let calls = queries.iter().map(|n| {
            let screen = &screen;
            let client = &client;
            async move {
                let query = [("n", n.as_str())];
                client
                    .get_json::<Thing>(screen, "test", &["held"], &query)
                    .await
            }
        });
        for answer in futures::future::join_all(calls).await {
            assert_eq!(answer.unwrap().name, "held");
        }
    };
    round().await;
    assert_eq!(client.connections_opened(), width as u64);
    // The pool takes a connection back on a task of its own once its answer is read.
    tokio::time::sleep(Duration::from_millis(200)).await;
    round().await;
    client.connections_opened() - width as u64
}

#[tokio::test]
async fn answers_other_than_success_leave_their_connection_for_the_next_call() {
    let app = Router::new()
        .route(
            "/status/{code}",
            get(|Path(code): Path<u16>| async move {
                let status = StatusCode::from_u16(code).unwrap();
                if status == StatusCode::NOT_MODIFIED {
                    return status.into_response();
                }
                let problem = [(header::CONTENT_TYPE, "application/problem+json")];
                (status, problem, r#"{"title":"no"}"#).into_response()
            }),
        )
        .route(
            "/long-error",
            get(|| async { (StatusCode::NOT_FOUND, "x".repeat(64 * 1024)) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    let client = UpstreamClient::new("test", &local_upstream(&url)).unwrap();
    let call = |path: &'static [&'static str]| {
        let client = &client;
        async move {
            let screen = Screen::start(Duration::from_secs(5));
            let answer = client.get_json::<Thing>(&screen, "test", path, &[]).await;
            answer.expect_err("no answer here is a thing").kind
        }
    };
    assert_eq!(call(&["status", "404"]).await, ErrorKind::NotFound);
    assert_eq!(client.connections_opened(), 1);
    for (path, kind) in [
        (&["status", "404"][..], ErrorKind::NotFound),
        (&["status", "409"], ErrorKind::Rejected(409)),
        (&["status", "403"], ErrorKind::Unauthorized(403)),
        (&["status", "304"], ErrorKind::InvalidBody),
        (&["status", "404"], ErrorKind::NotFound),
    ] {
        assert_eq!(call(path).await, kind, "{path:?}");
        assert_eq!(client.connections_opened(), 1, "after {path:?}");
    }
    // An error body longer than what is drained closes its connection: the next call opens one.
    assert_eq!(call(&["long-error"]).await, ErrorKind::NotFound);
    assert_eq!(call(&["status", "404"]).await, ErrorKind::NotFound);
    assert_eq!(client.connections_opened(), 2);
}

#[tokio::test]
async fn a_pool_as_wide_as_the_work_opens_no_connection_in_steady_state() {
    assert_eq!(opened_by_a_second_round(64, 256).await, 0);
}

#[tokio::test]
async fn a_pool_narrower_than_the_work_reopens_what_it_could_not_keep() {
    assert_eq!(opened_by_a_second_round(64, 8).await, 56);
}
