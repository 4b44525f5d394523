use demo_upstreams::Service;
use demo_upstreams::fault::Fault;

use crate::helpers::{
    TestApp, assert_problem, ok_json, public_json, spawn_app, spawn_app_with_fault,
};

#[tokio::test]
async fn the_next_link_leads_to_the_next_ten_reviews() {
    let app = spawn_app().await;
    // Find a product with more than 20 reviews, so the second page links to a third.
    let mut found = None;
    for n in 1..=40 {
        let id = format!("p{n:05}");
        let page = ok_json(app.get_product(&id).await).await;
        if page["reviews"]["total"].as_u64().unwrap() > 20 {
            found = Some((id, page));
            break;
        }
    }
    let (id, page) = found.expect("a product with more than 20 reviews");
    let next = page["reviews"]["next"].as_str().unwrap().to_owned();
    assert_eq!(next, format!("/api/products/{id}/reviews?offset=10"));
    app.upstreams.reviews.reset_log();

    let second = public_json(app.get(&next).await).await;

    assert_eq!(second["product_id"], id.as_str());
    assert_eq!(second["offset"], 10);
    assert_eq!(second["total"], page["reviews"]["total"]);
    let items = second["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    for review in items {
        for field in ["id", "author", "title", "body", "created_at"] {
            assert!(review[field].is_string(), "{field}");
        }
        assert!((1..=5).contains(&review["rating"].as_u64().unwrap()));
    }
    assert_ne!(items[0]["id"], page["reviews"]["items"][0]["id"]);
    assert_eq!(
        second["next"],
        format!("/api/products/{id}/reviews?offset=20")
    );
    assert_eq!(
        TestApp::paths(&app.upstreams.reviews),
        [format!("/products/{id}/reviews?offset=10&limit=10")]
    );
}

#[tokio::test]
async fn the_last_page_of_reviews_has_no_next_link() {
    let app = spawn_app().await;
    let page = ok_json(app.get_product("p00001").await).await;
    let total = page["reviews"]["total"].as_u64().unwrap();
    let last = total.saturating_sub(1);

    let response = app.get_reviews("p00001", &format!("offset={last}")).await;
    let reviews = ok_json(response).await;

    assert!(reviews.get("next").is_none(), "{reviews}");
    assert_eq!(
        reviews["items"].as_array().unwrap().len(),
        usize::from(total > 0)
    );
}

#[tokio::test]
async fn review_offsets_outside_0_to_10000_are_400_problems_without_upstream_calls() {
    let app = spawn_app().await;

    for offset in ["10001", "-1", "abc", "1e2", "99999999999"] {
        let response = app.get_reviews("p00001", &format!("offset={offset}")).await;
        assert_problem(response, 400, &[offset]).await;
    }

    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn a_reviews_page_is_a_502_problem_when_the_reviews_service_fails() {
    let app = spawn_app_with_fault(Service::Reviews, Fault::Status(500)).await;

    assert_problem(app.get_reviews("p00001", "offset=10").await, 502, &[]).await;
}

#[tokio::test]
async fn reviews_of_an_unknown_product_are_a_404_problem() {
    let app = spawn_app().await;

    assert_problem(
        app.get_reviews("p09999", "offset=0").await,
        404,
        &["p09999"],
    )
    .await;
}
