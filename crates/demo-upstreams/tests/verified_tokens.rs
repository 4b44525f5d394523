//! With an issuer configured, accounts and recommendations accept only access tokens of that
//! issuer for their own audience: the seam that lets BFFs forward the user's token.

use demo_upstreams::testing::TestUpstreams;
use dev_idp::testing::TestIdp;
use serde_json::{Value, json};

async fn get(url: &str, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn accounts_serves_the_token_subject_and_refuses_everything_else() {
    let idp = TestIdp::spawn().await;
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    let me = format!("{}/me", upstreams.accounts.url());

    let tokens = idp.mobile_tokens("demo-user-2").await;
    let response = get(&me, &tokens.access_token).await;
    assert_eq!(response.status(), 200);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["id"], "demo-user-2");

    let wrong_audience = idp.mint_access_token(json!({"aud": ["bff-mobile"]}));
    let expired = idp.mint_access_token(json!({"exp": 1_000_000_000}));
    for (case, token) in [
        ("a plain user handle", "demo-user-1".to_owned()),
        ("the ID token", tokens.id_token.clone()),
        ("another audience", wrong_audience),
        ("an expired token", expired),
    ] {
        assert_eq!(get(&me, &token).await.status(), 401, "{case}");
    }
}

#[tokio::test]
async fn recommendations_personalise_only_for_a_valid_token() {
    let idp = TestIdp::spawn().await;
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    let popular = format!("{}/popular", upstreams.recommendations.url());
    let tokens = idp.mobile_tokens("demo-user-1").await;
    let body: Value = get(&popular, &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["personalised"], true);
    assert_eq!(get(&popular, "demo-user-1").await.status(), 401);
}
