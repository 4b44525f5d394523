//! `/graphql`: batching (calls counted at the upstreams), partial failure, and the session.
//! Safety (limits, persisted queries, transport) is in `graphql_safety.rs`.

use demo_upstreams::fault::Fault;
use serde_json::{Value, json};

use crate::helpers::{Browser, DEADLINE, TestApp, spawn_app, spawn_app_with_deadline};

/// POSTs `query` with `variables` as the browser (cookies, `X-CSRF: 1`); the JSON answer.
pub async fn gql(browser: &Browser, query: &str, variables: Value) -> Value {
    let reply = browser
        .post_json("/graphql", &json!({"query": query, "variables": variables}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.cache_control(), "private, no-store");
    assert!(reply.header("access-control-allow-origin").is_none());
    reply.json()
}

/// Requests per upstream since the last call (and resets the logs).
fn calls(app: &TestApp) -> [usize; 5] {
    app.services().map(|(_, service)| {
        let hits = service.hits();
        service.reset_log();
        hits
    })
}

/// The codes of a response's errors.
pub fn codes(response: &Value) -> Vec<String> {
    response["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    e["extensions"]["code"]
                        .as_str()
                        .unwrap_or("none")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

const CARD_FIELDS: &str =
    "id name brand href mainImage { src srcset } offer { price inStock } rating { average count }";

#[tokio::test]
async fn a_page_of_24_products_with_offers_and_ratings_is_one_call_per_upstream() {
    let app = spawn_app().await;
    let query = format!("{{ search(first: 24) {{ totalCount products {{ {CARD_FIELDS} }} }} }}");

    let response = gql(&app.browser, &query, json!({})).await;

    assert!(response.get("errors").is_none(), "{response}");
    let products = response["data"]["search"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 24);
    for product in products {
        assert!(product["offer"]["price"].is_string(), "{product}");
        assert!(product["rating"]["count"].is_u64(), "{product}");
        let srcset = product["mainImage"]["srcset"].as_str().unwrap();
        assert_eq!(srcset.matches("w,").count(), 7, "eight renditions");
    }
    // catalog, offers, reviews, recommendations, accounts
    assert_eq!(calls(&app), [1, 1, 1, 0, 0]);
    let offers = TestApp::paths(&app.upstreams.offers);
    assert!(offers.is_empty(), "the logs were reset: {offers:?}");
}

#[tokio::test]
async fn detail_fields_of_a_list_are_one_batched_catalog_call() {
    let app = spawn_app().await;
    let query = "{ search(first: 24) { products { id description specs { name } images { srcset } \
                 variants { sku } } } }";

    let response = gql(&app.browser, query, json!({})).await;

    assert!(response.get("errors").is_none(), "{response}");
    let products = response["data"]["search"]["products"].as_array().unwrap();
    assert!(
        products
            .iter()
            .all(|p| p["specs"].as_array().is_some_and(|s| !s.is_empty()))
    );
    let catalog = TestApp::paths(&app.upstreams.catalog);
    assert_eq!(catalog.len(), 2, "search, then one full batch: {catalog:?}");
    assert!(catalog[1].starts_with("/products?ids="), "{catalog:?}");
    assert_eq!(
        catalog[1].matches("%2C").count() + catalog[1].matches(',').count(),
        23
    );
}

#[tokio::test]
async fn the_home_shelves_are_batched() {
    let app = spawn_app().await;
    let query = format!(
        "{{ home {{ hero {{ title image {{ srcset }} }} featured {{ {CARD_FIELDS} }} \
         popular(first: 12) {{ {CARD_FIELDS} }} }} categories {{ id name }} }}"
    );

    let response = gql(&app.browser, &query, json!({})).await;

    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(
        response["data"]["home"]["featured"]
            .as_array()
            .unwrap()
            .len(),
        24
    );
    assert_eq!(
        response["data"]["home"]["popular"]
            .as_array()
            .unwrap()
            .len(),
        12
    );
    let [catalog, offers, reviews, recommendations, accounts] = calls(&app);
    // featured, categories, the popular cards; offers and ratings at most once per shelf (the
    // popular shelf's ids arrive a call later), never once per product.
    assert_eq!(catalog, 3);
    assert!((1..=2).contains(&offers), "offers: {offers}");
    assert!((1..=2).contains(&reviews), "ratings: {reviews}");
    assert_eq!((recommendations, accounts), (1, 0));
}

#[tokio::test]
async fn the_product_query_is_the_product_page_without_a_call_per_related_product() {
    let app = spawn_app().await;
    let query = format!(
        "query($id: ID!) {{ product(id: $id) {{ name description images {{ srcset }} \
         offer {{ price }} rating {{ average }} reviews(first: 10) {{ totalCount \
         pageInfo {{ hasNextPage endCursor }} nodes {{ author rating }} }} \
         related(first: 12) {{ {CARD_FIELDS} }} }} }}"
    );

    // A product with more than 10 reviews, so that the page has a next one.
    let ratings = "{ search(first: 48) { products { id rating { count } } } }";
    let shelf = gql(&app.browser, ratings, json!({})).await;
    let products = shelf["data"]["search"]["products"].as_array().unwrap();
    let busy = products
        .iter()
        .find(|p| p["rating"]["count"].as_u64() > Some(20));
    let id = busy.expect("a product with more than 20 reviews")["id"].clone();
    calls(&app);

    let response = gql(&app.browser, &query, json!({"id": id})).await;

    assert!(response.get("errors").is_none(), "{response}");
    let product = &response["data"]["product"];
    assert_eq!(product["reviews"]["nodes"].as_array().unwrap().len(), 10);
    assert_eq!(product["related"].as_array().unwrap().len(), 12);
    let [catalog, offers, reviews, recommendations, _] = calls(&app);
    assert_eq!(
        catalog, 2,
        "the product, then one card batch for the related ones"
    );
    assert!((1..=2).contains(&offers), "offers: {offers}");
    assert!(
        (2..=3).contains(&reviews),
        "the page, and ratings once or twice: {reviews}"
    );
    assert_eq!(recommendations, 1);

    // The next page through the cursor.
    let cursor = product["reviews"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let next = gql(
        &app.browser,
        "query($id: ID!, $a: String) { product(id: $id) { reviews(first: 10, after: $a) { nodes { id } } } }",
        json!({"id": id, "a": cursor}),
    )
    .await;
    assert!(next.get("errors").is_none(), "{next}");
    let pages = TestApp::paths(&app.upstreams.reviews);
    assert!(pages.iter().any(|p| p.contains("offset=10")), "{pages:?}");
}

#[tokio::test]
async fn the_product_page_query_answers_what_the_rest_page_shows() {
    let app = spawn_app().await;
    let query = &bff_web::graphql::persisted::manifest_body("ProductPage").unwrap();
    let id = "p00042";

    let rest = app.browser.get(&format!("/api/products/{id}")).await.json();
    let graphql = gql(&app.browser, query, json!({"id": id})).await;

    assert!(graphql.get("errors").is_none(), "{graphql}");
    let product = &graphql["data"]["product"];
    assert_eq!(product["name"], rest["product"]["name"]);
    assert_eq!(product["features"], rest["product"]["features"]);
    assert_eq!(product["offer"]["price"], rest["offer"]["price"]["display"]);
    assert_eq!(product["offer"]["stock"], rest["offer"]["stock"]);
    assert_eq!(product["offer"]["inStock"], rest["offer"]["in_stock"]);
    assert_eq!(product["rating"]["count"], rest["rating"]["count"]);
    assert_eq!(product["rating"]["histogram"], rest["rating"]["histogram"]);
    let ids = |list: &Value, key: &str| -> Vec<Value> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item[key].clone())
            .collect()
    };
    for key in ["name", "href"] {
        let trail = ids(&product["breadcrumbs"], key);
        assert_eq!(trail, ids(&rest["breadcrumbs"], key), "breadcrumbs' {key}");
    }
    assert_eq!(ids(&product["related"], "id"), ids(&rest["related"], "id"));
    assert_eq!(
        ids(&product["reviews"]["nodes"], "id"),
        ids(&rest["reviews"]["items"], "id")
    );
    assert_eq!(
        product["images"].as_array().unwrap().len(),
        rest["product"]["images"].as_array().unwrap().len()
    );
}

#[tokio::test]
async fn per_product_fields_are_refused_below_lists() {
    let app = spawn_app().await;

    let response = gql(
        &app.browser,
        "{ search(first: 24) { products { id reviews { totalCount } related { id } \
         breadcrumbs { name } rating { histogram } } } }",
        json!({}),
    )
    .await;

    let errors = response["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 96);
    assert!(codes(&response).iter().all(|c| c == "SINGLE_PRODUCT_ONLY"));
    assert_eq!(errors[0]["path"][0], "search");
    // The search, and the ratings batch of `rating` (allowed on lists; its histogram is not).
    let [catalog, offers, reviews, recommendations, _] = calls(&app);
    assert_eq!((catalog, offers, reviews, recommendations), (1, 0, 1, 0));
}

#[tokio::test]
async fn a_failed_optional_upstream_is_a_null_field_with_its_path_and_section() {
    let app = spawn_app().await;
    app.upstreams.offers.set_fault(Fault::Status(500));

    let query = "{ search(first: 3) { products { name offer { price } rating { count } } } }";
    let response = gql(&app.browser, query, json!({})).await;

    let products = response["data"]["search"]["products"].as_array().unwrap();
    assert_eq!(products.len(), 3);
    for (i, product) in products.iter().enumerate() {
        assert!(product["name"].is_string());
        assert!(product["offer"].is_null());
        assert!(product["rating"]["count"].is_u64());
        let error = response["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == json!(["search", "products", i, "offer"]))
            .unwrap_or_else(|| panic!("no error for product {i}: {response}"));
        assert_eq!(error["extensions"]["code"], "DEGRADED");
        assert_eq!(error["extensions"]["section"], "offers");
        assert!(!error["message"].as_str().unwrap().contains("500"));
    }
}

#[tokio::test]
async fn a_failed_critical_upstream_fails_the_query_with_a_code_and_no_internals() {
    let app = spawn_app().await;
    app.upstreams.catalog.set_fault(Fault::Status(503));

    let response = gql(&app.browser, "{ search { totalCount } }", json!({})).await;

    assert!(response["data"].is_null(), "{response}");
    assert_eq!(codes(&response), ["UPSTREAM_UNAVAILABLE"]);
    let text = response.to_string();
    let catalog_port = app.upstreams.catalog.addr().port().to_string();
    for internal in [
        "catalog",
        "503",
        "127.0.0.1",
        catalog_port.as_str(),
        "upstream ",
    ] {
        assert!(!text.contains(internal), "{internal} in {text}");
    }

    app.upstreams.catalog.set_fault(Fault::None);
    let missing = gql(
        &app.browser,
        "{ product(id: \"p99999\") { name } }",
        json!({}),
    )
    .await;
    assert!(missing["data"]["product"].is_null());
    assert_eq!(codes(&missing), ["NOT_FOUND"]);
}

#[tokio::test]
async fn bad_arguments_are_refused_before_any_call_without_echoing_them() {
    let app = spawn_app().await;

    for (query, variables) in [
        (
            "query($id: ID!) { product(id: $id) { name } }",
            json!({"id": "../../etc/passwd"}),
        ),
        (
            "query($c: String) { search(category: $c) { totalCount } }",
            json!({"c": "a b<script>"}),
        ),
        ("{ search(first: 1000) { totalCount } }", json!({})),
        ("{ search(after: \"bm9wZQ\") { totalCount } }", json!({})),
    ] {
        let response = gql(&app.browser, query, variables.clone()).await;
        assert_eq!(codes(&response), ["BAD_USER_INPUT"], "{query}: {response}");
        let text = response.to_string();
        assert!(
            !text.contains("passwd") && !text.contains("<script>"),
            "{text}"
        );
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn me_and_cart_need_the_session_and_the_cart_lines_are_batched() {
    let app = spawn_app().await;
    let anonymous = gql(
        &app.browser,
        "{ me { name } cart { totalQuantity } }",
        json!({}),
    )
    .await;
    assert_eq!(codes(&anonymous), ["UNAUTHENTICATED", "UNAUTHENTICATED"]);
    // A session cookie that leads nowhere is cleared, as `/api` clears it.
    app.browser.plant_cookie("session=garbage");
    let planted = app
        .browser
        .post_json("/graphql", &json!({"query": "{ me { name } }"}))
        .await;
    assert_eq!(codes(&planted.json()), ["UNAUTHENTICATED"]);
    assert_eq!(
        planted.set_cookie("session"),
        Some("session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
    );
    let mutation = "mutation($p: ID!) { addToCart(productId: $p, quantity: 2) { totalQuantity } }";
    let refused = gql(&app.browser, mutation, json!({"p": "p00001"})).await;
    assert_eq!(codes(&refused), ["UNAUTHENTICATED"]);
    assert_eq!(app.upstream_hits(), 0);

    app.browser.login().await;
    for id in ["p00001", "p00002", "p00003"] {
        let added = gql(&app.browser, mutation, json!({"p": id})).await;
        assert!(added.get("errors").is_none(), "{added}");
    }
    calls(&app);
    let response = gql(
        &app.browser,
        &format!(
            "{{ me {{ name }} cart {{ totalQuantity lines {{ quantity product {{ {CARD_FIELDS} }} }} }} }}"
        ),
        json!({}),
    )
    .await;

    assert!(response.get("errors").is_none(), "{response}");
    assert_eq!(response["data"]["me"]["name"], "Ada Lovelace");
    assert_eq!(response["data"]["cart"]["totalQuantity"], 6);
    let lines = response["data"]["cart"]["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .all(|l| l["product"]["offer"]["price"].is_string())
    );
    assert_eq!(
        calls(&app),
        [1, 1, 1, 0, 2],
        "me and cart, then one batch each"
    );

    let removed = gql(
        &app.browser,
        "mutation { removeFromCart(productId: \"p00002\") { totalQuantity } }",
        json!({}),
    )
    .await;
    assert_eq!(removed["data"]["removeFromCart"]["totalQuantity"], 4);
}

#[tokio::test]
async fn the_query_deadline_leaves_a_hanging_section_out_and_fails_a_hanging_critical_call() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams.offers.set_fault(Fault::Hang);

    let query = "{ search(first: 2) { products { name offer { price } } } }";
    let response = gql(&app.browser, query, json!({})).await;

    let products = response["data"]["search"]["products"].as_array().unwrap();
    assert!(
        products
            .iter()
            .all(|p| p["name"].is_string() && p["offer"].is_null())
    );
    assert!(
        codes(&response).iter().all(|c| c == "DEGRADED"),
        "{response}"
    );

    app.upstreams.catalog.set_fault(Fault::Hang);
    let response = gql(&app.browser, "{ search { totalCount } }", json!({})).await;
    assert!(response["data"].is_null());
    assert_eq!(codes(&response), ["UPSTREAM_TIMEOUT"]);
}
