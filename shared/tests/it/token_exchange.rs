//! The token exchanger (RFC 8693) against a mock provider: the request it sends, how long it
//! keeps exchanged tokens, single flight, and what each provider failure becomes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use shared::auth::provider::FetchError;
use shared::auth::token_exchange::{ExchangeError, ExchangeSettings, TokenExchanger};
use shared::upstream::ErrorKind;

use crate::auth_support::{MockProvider, TokenMode};

fn settings(provider: &MockProvider) -> ExchangeSettings {
    ExchangeSettings {
        issuer: provider.url.clone(),
        backchannel_url: None,
        client_id: "bff-mobile".to_owned(),
        client_secret: SecretString::from("exchange-secret"),
        timeout: Duration::from_millis(500),
        max_body_bytes: 64 * 1024,
        discovery_cooldown: Duration::from_millis(100),
    }
}

fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// A new JWT-shaped subject token that expires in `seconds` (only `exp` is read, unverified).
fn subject(seconds: u64) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let jti = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exp = jsonwebtoken::get_current_timestamp() + seconds;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"demo-user-1","exp":{exp},"jti":"{jti}"}}"#
    ));
    format!("eyJhbGciOiJFUzI1NiJ9.{payload}.sig")
}

/// A provider that grants 300 s exchanged tokens, and an exchanger started against it.
async fn exchanging() -> (MockProvider, TokenExchanger) {
    let provider = MockProvider::spawn(&[]).await;
    provider.set_token_mode(TokenMode::Exchanged(300));
    let exchanger = TokenExchanger::start(settings(&provider)).await.unwrap();
    (provider, exchanger)
}

#[tokio::test]
async fn the_exchange_request_is_rfc_8693_with_basic_client_authentication() {
    let (provider, exchanger) = exchanging().await;
    let user = subject(600);
    let exchanged = exchanger.token_for(&user, "accounts").await.unwrap();
    assert_eq!(exchanged.token().expose(), "exchanged-1");

    let (authorization, body) = provider.token_requests().remove(0);
    assert!(authorization.unwrap().starts_with("Basic "));
    let form = form(&body);
    for (name, value) in [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", user.as_str()),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        (
            "requested_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
        ("audience", "accounts"),
    ] {
        assert!(
            form.iter().any(|(k, v)| k == name && v == value),
            "{name} in {body}"
        );
    }
    assert!(!form.iter().any(|(k, _)| k == "client_secret"));
    assert!(!format!("{exchanger:?}").contains("exchange-secret"));
}

#[tokio::test]
async fn a_provider_offering_only_client_secret_post_gets_the_secret_in_the_form() {
    let provider = MockProvider::spawn(&[]).await;
    provider.set_auth_methods(&["client_secret_post"]);
    provider.set_token_mode(TokenMode::Exchanged(300));
    let exchanger = TokenExchanger::start(settings(&provider)).await.unwrap();
    exchanger
        .token_for(&subject(600), "accounts")
        .await
        .unwrap();
    let (authorization, body) = provider.token_requests().remove(0);
    assert!(authorization.is_none());
    let form = form(&body);
    assert!(form.contains(&("client_id".to_owned(), "bff-mobile".to_owned())));
    assert!(form.contains(&("client_secret".to_owned(), "exchange-secret".to_owned())));
}

#[tokio::test]
async fn tokens_are_kept_until_shortly_before_expiry_and_never_past_the_subjects() {
    let (provider, exchanger) = exchanging().await;
    let user = subject(600);
    for _ in 0..3 {
        exchanger.token_for(&user, "accounts").await.unwrap();
    }
    assert_eq!(provider.token_hits(), 1, "kept");
    exchanger.token_for(&user, "recommendations").await.unwrap();
    assert_eq!(provider.token_hits(), 2, "one per audience");

    // 2 s of life: the margin is a quarter of it, so kept for 1.5 s (a provider issuing
    // short-lived tokens still gets them reused).
    provider.set_token_mode(TokenMode::Exchanged(2));
    let short = subject(600);
    exchanger.token_for(&short, "accounts").await.unwrap();
    exchanger.token_for(&short, "accounts").await.unwrap();
    assert_eq!(
        provider.token_hits(),
        3,
        "kept while most of its life is left"
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    exchanger.token_for(&short, "accounts").await.unwrap();
    assert_eq!(
        provider.token_hits(),
        4,
        "dropped a quarter of its life early"
    );

    for (case, token_life, subject_life, hits_after) in [
        ("31 s of life: dropped 7.75 s early, not 30 s", 31, 600, 5),
        (
            "the token lives 300 s, the subject 1 s: kept 1 s at most",
            300,
            1,
            7,
        ),
    ] {
        provider.set_token_mode(TokenMode::Exchanged(token_life));
        let user = subject(subject_life);
        exchanger.token_for(&user, "accounts").await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        exchanger.token_for(&user, "accounts").await.unwrap();
        assert_eq!(provider.token_hits(), hits_after, "{case}");
    }
}

#[tokio::test]
async fn concurrent_identical_exchanges_share_one_call() {
    let (provider, exchanger) = exchanging().await;
    let exchanger = Arc::new(exchanger);
    let user = subject(600);
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (exchanger, user) = (exchanger.clone(), user.clone());
            tokio::spawn(async move { exchanger.token_for(&user, "accounts").await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().token().expose(), "exchanged-1");
    }
    assert_eq!(provider.token_hits(), 1);
}

#[tokio::test]
async fn each_provider_failure_means_what_the_upstream_call_reports_and_echoes_nothing() {
    let provider = MockProvider::spawn(&[]).await;
    let exchanger = TokenExchanger::start(settings(&provider)).await.unwrap();
    let user = subject(600);

    provider.set_token_mode(TokenMode::InvalidGrant);
    let refused = exchanger.token_for(&user, "accounts").await.unwrap_err();
    assert_eq!(refused, ExchangeError::SubjectRefused);
    assert_eq!(refused.upstream_kind(), ErrorKind::TokenRefused);
    let problem = shared::upstream::UpstreamError {
        upstream: "accounts",
        kind: ErrorKind::TokenRefused,
    }
    .to_problem();
    assert_eq!(problem.status_code(), http::StatusCode::UNAUTHORIZED);

    provider.set_token_mode(TokenMode::Down);
    let down = exchanger.token_for(&user, "accounts").await.unwrap_err();
    assert_eq!(down, ExchangeError::Unavailable(FetchError::Status(503)));
    assert_eq!(down.upstream_kind(), ErrorKind::Unreachable);
    assert!(!down.to_string().contains("secret detail"));

    provider.set_token_mode(TokenMode::Slow(Duration::from_secs(2)));
    let slow = exchanger.token_for(&user, "accounts").await.unwrap_err();
    assert_eq!(slow.upstream_kind(), ErrorKind::Timeout);

    provider.set_token_mode(TokenMode::Oversized(100 * 1024));
    assert!(matches!(
        exchanger.token_for(&user, "accounts").await,
        Err(ExchangeError::Unavailable(FetchError::TooLarge(_)))
    ));
    // Failures are not kept: the next call tries again.
    provider.set_token_mode(TokenMode::Exchanged(300));
    assert!(exchanger.token_for(&user, "accounts").await.is_ok());

    // A provider down at start-up is discovered on demand.
    let provider = MockProvider::spawn(&[]).await;
    provider.set_discovery_down(true);
    provider.set_token_mode(TokenMode::Exchanged(300));
    let exchanger = TokenExchanger::start(settings(&provider)).await.unwrap();
    assert!(matches!(
        exchanger.token_for(&user, "accounts").await,
        Err(ExchangeError::Unavailable(_))
    ));
    provider.set_discovery_down(false);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(exchanger.token_for(&user, "accounts").await.is_ok());
}
