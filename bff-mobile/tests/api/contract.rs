//! The contract: the committed `openapi.json` is what the code generates, `/openapi.json`
//! serves it (whatever the app's version), and every endpoint's real responses validate
//! against it.

use contract_diff::validate::{Contract, assert_committed};
use demo_upstreams::fault::Fault;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{bearer, spawn_app_with};

/// Where the document is committed.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    assert_committed(
        COMMITTED,
        bff_mobile::openapi::json(),
        "cargo test -p bff-mobile --test api contract",
    );
}

#[tokio::test]
async fn openapi_json_is_served_to_any_build_and_cacheable() {
    let app = spawn_app_with(|settings| {
        settings.app.min_version = "9.0.0".parse().unwrap();
    })
    .await;
    let response = app
        .get_with("/openapi.json", &[("X-App-Version", "1.0.0")])
        .await;
    assert_eq!(response.status(), 200);
    let cache_control = crate::helpers::cache_control(&response);
    assert!(cache_control.starts_with("public"), "{cache_control}");
    let body = response.text().await.unwrap();
    assert_eq!(body, bff_mobile::openapi::json());
    // The gate still refuses that build on the screens.
    let refused = app
        .get_with("/v1/home", &[("X-App-Version", "1.0.0")])
        .await;
    assert_eq!(refused.status(), 426);
}

/// Checks one real response against `contract`; returns its body.
async fn check(
    contract: &Contract,
    method: &str,
    path: &str,
    response: reqwest::Response,
) -> String {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.text().await.unwrap();
    contract
        .check(method, path, status, content_type.as_deref(), &body)
        .unwrap_or_else(|error| panic!("{error}"));
    body
}

#[tokio::test]
async fn every_endpoint_answers_as_the_contract_says() {
    // Generous deadlines: this test is about shapes, not speed, on a possibly busy machine.
    let app = spawn_app_with(|settings| {
        let generous = std::time::Duration::from_secs(10);
        settings.screens.home = generous;
        settings.screens.product = generous;
        settings.screens.search = generous;
    })
    .await;
    let contract = Contract::new(serde_json::from_str(bff_mobile::openapi::json()).unwrap());
    let device = [("Viewport-Width", "390"), ("DPR", "3"), ("Save-Data", "on")];

    // Public screens, complete, then revalidated.
    let home = app.get_with("/v1/home", &device).await;
    assert_eq!(home.status(), 200);
    let etag = home.headers()["etag"].to_str().unwrap().to_owned();
    check(&contract, "GET", "/v1/home", home).await;
    let mut conditional = device.to_vec();
    conditional.push(("If-None-Match", &etag));
    let revalidated = app.get_with("/v1/home", &conditional).await;
    assert_eq!(revalidated.status(), 304);
    check(&contract, "GET", "/v1/home", revalidated).await;
    let first = app.get_search("q=wireless").await;
    assert_eq!(first.status(), 200);
    let first: Value =
        serde_json::from_str(&check(&contract, "GET", "/v1/search", first).await).unwrap();
    let cursor = first["next_cursor"].as_str().expect("a second page");
    for path in [
        "/v1/products/p00042?w=412&dpr=2.625".to_owned(),
        format!("/v1/search?q=wireless&cursor={cursor}"),
        "/openapi.json".to_owned(),
    ] {
        let response = app.get(&path).await;
        assert_eq!(response.status(), 200, "{path}");
        check(&contract, "GET", &path, response).await;
    }

    // Problems: malformed input, unknown product, an old or malformed build, no token.
    for (path, headers, status) in [
        ("/v1/products/p09999", &[][..], 404),
        ("/v1/products/no.such", &[][..], 400),
        ("/v1/search?cursor=bogus", &[][..], 400),
        ("/v1/home?w=abc", &[][..], 400),
        ("/v1/home", &[("X-App-Version", "0.0.1")][..], 426),
        ("/v1/home", &[("X-App-Version", "1.x")][..], 400),
        (
            "/v1/home",
            &[("Authorization", "Bearer not-a-token")][..],
            401,
        ),
        ("/v1/me", &[][..], 401),
    ] {
        let response = app.get_with(path, headers).await;
        assert_eq!(response.status(), status, "{path} {headers:?}");
        check(&contract, "GET", path, response).await;
    }

    // With a token: the personalised home, profile and cart.
    let token = app.token_of("ada").await;
    let authorization = bearer(&token);
    let signed_in = [authorization.as_header()];
    for path in ["/v1/home", "/v1/me", "/v1/cart"] {
        let response = app.get_with(path, &signed_in).await;
        assert_eq!(response.status(), 200, "{path}");
        check(&contract, "GET", path, response).await;
    }
    let added = app.add_to_cart(&token, "p00042", 2).await;
    assert_eq!(added.status(), 200);
    check(&contract, "POST", "/v1/cart/items", added).await;
    let too_many = app.add_to_cart(&token, "p00042", 100).await;
    assert_eq!(too_many.status(), 400);
    check(&contract, "POST", "/v1/cart/items", too_many).await;
    let not_json = app
        .send_raw(
            Method::POST,
            "/v1/cart/items",
            &[bearer(&token).as_header(), ("content-type", "text/plain")],
            "p00042".to_owned(),
        )
        .await;
    assert_eq!(not_json.status(), 415);
    check(&contract, "POST", "/v1/cart/items", not_json).await;
    let removed = app.remove_from_cart(&token, "p00042").await;
    assert_eq!(removed.status(), 200);
    check(&contract, "DELETE", "/v1/cart/items/p00042", removed).await;

    // Degraded screens keep their shape; a failed critical upstream is a 502 problem.
    app.upstreams.recommendations.set_fault(Fault::Status(500));
    app.upstreams.reviews.set_fault(Fault::Status(500));
    let degraded = app.get("/v1/products/p00043").await;
    assert_eq!(degraded.status(), 200);
    let body = check(&contract, "GET", "/v1/products/p00043", degraded).await;
    assert!(body.contains("\"degraded\""), "{body}");
    app.upstreams.catalog.set_fault(Fault::Status(500));
    let failed = app.get("/v1/search?q=lamp").await;
    assert_eq!(failed.status(), 502);
    check(&contract, "GET", "/v1/search", failed).await;

    assert_eq!(
        contract.unchecked(),
        Vec::<String>::new(),
        "operations without a checked 2xx/3xx response: add them to this test"
    );
}
