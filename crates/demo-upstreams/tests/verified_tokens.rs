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

/// A provider, and the upstreams verifying its tokens.
async fn verifying_upstreams() -> (TestIdp, TestUpstreams) {
    let idp = TestIdp::spawn().await;
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    (idp, upstreams)
}

#[tokio::test]
async fn accounts_serves_the_token_subject_and_refuses_everything_else() {
    let (idp, upstreams) = verifying_upstreams().await;
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
    let (idp, upstreams) = verifying_upstreams().await;
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

/// Issue 12, class 5: with the defaults, accounts trusted `Authorization: Bearer demo-user-2`
/// from anyone, and refused the provider's real tokens.
#[tokio::test]
async fn with_the_default_settings_accounts_refuses_a_user_handle_and_accepts_the_providers_token()
{
    use std::sync::Arc;

    use demo_upstreams::config::DemoConfig;
    use demo_upstreams::testing::RunningService;
    use demo_upstreams::{Service, ServiceContext};

    let defaults = DemoConfig::default();
    assert_eq!(defaults.auth.issuer, "http://localhost:7000", "the dev-idp");
    // The binary's path: the context from the settings, verifying tokens of the issuer (here
    // possibly not running: it is discovered when a token arrives).
    let ctx = ServiceContext::new(Arc::new(defaults.without_injection()))
        .verifying_tokens(Service::Accounts)
        .await
        .expect("an unreachable provider does not stop the start");
    let accounts = RunningService::spawn_context(Service::Accounts, ctx).await;
    for handle in ["demo-user-1", "demo-user-2", "ada"] {
        let response = get(&format!("{}/me", accounts.url()), handle).await;
        assert_eq!(response.status(), 401, "{handle}");
    }

    // The same settings with the provider's address: its access tokens are accepted.
    let idp = TestIdp::spawn().await;
    let mut config = DemoConfig::default().without_injection();
    config.auth.issuer = idp.url();
    let ctx = ServiceContext::new(Arc::new(config))
        .verifying_tokens(Service::Accounts)
        .await
        .unwrap();
    let accounts = RunningService::spawn_context(Service::Accounts, ctx).await;
    let tokens = idp.mobile_tokens("grace").await;
    let response = get(&format!("{}/me", accounts.url()), &tokens.access_token).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["id"], "demo-user-2");
    let response = get(&format!("{}/me", accounts.url()), "demo-user-2").await;
    assert_eq!(response.status(), 401);
}

#[test]
fn an_empty_issuer_stops_start_up_naming_the_key() {
    let mut config = demo_upstreams::config::DemoConfig::default();
    config.auth.issuer = String::new();
    let error = config.validated().unwrap_err().to_string();
    assert!(error.contains("auth.issuer"), "{error}");
}

/// Issue 18: the audience each service requires comes from the settings (env
/// `DEMO_UPSTREAMS__AUTH__ACCOUNTS_AUDIENCE`), so a provider that names its APIs otherwise (a
/// URI, one audience per token) works.
#[tokio::test]
async fn each_service_requires_the_audience_its_settings_name() {
    use std::sync::Arc;

    use demo_upstreams::config::{DEFAULTS_TOML, DemoConfig, ENV_PREFIX};
    use demo_upstreams::testing::RunningService;
    use demo_upstreams::{Service, ServiceContext};

    let env = vec![
        (
            "DEMO_UPSTREAMS__AUTH__ACCOUNTS_AUDIENCE".to_owned(),
            "https://accounts.shop.test/".to_owned(),
        ),
        (
            "DEMO_UPSTREAMS__AUTH__RECOMMENDATIONS_AUDIENCE".to_owned(),
            "urn:shop:recommendations".to_owned(),
        ),
    ];
    let config: DemoConfig = shared::config::load_from(ENV_PREFIX, DEFAULTS_TOML, None, Some(env))
        .and_then(DemoConfig::validated)
        .expect("the audience settings are known keys");
    assert_eq!(config.auth.accounts_audience, "https://accounts.shop.test/");
    assert_eq!(
        config.auth.recommendations_audience,
        "urn:shop:recommendations"
    );
    let defaults = DemoConfig::default();
    assert_eq!(defaults.auth.accounts_audience, "accounts");
    assert_eq!(defaults.auth.recommendations_audience, "recommendations");

    let idp = TestIdp::spawn().await;
    let mut config = config.without_injection();
    config.auth.issuer = idp.url();
    let config = Arc::new(config);
    let accounts = RunningService::spawn_context(
        Service::Accounts,
        ServiceContext::new(Arc::clone(&config))
            .verifying_tokens(Service::Accounts)
            .await
            .unwrap(),
    )
    .await;
    let me = format!("{}/me", accounts.url());
    let for_it = idp.mint_access_token(json!({"aud": ["https://accounts.shop.test/"]}));
    assert_eq!(get(&me, &for_it).await.status(), 200);
    let for_the_old_name = idp.mint_access_token(json!({"aud": ["accounts"]}));
    assert_eq!(get(&me, &for_the_old_name).await.status(), 401);

    let mut empty = DemoConfig::default();
    empty.auth.accounts_audience = String::new();
    let error = empty.validated().unwrap_err().to_string();
    assert!(error.contains("auth.accounts_audience"), "{error}");
}
