//! `GET /v1/search?q=&cursor=`.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use demo_upstreams::Service;
use demo_upstreams::fault::Fault;
use serde_json::Value;

use crate::helpers::{
    assert_card, assert_problem, ids, keys, screen_json, spawn_app, spawn_app_with_fault,
};

/// A query with 43 matches in the seeded catalog: three pages.
const QUERY: &str = "headphones";

#[tokio::test]
async fn a_search_returns_twenty_cards_the_total_and_a_cursor() {
    let app = spawn_app().await;

    let response = app.get_search(&format!("q={QUERY}")).await;

    assert_eq!(response.headers()["cache-control"], "public, max-age=30");
    let page = screen_json(response).await;
    assert_eq!(keys(&page), ["items", "next_cursor", "total"]);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 20);
    items.iter().for_each(assert_card);
    assert!(page["total"].as_u64().unwrap() > 40);
    let cursor = page["next_cursor"].as_str().unwrap();
    assert!(
        !cursor.contains('=') && !cursor.contains("20"),
        "opaque: {cursor}"
    );
    let searched = &app.upstreams.catalog.requests()[0];
    assert_eq!(
        searched.path_and_query,
        format!("/products/search?sort=relevance&offset=0&limit=20&q={QUERY}")
    );
}

#[tokio::test]
async fn cursor_paging_walks_every_result_exactly_once() {
    let app = spawn_app().await;

    let mut seen = Vec::new();
    let mut query = format!("q={QUERY}");
    let mut pages = 0;
    let total = loop {
        let page = screen_json(app.get_search(&query).await).await;
        pages += 1;
        seen.extend(ids(&page["items"]));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("q={QUERY}&cursor={cursor}"),
            None => break page["total"].as_u64().unwrap(),
        }
        assert!(pages < 10, "paging does not end");
    };

    assert_eq!(pages, 3);
    assert_eq!(seen.len() as u64, total);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "pages overlap");
}

#[tokio::test]
async fn blank_search_text_lists_the_whole_catalog() {
    let app = spawn_app().await;

    let page = screen_json(app.get_search("q=%20%20").await).await;

    assert_eq!(page["total"], 2000);
    assert_eq!(page["items"].as_array().unwrap().len(), 20);
    let searched = &app.upstreams.catalog.requests()[0];
    assert!(
        !searched.path_and_query.contains("q="),
        "{}",
        searched.path_and_query
    );
}

#[tokio::test]
async fn the_search_text_is_trimmed() {
    let app = spawn_app().await;

    screen_json(app.get_search(&format!("q=%20{QUERY}%20")).await).await;

    let searched = &app.upstreams.catalog.requests()[0];
    assert!(searched.path_and_query.ends_with(&format!("&q={QUERY}")));
}

#[tokio::test]
async fn a_search_fetches_offers_and_ratings_for_the_page_in_one_call_each() {
    let app = spawn_app().await;

    let page = screen_json(app.get_search(&format!("q={QUERY}")).await).await;

    assert_eq!(app.upstreams.catalog.hits(), 1);
    assert_eq!(app.upstreams.offers.hits(), 1);
    assert_eq!(app.upstreams.reviews.hits(), 1);
    assert_eq!(app.upstreams.recommendations.hits(), 0);
    let joined = ids(&page["items"]).join("%2C");
    assert_eq!(
        app.upstreams.offers.requests()[0].path_and_query,
        format!("/offers?ids={joined}")
    );
}

#[tokio::test]
async fn invalid_cursors_are_400_problems_that_do_not_echo_them() {
    let app = spawn_app().await;
    let encode = |text: &str| URL_SAFE_NO_PAD.encode(text);

    for cursor in [
        "not*base64".to_owned(),
        "djE6NDA=".to_owned(), // padded
        encode("v2:40"),
        encode("v1:abc"),
        encode("v1:-20"),
        encode("v1:30"),
        encode("v1:10020"),
        encode("v1:040"),
        encode("40"),
        String::new(),
        "A".repeat(100),
    ] {
        let response = app.get_search(&format!("q={QUERY}&cursor={cursor}")).await;
        let echoed: Vec<&str> = [cursor.as_str()]
            .into_iter()
            .filter(|c| c.len() > 3)
            .collect();
        assert_problem(response, 400, &echoed).await;
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn the_deepest_page_is_served_and_has_no_next_cursor() {
    let app = spawn_app().await;
    let deepest = URL_SAFE_NO_PAD.encode("v1:10000");

    let page = screen_json(app.get_search(&format!("cursor={deepest}")).await).await;

    assert_eq!(page["items"], Value::Array(vec![]));
    assert!(page.get("next_cursor").is_none(), "{page}");
}

#[tokio::test]
async fn too_long_search_texts_are_400_problems() {
    let app = spawn_app().await;
    let longest = "é".repeat(200);
    let too_long = "é".repeat(201);

    let ok = app
        .get_search(&format!("q={}", encode_query(&longest)))
        .await;
    assert_eq!(ok.status(), 200);
    app.reset_upstream_logs();

    let response = app
        .get_search(&format!("q={}", encode_query(&too_long)))
        .await;
    assert_problem(response, 400, &["éé"]).await;
    let control = app.get_search("q=lamp%00").await;
    assert_problem(control, 400, &["lamp"]).await;
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn with_the_catalog_down_a_search_is_a_502_problem() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Status(500)).await;

    assert_problem(app.get_search(&format!("q={QUERY}")).await, 502, &[QUERY]).await;
}

fn encode_query(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}
