//! The storefront page: served from the binary, client-side routes fall back to the shell,
//! strict security headers, assets cached by version, and nothing under `/api` or `/auth`
//! ever shadowed by HTML.

use std::collections::BTreeSet;

use bff_web::{Settings, storefront};
use reqwest::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// What Chromium sends when it navigates to a page.
const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// A request as a browser would send it: no `X-CSRF`, no redirects followed.
async fn browse(app: &TestApp, method: Method, path: &str, accept: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .request(method, format!("{}{path}", app.address))
        .header(ACCEPT, accept)
        .send()
        .await
        .expect("the app answers")
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Asserts the shell with `status` and its page headers; returns the HTML.
async fn assert_shell(response: reqwest::Response, status: u16) -> String {
    let path = response.url().path().to_owned();
    assert_eq!(response.status(), status, "{path}");
    assert_eq!(
        header(&response, "content-type"),
        "text/html; charset=utf-8",
        "{path}"
    );
    assert_eq!(header(&response, "cache-control"), "no-cache", "{path}");
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "referrer-policy"), "same-origin");
    assert_eq!(header(&response, "x-frame-options"), "DENY");
    let csp = header(&response, "content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    for expected in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' http://localhost:7001",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(directives.contains(&expected), "{expected} missing: {csp}");
    }
    for loose in ["unsafe-inline", "unsafe-eval", "*", "data:"] {
        assert!(!csp.contains(loose), "{loose} in {csp}");
    }
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_home_page_is_the_shell_with_strict_security_headers() {
    let app = spawn_app().await;

    let response = browse(&app, Method::GET, "/", BROWSER_ACCEPT).await;
    assert!(!header(&response, "etag").is_empty(), "an ETag");
    let html = assert_shell(response, 200).await;

    let version = storefront::version();
    assert!(
        html.contains(&format!(
            "<script type=\"module\" src=\"/assets/{version}/app.js\"></script>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!("/assets/{version}/style.css")));
    assert!(!html.contains("@VERSION@"));
    // Nothing inline for the CSP to refuse: every script is a file, no handlers, no styles.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script type=\"module\" src=").count()
    );
    for inline in [" onclick=", " onload=", " onerror=", " style=", "<style"] {
        assert!(!html.contains(inline), "{inline} in the shell");
    }
    assert_eq!(app.upstream_hits(), 0, "the shell calls no upstream");
}

#[tokio::test]
async fn client_side_routes_fall_back_to_the_shell() {
    let app = spawn_app().await;

    let home = assert_shell(browse(&app, Method::GET, "/", BROWSER_ACCEPT).await, 200).await;
    for path in [
        "/products/p00042",
        "/products/not-a-product",
        "/search",
        "/search?q=wireless&sort=price_asc&page=2",
        "/cart",
    ] {
        let html = assert_shell(browse(&app, Method::GET, path, BROWSER_ACCEPT).await, 200).await;
        assert_eq!(html, home, "{path}");
    }
    // A page the shop does not have: the shell, which says "not found", with a 404 status.
    for path in ["/nope", "/products", "/products/p00042/more", "/apiary"] {
        let html = assert_shell(browse(&app, Method::GET, path, BROWSER_ACCEPT).await, 404).await;
        assert_eq!(html, home, "{path}");
    }
    let head = browse(&app, Method::HEAD, "/cart", BROWSER_ACCEPT).await;
    assert_eq!(head.status(), 200);
    assert!(head.text().await.unwrap().is_empty());
}

#[tokio::test]
async fn api_auth_and_operational_paths_are_never_shadowed_by_the_page() {
    let app = spawn_app().await;

    // Unknown paths under the API and the login routes stay problems, even for a browser.
    for path in [
        "/api",
        "/api/",
        "/api/nope",
        "/api/products/p00001/nope",
        "/auth",
        "/auth/nope",
        "/assets/nope.js",
        "/assets/x/nope.js",
        "/robots.txt",
        "/index.html",
    ] {
        for accept in [BROWSER_ACCEPT, "application/json", "*/*"] {
            let response = browse(&app, Method::GET, path, accept).await;
            assert_problem(response, 404, &["nope"]).await;
        }
    }
    // A non-browser client on an unknown path gets the problem, not HTML.
    for accept in ["application/json", "*/*"] {
        assert_problem(browse(&app, Method::GET, "/nope", accept).await, 404, &[]).await;
    }
    // Other methods on pages are not pages.
    let post = browse(&app, Method::POST, "/cart", BROWSER_ACCEPT).await;
    assert_problem(post, 405, &[]).await;
    assert_problem(
        browse(&app, Method::DELETE, "/nope", BROWSER_ACCEPT).await,
        404,
        &[],
    )
    .await;

    // The real routes answer as before, whatever the browser accepts.
    for (path, media) in [("/healthz", "application/json")] {
        let response = browse(&app, Method::GET, path, BROWSER_ACCEPT).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            header(&response, "content-type").starts_with(media),
            "{path}"
        );
    }
    // `/metrics` and `/readyz` live on the admin listener: here a problem, never the page.
    for path in ["/metrics", "/readyz"] {
        let response = browse(&app, Method::GET, path, BROWSER_ACCEPT).await;
        assert_problem(response, 404, &[]).await;
    }
    // The contract is someone else's route: JSON or a problem, never the page.
    let openapi = browse(&app, Method::GET, "/openapi.json", BROWSER_ACCEPT).await;
    assert!(
        !header(&openapi, "content-type").starts_with("text/html"),
        "/openapi.json is shadowed by the page"
    );
    // The API still wants its CSRF header, and still answers JSON.
    let api = browse(&app, Method::GET, "/api/home", BROWSER_ACCEPT).await;
    assert_problem(api, 403, &[]).await;
    let home = app.get("/api/home").await;
    assert_eq!(header(&home, "content-type"), "application/json");
}

#[tokio::test]
async fn assets_are_typed_and_cached_for_a_year_under_their_version() {
    let app = spawn_app().await;
    let version = storefront::version();

    let mut seen = 0;
    for name in storefront::asset_names() {
        let path = format!("/assets/{version}/{name}");
        let response = browse(&app, Method::GET, &path, "*/*").await;
        assert_eq!(response.status(), 200, "{path}");
        let expected = match name.rsplit_once('.').unwrap().1 {
            "js" => "text/javascript; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "svg" => "image/svg+xml",
            other => panic!("an asset of an unexpected type: {other}"),
        };
        assert_eq!(header(&response, "content-type"), expected, "{path}");
        assert_eq!(
            header(&response, "cache-control"),
            "public, max-age=31536000, immutable",
            "{path}"
        );
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&response, "cross-origin-resource-policy"),
            "same-origin"
        );
        let etag = header(&response, "etag");
        assert!(!etag.is_empty(), "{path}");
        let on_disk = std::fs::read(web_dir().join(name)).unwrap();
        let served = response.bytes().await.unwrap();
        assert!(served.as_ref() == on_disk, "{path}: not the file in web/");

        // Revalidation: the same tag is a 304 without a body.
        let again = reqwest::Client::new()
            .get(format!("{}{path}", app.address))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        seen += 1;
    }
    assert!(seen >= 5, "{seen} assets");

    // Another release's URL still gets the file, but only until the page reloads.
    let old = browse(&app, Method::GET, "/assets/0123456789abcdef/app.js", "*/*").await;
    assert_eq!(old.status(), 200);
    assert_eq!(header(&old, "cache-control"), "no-cache");
}

#[tokio::test]
async fn the_shell_revalidates_by_etag() {
    let app = spawn_app().await;

    let first = browse(&app, Method::GET, "/", BROWSER_ACCEPT).await;
    let etag = first.headers()[ETAG].clone();
    let again = reqwest::Client::new()
        .get(format!("{}/products/p00001", app.address))
        .header(ACCEPT, BROWSER_ACCEPT)
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();

    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["cache-control"], "no-cache");
    assert!(again.headers().get(CONTENT_TYPE).is_none());
}

fn web_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

#[test]
fn every_file_of_the_web_folder_is_embedded_and_every_import_resolves() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(web_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut embedded: BTreeSet<String> = storefront::asset_names().map(str::to_owned).collect();
    embedded.insert("index.html".to_owned());
    assert_eq!(on_disk, embedded, "web/ and the embedded assets differ");

    // ES modules import each other relatively, so one release's files stay together.
    for name in storefront::asset_names().filter(|n| n.ends_with(".js")) {
        let source = std::fs::read_to_string(web_dir().join(name)).unwrap();
        for line in source.lines().filter(|l| l.starts_with("import ")) {
            let target = line
                .rsplit_once(" from '")
                .and_then(|(_, rest)| rest.strip_suffix("';"))
                .unwrap_or_else(|| panic!("{name}: an import not in the expected form: {line}"));
            let file = target
                .strip_prefix("./")
                .unwrap_or_else(|| panic!("{name}: a non-relative import: {line}"));
            assert!(
                embedded.contains(file),
                "{name} imports {file}, not embedded"
            );
        }
    }
}

#[test]
fn the_image_origin_is_configurable_and_must_be_a_bare_origin() {
    let env = |value: &str| {
        vec![(
            "BFF_WEB__STOREFRONT__IMAGE_ORIGIN".to_owned(),
            value.to_owned(),
        )]
    };
    let settings = Settings::from_env(env("https://images.shop.example/")).unwrap();
    assert_eq!(
        settings.storefront.image_origin,
        "https://images.shop.example"
    );
    assert!(
        storefront::content_security_policy(&settings.storefront.image_origin)
            .contains("img-src 'self' https://images.shop.example;")
    );
    for bad in [
        "images.example",
        "https://images.example/path",
        "javascript:alert(1)",
    ] {
        let error = Settings::from_env(env(bad)).unwrap_err();
        assert!(
            error.to_string().contains("storefront.image_origin"),
            "{bad}: {error}"
        );
    }
}
