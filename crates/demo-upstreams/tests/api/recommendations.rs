use crate::helpers::TestApp;

fn ids_of(body: &serde_json::Value) -> Vec<String> {
    body["product_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn related_products_share_the_category_and_never_include_the_product() {
    let app = TestApp::spawn().await;
    let related = app
        .get(&app.up.recommendations, "/products/p00042/related")
        .await;
    assert_eq!(related.header("cache-control"), "public, max-age=60");
    let ids = ids_of(&related.json());
    assert_eq!(ids.len(), 12);
    assert!(!ids.contains(&"p00042".to_owned()));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
    let product = app.catalog("/products/p00042").await.json();
    let cards = app
        .catalog(&format!("/products?ids={}&view=card", ids.join(",")))
        .await
        .json();
    for card in cards["items"].as_array().unwrap() {
        assert_eq!(card["category"], product["category"]);
    }
    let three = ids_of(
        &app.get(&app.up.recommendations, "/products/p00042/related?limit=3")
            .await
            .json(),
    );
    assert_eq!(three, ids[..3]);
    app.get_problem(&app.up.recommendations, "/products/p09999/related", 404)
        .await;
    app.get_problem(&app.up.recommendations, "/products/x/related", 400)
        .await;
}

#[tokio::test]
async fn anonymous_popular_is_public_and_not_personalised() {
    let app = TestApp::spawn().await;
    let reply = app.get(&app.up.recommendations, "/popular?limit=20").await;
    assert_eq!(reply.header("cache-control"), "public, max-age=60");
    let body = reply.json();
    assert_eq!(body["personalised"], false);
    assert_eq!(ids_of(&body).len(), 20);
    app.get_problem(&app.up.recommendations, "/popular?limit=101", 400)
        .await;
}

#[tokio::test]
async fn popular_is_personalised_per_user_and_stable() {
    let app = TestApp::spawn().await;
    let recs = &app.up.recommendations;
    let anonymous = ids_of(&app.get(recs, "/popular").await.json());
    let ada = app.get_with_token(recs, "/popular", "demo-user-1").await;
    assert_eq!(ada.header("cache-control"), "private, max-age=60");
    let ada = ada.json();
    assert_eq!(ada["personalised"], true);
    let ada = ids_of(&ada);
    let grace = ids_of(
        &app.get_with_token(recs, "/popular", "demo-user-2")
            .await
            .json(),
    );
    let ada_again = ids_of(
        &app.get_with_token(recs, "/popular", "demo-user-1")
            .await
            .json(),
    );
    assert_eq!(ada, ada_again);
    assert_ne!(ada, grace);
    assert_ne!(ada, anonymous);
    assert_eq!(ada.len(), 12);

    app.get_with_token(recs, "/popular", "not a handle!")
        .await
        .problem(401);
}
