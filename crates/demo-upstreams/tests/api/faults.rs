use std::time::{Duration, Instant};

use demo_upstreams::config::DemoConfig;
use demo_upstreams::fault::Fault;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_status_fault_answers_that_status_as_a_problem_but_spares_health_and_control() {
    let app = TestApp::spawn().await;
    app.up.offers.set_fault(Fault::Status(500));
    app.get_problem(&app.up.offers, "/offers?ids=p00001", 500)
        .await;
    app.up.offers.set_fault(Fault::Status(429));
    app.get_problem(&app.up.offers, "/offers?ids=p00001", 429)
        .await;
    assert_eq!(app.offers("/healthz").await.status, 200);
    assert_eq!(app.offers("/_control/stats").await.status, 200);
    assert_eq!(
        app.catalog("/categories").await.status,
        200,
        "other services unaffected"
    );
    app.up.offers.set_fault(Fault::None);
    assert_eq!(app.offers("/offers?ids=p00001").await.status, 200);
}

#[tokio::test]
async fn a_delay_fault_delays_the_answer() {
    let app = TestApp::spawn().await;
    app.up
        .reviews
        .set_fault(Fault::Delay(Duration::from_millis(150)));
    let started = Instant::now();
    let reply = app.reviews("/products/p00001/rating").await;
    assert_eq!(reply.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn a_hang_fault_never_answers_and_does_not_block_shutdown() {
    let app = TestApp::spawn().await;
    app.up.catalog.set_fault(Fault::Hang);
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = quick
        .get(format!("{}/categories", app.up.catalog.url()))
        .send()
        .await
        .expect_err("no answer");
    assert!(error.is_timeout(), "{error}");

    // A request still hanging when the service is dropped ends promptly.
    let url = format!("{}/categories", app.up.catalog.url());
    let pending = tokio::spawn(async move { reqwest::get(url).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    drop(app);
    let outcome = tokio::time::timeout(Duration::from_secs(3), pending)
        .await
        .expect("the hung request ends when the service stops")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    if let Ok(response) = outcome {
        assert_eq!(response.status(), 503);
    }
}

#[tokio::test]
async fn a_garbage_fault_answers_200_with_a_body_that_is_not_json() {
    let app = TestApp::spawn().await;
    app.up.offers.set_fault(Fault::Garbage);
    let reply = app.offers("/offers?ids=p00001").await;
    assert_eq!(reply.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&reply.text).is_err());
}

#[tokio::test]
async fn a_reset_fault_sends_headers_then_cuts_the_body() {
    let app = TestApp::spawn().await;
    app.up.catalog.set_fault(Fault::Reset);
    let response = app.get_headers(&app.up.catalog, "/products/p00001").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.is_err(), "the body is cut");
}

#[tokio::test]
async fn an_endless_fault_streams_a_body_that_never_ends() {
    let app = TestApp::spawn().await;
    app.up.recommendations.set_fault(Fault::Endless);
    let mut response = app.get_headers(&app.up.recommendations, "/popular").await;
    assert_eq!(response.status(), 200);
    let mut received = 0;
    while received < 256 * 1024 {
        let chunk = response.chunk().await.expect("more body").expect("no end");
        received += chunk.len();
    }
    assert!(received >= 256 * 1024);
}

#[tokio::test]
async fn a_fault_limited_to_routes_spares_the_others() {
    let app = TestApp::spawn().await;
    app.up
        .catalog
        .set_fault_for_routes(Fault::Status(503), ["/products/search"]);
    app.catalog("/products/search?q=lens").await.problem(503);
    assert_eq!(app.catalog("/products/p00001").await.status, 200);
    assert_eq!(app.catalog("/categories").await.status, 200);
}

#[tokio::test]
async fn faults_can_be_set_over_http_in_every_mode() {
    let app = TestApp::spawn().await;
    let offers = &app.up.offers;
    for body in [
        json!({"mode":"none"}),
        json!({"mode":"delay","ms":300}),
        json!({"mode":"hang"}),
        json!({"mode":"status","status":500}),
        json!({"mode":"garbage"}),
        json!({"mode":"reset"}),
        json!({"mode":"endless"}),
        json!({"mode":"status","status":502,"routes":["/offers"]}),
    ] {
        let reply = app.put_fault(offers, body.clone()).await;
        assert_eq!(reply.status, 204, "{body}: {}", reply.text);
        let current = app.get(offers, "/_control/fault").await.json();
        assert_eq!(current, body);
    }
    app.get_problem(offers, "/offers?ids=p00001", 502).await;
    for bad in [
        json!({"mode":"explode"}),
        json!({"mode":"delay"}),
        json!({"mode":"status"}),
        json!({"mode":"status","status":42}),
        json!({"mode":"none","routes":["no-slash"]}),
        json!({"mode":"none","extra":1}),
    ] {
        let reply = app.put_fault(offers, bad.clone()).await;
        reply.problem(400);
        assert!(!reply.text.contains("explode") && !reply.text.contains("no-slash"));
    }
    assert_eq!(
        app.put_fault(offers, json!({"mode":"none"})).await.status,
        204
    );
    assert_eq!(app.get(offers, "/offers?ids=p00001").await.status, 200);
}

#[tokio::test]
async fn stats_count_requests_but_not_health_or_control() {
    let app = TestApp::spawn().await;
    let reviews = &app.up.reviews;
    assert_eq!(app.stats(reviews).await, 0);
    app.get(reviews, "/products/p00001/rating").await;
    app.get(reviews, "/products/x/rating").await;
    app.get(reviews, "/healthz").await;
    reviews.set_fault(Fault::Status(500));
    app.get(reviews, "/ratings?ids=p00001").await;
    assert_eq!(app.stats(reviews).await, 3);
    assert_eq!(reviews.hits(), 3);
}

#[tokio::test]
async fn the_request_log_records_path_query_and_headers_in_order() {
    let app = TestApp::spawn().await;
    let catalog = &app.up.catalog;
    app.send(
        app.http
            .get(format!(
                "{}/products?ids=p00001,p00002&view=card",
                catalog.url()
            ))
            .header("x-request-id", "req-123")
            .header("x-request-deadline-ms", "900"),
    )
    .await;
    app.get(catalog, "/categories").await;
    app.get(catalog, "/healthz").await;
    let requests = catalog.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].path_and_query,
        "/products?ids=p00001,p00002&view=card"
    );
    assert_eq!(requests[0].headers["x-request-id"], "req-123");
    assert_eq!(requests[0].headers["x-request-deadline-ms"], "900");
    assert_eq!(requests[1].path_and_query, "/categories");
    catalog.reset_log();
    assert_eq!(catalog.hits(), 0);
    assert!(catalog.requests().is_empty());
    app.get(catalog, "/categories").await;
    assert_eq!(catalog.hits(), 1);
}

#[tokio::test]
async fn the_request_id_is_echoed_on_every_response() {
    let app = TestApp::spawn().await;
    for path in ["/categories", "/products/nope", "/healthz"] {
        let reply = app
            .get_with_header(&app.up.catalog, path, "x-request-id", "abc-42")
            .await;
        assert_eq!(reply.header("x-request-id"), "abc-42", "{path}");
    }
    app.up.offers.set_fault(Fault::Status(503));
    let faulted = app
        .get_with_header(
            &app.up.offers,
            "/offers?ids=p00001",
            "x-request-id",
            "abc-43",
        )
        .await;
    assert_eq!(faulted.header("x-request-id"), "abc-43");
}

#[tokio::test]
async fn control_routes_can_be_switched_off() {
    let mut config = DemoConfig::default().without_injection();
    config.control.enabled = false;
    let app = TestApp::spawn_with(config).await;
    app.get_problem(&app.up.offers, "/_control/stats", 404)
        .await;
    app.put_fault(&app.up.offers, json!({"mode":"hang"}))
        .await
        .problem(404);
    // The in-process switch still works for tests.
    app.up.offers.set_fault(Fault::Status(500));
    app.get_problem(&app.up.offers, "/offers?ids=p00001", 500)
        .await;
}
