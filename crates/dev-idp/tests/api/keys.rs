use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn rotation_publishes_a_new_kid_signs_with_it_and_keeps_old_tokens_verifiable() {
    let app = spawn().await;
    let before = app.idp.mobile_tokens("ada").await;
    let old_kid = app.idp.current_kid();

    app.idp.rotate_keys();
    let new_kid = app.idp.current_kid();
    assert_ne!(new_kid, old_kid);
    let jwks = app.jwks().await;
    let kids: Vec<_> = jwks
        .keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect();
    assert_eq!(kids, [new_kid.clone(), old_kid.clone()]);

    let after = app.idp.mobile_tokens("ada").await;
    let header = jsonwebtoken::decode_header(&after.access_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some(new_kid.as_str()));
    app.verify(&after.access_token, "at+jwt", "bff-mobile")
        .await;
    // Tokens signed before the rotation still verify during the grace period.
    app.verify(&before.access_token, "at+jwt", "bff-mobile")
        .await;
    assert_eq!(
        app.userinfo_status(&before.access_token).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_control_endpoint_rotates_keys_too() {
    let app = spawn().await;
    let old_kid = app.idp.current_kid();
    let response = app.post_form("/_control/rotate-keys", &[], None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["kid"], app.idp.current_kid());
    assert_ne!(body["kid"], old_kid);
    assert_eq!(app.jwks().await.keys.len(), 2);
}

#[tokio::test]
async fn without_a_grace_period_the_old_key_leaves_the_jwks_at_once() {
    let app = spawn_changing(|config| config.key_grace = std::time::Duration::ZERO).await;
    let before = app.idp.mint_access_token(serde_json::json!({}));
    app.idp.rotate_keys();
    assert_eq!(app.jwks().await.keys.len(), 1);
    app.assert_access_refused(&before).await;
}

#[tokio::test]
async fn minted_access_tokens_verify_with_the_overrides_applied() {
    let app = spawn().await;
    let token = app.idp.mint_access_token(
        serde_json::json!({"aud": ["accounts"], "scope": "openid", "sub": "demo-user-2"}),
    );
    let claims = app.access_claims(&token, "accounts").await;
    assert_eq!(claims["sub"], "demo-user-2");
    assert_eq!(claims["client_id"], MOBILE);
    assert_eq!(claims["iss"], app.url);
}
