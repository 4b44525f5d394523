//! Token exchange (RFC 8693) toward accounts and recommendations: with a provider that issues
//! one audience per token, the app's token (for bff-mobile only) is exchanged for one of each
//! upstream's own audience; exchanges are cached and shared; a refused subject is a 401.

use demo_upstreams::testing::TestUpstreams;
use dev_idp::IdpConfig;
use dev_idp::testing::TestIdp;
use serde_json::json;

use crate::helpers::{
    INVALID_TOKEN, TestApp, assert_problem, assert_unauthorized, bearer, claims_of, screen_json,
    spawn_app_against, spawn_app_with,
};

/// The app and the upstreams against a provider whose tokens carry one audience only.
async fn spawn_one_audience_per_token() -> TestApp {
    let idp = TestIdp::spawn_with(IdpConfig {
        allow_login_hint: true,
        one_audience_per_token: true,
        ..IdpConfig::default()
    })
    .await;
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    spawn_app_against(idp, upstreams, |_| {}).await
}

fn sent_token(request: &demo_upstreams::fault::RecordedRequest) -> String {
    request.headers["authorization"]
        .to_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_upstream_receives_a_token_for_its_own_audience_only() {
    let app = spawn_one_audience_per_token().await;
    let token = app.token_of("demo-user-2").await;
    assert_eq!(claims_of(&token)["aud"], json!(["bff-mobile"]));

    let me = screen_json(app.get_me(&token).await).await;
    assert_eq!(me["name"], "Grace Hopper");
    let home = screen_json(
        app.get_with("/v1/home", &[bearer(&token).as_header()])
            .await,
    )
    .await;
    assert!(home.get("for_you").is_some(), "{home}");

    let to_accounts = sent_token(&app.upstreams.accounts.requests()[0]);
    let to_recommendations = sent_token(&app.upstreams.recommendations.requests()[0]);
    for (sent, audience) in [
        (&to_accounts, "accounts"),
        (&to_recommendations, "recommendations"),
    ] {
        assert_ne!(*sent, token);
        let claims = claims_of(sent);
        assert_eq!(claims["aud"], json!([audience]));
        assert_eq!(claims["sub"], "demo-user-2");
        assert_eq!(claims["act"]["sub"], "bff-mobile");
    }
}

#[tokio::test]
async fn exchanged_tokens_are_cached_and_concurrent_requests_share_one_exchange() {
    let app = spawn_one_audience_per_token().await;
    let token = app.token_of("demo-user-1").await;
    let before = app.idp.token_requests();
    let responses = futures::future::join_all((0..20).map(|_| app.get_me(&token))).await;
    for response in responses {
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        app.idp.token_requests() - before,
        1,
        "one exchange for 20 requests"
    );
    for _ in 0..5 {
        assert_eq!(app.get_cart(&token).await.status(), 200);
    }
    assert_eq!(
        app.idp.token_requests() - before,
        1,
        "later requests hit the cache"
    );
    // Another user's token is another exchange: the cache never mixes users.
    let other = app.token_of("demo-user-3").await;
    let before = app.idp.token_requests();
    assert_eq!(
        screen_json(app.get_me(&other).await).await["name"],
        "Alan Turing"
    );
    assert_eq!(app.idp.token_requests() - before, 1);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("auth_token_exchanges_total{outcome=\"ok\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("auth_token_exchange_cache_total{result=\"hit\"}"));
}

#[tokio::test]
async fn a_subject_token_the_provider_refuses_is_a_401_invalid_token() {
    let app = spawn_one_audience_per_token().await;
    let tokens = app.idp.mobile_tokens("demo-user-1").await;
    // Revoking the sign-in revokes its access token at the provider; the BFF cannot see that
    // (it validates JWTs locally), the token exchange does.
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", &tokens.refresh_token)
        .append_pair("client_id", "mobile-app")
        .finish();
    let revoked = reqwest::Client::new()
        .post(format!("{}/revoke", app.idp.url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert!(revoked.status().is_success());
    let response = app.get_me(&tokens.access_token).await;
    assert_unauthorized(response, INVALID_TOKEN, &[&tokens.access_token]).await;
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

#[tokio::test]
async fn an_exchange_the_provider_refuses_for_the_bff_is_the_upstream_failing_never_echoed() {
    let app = spawn_app_with(|settings| {
        settings.auth.token_exchange.client_secret = Some("not-the-secret".to_owned().into());
    })
    .await;
    let token = app.token_of("demo-user-1").await;
    let response = app.get_me(&token).await;
    assert_problem(response, 502, &[&token, "not-the-secret", "invalid_client"]).await;
    // An optional section: the home screen is served without it.
    let response = app
        .get_with("/v1/home", &[bearer(&token).as_header()])
        .await;
    let home = screen_json(response).await;
    assert!(home.get("for_you").is_none());
    assert!(
        home["degraded"]
            .as_array()
            .is_some_and(|d| d.contains(&json!("recommendations"))),
        "{home}"
    );
    assert_eq!(app.upstreams.accounts.hits(), 0);
}
