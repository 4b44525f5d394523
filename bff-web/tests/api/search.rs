use demo_upstreams::Service;
use demo_upstreams::fault::Fault;

use crate::helpers::{
    TestApp, assert_problem, assert_web_card, degraded_json, each_str, ok_json, public_json,
    spawn_app, spawn_app_with_fault,
};

#[tokio::test]
async fn search_returns_24_cards_a_total_page_count_and_facets() {
    let app = spawn_app().await;

    let results = public_json(app.search("").await).await;

    let total = results["total"].as_u64().unwrap();
    assert_eq!(total, 2000, "an empty search matches every product");
    assert_eq!(results["page"], 1);
    assert_eq!(results["page_count"], total.div_ceil(24));
    let items = results["items"].as_array().unwrap();
    assert_eq!(items.len(), 24);
    for card in items {
        assert_web_card(card, true);
    }
    for facet in ["categories", "brands"] {
        let values = results["facets"][facet].as_array().unwrap();
        assert!(!values.is_empty(), "{facet}");
        assert!(
            values
                .iter()
                .all(|v| v["value"].is_string() && v["count"].is_u64())
        );
    }
    let category_total: u64 = results["facets"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(category_total, total);
    assert_eq!(results["query"], serde_json::json!({"sort": "relevance"}));
    assert!(results.get("degraded").is_none());
}

#[tokio::test]
async fn search_parameters_reach_the_catalog_as_one_validated_query() {
    let app = spawn_app().await;

    let query = "q=%20%20wireless%20headphones%20&category=audio&sort=price_asc&page=3";

    let results = ok_json(app.search(query).await).await;

    assert_eq!(
        TestApp::paths(&app.upstreams.catalog),
        ["/products/search?sort=price_asc&offset=48&limit=24&q=wireless+headphones&category=audio"]
    );
    assert_eq!(
        results["query"],
        serde_json::json!({"q": "wireless headphones", "category": "audio", "sort": "price_asc"})
    );
    assert_eq!(results["page"], 3);
}

#[tokio::test]
async fn search_pages_are_consecutive_slices_of_the_results() {
    let app = spawn_app().await;

    let first = ok_json(app.search("category=audio&sort=name").await).await;
    let second = ok_json(app.search("category=audio&sort=name&page=2").await).await;

    let total = first["total"].as_u64().unwrap();
    assert!(total > 24, "{total}");
    assert_eq!(first["page_count"], total.div_ceil(24));
    assert_eq!(second["total"], total);
    let first_ids = each_str(&first["items"], "id");
    let second_ids = each_str(&second["items"], "id");
    assert!(second_ids.iter().all(|id| !first_ids.contains(id)));
    let names = each_str(&first["items"], "name");
    assert!(
        names
            .windows(2)
            .all(|w| w[0].to_lowercase() <= w[1].to_lowercase()),
        "{names:?}"
    );
}

#[tokio::test]
async fn search_fetches_offers_and_ratings_once_for_the_page() {
    let app = spawn_app().await;

    ok_json(app.search("q=wireless").await).await;

    assert_eq!(app.upstreams.catalog.hits(), 1);
    assert_eq!(app.upstreams.offers.hits(), 1);
    assert_eq!(app.upstreams.reviews.hits(), 1);
    assert_eq!(app.upstreams.recommendations.hits(), 0);
}

#[tokio::test]
async fn malformed_search_parameters_are_400_problems_without_upstream_calls() {
    let app = spawn_app().await;

    for (query, echo) in [
        ("page=0", "page=0"),
        ("page=abc", "abc"),
        ("page=401", "401"),
        ("page=-1", "-1"),
        ("sort=cheapest", "cheapest"),
        ("category=..%2Fadmin", "../admin"),
        ("category=a%20b%3Cscript%3E", "<script>"),
        ("q=a%00b", "a\\u0000b"),
    ] {
        assert_problem(app.search(query).await, 400, &[echo]).await;
    }

    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn a_q_of_201_characters_is_a_400_problem_and_one_of_200_is_accepted_and_echoed() {
    let app = spawn_app().await;
    let long_q = "x".repeat(201);
    let q = "a".repeat(200);

    assert_problem(app.search(&format!("q={long_q}")).await, 400, &[&long_q]).await;
    assert_eq!(app.upstream_hits(), 0);
    let results = ok_json(app.search(&format!("q={q}")).await).await;

    assert_eq!(results["query"]["q"], q.as_str());
}

#[tokio::test]
async fn search_without_offers_is_degraded_and_has_no_prices() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(500)).await;

    let results = degraded_json(app.search("q=wireless").await, &["offers"]).await;

    assert!(
        results["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("price").is_none())
    );
}
