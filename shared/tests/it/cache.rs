//! The response cache: freshness from `Cache-Control`, revalidation, coalescing, stale-if-error,
//! and no sharing of answers fetched with a user's token. A real local server counts its hits.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::upstream_support::{as_user, local_upstream};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use shared::aggregate::{CachePolicy, Screen};
use shared::upstream::{UpstreamClient, UpstreamSettings};

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Thing {
    n: usize,
}

#[derive(Clone, Default)]
struct Origin {
    hits: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    conditional: Arc<Mutex<Vec<String>>>,
}

/// `/{policy}`: answers `{"n": hit number}` with `Cache-Control: <policy>` and `ETag: "v1"`,
/// and 304 to `If-None-Match: "v1"`; 503 while `down`.
async fn answer(
    State(origin): State<Origin>,
    Path(policy): Path<String>,
    headers: HeaderMap,
) -> Response {
    let n = origin.hits.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(50)).await;
    if origin.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let policy = policy.replace('_', " ").replace('+', ",");
    if let Some(tag) = headers.get(header::IF_NONE_MATCH) {
        origin
            .conditional
            .lock()
            .unwrap()
            .push(tag.to_str().unwrap().to_owned());
        if tag == "\"v1\"" {
            return (StatusCode::NOT_MODIFIED, [(header::CACHE_CONTROL, policy)]).into_response();
        }
    }
    (
        [
            (header::CACHE_CONTROL, policy),
            (header::ETAG, "\"v1\"".to_owned()),
        ],
        format!("{{\"n\":{n}}}"),
    )
        .into_response()
}

async fn spawn() -> (Origin, UpstreamClient) {
    let origin = Origin::default();
    let app = Router::new()
        .route("/{policy}", get(answer))
        .with_state(origin.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    let settings = UpstreamSettings {
        max_body_bytes: 1024,
        ..local_upstream(&url)
    };
    (origin, UpstreamClient::new("origin", &settings).unwrap())
}

fn screen() -> Screen {
    Screen::start(Duration::from_secs(2))
}

async fn fetch(client: &UpstreamClient, policy: &str) -> Thing {
    client
        .get_json(&screen(), "test", &[policy], &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_repeated_get_reaches_the_origin_only_as_its_cache_control_allows() {
    // The policy; the `n` of the first and second GET; how many reached the origin; the
    // `If-None-Match` values the origin saw.
    let cases: [(&str, [usize; 2], usize, &[&str]); 4] = [
        // Fresh: the second GET is served from the cache, without an upstream call.
        ("max-age=60", [1, 1], 1, &[]),
        // Never stored: `no-store`, and `private` (this cache is shared by all users).
        ("no-store", [1, 2], 2, &[]),
        ("private+_max-age=60", [1, 2], 2, &[]),
        // Expired at once: revalidated with `If-None-Match`, and the origin's 304 keeps it.
        ("no-cache", [1, 1], 2, &["\"v1\""]),
    ];
    for (policy, ns, hits, conditional) in cases {
        let (origin, client) = spawn().await;
        let first = fetch(&client, policy).await;
        let second = fetch(&client, policy).await;
        assert_eq!([first.n, second.n], ns, "{policy}");
        assert_eq!(origin.hits.load(Ordering::SeqCst), hits, "{policy}");
        assert_eq!(*origin.conditional.lock().unwrap(), conditional, "{policy}");
    }
}

#[tokio::test]
async fn identical_gets_in_flight_share_one_upstream_call() {
    let (origin, client) = spawn().await;
    let s = screen();
    let calls = (0..20).map(|_| client.get_json::<Thing>(&s, "test", &["max-age=60"], &[]));
    let results = futures::future::join_all(calls).await;
    assert!(
        results
            .iter()
            .all(|r| r.as_ref().unwrap() == &Thing { n: 1 })
    );
    assert_eq!(origin.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_failing_upstream_is_covered_by_a_stale_answer_and_the_screen_says_so() {
    let (origin, client) = spawn().await;
    fetch(&client, "max-age=0+_stale-if-error=60").await;
    origin.down.store(true, Ordering::SeqCst);
    let s = screen();
    let thing: Thing = client
        .get_json(&s, "test", &["max-age=0+_stale-if-error=60"], &[])
        .await
        .unwrap();
    assert_eq!(thing, Thing { n: 1 });
    assert_eq!(s.stale(), vec!["origin"]);
    let response = s.respond(&serde_json::json!({}), CachePolicy::PUBLIC);
    assert_eq!(response.headers()["x-stale-sources"], "origin");
    assert_eq!(response.headers()["cache-control"], "no-cache");
}

#[tokio::test]
async fn without_a_stale_window_a_failing_upstream_is_an_error() {
    let (origin, client) = spawn().await;
    fetch(&client, "max-age=0+_stale-if-error=0").await;
    origin.down.store(true, Ordering::SeqCst);
    let result = client
        .get_json::<Thing>(&screen(), "test", &["max-age=0+_stale-if-error=0"], &[])
        .await;
    assert!(result.is_err());
}

#[tokio::test]
async fn answers_fetched_with_a_user_token_are_never_cached() {
    let (origin, client) = spawn().await;
    for token in ["alice", "bob"] {
        let thing: Thing = as_user(&client, reqwest::Method::GET, "max-age=60", token)
            .await
            .unwrap();
        assert_eq!(thing.n, origin.hits.load(Ordering::SeqCst));
    }
    assert_eq!(origin.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_flight_whose_callers_gave_up_does_not_fail_the_next_caller() {
    let (origin, client) = spawn().await;
    // The only caller (30 ms deadline) gives up after 10 ms, as a client that disconnects
    // does; the origin answers after 50 ms.
    let s = Screen::start(Duration::from_millis(30));
    let impatient = client.get_json::<Thing>(&s, "test", &["max-age=60"], &[]);
    assert!(
        tokio::time::timeout(Duration::from_millis(10), impatient)
            .await
            .is_err()
    );
    // Once that deadline has passed, the next caller gets an answer, not the abandoned
    // flight's timeout.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let thing = fetch(&client, "max-age=60").await;
    assert_eq!(thing.n, origin.hits.load(Ordering::SeqCst));
}

#[tokio::test]
async fn a_caller_joining_a_flight_with_a_short_deadline_is_not_failed_by_it_later() {
    let (origin, client) = spawn().await;
    // A screen with a 20 ms deadline starts a flight that can't finish in time, then leaves.
    let hurried = Screen::start(Duration::from_millis(20));
    assert!(
        client
            .get_json::<Thing>(&hurried, "test", &["max-age=60"], &[])
            .await
            .is_err()
    );
    // The next request (2 s deadline) gets an answer, not the hurried flight's timeout.
    assert_eq!(
        fetch(&client, "max-age=60").await.n,
        origin.hits.load(Ordering::SeqCst)
    );
}
