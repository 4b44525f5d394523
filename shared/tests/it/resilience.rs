//! Retries, the retry budget, the circuit breaker and the bulkhead, against a real local server
//! that counts every request it gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::upstream_support::{as_user, local_upstream};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use shared::aggregate::{Screen, Section};
use shared::upstream::resilience::{
    CircuitOverride, CircuitSettings, ResilienceSettings, RetrySettings,
};
use shared::upstream::{ErrorKind, UpstreamClient, UpstreamError, UpstreamSettings};

#[derive(Debug, Clone, Deserialize)]
struct Thing {}

/// A server whose first `fail_first` requests answer 503 (u32::MAX: always), then `{}`.
#[derive(Clone, Default)]
struct Flaky {
    hits: Arc<AtomicUsize>,
    fail_first: Arc<AtomicU32>,
}

impl Flaky {
    async fn spawn(fail_first: u32) -> (Self, String) {
        let flaky = Self::default();
        flaky.fail_first.store(fail_first, Ordering::SeqCst);
        let app = Router::new()
            .route("/thing", get(answer).post(answer))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "{}"
                }),
            )
            .route("/post", post(answer))
            .with_state(flaky.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
        (flaky, url)
    }

    /// The server, and a client of it (its own per-call timeout 2 s) with `resilience`.
    async fn serving(fail_first: u32, resilience: ResilienceSettings) -> (Self, UpstreamClient) {
        Self::serving_with_timeout(fail_first, Duration::from_secs(2), resilience).await
    }

    /// The server, and a client of it whose own per-call `timeout` is `timeout`.
    async fn serving_with_timeout(
        fail_first: u32,
        timeout: Duration,
        resilience: ResilienceSettings,
    ) -> (Self, UpstreamClient) {
        let (flaky, url) = Self::spawn(fail_first).await;
        (flaky, client_with_timeout(&url, timeout, resilience))
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

async fn answer(State(flaky): State<Flaky>) -> (StatusCode, &'static str) {
    let n = flaky.hits.fetch_add(1, Ordering::SeqCst) as u32;
    if n < flaky.fail_first.load(Ordering::SeqCst) {
        (StatusCode::SERVICE_UNAVAILABLE, "down")
    } else {
        (StatusCode::OK, "{}")
    }
}

/// A client whose own per-call `timeout` is `timeout`.
fn client_with_timeout(
    url: &str,
    timeout: Duration,
    resilience: ResilienceSettings,
) -> UpstreamClient {
    let settings = UpstreamSettings {
        timeout,
        max_body_bytes: 1024,
        resilience,
        cache: shared::upstream::CacheSettings {
            enabled: false,
            ..Default::default()
        },
        ..local_upstream(url)
    };
    UpstreamClient::new("flaky", &settings).unwrap()
}

fn no_circuit() -> ResilienceSettings {
    ResilienceSettings {
        circuit: CircuitSettings {
            failure_threshold: u32::MAX,
            open_for: Duration::from_secs(1),
        },
        ..Default::default()
    }
}

/// No retries (each failure counts at once), and a circuit that opens after `failure_threshold`
/// consecutive failures for `open_for`.
fn one_attempt_and_a_circuit(failure_threshold: u32, open_for: Duration) -> ResilienceSettings {
    ResilienceSettings {
        retries: RetrySettings {
            max_attempts: 1,
            ..Default::default()
        },
        circuit: CircuitSettings {
            failure_threshold,
            open_for,
        },
        ..Default::default()
    }
}

fn screen() -> Screen {
    Screen::start(Duration::from_secs(2))
}

/// GETs `/{path}` as a call of `route`, within a 2 s screen.
async fn call(c: &UpstreamClient, route: &'static str, path: &str) -> Result<Thing, UpstreamError> {
    c.get_json::<Thing>(&screen(), route, &[path], &[]).await
}

/// Asserts that a GET of `/{path}` as a call of `route` answers.
async fn assert_answers(c: &UpstreamClient, route: &'static str, path: &str) {
    let answer = call(c, route, path).await;
    assert!(answer.is_ok(), "{answer:?}");
}

/// What a call that must fail failed with.
async fn failure(c: &UpstreamClient, route: &'static str, path: &str) -> ErrorKind {
    call(c, route, path).await.unwrap_err().kind
}

#[tokio::test]
async fn a_transient_failure_of_a_get_is_retried_and_succeeds() {
    let (flaky, c) = Flaky::serving(1, no_circuit()).await;
    assert_answers(&c, "test", "thing").await;
    assert_eq!(flaky.hits(), 2);
}

#[tokio::test]
async fn a_post_is_never_retried() {
    let (flaky, c) = Flaky::serving(1, no_circuit()).await;
    let error = as_user::<Thing>(&c, reqwest::Method::POST, "post", "t")
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Failed(503));
    assert_eq!(flaky.hits(), 1);
}

#[tokio::test]
async fn with_the_upstream_fully_down_the_budget_keeps_attempts_near_one_per_call() {
    let mut settings = no_circuit();
    settings.retries = RetrySettings {
        max_attempts: 3,
        backoff_base: Duration::from_micros(100),
        backoff_max: Duration::from_micros(500),
        budget_ratio: 0.2,
        budget_min_per_second: 1.0,
    };
    let (flaky, c) = Flaky::serving(u32::MAX, settings).await;
    let calls = 300;
    let started = Instant::now();
    for _ in 0..calls {
        let _ = call(&c, "test", "thing").await;
    }
    // The floor adds `budget_min_per_second` tokens per second, plus its initial balance.
    let floor = 1.0 * (started.elapsed().as_secs_f64() + 1.0);
    let attempts = flaky.hits() as f64;
    let per_call = attempts / f64::from(calls);
    assert!(
        attempts <= f64::from(calls) * 1.2 + floor + 1.0,
        "{attempts} attempts for {calls} calls ({per_call:.3} per call)"
    );
    // Without the budget it would be 3 per call; with it, retries still happen.
    assert!(per_call > 1.1, "{per_call}");
}

#[tokio::test]
async fn consecutive_failures_open_the_circuit_and_calls_then_fail_fast_without_a_request() {
    let settings = one_attempt_and_a_circuit(3, Duration::from_millis(300));
    let (flaky, c) = Flaky::serving(u32::MAX, settings).await;
    for _ in 0..3 {
        assert_eq!(failure(&c, "test", "thing").await, ErrorKind::Failed(503));
    }
    assert_eq!(flaky.hits(), 3);
    let mut took = Vec::with_capacity(100);
    for _ in 0..100 {
        let started = Instant::now();
        let error = call(&c, "test", "thing").await.unwrap_err();
        took.push(started.elapsed());
        assert_eq!(error.kind, ErrorKind::CircuitOpen);
    }
    assert_eq!(flaky.hits(), 3, "an open circuit touched the upstream");
    // The median, not the slowest: on a busy 2-CPU machine any single call can be preempted for
    // milliseconds. The fail-fast cost itself is measured in `bench/`.
    took.sort_unstable();
    let median = took[took.len() / 2];
    assert!(
        median < Duration::from_millis(1),
        "fail-fast took {median:?} (median of 100)"
    );

    // The upstream recovers; after `open_for` one probe goes through and closes the circuit.
    flaky.fail_first.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_answers(&c, "test", "thing").await;
    assert_answers(&c, "test", "thing").await;
    assert_eq!(flaky.hits(), 5);
}

#[tokio::test]
async fn a_failed_probe_opens_the_circuit_again() {
    let settings = one_attempt_and_a_circuit(1, Duration::from_millis(200));
    let (flaky, c) = Flaky::serving(u32::MAX, settings).await;
    let _ = call(&c, "test", "thing").await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(failure(&c, "test", "thing").await, ErrorKind::Failed(503));
    assert_eq!(failure(&c, "test", "thing").await, ErrorKind::CircuitOpen);
    assert_eq!(flaky.hits(), 2);
}

#[tokio::test]
async fn calls_over_the_concurrency_cap_fail_fast() {
    let settings = ResilienceSettings {
        max_concurrency: 2,
        ..no_circuit()
    };
    let (flaky, c) = Flaky::serving(0, settings).await;
    let s = screen();
    let results =
        futures::future::join_all((0..5).map(|_| c.get_json::<Thing>(&s, "test", &["slow"], &[])))
            .await;
    let overloaded = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.kind == ErrorKind::Overloaded))
        .count();
    assert_eq!(overloaded, 3);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2);
    let _ = flaky;
}

#[tokio::test]
async fn retries_stop_at_the_screen_deadline() {
    let settings = ResilienceSettings {
        retries: RetrySettings {
            max_attempts: 1000,
            backoff_base: Duration::from_millis(20),
            backoff_max: Duration::from_millis(40),
            budget_ratio: 10.0,
            budget_min_per_second: 1000.0,
        },
        ..no_circuit()
    };
    let (flaky, c) = Flaky::serving(u32::MAX, settings).await;
    let started = Instant::now();
    let s = Screen::start(Duration::from_millis(200));
    let _ = s
        .optional(
            Section::Offers,
            c.get_json::<Thing>(&s, "test", &["thing"], &[]),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert!(flaky.hits() < 100);
}

// ---------------------------------------------------------------------------------------------
// What opens a circuit, and which one
// ---------------------------------------------------------------------------------------------

/// Opens after two failures, stays open long enough for a test, never retries.
fn opens_after_two() -> ResilienceSettings {
    one_attempt_and_a_circuit(2, Duration::from_secs(30))
}

#[tokio::test]
async fn calls_cut_short_by_the_screen_deadline_never_open_the_circuit() {
    let (flaky, c) = Flaky::serving(0, opens_after_two()).await;
    for _ in 0..5 {
        let error = c
            .get_json::<Thing>(
                &Screen::start(Duration::from_millis(50)),
                "test",
                &["slow"],
                &[],
            )
            .await
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::Timeout);
    }
    assert_answers(&c, "test", "thing").await;
    assert_eq!(flaky.hits(), 1);
}

#[tokio::test]
async fn calls_abandoned_by_their_caller_never_open_the_circuit() {
    let (flaky, c) = Flaky::serving(0, opens_after_two()).await;
    for _ in 0..5 {
        // The client went away: the screen's future is dropped mid-call.
        let s = screen();
        let call = c.get_json::<Thing>(&s, "test", &["slow"], &[]);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), call)
                .await
                .is_err()
        );
    }
    assert_answers(&c, "test", "thing").await;
    assert_eq!(flaky.hits(), 1);
}

/// A client whose own per-call timeout is 50 ms, after two calls of `route` that outlasted it
/// (each a timeout).
async fn after_two_upstream_timeouts(route: &'static str) -> (Flaky, UpstreamClient) {
    let (flaky, c) =
        Flaky::serving_with_timeout(0, Duration::from_millis(50), opens_after_two()).await;
    for _ in 0..2 {
        assert_eq!(failure(&c, route, "slow").await, ErrorKind::Timeout);
    }
    (flaky, c)
}

#[tokio::test]
async fn the_upstreams_own_timeout_is_a_failure_that_opens_the_circuit() {
    let (flaky, c) = after_two_upstream_timeouts("test").await;
    assert_eq!(failure(&c, "test", "thing").await, ErrorKind::CircuitOpen);
    assert_eq!(flaky.hits(), 0);
}

#[tokio::test]
async fn an_open_circuit_of_one_route_class_leaves_the_others_closed() {
    let (flaky, c) = after_two_upstream_timeouts("search").await;
    assert_eq!(failure(&c, "search", "thing").await, ErrorKind::CircuitOpen);
    assert_answers(&c, "products", "thing").await;
    assert_eq!(flaky.hits(), 1);
}

#[tokio::test]
async fn a_route_class_override_applies_to_that_class_only() {
    let mut settings = opens_after_two();
    settings.route_circuits.insert(
        "search".to_owned(),
        CircuitOverride {
            failure_threshold: Some(1000),
            open_for: None,
        },
    );
    let (flaky, c) = Flaky::serving(u32::MAX, settings).await;
    for _ in 0..5 {
        assert_eq!(failure(&c, "search", "thing").await, ErrorKind::Failed(503));
    }
    for _ in 0..2 {
        let _ = call(&c, "products", "thing").await;
    }
    assert_eq!(
        failure(&c, "products", "thing").await,
        ErrorKind::CircuitOpen
    );
    assert_eq!(flaky.hits(), 7);
}

#[test]
fn an_override_of_a_route_class_the_upstream_lacks_is_refused_naming_the_key() {
    let mut settings = ResilienceSettings::default();
    settings
        .route_circuits
        .insert("serach".to_owned(), CircuitOverride::default());
    let error = settings
        .validate(
            "upstreams.catalog.resilience",
            shared::upstream::catalog::route::ALL,
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("upstreams.catalog.resilience.route_circuits.serach"),
        "{error}"
    );
    settings.route_circuits.clear();
    settings
        .route_circuits
        .insert("search".to_owned(), CircuitOverride::default());
    assert!(
        settings
            .validate(
                "upstreams.catalog.resilience",
                shared::upstream::catalog::route::ALL
            )
            .is_ok()
    );
}
