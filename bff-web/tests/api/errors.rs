use demo_upstreams::fault::Fault;

use crate::helpers::{assert_problem, ok_json, spawn_app};

#[tokio::test]
async fn an_unknown_route_is_a_404_problem() {
    let app = spawn_app().await;

    assert_problem(app.get("/api/nope").await, 404, &["nope"]).await;
    assert_problem(app.get("/api/products/p00001/nope").await, 404, &["nope"]).await;
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn product_and_search_pages_are_502_problems_when_the_catalog_fails_or_sends_garbage() {
    // A path per fault, so that the second answer is not the first one's.
    for [failing, garbled] in [
        ["/api/products/p00042", "/api/products/p00043"],
        ["/api/search?q=wireless", "/api/search?q=lamp"],
    ] {
        let app = spawn_app().await;

        app.upstreams.catalog.set_fault(Fault::Status(500));
        assert_problem(app.get(failing).await, 502, &[]).await;

        app.upstreams.catalog.set_fault(Fault::Garbage);
        assert_problem(app.get(garbled).await, 502, &[]).await;
    }
}

#[tokio::test]
async fn the_request_id_reaches_every_upstream_call() {
    let app = spawn_app().await;
    let id = "web-test-0001";

    for path in [
        "/api/home",
        "/api/products/p00042",
        "/api/search?q=wireless",
    ] {
        let response = app.get_with_request_id(path, Some(id)).await;
        assert_eq!(response.headers()["x-request-id"], id);
        assert_eq!(response.status(), 200, "{path}");
        ok_json(response).await;
    }

    let mut seen = 0;
    for (name, service) in app.services() {
        for request in service.requests() {
            seen += 1;
            assert_eq!(
                request
                    .headers
                    .get("x-request-id")
                    .map(|v| v.to_str().unwrap()),
                Some(id),
                "{name} {}",
                request.path_and_query
            );
            assert!(request.headers.contains_key("x-request-deadline-ms"));
        }
    }
    assert!(seen >= 10, "{seen}");
}

#[tokio::test]
async fn a_problem_carries_the_request_id_the_client_sent() {
    let app = spawn_app().await;

    let response = app
        .get_with_request_id("/api/search?page=0", Some("web-test-0002"))
        .await;
    let problem = assert_problem(response, 400, &[]).await;

    assert_eq!(problem["request_id"], "web-test-0002");
}
