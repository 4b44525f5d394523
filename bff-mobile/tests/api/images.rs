//! One image rendition per image, picked from the device's hints, on every screen with images.

use crate::helpers::{assert_problem, rendition_width, screen_json, spawn_app};

const VARY: [&str; 5] = [
    "Viewport-Width",
    "Sec-CH-Viewport-Width",
    "DPR",
    "Sec-CH-DPR",
    "Save-Data",
];

#[tokio::test]
async fn the_rendition_follows_the_device_hints() {
    let app = spawn_app().await;

    for (query, headers, expected) in [
        ("", &[][..], 960),
        ("", &[("Viewport-Width", "320"), ("DPR", "1")][..], 320),
        ("?w=400&dpr=3", &[][..], 1280),
        (
            "?w=400&dpr=3",
            &[("Sec-CH-Viewport-Width", "100"), ("Sec-CH-DPR", "1")][..],
            1280,
        ),
        ("", &[("Sec-CH-Viewport-Width", "5000")][..], 2048),
        (
            "",
            &[("Sec-CH-Viewport-Width", "360"), ("Viewport-Width", "1000")][..],
            960,
        ),
        ("", &[("Sec-CH-DPR", "1"), ("DPR", "3")][..], 480),
        ("", &[("Save-Data", "on")][..], 160),
        ("?w=2000&dpr=4", &[("Save-Data", "on")][..], 160),
        ("", &[("DPR", "abc")][..], 960),
        (
            "",
            &[("Viewport-Width", "wide"), ("Sec-CH-DPR", "-1")][..],
            960,
        ),
        ("?w=10&dpr=0", &[][..], 160),
    ] {
        let case = format!("{query} {headers:?}");
        let home = screen_json(app.get_with(&format!("/v1/home{query}"), headers).await).await;
        for card in home["featured"]
            .as_array()
            .unwrap()
            .iter()
            .chain(home["popular"].as_array().unwrap())
        {
            assert_eq!(rendition_width(&card["image"]), expected, "{case}");
        }
        let product = screen_json(
            app.get_with(&format!("/v1/products/p00004{query}"), headers)
                .await,
        )
        .await;
        for image in product["images"].as_array().unwrap() {
            assert_eq!(rendition_width(image), expected, "{case}");
        }
        for card in product["related"].as_array().unwrap() {
            assert_eq!(rendition_width(&card["image"]), expected, "{case}");
        }
        let separator = if query.is_empty() { "?" } else { "&" };
        let search = screen_json(
            app.get_with(
                &format!("/v1/search{query}{separator}q=headphones"),
                headers,
            )
            .await,
        )
        .await;
        for card in search["items"].as_array().unwrap() {
            assert_eq!(rendition_width(&card["image"]), expected, "{case}");
        }
    }
}

#[tokio::test]
async fn a_product_shows_at_most_five_images() {
    let app = spawn_app().await;

    // p00004 has eight images in the seeded catalog.
    let product = screen_json(app.get_product("p00004").await).await;

    let images = product["images"].as_array().unwrap();
    assert_eq!(images.len(), 5);
    for (index, image) in images.iter().enumerate() {
        assert!(
            image
                .as_str()
                .unwrap()
                .contains(&format!("/p00004/{index}/")),
            "{image}"
        );
    }
}

#[tokio::test]
async fn screens_with_images_vary_on_the_device_hints_and_ask_for_them() {
    let app = spawn_app().await;

    for path in ["/v1/home", "/v1/products/p00042", "/v1/search?q=headphones"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        let vary: Vec<String> = response
            .headers()
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .map(|v| v.trim().to_ascii_lowercase())
            .collect();
        for name in VARY {
            assert!(
                vary.contains(&name.to_ascii_lowercase()),
                "{path}: {vary:?}"
            );
        }
        let accept_ch = response.headers()["accept-ch"].to_str().unwrap();
        assert!(accept_ch.contains("Sec-CH-Viewport-Width") && accept_ch.contains("Sec-CH-DPR"));
    }
}

#[tokio::test]
async fn malformed_hint_parameters_are_400_problems_without_upstream_calls() {
    let app = spawn_app().await;

    for query in [
        "w=abc", "dpr=abc", "w=", "dpr=", "w=-5", "dpr=1e2", "dpr=NaN", "w=1&w=2",
    ] {
        for path in ["/v1/home", "/v1/products/p00042", "/v1/search"] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let response = app.get(&format!("{path}{separator}{query}")).await;
            assert_problem(response, 400, &["abc", "NaN", "1e2"]).await;
        }
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn a_not_modified_answer_varies_like_the_screen_it_stands_for() {
    let app = spawn_app().await;

    for path in ["/v1/home", "/v1/products/p00042", "/v1/search?q=headphones"] {
        let first = app.get_with(path, &[("X-App-Version", "1.2.3")]).await;
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .get_with(
                path,
                &[("X-App-Version", "1.2.3"), ("If-None-Match", &etag)],
            )
            .await;
        assert_eq!(again.status(), 304, "{path}");
        let vary: String = again
            .headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        for name in VARY.iter().chain(&["X-App-Version"]) {
            assert!(vary.contains(&name.to_ascii_lowercase()), "{path}: {vary}");
        }
    }
}
