//! `GET /v1/products/{id}`.

use std::time::Instant;

use demo_upstreams::Service;
use demo_upstreams::fault::Fault;
use serde_json::Value;

use crate::helpers::{
    DEADLINE, SLACK, SLOW, TestApp, assert_cards, assert_problem, assert_within_deadline,
    degraded_json, keys, rendition_width, screen_json, spawn_app, spawn_app_with_fault, timed,
};

/// The catalog's own product, for comparisons.
async fn catalog_product(app: &TestApp, id: &str) -> Value {
    reqwest::get(format!("{}/products/{id}", app.upstreams.catalog.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_product_screen_has_the_compact_shape() {
    let app = spawn_app().await;

    let response = app.get_product("p00042").await;

    assert_eq!(response.headers()["cache-control"], "public, max-age=30");
    let product = screen_json(response).await;
    assert_eq!(
        keys(&product),
        [
            "id", "images", "in_stock", "name", "price", "rating", "related", "reviews", "summary"
        ]
    );
    assert_eq!(product["id"], "p00042");
    assert!(product["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(product["price"].as_str().unwrap().starts_with('€'));
    assert!(product["in_stock"].is_boolean());
    let images = product["images"].as_array().unwrap();
    assert!((1..=5).contains(&images.len()), "{images:?}");
    for image in images {
        assert_eq!(rendition_width(image), 960, "390 × 2 by default");
    }
    let summary = product["summary"].as_str().unwrap();
    assert!(
        !summary.is_empty() && summary.chars().count() <= 300,
        "{summary}"
    );
    assert!(product["rating"]["average"].is_number());
    assert!(product["rating"]["count"].is_u64());
    let reviews = product["reviews"].as_array().unwrap();
    assert!(reviews.len() <= 3);
    for review in reviews {
        assert_eq!(keys(review), ["author", "rating", "text"]);
        assert!((1..=5).contains(&review["rating"].as_u64().unwrap()));
        assert!(review["text"].as_str().unwrap().chars().count() <= 200);
    }
    assert_cards(&product["related"], 6);
}

#[tokio::test]
async fn the_summary_and_review_texts_are_cut_at_word_boundaries() {
    let app = spawn_app().await;
    // The longest description of the seeded catalog.
    let id = "p00714";

    let product = screen_json(app.get_product(id).await).await;
    let catalog = catalog_product(&app, id).await;

    let summary = product["summary"].as_str().unwrap();
    let description = catalog["description"].as_str().unwrap();
    assert!(summary.chars().count() <= 300);
    match summary.strip_suffix('…') {
        // Cut inside a paragraph: never inside a word.
        Some(cut) => {
            assert!(description.starts_with(cut), "{summary:?}");
            let next = description[cut.len()..].chars().next().unwrap();
            assert!(!next.is_alphanumeric(), "cut inside a word: {summary:?}");
        }
        // Whole leading paragraphs.
        None => {
            assert!(description.starts_with(summary), "{summary:?}");
            assert!(
                description[summary.len()..].starts_with("\n\n"),
                "{summary:?}"
            );
        }
    }
    for review in product["reviews"].as_array().unwrap() {
        let text = review["text"].as_str().unwrap();
        assert!(text.chars().count() <= 200, "{text}");
    }
}

#[tokio::test]
async fn the_product_screen_asks_each_upstream_exactly_what_it_needs() {
    let app = spawn_app().await;

    let product = screen_json(app.get_product("p00042").await).await;

    let related: Vec<String> = crate::helpers::ids(&product["related"]);
    let joined = related.join("%2C");
    let paths = |service: &demo_upstreams::testing::RunningService| {
        let mut paths: Vec<String> = service
            .requests()
            .into_iter()
            .map(|r| r.path_and_query)
            .collect();
        paths.sort();
        paths
    };
    assert_eq!(
        paths(&app.upstreams.catalog),
        [
            "/products/p00042".to_owned(),
            format!("/products?ids={joined}&view=card")
        ]
    );
    let mut offers = vec![
        "/offers?ids=p00042".to_owned(),
        format!("/offers?ids={joined}"),
    ];
    offers.sort();
    assert_eq!(paths(&app.upstreams.offers), offers);
    let mut reviews = vec![
        "/products/p00042/rating".to_owned(),
        "/products/p00042/reviews?offset=0&limit=3".to_owned(),
        format!("/ratings?ids={joined}"),
    ];
    reviews.sort();
    assert_eq!(paths(&app.upstreams.reviews), reviews);
    assert_eq!(
        paths(&app.upstreams.recommendations),
        ["/products/p00042/related?limit=6"]
    );
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

#[tokio::test]
async fn an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    assert_problem(app.get_product("p09999").await, 404, &["p09999"]).await;
}

#[tokio::test]
async fn malformed_product_ids_are_400_problems_without_upstream_calls() {
    let app = spawn_app().await;

    for (id, raw) in [
        ("bad%20id", "bad id"),
        ("p%2F00001", "p/00001"),
        ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", "<script>"),
        ("..%2F..%2Fetc", "etc"),
        ("p000000000000000000000000000000001", "p0000000000000000"),
        ("caf%C3%A9", "café"),
    ] {
        let response = app.get_product(id).await;
        assert_problem(response, 400, &[raw, id]).await;
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn with_recommendations_down_the_product_is_shown_without_related_products() {
    let app = spawn_app_with_fault(Service::Recommendations, Fault::Status(500)).await;

    let product = degraded_json(app.get_product("p00042").await, &["recommendations"]).await;

    assert!(product.get("related").is_none(), "{product}");
    assert!(product["price"].is_string());
    assert!(product["reviews"].is_array());
}

#[tokio::test]
async fn with_reviews_slower_than_the_deadline_the_product_is_shown_in_time_without_them() {
    let app = spawn_app_with_fault(Service::Reviews, SLOW).await;

    let (response, elapsed) = timed(app.get_product("p00042")).await;

    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
    let product = degraded_json(response, &["reviews"]).await;
    assert!(product.get("rating").is_none() && product.get("reviews").is_none());
    assert!(product["price"].is_string());
    let related = product["related"].as_array().unwrap();
    assert_eq!(
        related.len(),
        6,
        "the related shelf does not wait for reviews"
    );
    for card in related {
        assert!(
            card["price"].is_string() && card.get("rating").is_none(),
            "{card}"
        );
    }
}

#[tokio::test]
async fn with_offers_down_the_product_has_no_price_and_no_stock() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(500)).await;

    let product = degraded_json(app.get_product("p00042").await, &["offers"]).await;

    assert!(product.get("price").is_none() && product.get("in_stock").is_none());
}

#[tokio::test]
async fn with_the_catalog_down_the_product_is_a_502_problem() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Status(500)).await;

    assert_problem(app.get_product("p00042").await, 502, &["p00042"]).await;
}

#[tokio::test]
async fn with_a_hanging_catalog_the_product_is_a_504_problem_by_the_deadline() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Hang).await;

    let started = Instant::now();
    let response = app.get_product("p00042").await;

    assert_within_deadline(started);
    assert_problem(response, 504, &["p00042"]).await;
}

#[tokio::test]
async fn a_degraded_product_is_not_kept_and_the_complete_one_is() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(500)).await;
    degraded_json(app.get_product("p00042").await, &["offers"]).await;
    app.upstreams.offers.set_fault(Fault::None);
    app.upstreams.take_hits();

    // Rebuilt (the degraded one was not kept), complete, and then kept.
    let complete = screen_json(app.get_product("p00042").await).await;
    assert!(complete.get("degraded").is_none() && complete.get("price").is_some());
    assert!(app.upstreams.take_hits() > 0);
    let again = app.get_product("p00042").await;
    let etag = again.headers()["etag"].clone();
    assert_eq!(screen_json(again).await, complete);
    assert_eq!(app.upstreams.take_hits(), 0, "served from the screen cache");
    // A kept screen still answers a revalidation with 304.
    let revalidated = app
        .get_with(
            "/v1/products/p00042",
            &[("If-None-Match", etag.to_str().unwrap())],
        )
        .await;
    assert_eq!(revalidated.status(), 304);
}

#[tokio::test]
async fn the_upstream_pools_count_the_connections_they_open() {
    let app = spawn_app().await;

    assert_eq!(app.get_product("p00042").await.status(), 200);

    let metrics = app.metrics().await;
    for upstream in ["catalog", "offers", "reviews", "recommendations"] {
        let series = format!("upstream_connections_opened_total{{upstream=\"{upstream}\"}}");
        let opened = metrics
            .lines()
            .find_map(|line| line.strip_prefix(&series))
            .and_then(|value| value.trim().parse::<f64>().ok());
        assert!(opened.is_some_and(|n| n >= 1.0), "{series}: {metrics}");
    }
}
