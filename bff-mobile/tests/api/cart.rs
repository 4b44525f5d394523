//! The cart: `GET /v1/cart`, `POST /v1/cart/items`, `DELETE /v1/cart/items/{id}`, and the
//! profile `GET /v1/me`, with a valid token (authentication itself is in `auth.rs`).

use std::time::Instant;

use demo_upstreams::fault::Fault;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    DEADLINE, TestApp, assert_problem, assert_within_deadline, bearer, cache_control, keys,
    rendition_width, screen_json, spawn_app, spawn_app_with,
};

/// A signed-in app: the app under test and Ada's token.
async fn signed_in() -> (TestApp, String) {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;
    (app, token)
}

/// The price a line shows, in cents (`€129.99` → 12999).
fn cents(display: &Value) -> i64 {
    let text = display.as_str().expect("a display price");
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    assert!(text.starts_with('€') && text.contains('.'), "{text}");
    digits.parse().unwrap()
}

#[tokio::test]
async fn a_line_shows_its_name_unit_price_and_one_image_picked_for_the_device() {
    let (app, token) = signed_in().await;
    let authorization = bearer(&token);
    let body = json!({"product_id": "p00042", "quantity": 3});

    let response = app
        .send(
            Method::POST,
            "/v1/cart/items?w=400&dpr=3",
            &[authorization.as_header()],
            Some(&body),
        )
        .await;

    assert_eq!(cache_control(&response), "private, no-store");
    let cart = screen_json(response).await;
    assert_eq!(keys(&cart), ["count", "items", "total"]);
    let line = &cart["items"][0];
    assert_eq!(
        keys(line),
        ["image", "name", "price", "product_id", "quantity"]
    );
    assert_eq!(line["quantity"], 3);
    assert!(line["name"].as_str().is_some_and(|name| !name.is_empty()));
    assert_eq!(rendition_width(&line["image"]), 1280);
    assert_eq!(cents(&cart["total"]), 3 * cents(&line["price"]));
    assert_eq!(cart["count"], 3);

    for (headers, width) in [
        (vec![authorization.as_header()], 960),
        (vec![authorization.as_header(), ("Save-Data", "on")], 160),
    ] {
        let cart = screen_json(app.get_with("/v1/cart", &headers).await).await;
        assert_eq!(rendition_width(&cart["items"][0]["image"]), width);
    }
}

#[tokio::test]
async fn adding_a_product_twice_adds_to_its_line_and_the_total_sums_every_line() {
    let (app, token) = signed_in().await;

    screen_json(app.add_to_cart(&token, "p00007", 1).await).await;
    screen_json(app.add_to_cart(&token, "p00100", 2).await).await;
    let cart = screen_json(app.add_to_cart(&token, "p00007", 4).await).await;

    let items = cart["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (&items[0]["product_id"], &items[0]["quantity"]),
        (&json!("p00007"), &json!(5))
    );
    assert_eq!(
        (&items[1]["product_id"], &items[1]["quantity"]),
        (&json!("p00100"), &json!(2))
    );
    assert_eq!(cart["count"], 7);
    let expected: i64 = items
        .iter()
        .map(|line| cents(&line["price"]) * line["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(cents(&cart["total"]), expected);
}

#[tokio::test]
async fn a_cart_is_enriched_with_one_catalog_call_and_one_offers_call() {
    let (app, token) = signed_in().await;
    for id in ["p00003", "p00002"] {
        screen_json(app.add_to_cart(&token, id, 1).await).await;
    }
    app.reset_upstream_logs();

    // Three lines: a set of ids no earlier call asked for (the shared cache has not seen it).
    screen_json(app.add_to_cart(&token, "p00001", 1).await).await;

    // No reviews: a cart line shows no rating.
    assert_eq!(app.hits(), [1, 1, 0, 0, 1]);
    assert_eq!(
        app.upstreams.catalog.requests()[0].path_and_query,
        "/products?ids=p00003%2Cp00002%2Cp00001&view=card"
    );
    assert_eq!(
        app.upstreams.offers.requests()[0].path_and_query,
        "/offers?ids=p00003%2Cp00002%2Cp00001"
    );
}

#[tokio::test]
async fn an_empty_cart_asks_nothing_but_accounts() {
    let (app, token) = signed_in().await;

    let cart = screen_json(app.get_cart(&token).await).await;

    assert_eq!(cart, json!({"items": [], "count": 0}));
    assert_eq!(app.upstreams.accounts.hits(), 1);
    assert_eq!(app.upstream_hits(), 1);
}

#[tokio::test]
async fn with_the_catalog_down_the_lines_keep_their_prices_and_say_what_is_missing() {
    let (app, token) = signed_in().await;
    app.upstreams.catalog.set_fault(Fault::Status(500));

    let response = app.add_to_cart(&token, "p00042", 2).await;

    assert_eq!(cache_control(&response), "private, no-store");
    let cart = screen_json(response).await;
    assert_eq!(cart["degraded"], json!(["catalog"]));
    assert_eq!(keys(&cart["items"][0]), ["price", "product_id", "quantity"]);
    assert!(cart.get("total").is_some(), "{cart}");
}

#[tokio::test]
async fn with_offers_down_the_lines_have_no_price_and_the_cart_no_total() {
    let (app, token) = signed_in().await;
    app.upstreams.offers.set_fault(Fault::Status(503));

    let cart = screen_json(app.add_to_cart(&token, "p00042", 2).await).await;

    assert_eq!(cart["degraded"], json!(["offers"]));
    assert_eq!(
        keys(&cart["items"][0]),
        ["image", "name", "product_id", "quantity"]
    );
    assert_eq!(keys(&cart), ["count", "degraded", "items"]);
}

#[tokio::test]
async fn with_accounts_down_the_cart_is_a_502_problem() {
    let (app, token) = signed_in().await;
    app.upstreams.accounts.set_fault(Fault::Status(500));

    for response in [
        app.get_cart(&token).await,
        app.get_me(&token).await,
        app.add_to_cart(&token, "p00001", 1).await,
        app.remove_from_cart(&token, "p00001").await,
    ] {
        assert_eq!(cache_control(&response), "private, no-store");
        let problem = assert_problem(response, 502, &[]).await;
        assert!(!problem.to_string().contains("accounts"), "{problem}");
    }
    assert_eq!(app.upstreams.catalog.hits(), 0);
}

#[tokio::test]
async fn with_accounts_hanging_the_cart_is_a_504_problem_by_the_deadline() {
    let app = spawn_app_with(|settings| settings.screens.cart = DEADLINE).await;
    let token = app.token_of("demo-user-1").await;
    app.upstreams.accounts.set_fault(Fault::Hang);

    let started = Instant::now();
    let response = app.get_cart(&token).await;

    assert_within_deadline(started);
    assert_problem(response, 504, &[]).await;
}

#[tokio::test]
async fn an_unknown_product_is_a_404_problem() {
    let (app, token) = signed_in().await;

    let response = app.add_to_cart(&token, "p99999", 1).await;

    assert_eq!(cache_control(&response), "private, no-store");
    assert_problem(response, 404, &["p99999"]).await;
}

#[tokio::test]
async fn malformed_cart_changes_are_400_problems_that_do_not_echo_them_and_reach_no_upstream() {
    let (app, token) = signed_in().await;
    let authorization = bearer(&token);
    let marker = "zz-marker-zz";

    for (body, status) in [
        (
            format!(r#"{{"product_id": "p00001", "quantity": "{marker}"}}"#),
            400,
        ),
        (
            format!(r#"{{"product_id": "{marker}/../me", "quantity": 1}}"#),
            400,
        ),
        (
            r#"{"product_id": "p00001", "quantity": 1, "#.to_owned(),
            400,
        ),
        (format!(r#"{{"product_id": "{marker}"#), 400),
        (r#"{"product_id": "p00001", "quantity": 0}"#.to_owned(), 400),
        (
            r#"{"product_id": "p00001", "quantity": 100}"#.to_owned(),
            400,
        ),
        (
            r#"{"product_id": "p00001", "quantity": -1}"#.to_owned(),
            400,
        ),
        (
            r#"{"product_id": "p00001", "quantity": 2.5}"#.to_owned(),
            400,
        ),
        (r#"{"product_id": "p00001"}"#.to_owned(), 400),
        (r#"{"product_id": "", "quantity": 1}"#.to_owned(), 400),
        ("[]".to_owned(), 400),
        (String::new(), 400),
    ] {
        let response = app
            .send_raw(
                Method::POST,
                "/v1/cart/items",
                &[
                    authorization.as_header(),
                    ("Content-Type", "application/json"),
                ],
                body.clone(),
            )
            .await;
        assert_eq!(cache_control(&response), "private, no-store", "{body}");
        assert_problem(response, status, &[marker]).await;
    }
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let response = app
            .send_raw(
                Method::POST,
                "/v1/cart/items",
                &[authorization.as_header(), ("Content-Type", content_type)],
                r#"{"product_id": "p00001", "quantity": 1}"#.to_owned(),
            )
            .await;
        assert_problem(response, 415, &[]).await;
    }
    for id in [
        "zz-marker-zz%2F..%2Fme",
        "p00001%00",
        "%E2%82%AC",
        "p0000000000000000000000000000000001",
        "p%20001",
    ] {
        let response = app.remove_from_cart(&token, id).await;
        assert_eq!(cache_control(&response), "private, no-store", "{id}");
        assert_problem(response, 400, &[marker]).await;
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn removing_a_line_asks_accounts_for_exactly_that_product() {
    let (app, token) = signed_in().await;
    screen_json(app.add_to_cart(&token, "p00042", 1).await).await;
    screen_json(app.add_to_cart(&token, "p00043", 1).await).await;
    app.reset_upstream_logs();

    let cart = screen_json(app.remove_from_cart(&token, "p00042").await).await;

    let request = &app.upstreams.accounts.requests()[0];
    assert_eq!(request.method, Method::DELETE);
    assert_eq!(request.path_and_query, "/cart/items/p00042");
    assert_eq!(cart["items"].as_array().unwrap().len(), 1);
    assert_eq!(cart["items"][0]["product_id"], "p00043");
    // Removing a line that is not there is not an error.
    let cart = screen_json(app.remove_from_cart(&token, "p00042").await).await;
    assert_eq!(cart["count"], 1);
}

#[tokio::test]
async fn the_profile_is_the_name_and_email_of_the_tokens_user_only() {
    let (app, token) = signed_in().await;

    let me = screen_json(app.get_me(&token).await).await;

    assert_eq!(
        me,
        json!({"name": "Ada Lovelace", "email": "ada@example.test"})
    );
    let turing = app.token_of("demo-user-3").await;
    let me = screen_json(app.get_me(&turing).await).await;
    assert_eq!(me["name"], "Alan Turing");
}
