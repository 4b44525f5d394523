use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_discovery_document_builds_every_url_from_the_issuer() {
    let app = spawn().await;
    let response = app
        .http
        .get(format!("{}/.well-known/openid-configuration", app.url))
        .header("host", "evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    let issuer = &app.url;
    assert_eq!(doc["issuer"], *issuer);
    for (key, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("revocation_endpoint", "/revoke"),
        ("end_session_endpoint", "/end_session"),
    ] {
        assert_eq!(doc[key], format!("{issuer}{path}"), "{key}");
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        doc["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ])
    );
    assert!(
        doc["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&"openid".into())
    );
}

#[tokio::test]
async fn the_jwks_publishes_one_standard_p256_key_cacheable_for_five_minutes() {
    let app = spawn().await;
    let response = app.get("/jwks").await;
    assert_eq!(response.headers()["cache-control"], "max-age=300");
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], app.idp.current_kid());
    for coordinate in ["x", "y"] {
        assert_eq!(key[coordinate].as_str().unwrap().len(), 43, "{coordinate}");
    }
    assert!(key.get("d").is_none(), "no private part");
}

#[tokio::test]
async fn control_stats_count_jwks_fetches_and_token_requests() {
    let app = spawn().await;
    for _ in 0..3 {
        app.get("/jwks").await;
    }
    app.post_form("/token", &[("grant_type", "password")], None)
        .await;
    let stats: Value = app.get("/_control/stats").await.json().await.unwrap();
    assert_eq!(stats["jwks_requests"], 3);
    assert_eq!(stats["token_requests"], 1);
    assert_eq!(app.idp.jwks_requests(), 3);
    assert_eq!(app.idp.token_requests(), 1);
}

#[tokio::test]
async fn control_routes_are_absent_when_control_is_disabled() {
    let app = spawn_changing(|config| config.control_enabled = false).await;
    assert_eq!(app.get("/_control/stats").await.status(), 404);
    let rotate = app.post_form("/_control/rotate-keys", &[], None).await;
    assert_eq!(rotate.status(), 404);
}
