use crate::helpers::{TestApp, each_str, ids};

#[tokio::test]
async fn offers_have_consistent_prices_discounts_stock_and_delivery() {
    let app = TestApp::spawn().await;
    let mut all = Vec::new();
    for start in (1..=2000).step_by(100) {
        let reply = app
            .offers(&format!("/offers?ids={}", ids(start..=start + 99)))
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("cache-control"), "public, max-age=5");
        let body = reply.json();
        assert_eq!(body["missing"], serde_json::json!([]));
        all.extend(body["items"].as_array().unwrap().clone());
    }
    assert_eq!(all.len(), 2000);
    assert_eq!(all[0]["product_id"], "p00001");
    let mut discounted = 0;
    let mut out_of_stock = 0;
    for offer in &all {
        let price = offer["price_cents"].as_u64().unwrap();
        let list = offer["list_price_cents"].as_u64().unwrap();
        let percent = offer["discount_percent"].as_u64().unwrap();
        assert_eq!(offer["currency"], "EUR");
        assert!(price > 0);
        if percent == 0 {
            assert_eq!(list, price, "{offer}");
        } else {
            discounted += 1;
            assert!(list > price, "{offer}");
            let actual = ((list - price) as f64 * 100.0 / list as f64).round() as u64;
            assert_eq!(actual, percent, "{offer}");
        }
        if offer["stock"] == 0 {
            out_of_stock += 1;
        }
        let (min, max) = (
            offer["delivery"]["min_days"].as_u64().unwrap(),
            offer["delivery"]["max_days"].as_u64().unwrap(),
        );
        assert!(1 <= min && min < max, "{offer}");
    }
    assert!(
        (450..750).contains(&discounted),
        "about 30% discounted: {discounted}"
    );
    assert!(out_of_stock > 50, "some out of stock: {out_of_stock}");
}

#[tokio::test]
async fn offers_keep_the_order_asked_and_list_the_missing() {
    let app = TestApp::spawn().await;
    let body = app.offers("/offers?ids=p00010,p05000,p00002").await.json();
    let found = each_str(&body["items"], "product_id");
    assert_eq!(found, ["p00010", "p00002"]);
    assert_eq!(body["missing"], serde_json::json!(["p05000"]));
    app.get_problem(&app.up.offers, "/offers?ids=p1", 400).await;
    app.get_problem(
        &app.up.offers,
        &format!("/offers?ids={}", ids(1..=101)),
        400,
    )
    .await;
}
