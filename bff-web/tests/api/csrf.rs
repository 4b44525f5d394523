//! Cross-site defence: every API route (any method) needs `X-CSRF: 1`, refuses
//! `Sec-Fetch-Site: cross-site`, and no response ever carries a CORS header.

use reqwest::Method;

use crate::helpers::{Reply, TestApp, personal_routes, spawn_app};

/// Every `/api` route, and `POST /auth/logout`, with a body where it takes one.
fn protected_routes() -> Vec<(Method, &'static str, Option<serde_json::Value>)> {
    let mut routes = vec![
        (Method::GET, "/api/home", None),
        (Method::GET, "/api/products/p00001", None),
        (Method::GET, "/api/products/p00001/reviews?offset=10", None),
        (Method::GET, "/api/search?q=wireless", None),
    ];
    routes.extend(personal_routes());
    routes.push((Method::POST, "/auth/logout", None));
    routes
}

/// A signed-in app whose access token looks expired (so that a request getting past the check
/// would even call the provider), with every counter at zero.
async fn signed_in_app() -> (TestApp, String) {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    app.expire_access_token(&id).await;
    for (_, service) in app.services() {
        service.reset_log();
    }
    (app, id)
}

#[tokio::test]
async fn every_api_route_refuses_a_request_without_x_csrf_before_any_upstream_call() {
    let (app, id) = signed_in_app().await;
    let token_requests = app.idp.token_requests();

    for (method, path, body) in protected_routes() {
        for csrf in [None, Some("0"), Some("true"), Some("")] {
            let mut request = app.browser.request_without_csrf(method.clone(), path);
            if let Some(value) = csrf {
                request = request.header("x-csrf", value);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let reply = app.browser.send(request).await;
            let problem = reply.assert_problem(403);
            assert!(
                problem["detail"].as_str().unwrap().contains("X-CSRF"),
                "{method} {path}: {problem}"
            );
        }
    }

    app.assert_nothing_happened(token_requests);
    assert!(
        app.stored_session(&id).await.is_some(),
        "logout did not run"
    );
}

#[tokio::test]
async fn a_cross_site_request_is_refused_even_with_x_csrf() {
    let (app, id) = signed_in_app().await;
    let token_requests = app.idp.token_requests();

    for (method, path, body) in protected_routes() {
        for site in ["cross-site", "same-site"] {
            let mut request = app
                .browser
                .request(method.clone(), path)
                .header("sec-fetch-site", site)
                .header("origin", "https://evil.example");
            if let Some(body) = &body {
                request = request.json(body);
            }
            app.browser.send(request).await.assert_problem(403);
        }
    }

    app.assert_nothing_happened(token_requests);
    assert!(
        app.stored_session(&id).await.is_some(),
        "logout did not run"
    );
    // The page's own requests pass.
    let same_origin = app
        .browser
        .get_with("/api/cart", &[("sec-fetch-site", "same-origin")])
        .await;
    assert_eq!(same_origin.status, 200, "{}", same_origin.body);
}

fn assert_no_cors(reply: &Reply) {
    let cors = reply.cors_headers();
    assert!(cors.is_empty(), "{}: {cors:?}", reply.request);
}

#[tokio::test]
async fn an_evil_origin_never_gets_a_cors_header_with_or_without_credentials() {
    let (app, _) = signed_in_app().await;
    let mut routes = protected_routes();
    routes.extend([
        (Method::GET, "/auth/session", None),
        (Method::GET, "/auth/login", None),
        (Method::GET, "/healthz", None),
    ]);

    for (method, path, body) in routes {
        // A preflight: refused, and nothing that would let the real request through.
        let preflight = app
            .browser
            .preflight(
                path,
                "https://evil.example",
                method.as_str(),
                Some("x-csrf, content-type"),
            )
            .await;
        assert!(preflight.status >= 400, "{}", preflight.request);
        assert_no_cors(&preflight);
        // The request itself, with the session cookie and the header (as if it had passed).
        let mut request = app
            .browser
            .request(method.clone(), path)
            .header("origin", "https://evil.example");
        if let Some(body) = &body {
            request = request.json(body);
        }
        assert_no_cors(&app.browser.send(request).await);
    }
}
