//! Where `/readyz` is served (issue 12, class 4): it names every upstream, so it lives on the
//! admin listener; the public port keeps `/healthz`.

use crate::helpers::*;

#[tokio::test]
async fn readiness_is_on_the_admin_listener_and_a_404_problem_on_the_public_port() {
    let app = spawn_app().await;
    let public = app.get("/readyz").await;
    assert_eq!(public.status(), 404);
    assert_eq!(public.headers()["content-type"], "application/problem+json");
    let body = public.text().await.unwrap();
    assert!(!body.contains("catalog"), "{body}");
    assert_eq!(app.get("/healthz").await.status(), 200);

    let admin = reqwest::get(format!("{}/readyz", app.admin_address))
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    let body: serde_json::Value = admin.json().await.unwrap();
    let names = each_str(&body["upstreams"], "name");
    assert_eq!(
        names,
        [
            "catalog",
            "offers",
            "reviews",
            "recommendations",
            "accounts"
        ]
    );
}

#[tokio::test]
async fn with_metrics_on_the_public_port_readiness_is_public_too() {
    // The relaxation serves the admin endpoints on the public port (there is no admin
    // listener), readiness included: an orchestrator still has something to probe.
    let app = spawn_app_with(|settings| settings.server.metrics_on_public_port = true).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}
