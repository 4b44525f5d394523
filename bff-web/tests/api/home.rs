use demo_upstreams::Service;
use demo_upstreams::fault::Fault;

use crate::helpers::{
    DEADLINE, SLACK, SLOW, TestApp, assert_problem, assert_srcset_has_every_width, assert_web_card,
    degraded_json, ok_json, public_json, spawn_app, spawn_app_with_deadline, spawn_app_with_fault,
    timed,
};

#[tokio::test]
async fn home_has_a_hero_categories_24_featured_and_12_popular_cards() {
    let app = spawn_app().await;

    let home = public_json(app.get_home().await).await;

    let hero = &home["hero"];
    assert!(hero["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(hero["subtitle"].is_string());
    let product_id = hero["product_id"].as_str().unwrap();
    assert_eq!(hero["href"], format!("/products/{product_id}"));
    assert_srcset_has_every_width(hero["image"]["srcset"].as_str().unwrap());

    let categories = home["categories"].as_array().unwrap();
    assert!(!categories.is_empty());
    for category in categories {
        assert!(category["name"].is_string());
        assert!(category["product_count"].as_u64().unwrap() > 0);
        let id = category["id"].as_str().unwrap();
        assert_eq!(category["href"], format!("/search?category={id}"));
    }

    let featured = home["featured"].as_array().unwrap();
    let popular = home["popular"].as_array().unwrap();
    assert_eq!(featured.len(), 24);
    assert_eq!(popular.len(), 12);
    for card in featured.iter().chain(popular) {
        assert_web_card(card, true);
    }
    assert!(home.get("degraded").is_none(), "{home}");
}

#[tokio::test]
async fn home_fetches_offers_and_ratings_once_for_both_shelves() {
    let app = spawn_app().await;

    let home = ok_json(app.get_home().await).await;

    assert_eq!(app.upstreams.offers.hits(), 1, "one offers call");
    assert_eq!(app.upstreams.reviews.hits(), 1, "one ratings call");
    assert_eq!(app.upstreams.recommendations.hits(), 1);
    assert_eq!(
        app.upstreams.catalog.hits(),
        3,
        "featured, categories, popular cards: {:?}",
        TestApp::paths(&app.upstreams.catalog)
    );
    assert_eq!(app.upstreams.accounts.hits(), 0);

    let offers = &TestApp::paths(&app.upstreams.offers)[0];
    let ratings = &TestApp::paths(&app.upstreams.reviews)[0];
    assert!(offers.starts_with("/offers?ids="), "{offers}");
    assert!(ratings.starts_with("/ratings?ids="), "{ratings}");
    let shelves = home["featured"]
        .as_array()
        .unwrap()
        .iter()
        .chain(home["popular"].as_array().unwrap());
    for card in shelves {
        let id = card["id"].as_str().unwrap();
        assert!(offers.contains(id), "{id} not in {offers}");
        assert!(ratings.contains(id), "{id} not in {ratings}");
    }
    let catalog = TestApp::paths(&app.upstreams.catalog);
    assert!(
        catalog.contains(&"/featured?limit=24".to_owned()),
        "{catalog:?}"
    );
    assert!(catalog.contains(&"/categories".to_owned()), "{catalog:?}");
    assert_eq!(
        TestApp::paths(&app.upstreams.recommendations),
        ["/popular?limit=12"]
    );
}

#[tokio::test]
async fn home_without_recommendations_is_degraded_with_an_empty_popular_shelf() {
    let app = spawn_app_with_fault(Service::Recommendations, Fault::Status(500)).await;

    let home = degraded_json(app.get_home().await, &["recommendations"]).await;

    assert_eq!(home["popular"], serde_json::json!([]));
    assert_eq!(home["featured"].as_array().unwrap().len(), 24);
}

#[tokio::test]
async fn home_without_offers_has_cards_without_prices() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(500)).await;

    let home = degraded_json(app.get_home().await, &["offers"]).await;

    for card in home["featured"].as_array().unwrap() {
        assert!(card.get("price").is_none() && card.get("in_stock").is_none());
        assert!(card["rating"].is_object());
    }
}

#[tokio::test]
async fn home_with_slow_categories_answers_by_the_deadline_with_both_shelves() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams
        .catalog
        .set_fault_for_routes(SLOW, ["/categories"]);

    let (response, elapsed) = timed(app.get_home()).await;
    let home = degraded_json(response, &["categories"]).await;

    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
    assert_eq!(home["featured"].as_array().unwrap().len(), 24);
    assert_eq!(home["popular"].as_array().unwrap().len(), 12);
    assert!(home["featured"][0]["price"].is_object());
}

#[tokio::test]
async fn home_is_a_502_problem_when_the_catalog_fails() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Status(500)).await;

    assert_problem(app.get_home().await, 502, &[]).await;
}

#[tokio::test]
async fn home_is_a_502_problem_when_the_catalog_sends_garbage() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Garbage).await;

    assert_problem(app.get_home().await, 502, &[]).await;
}

#[tokio::test]
async fn home_is_a_504_problem_within_the_deadline_when_the_catalog_hangs() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams.catalog.set_fault(Fault::Hang);

    let (response, elapsed) = timed(app.get_home()).await;

    assert_problem(response, 504, &[]).await;
    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
}
