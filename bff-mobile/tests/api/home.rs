//! `GET /v1/home`.

use std::time::{Duration, Instant};

use demo_upstreams::fault::Fault;

use crate::helpers::{
    DEADLINE, SLACK, assert_card, assert_problem, ids, keys, screen_json, spawn_app,
};

#[tokio::test]
async fn home_shows_ten_featured_and_six_popular_compact_cards() {
    let app = spawn_app().await;

    let response = app.get_home().await;

    assert_eq!(response.headers()["cache-control"], "public, max-age=30");
    let home = screen_json(response).await;
    let featured = home["featured"].as_array().unwrap();
    let popular = home["popular"].as_array().unwrap();
    assert_eq!(featured.len(), 10);
    assert_eq!(popular.len(), 6);
    featured.iter().chain(popular).for_each(assert_card);
    assert!(home.get("degraded").is_none(), "{home}");
    assert_eq!(keys(&home), ["featured", "popular"]);
}

#[tokio::test]
async fn home_asks_the_upstreams_for_exactly_its_two_shelves() {
    let app = spawn_app().await;

    let home = screen_json(app.get_home().await).await;

    let popular = app
        .upstreams
        .recommendations
        .requests()
        .into_iter()
        .find(|r| r.path_and_query.starts_with("/popular"))
        .expect("popular was asked");
    assert_eq!(popular.path_and_query, "/popular?limit=6");
    let featured = app
        .upstreams
        .catalog
        .requests()
        .into_iter()
        .find(|r| r.path_and_query.starts_with("/featured"))
        .expect("featured was asked");
    assert_eq!(featured.path_and_query, "/featured?limit=10");
    let asked_cards = app
        .upstreams
        .catalog
        .requests()
        .into_iter()
        .find(|r| r.path_and_query.starts_with("/products?"))
        .expect("the popular cards were asked");
    let popular_ids = ids(&home["popular"]).join(",");
    assert_eq!(
        asked_cards.path_and_query,
        format!(
            "/products?ids={}&view=card",
            popular_ids.replace(',', "%2C")
        )
    );
}

#[tokio::test]
async fn home_fetches_offers_and_ratings_for_both_shelves_in_one_call_each() {
    let app = spawn_app().await;

    let home = screen_json(app.get_home().await).await;

    assert_eq!(app.upstreams.offers.hits(), 1);
    assert_eq!(app.upstreams.reviews.hits(), 1);
    assert_eq!(
        app.upstreams.catalog.hits(),
        2,
        "featured, then the popular cards"
    );
    assert_eq!(app.upstreams.recommendations.hits(), 1);
    assert_eq!(app.upstreams.accounts.hits(), 0);
    let mut expected: Vec<String> = ids(&home["featured"]);
    for id in ids(&home["popular"]) {
        if !expected.contains(&id) {
            expected.push(id);
        }
    }
    let offers = &app.upstreams.offers.requests()[0];
    assert_eq!(
        offers.path_and_query,
        format!("/offers?ids={}", expected.join("%2C"))
    );
    let ratings = &app.upstreams.reviews.requests()[0];
    assert_eq!(
        ratings.path_and_query,
        format!("/ratings?ids={}", expected.join("%2C"))
    );
}

#[tokio::test]
async fn home_with_recommendations_down_still_shows_the_featured_shelf() {
    let app = spawn_app().await;
    app.upstreams.recommendations.set_fault(Fault::Status(500));

    let response = app.get_home().await;

    assert_eq!(response.headers()["cache-control"], "no-cache");
    let home = screen_json(response).await;
    assert_eq!(home["degraded"], serde_json::json!(["recommendations"]));
    assert!(home.get("popular").is_none(), "{home}");
    let featured = home["featured"].as_array().unwrap();
    assert_eq!(featured.len(), 10);
    featured.iter().for_each(assert_card);
}

#[tokio::test]
async fn home_with_slow_recommendations_still_prices_the_featured_cards_in_time() {
    let app = spawn_app().await;
    app.upstreams
        .recommendations
        .set_fault(Fault::Delay(Duration::from_secs(2)));

    let started = Instant::now();
    let home = screen_json(app.get_home().await).await;

    assert!(
        started.elapsed() < DEADLINE + SLACK,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(home["degraded"], serde_json::json!(["recommendations"]));
    home["featured"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(assert_card);
}

#[tokio::test]
async fn home_with_offers_down_shows_cards_without_prices() {
    let app = spawn_app().await;
    app.upstreams.offers.set_fault(Fault::Status(503));

    let home = screen_json(app.get_home().await).await;

    assert_eq!(home["degraded"], serde_json::json!(["offers"]));
    for card in home["featured"].as_array().unwrap() {
        assert!(card.get("price").is_none(), "{card}");
        assert!(card.get("image").is_some(), "{card}");
    }
}

#[tokio::test]
async fn home_with_the_catalog_down_is_a_502_problem() {
    let app = spawn_app().await;
    app.upstreams.catalog.set_fault(Fault::Status(500));

    let problem = assert_problem(app.get_home().await, 502, &[]).await;

    assert!(!problem.to_string().contains("catalog"), "{problem}");
}

#[tokio::test]
async fn home_with_a_hanging_catalog_is_a_504_problem_by_the_deadline() {
    let app = spawn_app().await;
    app.upstreams.catalog.set_fault(Fault::Hang);

    let started = Instant::now();
    let response = app.get_home().await;

    assert!(
        started.elapsed() < DEADLINE + SLACK,
        "{:?}",
        started.elapsed()
    );
    assert_problem(response, 504, &[]).await;
}
