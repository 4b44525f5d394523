//! `GET /v1/home`.

use std::time::Instant;

use demo_upstreams::Service;
use demo_upstreams::fault::Fault;
use demo_upstreams::testing::RecordedRequest;
use serde_json::json;

use crate::helpers::{
    INVALID_TOKEN, SLOW, TestApp, assert_card, assert_cards, assert_problem, assert_unauthorized,
    assert_within_deadline, bearer, cache_control, claims_of, degraded_json, ids, keys,
    screen_json, spawn_app, spawn_app_with_fault, varies_on,
};

#[tokio::test]
async fn home_shows_ten_featured_and_six_popular_compact_cards() {
    let app = spawn_app().await;

    let response = app.get_home().await;

    assert_eq!(response.headers()["cache-control"], "public, max-age=30");
    assert!(varies_on(&response, "Authorization"));
    let home = screen_json(response).await;
    let featured = home["featured"].as_array().unwrap();
    let popular = home["popular"].as_array().unwrap();
    assert_eq!(featured.len(), 10);
    assert_eq!(popular.len(), 6);
    featured.iter().chain(popular).for_each(assert_card);
    assert!(home.get("degraded").is_none(), "{home}");
    assert_eq!(keys(&home), ["featured", "popular"]);
}

/// The path and query of the first of `requests` whose path starts with `prefix`.
#[track_caller]
fn first_request(requests: Vec<RecordedRequest>, prefix: &str, what: &str) -> String {
    requests
        .into_iter()
        .find(|r| r.path_and_query.starts_with(prefix))
        .expect(what)
        .path_and_query
}

#[tokio::test]
async fn home_asks_the_upstreams_for_exactly_its_two_shelves() {
    let app = spawn_app().await;

    let home = screen_json(app.get_home().await).await;

    let popular = first_request(
        app.upstreams.recommendations.requests(),
        "/popular",
        "popular was asked",
    );
    assert_eq!(popular, "/popular?limit=6");
    let featured = first_request(
        app.upstreams.catalog.requests(),
        "/featured",
        "featured was asked",
    );
    assert_eq!(featured, "/featured?limit=10");
    let asked_cards = first_request(
        app.upstreams.catalog.requests(),
        "/products?",
        "the popular cards were asked",
    );
    let popular_ids = ids(&home["popular"]).join(",");
    assert_eq!(
        asked_cards,
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

    // Catalog: featured, then the popular cards.
    assert_eq!(app.hits(), [2, 1, 1, 1, 0]);
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
    let app = spawn_app_with_fault(Service::Recommendations, Fault::Status(500)).await;

    let home = degraded_json(app.get_home().await, &["recommendations"]).await;

    assert!(home.get("popular").is_none(), "{home}");
    assert_cards(&home["featured"], 10);
}

#[tokio::test]
async fn home_with_slow_recommendations_still_prices_the_featured_cards_in_time() {
    let app = spawn_app_with_fault(Service::Recommendations, SLOW).await;

    let started = Instant::now();
    let home = degraded_json(app.get_home().await, &["recommendations"]).await;

    assert_within_deadline(started);
    home["featured"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(assert_card);
}

#[tokio::test]
async fn home_with_offers_down_shows_cards_without_prices() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(503)).await;

    let home = degraded_json(app.get_home().await, &["offers"]).await;

    for card in home["featured"].as_array().unwrap() {
        assert!(card.get("price").is_none(), "{card}");
        assert!(card.get("image").is_some(), "{card}");
    }
}

#[tokio::test]
async fn home_with_the_catalog_down_is_a_502_problem() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Status(500)).await;

    let problem = assert_problem(app.get_home().await, 502, &[]).await;

    assert!(!problem.to_string().contains("catalog"), "{problem}");
}

#[tokio::test]
async fn home_with_a_hanging_catalog_is_a_504_problem_by_the_deadline() {
    let app = spawn_app_with_fault(Service::Catalog, Fault::Hang).await;

    let started = Instant::now();
    let response = app.get_home().await;

    assert_within_deadline(started);
    assert_problem(response, 504, &[]).await;
}

#[tokio::test]
async fn home_with_a_valid_token_shows_popular_products_for_you_privately() {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;
    let authorization = bearer(&token);

    let response = app.get_with("/v1/home", &[authorization.as_header()]).await;

    assert_eq!(cache_control(&response), "private, max-age=30");
    assert!(varies_on(&response, "Authorization"));
    let home = screen_json(response).await;
    assert_eq!(keys(&home), ["featured", "for_you"]);
    let for_you = home["for_you"].as_array().unwrap();
    assert_eq!(for_you.len(), 6);
    for_you.iter().for_each(assert_card);
    // The list was asked for on the user's behalf, with the user's token exchanged for one
    // of recommendations' own audience; no other upstream saw a token.
    let asked = app.upstreams.recommendations.requests();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].path_and_query, "/popular?limit=6");
    let sent = asked[0].headers["authorization"].to_str().unwrap();
    let exchanged = sent.strip_prefix("Bearer ").unwrap();
    assert_ne!(exchanged, token);
    let claims = claims_of(exchanged);
    assert_eq!(claims["aud"], serde_json::json!(["recommendations"]));
    assert_eq!(claims["sub"], claims_of(&token)["sub"]);
    for service in [
        &app.upstreams.catalog,
        &app.upstreams.offers,
        &app.upstreams.reviews,
        &app.upstreams.accounts,
    ] {
        for request in service.requests() {
            assert!(
                request.headers.get("authorization").is_none(),
                "{request:?}"
            );
        }
    }
}

#[tokio::test]
async fn home_without_a_token_shows_the_popular_shelf_to_everyone() {
    let app = spawn_app().await;

    let response = app.get_home().await;

    assert_eq!(cache_control(&response), "public, max-age=30");
    assert!(varies_on(&response, "Authorization"));
    let home = screen_json(response).await;
    assert_eq!(keys(&home), ["featured", "popular"]);
    let asked = app.upstreams.recommendations.requests();
    assert!(asked[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn home_with_an_invalid_token_is_a_401_not_the_anonymous_screen() {
    let app = spawn_app().await;
    let expired = app
        .idp
        .mint_access_token(json!({"exp": 1_000_000_000, "iat": 999_999_000, "nbf": 999_999_000}));

    for authorization in [
        bearer(&expired),
        bearer(&app.idp.mint_access_token(json!({"aud": "bff-web"}))),
        bearer("not-a-jwt"),
    ] {
        let response = app.get_with("/v1/home", &[authorization.as_header()]).await;
        assert_unauthorized(response, INVALID_TOKEN, &[]).await;
    }
    assert_eq!(app.upstream_hits(), 0);
}

/// demo-user-1's home, checked to be private and not cached, as JSON.
async fn signed_in_home_not_cached(app: &TestApp) -> serde_json::Value {
    let token = app.token_of("demo-user-1").await;
    let response = app
        .get_with("/v1/home", &[bearer(&token).as_header()])
        .await;
    assert_eq!(cache_control(&response), "private, no-cache");
    screen_json(response).await
}

#[tokio::test]
async fn a_personalised_home_with_offers_down_is_still_private() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(503)).await;

    let home = signed_in_home_not_cached(&app).await;

    assert_eq!(home["degraded"], json!(["offers"]));
    assert!(home["for_you"].is_array(), "{home}");
}

#[tokio::test]
async fn a_signed_in_home_with_recommendations_down_shows_the_featured_shelf() {
    let app = spawn_app_with_fault(Service::Recommendations, Fault::Status(500)).await;

    let home = signed_in_home_not_cached(&app).await;

    assert_eq!(keys(&home), ["degraded", "featured"]);
    assert_eq!(home["degraded"], json!(["recommendations"]));
}

#[tokio::test]
async fn a_signed_in_home_is_never_the_anonymous_screen_kept_for_everyone() {
    let app = spawn_app().await;
    // The anonymous screen, kept (shared::screen_cache): the second one costs no upstream call.
    assert_eq!(app.get_home().await.status(), 200);
    let anonymous = app.get_home().await;
    assert_eq!(cache_control(&anonymous), "public, max-age=30");
    assert_eq!(app.upstreams.take_hits(), 5, "only the first was built");
    let token = app.token_of("demo-user-1").await;

    let response = app
        .get_with("/v1/home", &[bearer(&token).as_header()])
        .await;

    assert_eq!(cache_control(&response), "private, max-age=30");
    assert_eq!(keys(&screen_json(response).await), ["featured", "for_you"]);
    let asked = app.upstreams.recommendations.requests();
    assert_eq!(asked.last().unwrap().path_and_query, "/popular?limit=6");
    // And the personal screen was not kept for the anonymous ones that follow.
    let anonymous = screen_json(app.get_home().await).await;
    assert_eq!(keys(&anonymous), ["featured", "popular"]);
}
