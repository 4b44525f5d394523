use demo_upstreams::Service;
use demo_upstreams::fault::Fault;

use crate::helpers::{
    DEADLINE, SLACK, SLOW, TestApp, assert_problem, assert_srcset_has_every_width, assert_web_card,
    degraded_json, each_u64, ok_json, public_json, spawn_app, spawn_app_with_deadline,
    spawn_app_with_fault, timed,
};

#[tokio::test]
async fn product_page_has_detail_offer_rating_reviews_related_and_breadcrumbs() {
    let app = spawn_app().await;

    let page = public_json(app.get_product("p00042").await).await;

    let product = &page["product"];
    assert_eq!(product["id"], "p00042");
    for field in ["name", "brand", "category"] {
        assert!(
            product[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field}"
        );
    }
    let description = product["description"].as_array().unwrap();
    assert!(!description.is_empty());
    assert!(description.iter().all(|p| {
        let p = p.as_str().unwrap();
        !p.is_empty() && !p.contains("\n\n")
    }));
    assert!(!product["features"].as_array().unwrap().is_empty());
    let spec = &product["specs"][0];
    assert!(spec["name"].is_string() && spec["value"].is_string());
    assert!(product["variants"][0]["sku"].is_string());

    let offer = &page["offer"];
    assert!(offer["price"]["display"].as_str().unwrap().starts_with('€'));
    assert!(offer["stock"].is_u64());
    assert_eq!(offer["in_stock"], offer["stock"].as_u64().unwrap() > 0);
    assert!(
        offer["delivery"]["min_days"].as_u64().unwrap()
            <= offer["delivery"]["max_days"].as_u64().unwrap()
    );

    let rating = &page["rating"];
    assert_eq!(rating["histogram"].as_array().unwrap().len(), 5);
    let histogram_total: u64 = rating["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .sum();
    assert_eq!(histogram_total, rating["count"].as_u64().unwrap());

    let reviews = &page["reviews"];
    let total = reviews["total"].as_u64().unwrap();
    let items = reviews["items"].as_array().unwrap();
    assert_eq!(items.len() as u64, total.min(10));
    if total > 10 {
        assert_eq!(reviews["next"], "/api/products/p00042/reviews?offset=10");
    } else {
        assert!(reviews.get("next").is_none());
    }

    let related = page["related"].as_array().unwrap();
    assert_eq!(related.len(), 12);
    for card in related {
        assert_web_card(card, true);
        assert_ne!(card["id"], "p00042");
    }

    let category = product["category"].as_str().unwrap();
    let crumbs = page["breadcrumbs"].as_array().unwrap();
    assert_eq!(crumbs[0], serde_json::json!({"name": "Home", "href": "/"}));
    assert_eq!(crumbs[1]["href"], format!("/search?category={category}"));
    assert_ne!(
        crumbs[1]["name"], category,
        "the category's name, not its id"
    );
    assert_eq!(crumbs[2], serde_json::json!({"name": product["name"]}));
    assert!(page.get("degraded").is_none(), "{page}");
}

#[tokio::test]
async fn product_images_have_every_rendition_in_srcset_and_in_a_list() {
    let app = spawn_app().await;

    let page = ok_json(app.get_product("p00042").await).await;

    let images = page["product"]["images"].as_array().unwrap();
    assert!((3..=8).contains(&images.len()), "{}", images.len());
    for image in images {
        assert_srcset_has_every_width(image["srcset"].as_str().unwrap());
        assert!(image["src"].as_str().unwrap().ends_with("/480.svg"));
        assert_eq!(
            each_u64(&image["renditions"], "width"),
            [160, 320, 480, 640, 960, 1280, 1600, 2048]
        );
        let renditions = image["renditions"].as_array().unwrap();
        assert!(
            renditions
                .iter()
                .all(|r| r["url"].is_string() && r["height"].is_u64())
        );
    }
}

#[tokio::test]
async fn the_product_id_reaches_each_upstream_as_one_path_segment() {
    let app = spawn_app().await;

    ok_json(app.get_product("p00042").await).await;

    let catalog = TestApp::paths(&app.upstreams.catalog);
    assert!(
        catalog.contains(&"/products/p00042".to_owned()),
        "{catalog:?}"
    );
    let reviews = TestApp::paths(&app.upstreams.reviews);
    assert!(
        reviews.contains(&"/products/p00042/rating".to_owned()),
        "{reviews:?}"
    );
    assert!(
        reviews.contains(&"/products/p00042/reviews?offset=0&limit=10".to_owned()),
        "{reviews:?}"
    );
    assert_eq!(
        TestApp::paths(&app.upstreams.recommendations),
        ["/products/p00042/related?limit=12"]
    );
    let offers = TestApp::paths(&app.upstreams.offers);
    assert!(
        offers.contains(&"/offers?ids=p00042".to_owned()),
        "{offers:?}"
    );
}

#[tokio::test]
async fn the_related_shelf_costs_one_call_per_upstream() {
    let app = spawn_app().await;

    ok_json(app.get_product("p00042").await).await;

    // Catalog: the product, the categories, the related cards.
    assert_eq!(
        app.upstreams.catalog.hits(),
        3,
        "{:?}",
        TestApp::paths(&app.upstreams.catalog)
    );
    // Offers: the product's own, then one batch for the related cards.
    assert_eq!(app.upstreams.offers.hits(), 2);
    // Reviews: rating, first page, one ratings batch for the related cards.
    assert_eq!(app.upstreams.reviews.hits(), 3);
    assert_eq!(app.upstreams.recommendations.hits(), 1);
    let batches = TestApp::paths(&app.upstreams.catalog)
        .into_iter()
        .filter(|p| p.starts_with("/products?ids="))
        .count();
    assert_eq!(batches, 1);
}

#[tokio::test]
async fn an_unknown_product_is_a_404_problem() {
    let app = spawn_app().await;

    let problem = assert_problem(app.get_product("p09999").await, 404, &["p09999"]).await;
    assert!(problem["detail"].is_string());
}

#[tokio::test]
async fn malformed_product_ids_are_400_problems_and_reach_no_upstream() {
    let app = spawn_app().await;
    let forty = "p".repeat(40);

    for (id, echo) in [
        ("p%2F..%2Fx", "..%2F"),
        ("p%2F..%2Fx", "../x"),
        (forty.as_str(), forty.as_str()),
        ("p%20001", "p 001"),
        ("p.00001", "p.00001"),
        ("%C3%A9t%C3%A9", "été"),
        ("p%00x", "p\\u0000x"),
    ] {
        assert_problem(app.get_product(id).await, 400, &[echo]).await;
        assert_problem(app.get_reviews(id, "offset=10").await, 400, &[echo]).await;
    }

    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn product_without_recommendations_is_degraded_with_no_related_cards() {
    let app = spawn_app_with_fault(Service::Recommendations, Fault::Status(500)).await;

    let page = degraded_json(app.get_product("p00042").await, &["recommendations"]).await;

    assert_eq!(page["related"], serde_json::json!([]));
    assert!(page["offer"].is_object());
    assert!(page["reviews"].is_object());
}

#[tokio::test]
async fn product_with_slow_reviews_answers_by_the_deadline_without_them() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams.reviews.set_fault(SLOW);

    let (response, elapsed) = timed(app.get_product("p00042")).await;
    let page = degraded_json(response, &["reviews"]).await;

    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
    assert!(page.get("rating").is_none());
    assert!(page.get("reviews").is_none());
    // The related shelf did not wait for the slow section: cards and prices are there.
    let related = page["related"].as_array().unwrap();
    assert_eq!(related.len(), 12);
    assert!(
        related
            .iter()
            .all(|c| c["price"].is_object() && c.get("rating").is_none())
    );
}

#[tokio::test]
async fn product_without_categories_falls_back_to_the_category_id_in_the_breadcrumbs() {
    let app = spawn_app().await;
    app.upstreams
        .catalog
        .set_fault_for_routes(Fault::Status(500), ["/categories"]);

    let page = degraded_json(app.get_product("p00042").await, &["categories"]).await;

    assert_eq!(page["breadcrumbs"][1]["name"], page["product"]["category"]);
}

#[tokio::test]
async fn product_without_offers_has_no_offer_and_unpriced_related_cards() {
    let app = spawn_app_with_fault(Service::Offers, Fault::Status(503)).await;

    let page = degraded_json(app.get_product("p00042").await, &["offers"]).await;

    assert!(page.get("offer").is_none());
    assert!(page["related"][0].get("price").is_none());
}

#[tokio::test]
async fn product_is_a_504_problem_within_the_deadline_when_the_catalog_hangs() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams.catalog.set_fault(Fault::Hang);

    let (response, elapsed) = timed(app.get_product("p00042")).await;

    assert_problem(response, 504, &[]).await;
    assert!(elapsed < DEADLINE + SLACK, "{elapsed:?}");
}
