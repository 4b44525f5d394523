use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::{TestApp, each_str, each_u64, ids, is_json};

#[tokio::test]
async fn categories_list_every_category_with_its_product_count() {
    let app = TestApp::spawn().await;
    let reply = app.catalog("/categories").await;
    assert_eq!(reply.status, 200);
    assert!(is_json(&reply));
    let items = reply.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 10);
    assert!(
        items
            .iter()
            .any(|c| c["id"] == "audio" && c["name"] == "Audio")
    );
    let total: u64 = items
        .iter()
        .map(|c| c["product_count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 2000);
}

#[tokio::test]
async fn a_product_has_the_documented_shape() {
    let app = TestApp::spawn().await;
    let reply = app.catalog("/products/p00042").await;
    assert_eq!(reply.status, 200);
    let product = reply.json();
    assert_eq!(product["id"], "p00042");
    for field in ["name", "brand", "category", "description", "created_at"] {
        assert!(
            product[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    let description = product["description"].as_str().unwrap();
    assert!((2_000..=5_200).contains(&description.len()));
    assert!(description.contains("\n\n"), "paragraphs");
    let created_at = product["created_at"].as_str().unwrap();
    assert!(
        created_at.len() == 10 && created_at.starts_with("202"),
        "{created_at}"
    );

    let features = product["features"].as_array().unwrap();
    assert!((4..=8).contains(&features.len()));
    let specs = product["specs"].as_array().unwrap();
    assert!((18..=24).contains(&specs.len()));
    assert!(
        specs
            .iter()
            .all(|s| s["name"].is_string() && s["value"].is_string())
    );

    let images = product["images"].as_array().unwrap();
    assert!((3..=8).contains(&images.len()));
    for (index, image) in images.iter().enumerate() {
        assert!(image["alt"].as_str().is_some_and(|a| !a.is_empty()));
        assert!(image["color"].as_str().unwrap().starts_with('#'));
        assert_eq!(
            each_u64(&image["renditions"], "width"),
            [160, 320, 480, 640, 960, 1280, 1600, 2048]
        );
        let renditions = image["renditions"].as_array().unwrap();
        for r in renditions {
            assert_eq!(
                r["height"].as_u64().unwrap(),
                r["width"].as_u64().unwrap() * 3 / 4
            );
            assert_eq!(
                r["url"],
                format!(
                    "http://localhost:7001/images/p00042/{index}/{}.svg",
                    r["width"]
                )
            );
        }
    }

    let variants = product["variants"].as_array().unwrap();
    assert!((1..=4).contains(&variants.len()));
    for variant in variants {
        assert!(variant["sku"].as_str().unwrap().starts_with("p00042-"));
        assert!(variant["name"].is_string());
        assert!(variant["attributes"]["color"].is_string());
    }
    assert_eq!(reply.header("cache-control"), "public, max-age=60");
}

#[tokio::test]
async fn the_data_is_the_same_on_every_spawn_and_every_machine() {
    let first = TestApp::spawn().await;
    let second = TestApp::spawn().await;
    for path in [
        "/products/p00042",
        "/products/search?q=wireless&sort=price_asc",
        "/featured",
    ] {
        let a = first.get(&first.up.catalog, path).await;
        let b = second.get(&second.up.catalog, path).await;
        assert_eq!(a.text, b.text, "{path}");
        assert_eq!(a.header("etag"), b.header("etag"), "{path}");
    }
    // A golden value: generation depends on nothing but the seed.
    let product = first
        .get(&first.up.catalog, "/products/p00042")
        .await
        .json();
    assert_eq!(product["name"], "Sable Portable Amplifier 3");
    assert_eq!(product["brand"], "Solvik");
}

#[tokio::test]
async fn a_batch_returns_products_in_the_order_asked_and_lists_the_missing() {
    let app = TestApp::spawn().await;
    let reply = app
        .catalog("/products?ids=p00003,p09999,p00001,p02000,p00000")
        .await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    let ids = each_str(&body["items"], "id");
    assert_eq!(ids, ["p00003", "p00001", "p02000"]);
    assert_eq!(body["missing"], serde_json::json!(["p09999", "p00000"]));
    assert!(body["items"][0]["description"].is_string());
}

#[tokio::test]
async fn the_card_view_has_only_the_first_image_and_no_description() {
    let app = TestApp::spawn().await;
    let full = app.catalog("/products/p00007").await.json();
    let cards = app.catalog("/products?ids=p00007&view=card").await.json();
    let card = &cards["items"][0];
    let keys: HashSet<&str> = card
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from(["id", "name", "brand", "category", "images"])
    );
    assert_eq!(card["images"].as_array().unwrap().len(), 1);
    assert_eq!(card["images"][0], full["images"][0]);
}

#[tokio::test]
async fn more_than_100_ids_is_a_bad_request_and_100_are_fine() {
    let app = TestApp::spawn().await;
    let ok = app
        .catalog(&format!("/products?ids={}", ids(1..=100)))
        .await;
    assert_eq!(ok.json()["items"].as_array().unwrap().len(), 100);
    let too_many = app
        .catalog(&format!("/products?ids={}", ids(1..=101)))
        .await;
    too_many.problem(400);
    app.catalog("/products").await.problem(400);
}

#[tokio::test]
async fn malformed_ids_are_bad_requests_and_unknown_ids_are_not_found() {
    let app = TestApp::spawn().await;
    for bad in ["p0042", "P00042", "p000042", "p0004x", "42"] {
        app.catalog(&format!("/products/{bad}")).await.problem(400);
        app.catalog(&format!("/products?ids=p00001,{bad}"))
            .await
            .problem(400);
    }
    app.catalog("/products/p02001").await.problem(404);
    app.catalog("/products/p00000").await.problem(404);
}

#[tokio::test]
async fn error_bodies_never_echo_the_input() {
    let app = TestApp::spawn().await;
    let marker = "zzmarkerzz";
    let paths = [
        format!("/products/{marker}"),
        format!("/products?ids=p00001,{marker}"),
        format!("/products/search?q={}", marker.repeat(30)),
        format!("/products/search?sort={marker}"),
        format!("/products/search?category={marker}%21"),
        format!("/products/search?limit={marker}"),
        format!("/products/search?limit=1&limit={marker}"),
        format!("/featured?limit={marker}"),
        format!("/images/p00001/{marker}/160.svg"),
        format!("/{marker}"),
    ];
    for path in paths {
        let reply = app.catalog(&path).await;
        assert!(reply.status.is_client_error(), "{path}");
        reply.problem(reply.status.as_u16());
        assert!(
            !reply.text.contains(marker),
            "{path} echoed: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let app = TestApp::spawn().await;
    app.catalog("/nope").await.problem(404);
    app.offers("/products/p00001").await.problem(404);
    let post = app
        .send(
            app.http
                .post(format!("{}/products/p00001", app.up.catalog.url())),
        )
        .await;
    post.problem(405);
}

#[tokio::test]
async fn rejected_query_strings_are_problem_json() {
    let app = TestApp::spawn().await;
    // A repeated parameter is a deserialisation error inside axum's Query extractor.
    app.catalog("/products/search?q=a&q=b").await.problem(400);
    app.offers("/offers?ids=p00001&ids=p00002")
        .await
        .problem(400);
}

#[tokio::test]
async fn health_is_ok_everywhere() {
    let app = TestApp::spawn().await;
    for service in [
        &app.up.catalog,
        &app.up.offers,
        &app.up.reviews,
        &app.up.recommendations,
        &app.up.accounts,
    ] {
        let reply = app.get(service, "/healthz").await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json(), serde_json::json!({"status": "ok"}));
    }
}

fn card_ids(page: &Value) -> Vec<String> {
    each_str(&page["items"], "id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn search_matches_every_word_in_name_brand_or_description() {
    let app = TestApp::spawn().await;
    let page = app
        .catalog("/products/search?q=Wireless%20HEADPHONES&limit=100")
        .await
        .json();
    let total = page["total"].as_u64().unwrap();
    assert!(total > 0);
    for id in card_ids(&page) {
        let product = app.catalog(&format!("/products/{id}")).await.json();
        let text = format!(
            "{} {} {}",
            product["name"], product["brand"], product["description"]
        )
        .to_lowercase();
        assert!(
            text.contains("wireless") && text.contains("headphones"),
            "{id}"
        );
    }
    // Relevance puts name matches first.
    let first = &page["items"][0]["name"];
    assert!(first.as_str().unwrap().contains("Headphones"), "{first}");

    let brand = app
        .catalog("/products/search?q=solvik&limit=5")
        .await
        .json();
    assert!(brand["total"].as_u64().unwrap() > 0);
    assert_eq!(brand["items"][0]["brand"], "Solvik");

    let nothing = app
        .catalog("/products/search?q=xylophonequartz")
        .await
        .json();
    assert_eq!(nothing["total"], 0);
    assert_eq!(nothing["items"], serde_json::json!([]));
}

#[tokio::test]
async fn search_without_a_query_lists_everything_with_default_paging() {
    let app = TestApp::spawn().await;
    let page = app.catalog("/products/search").await.json();
    assert_eq!(page["total"], 2000);
    assert_eq!(page["offset"], 0);
    assert_eq!(page["limit"], 24);
    assert_eq!(page["items"].as_array().unwrap().len(), 24);
}

#[tokio::test]
async fn facets_count_the_matches_before_the_category_filter() {
    let app = TestApp::spawn().await;
    let all = app.catalog("/products/search?q=design").await.json();
    let audio = app
        .catalog("/products/search?q=design&category=audio")
        .await
        .json();
    assert_eq!(all["facets"], audio["facets"]);
    let categories = all["facets"]["categories"].as_array().unwrap();
    let sum: u64 = categories
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, all["total"].as_u64().unwrap());
    let audio_count = categories.iter().find(|f| f["value"] == "audio").unwrap()["count"].clone();
    assert_eq!(audio["total"], audio_count);
    let counts: Vec<u64> = categories
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .collect();
    assert!(
        counts.windows(2).all(|w| w[0] >= w[1]),
        "most frequent first"
    );
    let brands = all["facets"]["brands"].as_array().unwrap();
    let brand_sum: u64 = brands.iter().map(|f| f["count"].as_u64().unwrap()).sum();
    assert_eq!(brand_sum, all["total"].as_u64().unwrap());
    assert!(card_ids(&audio).len() <= 24);

    let unknown = app
        .catalog("/products/search?category=no-such-category")
        .await
        .json();
    assert_eq!(unknown["total"], 0);
}

#[tokio::test]
async fn search_sorts_by_price_name_and_newest() {
    let app = TestApp::spawn().await;
    let by_price = card_ids(
        &app.catalog("/products/search?category=kitchen&sort=price_asc&limit=50")
            .await
            .json(),
    );
    let offers = app
        .get(
            &app.up.offers,
            &format!("/offers?ids={}", by_price.join(",")),
        )
        .await
        .json();
    let prices = each_u64(&offers["items"], "price_cents");
    assert!(prices.windows(2).all(|w| w[0] <= w[1]), "{prices:?}");

    let by_price_desc = app
        .catalog("/products/search?category=kitchen&sort=price_desc&limit=1")
        .await
        .json();
    let most_expensive = by_price_desc["items"][0]["id"].as_str().unwrap().to_owned();
    let count = by_price_desc["total"].as_u64().unwrap();
    let cheapest_last = app
        .catalog(&format!(
            "/products/search?category=kitchen&sort=price_asc&limit=1&offset={}",
            count - 1
        ))
        .await
        .json();
    assert_eq!(cheapest_last["items"][0]["id"], most_expensive);

    let by_name = app
        .catalog("/products/search?sort=name&limit=100")
        .await
        .json();
    let names = each_str(&by_name["items"], "name");
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");

    let newest = card_ids(
        &app.catalog("/products/search?sort=newest&limit=20")
            .await
            .json(),
    );
    let products = app
        .catalog(&format!("/products?ids={}", newest.join(",")))
        .await
        .json();
    let dates = each_str(&products["items"], "created_at");
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

#[tokio::test]
async fn search_pages_with_offset_and_limit() {
    let app = TestApp::spawn().await;
    let big = card_ids(&app.catalog("/products/search?q=the&limit=40").await.json());
    let first = card_ids(&app.catalog("/products/search?q=the&limit=20").await.json());
    let second = app
        .catalog("/products/search?q=the&limit=20&offset=20")
        .await
        .json();
    assert_eq!(second["offset"], 20);
    assert_eq!(second["limit"], 20);
    assert_eq!([first, card_ids(&second)].concat(), big);
    let beyond = app.catalog("/products/search?offset=5000").await.json();
    assert_eq!(beyond["total"], 2000);
    assert_eq!(beyond["items"], serde_json::json!([]));
}

#[tokio::test]
async fn invalid_search_parameters_are_bad_requests() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(201);
    for query in [
        format!("q={long}"),
        "limit=0".to_owned(),
        "limit=101".to_owned(),
        "limit=ten".to_owned(),
        "offset=-1".to_owned(),
        "sort=cheapest".to_owned(),
        "category=Audio".to_owned(),
    ] {
        app.catalog(&format!("/products/search?{query}"))
            .await
            .problem(400);
    }
    let ok = app
        .catalog(&format!("/products/search?q={}", "a".repeat(200)))
        .await;
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn featured_has_a_hero_and_a_varied_shelf() {
    let app = TestApp::spawn().await;
    let featured = app.catalog("/featured").await.json();
    let hero = &featured["hero"];
    assert!(hero["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(hero["subtitle"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(hero["product_id"].as_str().unwrap().starts_with('p'));
    assert_eq!(hero["image"]["renditions"].as_array().unwrap().len(), 8);
    let items = featured["items"].as_array().unwrap();
    assert_eq!(items.len(), 24);
    let categories: HashSet<&str> = items
        .iter()
        .map(|c| c["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories.len(), 10);
    let five = app.catalog("/featured?limit=5").await.json();
    assert_eq!(five["items"].as_array().unwrap().len(), 5);
    app.catalog("/featured?limit=0").await.problem(400);
}

#[tokio::test]
async fn images_are_svgs_in_the_product_colour_labelled_with_their_width() {
    let app = TestApp::spawn().await;
    let product = app.catalog("/products/p00042").await.json();
    let color = product["images"][1]["color"].as_str().unwrap().to_owned();
    let reply = app.catalog("/images/p00042/1/480.svg").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "image/svg+xml");
    assert_eq!(reply.header("cache-control"), "public, max-age=86400");
    assert!(reply.text.starts_with("<svg"));
    assert!(reply.text.contains(r#"width="480" height="360""#));
    assert!(reply.text.contains(&color));
    assert!(reply.text.contains(">480w<"));
    assert!(reply.text.contains("p00042"));

    app.catalog("/images/p00042/1/481.svg").await.problem(404);
    app.catalog("/images/p00042/9/480.svg").await.problem(404);
    app.catalog("/images/p00042/1/480.png").await.problem(400);
    app.catalog("/images/p042/1/480.svg").await.problem(400);
}

#[tokio::test]
async fn a_matching_if_none_match_gets_304_without_a_body() {
    let app = TestApp::spawn().await;
    for path in [
        "/products/p00042",
        "/categories",
        "/products/search?q=lens",
        "/images/p00001/0/160.svg",
    ] {
        let first = app.catalog(path).await;
        let etag = first.header("etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong: {etag}"
        );
        let again = app
            .get_with_header(&app.up.catalog, path, "if-none-match", &etag)
            .await;
        assert_eq!(again.status, 304, "{path}");
        assert_eq!(again.header("etag"), etag);
        assert!(again.text.is_empty());
        assert!(!again.header("cache-control").is_empty());

        let other = app
            .get_with_header(&app.up.catalog, path, "if-none-match", "\"something-else\"")
            .await;
        assert_eq!(other.status, 200);
        assert_eq!(other.text, first.text);
    }
    let a = app.catalog("/products/p00001").await;
    let b = app.catalog("/products/p00002").await;
    assert_ne!(a.header("etag"), b.header("etag"));
}
