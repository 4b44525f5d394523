//! The token exchange grant (RFC 8693): a token for one audience in place of the user's.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const BFF_MOBILE: (&str, &str) = ("bff-mobile", "bff-mobile-dev-secret");

async fn exchange_as(
    app: &App,
    client: Option<(&str, &str)>,
    subject: &str,
    audience: &str,
) -> reqwest::Response {
    exchange_with(app, client, subject, audience, &[]).await
}

/// A token exchange with `extra` form parameters (client authentication in the form).
async fn exchange_with(
    app: &App,
    basic: Option<(&str, &str)>,
    subject: &str,
    audience: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", GRANT),
        ("subject_token", subject),
        ("subject_token_type", ACCESS),
        ("requested_token_type", ACCESS),
        ("audience", audience),
    ];
    form.extend_from_slice(extra);
    app.post_form("/token", &form, basic).await
}

#[tokio::test]
async fn an_allowed_client_gets_a_token_for_the_audience_only_with_the_same_subject() {
    let app = spawn().await;
    let user = app.idp.mobile_tokens("grace").await;
    let response = exchange_as(&app, Some(BFF_MOBILE), &user.access_token, "accounts").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let claims = app.access_claims(token, "accounts").await;
    assert_eq!(claims["aud"], serde_json::json!(["accounts"]));
    assert_eq!(claims["sub"], "demo-user-2");
    assert_eq!(claims["client_id"], "bff-mobile");
    assert_eq!(claims["act"]["sub"], "bff-mobile");
    assert_eq!(claims["scope"], "openid profile email offline_access");
    let subject = app.access_claims(&user.access_token, "accounts").await;
    assert!(claims["exp"].as_u64() <= subject["exp"].as_u64());

    // The web BFF's client may exchange too (client_secret_post here).
    let post = [("client_id", WEB), ("client_secret", WEB_SECRET)];
    let response = exchange_with(&app, None, &user.access_token, "recommendations", &post).await;
    assert_eq!(response.status(), StatusCode::OK);

    let discovery: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        discovery["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from(GRANT))
    );
}

#[tokio::test]
async fn bad_subjects_clients_and_audiences_are_refused() {
    let app = spawn().await;
    let user = app.idp.mobile_tokens("ada").await;
    let expired = app
        .idp
        .mint_access_token(serde_json::json!({"exp": 1_000_000_000}));
    for (case, client, subject, audience, expected) in [
        (
            "a public client",
            None,
            user.access_token.as_str(),
            "accounts",
            "invalid_client",
        ),
        (
            "wrong secret",
            Some(("bff-mobile", "nope")),
            &user.access_token,
            "accounts",
            "invalid_client",
        ),
        (
            "an ID token",
            Some(BFF_MOBILE),
            &user.id_token,
            "accounts",
            "invalid_grant",
        ),
        (
            "garbage",
            Some(BFF_MOBILE),
            "garbage",
            "accounts",
            "invalid_grant",
        ),
        (
            "expired",
            Some(BFF_MOBILE),
            &expired,
            "accounts",
            "invalid_grant",
        ),
        (
            "unknown audience",
            Some(BFF_MOBILE),
            &user.access_token,
            "evil",
            "invalid_target",
        ),
    ] {
        let response = exchange_as(&app, client, subject, audience).await;
        assert_eq!(error_code(response).await.1, expected, "{case}");
    }
    // mobile-app is public: it cannot even authenticate with a secret; sending its id only.
    let public = [("client_id", MOBILE)];
    let response = exchange_with(&app, None, &user.access_token, "accounts", &public).await;
    assert_eq!(error_code(response).await.1, "unauthorized_client");

    // A revoked subject token (its refresh family revoked) is refused.
    let response = app.revoke_as_mobile(&user.refresh_token, &[]).await;
    assert!(response.status().is_success());
    let response = exchange_as(&app, Some(BFF_MOBILE), &user.access_token, "accounts").await;
    assert_eq!(error_code(response).await.1, "invalid_grant");
}

#[tokio::test]
async fn with_one_audience_per_token_the_apps_token_is_for_bff_mobile_only() {
    let app = spawn_changing(|config| {
        config.allow_login_hint = true;
        config.one_audience_per_token = true;
    })
    .await;
    let user = app.idp.mobile_tokens("ada").await;
    let claims = app.access_claims(&user.access_token, "bff-mobile").await;
    assert_eq!(claims["aud"], serde_json::json!(["bff-mobile"]));
}
