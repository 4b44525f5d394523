use std::time::{Duration, Instant};

use demo_upstreams::config::{DemoConfig, LatencySettings};

use crate::helpers::{Reply, TestApp};

fn config_with_catalog_latency(median_ms: u64, p99_ms: u64) -> DemoConfig {
    let mut config = DemoConfig::default().without_injection();
    config.catalog.latency = LatencySettings {
        median: Duration::from_millis(median_ms),
        p99: Duration::from_millis(p99_ms),
    };
    config
}

/// The catalog's `/categories`, asked to answer within `deadline_ms`.
async fn categories_within(app: &TestApp, deadline_ms: &str) -> Reply {
    app.get_with_header(
        &app.up.catalog,
        "/categories",
        "x-request-deadline-ms",
        deadline_ms,
    )
    .await
}

#[tokio::test]
async fn injected_latency_has_roughly_the_configured_median_and_varies() {
    let app = TestApp::spawn_with(config_with_catalog_latency(20, 60)).await;
    // Warm up the connection so that connecting does not count.
    app.catalog("/healthz").await;
    let mut samples = Vec::new();
    for _ in 0..41 {
        let started = Instant::now();
        let reply = app.catalog("/categories").await;
        assert_eq!(reply.status, 200);
        samples.push(started.elapsed());
    }
    samples.sort();
    let median = samples[20];
    assert!(
        (Duration::from_millis(13)..Duration::from_millis(40)).contains(&median),
        "median {median:?}"
    );
    let spread = samples[36] - samples[4];
    assert!(
        spread > Duration::from_millis(5),
        "not constant: {samples:?}"
    );

    // Health checks are exempt.
    let started = Instant::now();
    for _ in 0..10 {
        app.catalog("/healthz").await;
    }
    assert!(
        started.elapsed() < Duration::from_millis(150),
        "10 × the median would be 200 ms"
    );
}

#[tokio::test]
async fn a_deadline_shorter_than_the_latency_gets_a_504_at_the_deadline() {
    let app = TestApp::spawn_with(config_with_catalog_latency(400, 500)).await;
    let started = Instant::now();
    let reply = categories_within(&app, "60").await;
    let elapsed = started.elapsed();
    reply.problem(504);
    assert!(elapsed >= Duration::from_millis(60), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(300), "{elapsed:?}");

    let patient = categories_within(&app, "5000").await;
    assert_eq!(patient.status, 200);
}

#[tokio::test]
async fn an_error_rate_of_one_fails_every_request_but_health() {
    let mut config = DemoConfig::default().without_injection();
    config.offers.error_rate = 1.0;
    let app = TestApp::spawn_with(config).await;
    for _ in 0..5 {
        app.get_problem(&app.up.offers, "/offers?ids=p00001", 503)
            .await;
    }
    assert_eq!(app.offers("/healthz").await.status, 200);
    assert_eq!(app.catalog("/categories").await.status, 200);
}

#[tokio::test]
async fn an_error_rate_of_a_half_fails_about_half_the_requests() {
    let mut config = DemoConfig::default().without_injection();
    config.reviews.error_rate = 0.5;
    let app = TestApp::spawn_with(config).await;
    let mut failed = 0;
    for _ in 0..100 {
        if app.reviews("/ratings?ids=p00001").await.status == 503 {
            failed += 1;
        }
    }
    assert!((25..=75).contains(&failed), "{failed}");
}
