//! The app version gate: `X-App-Version` below `app.min_version` must update.

use serde_json::json;

use crate::helpers::{TestApp, assert_problem, bearer, screen_json, spawn_app_with, token_routes};

const SCREENS: [&str; 3] = ["/v1/home", "/v1/products/p00042", "/v1/search?q=headphones"];

async fn spawn_app_requiring(version: &str) -> TestApp {
    let version = version.parse().expect("a valid version");
    spawn_app_with(|settings| settings.app.min_version = version).await
}

#[tokio::test]
async fn builds_below_the_minimum_version_are_told_to_update_without_upstream_calls() {
    let app = spawn_app_requiring("2.1.0").await;

    for version in ["2.0.9", "1.99.99", "0.0.0", "2.0.10"] {
        for path in SCREENS {
            let response = app.get_with(path, &[("X-App-Version", version)]).await;
            let problem = assert_problem(response, 426, &[]).await;
            assert_eq!(
                problem["type"],
                "https://bff.example/problems/app-update-required"
            );
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains("update"), "{detail}");
            assert!(!detail.contains(version), "{detail}");
        }
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn builds_at_or_above_the_minimum_version_are_served() {
    let app = spawn_app_requiring("2.1.0").await;

    for version in ["2.1.0", "2.1.1", "2.10.0", "10.0.0"] {
        for path in SCREENS {
            screen_json(app.get_with(path, &[("X-App-Version", version)]).await).await;
        }
    }
}

#[tokio::test]
async fn requests_without_a_version_are_served() {
    let app = spawn_app_requiring("2.1.0").await;

    for path in SCREENS {
        screen_json(app.get(path).await).await;
    }
}

#[tokio::test]
async fn served_screens_vary_on_the_app_version_so_caches_cannot_bypass_the_gate() {
    let app = spawn_app_requiring("2.1.0").await;

    for path in SCREENS {
        let response = app.get_with(path, &[("X-App-Version", "3.0.0")]).await;
        assert_eq!(response.status(), 200);
        let varies = response
            .headers()
            .get_all("vary")
            .iter()
            .flat_map(|v| v.to_str().unwrap().split(','))
            .any(|name| name.trim().eq_ignore_ascii_case("x-app-version"));
        assert!(varies, "{path}: {:?}", response.headers());
    }
}

#[tokio::test]
async fn malformed_versions_are_400_problems_that_do_not_echo_them() {
    let app = spawn_app_requiring("1.0.0").await;

    for version in [
        "2",
        "2.0",
        "v2.0.0",
        "2.0.0-beta",
        "2.0.0.0",
        "02.0.0",
        "two",
        "9999999999.0.0",
    ] {
        let response = app
            .get_with("/v1/home", &[("X-App-Version", version)])
            .await;
        // One-character versions could match any text; longer ones must not be echoed.
        let echoed: &[&str] = if version.len() > 1 { &[version] } else { &[] };
        assert_problem(response, 400, echoed).await;
    }
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn health_probes_are_not_gated() {
    let app = spawn_app_requiring("5.0.0").await;

    for version in ["1.0.0", "garbage"] {
        let response = app
            .get_with("/healthz", &[("X-App-Version", version)])
            .await;
        assert_eq!(response.status(), 200, "{version}");
    }
    let readiness: serde_json::Value = reqwest::get(format!("{}/readyz", app.admin_address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(readiness["status"], "ready");
    assert_eq!(
        readiness["identity_provider"],
        json!({ "discovered": true, "required": false }),
        "the provider answered at start-up"
    );
}

#[tokio::test]
async fn old_builds_are_refused_before_any_token_is_looked_at() {
    let app = spawn_app_requiring("2.1.0").await;
    let valid = app.token_of("demo-user-1").await;
    let jwks_fetched = app.idp.jwks_requests();

    for token in [valid.as_str(), "an-invalid-token"] {
        let authorization = bearer(token);
        for (method, path, body) in token_routes() {
            let response = app
                .send(
                    method.clone(),
                    path,
                    &[authorization.as_header(), ("X-App-Version", "2.0.9")],
                    body.as_ref(),
                )
                .await;
            let problem = assert_problem(response, 426, &[token]).await;
            assert_eq!(
                problem["type"], "https://bff.example/problems/app-update-required",
                "{method} {path}"
            );
        }
    }
    assert_eq!(app.upstream_hits(), 0);
    assert_eq!(app.idp.jwks_requests(), jwks_fetched);
}
