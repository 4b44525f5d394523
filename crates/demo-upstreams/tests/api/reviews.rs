use crate::helpers::TestApp;

#[tokio::test]
async fn reviews_come_newest_first_and_agree_with_the_rating() {
    let app = TestApp::spawn().await;
    // Find a product with a good number of reviews.
    let ratings = app
        .reviews(&format!("/ratings?ids={}", crate::helpers::ids(1..=50)))
        .await
        .json();
    let busy = ratings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["count"].as_u64().unwrap() > 30)
        .expect("a product with more than 30 reviews")
        .clone();
    let id = busy["product_id"].as_str().unwrap();

    let rating = app.reviews(&format!("/products/{id}/rating")).await;
    assert_eq!(rating.header("cache-control"), "public, max-age=30");
    let rating = rating.json();
    assert_eq!(rating["product_id"], id);
    assert_eq!(rating["count"], busy["count"]);
    assert_eq!(rating["average"], busy["average"]);
    let histogram: Vec<u64> = rating["histogram"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert_eq!(histogram.len(), 5);
    let count = rating["count"].as_u64().unwrap();
    assert_eq!(histogram.iter().sum::<u64>(), count);

    let mut reviews = Vec::new();
    let mut offset = 0;
    loop {
        let page = app
            .reviews(&format!("/products/{id}/reviews?offset={offset}&limit=25"))
            .await
            .json();
        assert_eq!(page["total"], count);
        assert_eq!(page["offset"], offset);
        assert_eq!(page["limit"], 25);
        let items = page["items"].as_array().unwrap().clone();
        if items.is_empty() {
            break;
        }
        offset += items.len();
        reviews.extend(items);
    }
    assert_eq!(reviews.len() as u64, count);
    let dates: Vec<&str> = reviews
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let sum: u64 = reviews.iter().map(|r| r["rating"].as_u64().unwrap()).sum();
    let average = rating["average"].as_f64().unwrap();
    assert!((sum as f64 / count as f64 - average).abs() < 0.051);
    for review in &reviews {
        let rid = review["id"].as_str().unwrap();
        assert!(
            rid.starts_with(&format!("r-{id}-")) && rid.len() == 13,
            "{rid}"
        );
        assert!(review["author"].as_str().unwrap().ends_with('.'));
        assert!(review["title"].is_string());
        let body = review["body"].as_str().unwrap().len();
        assert!((100..=1_600).contains(&body), "{body}");
    }
    let again = app
        .reviews(&format!("/products/{id}/reviews?limit=3"))
        .await
        .json();
    assert_eq!(again["items"].as_array().unwrap()[..], reviews[..3]);
}

#[tokio::test]
async fn reviews_validate_ids_and_paging() {
    let app = TestApp::spawn().await;
    let reviews = &app.up.reviews;
    for (path, status) in [
        ("/products/p9/reviews", 400),
        ("/products/p09999/reviews", 404),
        ("/products/p09999/rating", 404),
        ("/products/p00001/reviews?limit=0", 400),
        ("/products/p00001/reviews?limit=101", 400),
        ("/products/p00001/reviews?offset=-1", 400),
        ("/ratings", 400),
    ] {
        app.get_problem(reviews, path, status).await;
    }
    let default = app.get(reviews, "/products/p00001/reviews").await.json();
    assert_eq!(default["limit"], 10);
}

#[tokio::test]
async fn ratings_come_in_batches_in_the_order_asked() {
    let app = TestApp::spawn().await;
    let body = app.reviews("/ratings?ids=p00002,p00001").await.json();
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["product_id"], "p00002");
    assert_eq!(items[1]["product_id"], "p00001");
    assert!(items[0]["average"].is_number() && items[0]["count"].is_number());
}
