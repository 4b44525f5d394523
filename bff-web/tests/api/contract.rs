//! The contract: the committed `openapi.json` is what the code generates, `/openapi.json`
//! serves it, and every endpoint's real responses validate against it.

use std::time::Duration;

use contract_diff::validate::{Contract, assert_committed};
use demo_upstreams::fault::Fault;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{Browser, Options, spawn_app, spawn_with};

/// Where the document is committed.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    assert_committed(
        COMMITTED,
        bff_web::openapi::json(),
        "cargo test -p bff-web --test api contract",
    );
}

#[tokio::test]
async fn openapi_json_is_served_without_csrf_and_cacheable() {
    let app = spawn_app().await;
    let without_csrf = app
        .browser
        .request_without_csrf(Method::GET, "/openapi.json");
    let reply = app.browser.send(without_csrf).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.cache_control().starts_with("public"),
        "{}",
        reply.cache_control()
    );
    assert_eq!(reply.body, bff_web::openapi::json());
    assert_eq!(reply.json()["openapi"], "3.1.0");
}

/// The contract as served, ready to check responses against.
fn contract() -> Contract {
    Contract::new(serde_json::from_str(bff_web::openapi::json()).unwrap())
}

/// Checks every reply `browser` received from the app (not from the provider) against
/// `contract`; returns how many.
fn check_all(contract: &Contract, browser: &Browser) -> usize {
    let mut checked = 0;
    for reply in browser.seen() {
        let (method, url) = reply.request.split_once(' ').unwrap();
        let Some(path) = url.strip_prefix(&browser.base) else {
            continue;
        };
        let content_type = reply.header("content-type");
        contract
            .check(method, path, reply.status, content_type, &reply.body)
            .unwrap_or_else(|error| panic!("{error}"));
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn every_endpoint_answers_as_the_contract_says() {
    // A generous deadline: the first search builds the catalog's index in a debug build.
    let app = spawn_with(Options {
        deadline: Duration::from_secs(10),
        ..Options::default()
    })
    .await;
    let contract = contract();
    let browser = &app.browser;

    // Public screens, complete, then revalidated.
    let home = browser.get("/api/home").await;
    assert_eq!(home.status, 200, "{}", home.body);
    let etag = home.header("etag").expect("an ETag").to_owned();
    let revalidated = browser
        .get_with("/api/home", &[("If-None-Match", &etag)])
        .await;
    assert_eq!(revalidated.status, 304);
    for path in [
        "/api/products/p00042",
        "/api/products/p00042/reviews?offset=10",
        "/api/search?q=wireless&sort=price_asc&page=2",
        "/api/search?category=audio",
        "/openapi.json",
    ] {
        assert_eq!(browser.get(path).await.status, 200, "{path}");
    }

    // Problems: malformed input, unknown product, no CSRF header, anonymous.
    for (path, status) in [
        ("/api/products/p09999", 404),
        ("/api/products/no.such", 400),
        ("/api/products/p00042/reviews?offset=-1", 400),
        ("/api/search?page=0", 400),
        ("/api/search?sort=cheapest", 400),
        ("/api/me", 401),
        ("/api/cart", 401),
        ("/auth/session", 401),
    ] {
        assert_eq!(browser.get(path).await.status, status, "{path}");
    }
    let refused = browser
        .send(browser.request_without_csrf(Method::GET, "/api/home"))
        .await;
    assert_eq!(refused.status, 403);

    // Signed in: login and callback redirect, the session, profile and cart.
    browser.login().await;
    assert_eq!(browser.get("/auth/session").await.status, 200);
    assert_eq!(browser.get("/api/me").await.status, 200);
    assert_eq!(browser.add_to_cart("p00042", 2).await.status, 200);
    assert_eq!(browser.add_to_cart("p00042", 100).await.status, 400);
    let not_json = browser
        .post_raw("/api/cart/items", "text/plain", "p00042")
        .await;
    assert_eq!(not_json.status, 415);
    assert_eq!(browser.get("/api/cart").await.status, 200);
    assert_eq!(browser.delete("/api/cart/items/p00042").await.status, 200);
    assert_eq!(browser.logout().await.status, 200);
    assert_eq!(browser.logout().await.status, 204);

    // Degraded screens keep their shape; a failed critical upstream is a 502 problem.
    app.upstreams.recommendations.set_fault(Fault::Status(500));
    app.upstreams.offers.set_fault(Fault::Status(500));
    let degraded = browser.get("/api/products/p00043").await;
    assert_eq!(degraded.status, 200);
    assert!(degraded.json()["degraded"].is_array(), "{}", degraded.body);
    app.upstreams.catalog.set_fault(Fault::Status(500));
    assert_eq!(browser.get("/api/search?q=lamp").await.status, 502);

    let checked = check_all(&contract, browser);
    assert!(checked >= 25, "only {checked} replies checked");
    assert_eq!(
        contract.unchecked(),
        Vec::<String>::new(),
        "operations without a checked 2xx/3xx response: add them to this test"
    );
}

#[test]
fn the_check_refuses_a_body_that_drifted_from_the_contract() {
    let contract = contract();
    let card = json!({"id": "p00042", "name": "Lamp", "brand": "Acme", "href": "/products/p00042"});
    let page = json!({"hero": {"title": "t", "subtitle": "s", "product_id": "p00001"},
        "categories": [], "featured": [card], "popular": []});
    let check = |body: &serde_json::Value| {
        contract.check(
            "GET",
            "/api/home",
            200,
            Some("application/json"),
            &body.to_string(),
        )
    };
    check(&page).unwrap();
    let mut missing = page.clone();
    missing["featured"][0]
        .as_object_mut()
        .unwrap()
        .remove("href");
    let mut retyped = page.clone();
    retyped["featured"][0]["name"] = json!(7);
    let mut undocumented = page.clone();
    undocumented["featured"][0]["colour"] = json!("red");
    for drifted in [missing, retyped, undocumented] {
        assert!(check(&drifted).is_err(), "{drifted}");
    }
}
