//! The signed-in user's screens: profile and cart, called with the session's token.

use demo_upstreams::fault::Fault;
use serde_json::json;

use crate::helpers::{TestApp, assert_web_card, personal_routes, spawn_app};

#[tokio::test]
async fn the_profile_is_the_signed_in_users_and_never_cached() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let access_token = app.tokens_of(&id).await.remove(0);

    let me = app.browser.get("/api/me").await;

    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.cache_control(), "private, no-store");
    let body = me.json();
    assert_eq!(body["id"], "demo-user-1");
    assert_eq!(body["name"], "Ada Lovelace");
    assert_eq!(body["email"], "ada@example.test");
    assert!(body["member_since"].is_string());
    let requests = app.upstreams.accounts.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path_and_query, "/me");
    assert_eq!(
        requests[0].headers["authorization"],
        format!("Bearer {access_token}").as_str()
    );
}

#[tokio::test]
async fn the_browsers_cookies_are_never_forwarded_upstream() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let access_token = app.tokens_of(&id).await.remove(0);
    app.browser.plant_cookie("theme=dark");

    for path in ["/api/home", "/api/products/p00042", "/api/me", "/api/cart"] {
        let reply = app.browser.get(path).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
    }
    assert_eq!(app.browser.add_to_cart("p00042", 1).await.status, 200);

    let mut seen = 0;
    for (name, service) in app.services() {
        for request in service.requests() {
            seen += 1;
            assert!(
                !request.headers.contains_key("cookie"),
                "{name} {}",
                request.path_and_query
            );
            if name == "accounts" {
                assert_eq!(
                    request.headers["authorization"],
                    format!("Bearer {access_token}").as_str()
                );
            } else {
                assert!(
                    !request.headers.contains_key("authorization"),
                    "{name} {}",
                    request.path_and_query
                );
            }
        }
    }
    assert!(seen >= 10, "{seen}");
}

#[tokio::test]
async fn anonymous_personal_requests_are_401_problems_without_upstream_calls() {
    let app = spawn_app().await;

    for (method, path, body) in personal_routes() {
        let mut request = app.browser.request(method, path);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let reply = app.browser.send(request).await;
        reply.assert_problem(401);
        assert_eq!(reply.cache_control(), "private, no-store");
        assert_eq!(reply.header("location"), None, "never a redirect");
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn a_cart_change_is_validated_before_any_upstream_call() {
    let app = spawn_app().await;
    app.browser.login().await;
    let bodies = [
        json!({"product_id": "p00001", "quantity": 0}),
        json!({"product_id": "p00001", "quantity": 100}),
        json!({"product_id": "p00001", "quantity": -1}),
        json!({"product_id": "p00001", "quantity": 1.5}),
        json!({"product_id": "p00001", "quantity": "1"}),
        json!({"product_id": "p00001"}),
        json!({"quantity": 1}),
        json!({"product_id": "../admin", "quantity": 1}),
        json!({"product_id": "p0000<script>", "quantity": 1}),
        json!([]),
    ];
    for body in &bodies {
        let reply = app.browser.post_json("/api/cart/items", body).await;
        reply.assert_problem(400);
        assert!(!reply.body.contains("admin") && !reply.body.contains("<script>"));
    }
    let line = r#"{"product_id": "p00001", "quantity": 1}"#;
    let not_json = app
        .browser
        .post_raw("/api/cart/items", "text/plain", line)
        .await;
    not_json.assert_problem(415);
    for path in [
        "/api/cart/items/..%2Fadmin",
        "/api/cart/items/p%2000001",
        "/api/cart/items/p00001%3Fx=1",
    ] {
        app.browser.delete(path).await.assert_problem(400);
    }

    assert_eq!(app.upstreams.accounts.hits(), 0);
}

#[tokio::test]
async fn the_cart_shows_each_line_with_its_card_price_and_a_subtotal() {
    let app = spawn_app().await;
    app.browser.login().await;

    app.browser.add_to_cart("p00001", 2).await;
    let reply = app.browser.add_to_cart("p00007", 1).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cache_control(), "private, no-store");
    let cart = reply.json();
    assert_eq!(cart["item_count"], 3);
    assert!(cart.get("degraded").is_none(), "{cart}");
    let mut sum = 0;
    for line in cart["items"].as_array().unwrap() {
        assert_web_card(&line["product"], true);
        let price = line["product"]["price"]["amount_cents"].as_i64().unwrap();
        let quantity = line["quantity"].as_i64().unwrap();
        assert_eq!(line["line_total"]["amount_cents"], price * quantity);
        sum += price * quantity;
    }
    assert_eq!(cart["subtotal"]["amount_cents"], sum);
    assert_eq!(cart["subtotal"]["currency"], "EUR");
    // One batch per upstream for the whole cart, after the accounts call.
    assert_eq!(
        TestApp::paths(&app.upstreams.accounts),
        ["/cart/items", "/cart/items"]
    );
    let catalog = TestApp::paths(&app.upstreams.catalog);
    assert_eq!(catalog.len(), 2, "{catalog:?}");
    assert!(catalog[1].contains("p00001%2Cp00007") || catalog[1].contains("p00001,p00007"));
    assert_eq!(app.upstreams.offers.hits(), 2);
    assert_eq!(app.upstreams.reviews.hits(), 2);
}

#[tokio::test]
async fn a_cart_without_the_catalog_is_degraded_not_failed() {
    let app = spawn_app().await;
    app.browser.login().await;
    // Before any card is fetched: the response cache would otherwise serve it.
    app.upstreams.catalog.set_fault(Fault::Status(500));

    let reply = app.browser.add_to_cart("p00001", 1).await;

    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.cache_control(), "private, no-store");
    let cart = reply.json();
    assert_eq!(cart["degraded"], json!(["catalog"]));
    assert_eq!(cart["items"][0]["product_id"], "p00001");
    assert!(cart["items"][0].get("product").is_none());
    assert!(cart["items"][0]["line_total"]["amount_cents"].is_i64());
}

#[tokio::test]
async fn an_accounts_failure_is_a_generic_problem_and_an_unknown_product_a_404() {
    let app = spawn_app().await;
    app.browser.login().await;

    app.browser
        .add_to_cart("p99999", 1)
        .await
        .assert_problem(404);
    app.upstreams.accounts.set_fault(Fault::Status(500));
    let reply = app.browser.get("/api/cart").await;
    reply.assert_problem(502);
    assert_eq!(reply.cache_control(), "private, no-store");
}
