//! The web BFF's OIDC client against the real development provider (`dev-idp`), and against a
//! mock token endpoint for the faults the real one cannot produce.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::IntoResponse as _;
use dev_idp::testing::{TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
use shared::auth::jwks::StaticKeyStore;
use shared::auth::oidc::{
    CallbackParams, LoginError, OidcClient, OidcSettings, PendingLogin, RefreshError, TokenSet,
    pkce_challenge,
};
use shared::auth::provider::{FetchError, ProviderMetadata};
use shared::auth::validator::{JwtSettings, TokenError, TokenValidator};
use shared::auth::{DeferredOidcClient, SecretToken};
use url::Url;

use crate::auth_support::{MockProvider, TokenMode};

const CALLBACK: &str = "http://localhost:8080/auth/callback";

fn settings(issuer: &str) -> OidcSettings {
    OidcSettings::new(
        issuer,
        WEB_CLIENT_ID,
        WEB_CLIENT_SECRET,
        CALLBACK.parse().unwrap(),
    )
}

/// A running provider and a client discovered from it.
async fn idp_and_client() -> (TestIdp, OidcClient) {
    let idp = TestIdp::spawn().await;
    let client = client_for(&idp).await;
    (idp, client)
}

async fn client_for(idp: &TestIdp) -> OidcClient {
    OidcClient::discover(&settings(&idp.url())).await.unwrap()
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Follows the authorization URL like a browser without cookies would, up to the redirect to
/// the callback, and returns the callback's parameters.
async fn authorize(url: &Url) -> CallbackParams {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = http.get(url.clone()).send().await.unwrap();
    assert!(
        response.status().is_redirection(),
        "authorize answered {}",
        response.status()
    );
    let location: Url = response.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(location.as_str().starts_with(CALLBACK), "{location}");
    CallbackParams {
        code: query(&location, "code"),
        state: query(&location, "state"),
        iss: query(&location, "iss"),
        error: query(&location, "error"),
        error_description: query(&location, "error_description"),
    }
}

async fn start(client: &OidcClient, user: &str) -> (PendingLogin, CallbackParams) {
    let (url, pending) = client.begin_login_with("/orders", &[("login_hint", user)]);
    let params = authorize(&url).await;
    (pending, params)
}

async fn login(client: &OidcClient, user: &str) -> TokenSet {
    let (pending, params) = start(client, user).await;
    client.complete_login(&pending, &params).await.unwrap()
}

/// A validator of the access tokens `idp` issues for `audience`.
async fn validator_for(idp: &TestIdp, audience: &str) -> TokenValidator {
    TokenValidator::from_settings(&JwtSettings::new(idp.url(), audience))
        .await
        .unwrap()
}

/// The subject of the access token in `tokens`, which `validator` must accept.
async fn subject(validator: &TokenValidator, tokens: &TokenSet) -> String {
    let claims = validator
        .validate(tokens.access_token.expose())
        .await
        .unwrap();
    claims.sub
}

/// Completes `pending` with each of `callbacks` (each must be refused): why each was refused.
async fn refusals(
    client: &OidcClient,
    pending: &PendingLogin,
    callbacks: impl IntoIterator<Item = CallbackParams>,
) -> Vec<LoginError> {
    let mut errors = Vec::new();
    for callback in callbacks {
        errors.push(client.complete_login(pending, &callback).await.unwrap_err());
    }
    errors
}

/// Asserts that refreshing `tokens` fails with `expected`.
async fn assert_refresh_refused(client: &OidcClient, tokens: &TokenSet, expected: RefreshError) {
    assert_eq!(client.refresh(tokens).await.unwrap_err(), expected);
}

#[tokio::test]
async fn the_authorization_url_carries_pkce_s256_state_nonce_and_the_registration() {
    let (idp, client) = idp_and_client().await;
    let (url, pending) = client.begin_login("/orders/42?tab=items");
    assert!(
        url.as_str()
            .starts_with(&format!("{}/authorize?", idp.url()))
    );
    assert_eq!(query(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query(&url, "client_id").as_deref(), Some(WEB_CLIENT_ID));
    assert_eq!(query(&url, "redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(
        query(&url, "scope").as_deref(),
        Some("openid profile email offline_access")
    );
    assert_eq!(
        query(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query(&url, "code_challenge"),
        Some(pkce_challenge(pending.pkce_verifier.expose()))
    );
    assert_eq!(query(&url, "state"), Some(pending.state.clone()));
    assert_eq!(
        query(&url, "nonce").as_deref(),
        Some(pending.nonce.expose())
    );
    for value in [
        &pending.state,
        pending.nonce.expose(),
        pending.pkce_verifier.expose(),
    ] {
        assert_eq!(value.len(), 43, "32 random bytes in base64url");
    }
    assert!(!url.as_str().contains(pending.pkce_verifier.expose()));
    assert_eq!(pending.return_to, "/orders/42?tab=items");

    let (_, second) = client.begin_login("/");
    assert_ne!(second.state, pending.state);
    assert_ne!(second.nonce.expose(), pending.nonce.expose());
    assert_eq!(client.begin_login("https://evil.example/").1.return_to, "/");
}

#[tokio::test]
async fn the_full_confidential_flow_yields_the_users_tokens_and_profile() {
    let (idp, client) = idp_and_client().await;
    let tokens = login(&client, "ada").await;
    assert_eq!(tokens.user.sub, "demo-user-1");
    assert_eq!(tokens.user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(tokens.user.email.as_deref(), Some("ada@example.test"));
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.id_token.is_some());
    assert!(tokens.expires_at > crate::auth_support::now());
    assert!(!format!("{tokens:?}").contains(tokens.access_token.expose()));

    // The access token is one the BFF's upstreams accept (aud contains bff-web).
    let validator = validator_for(&idp, WEB_CLIENT_ID).await;
    assert_eq!(subject(&validator, &tokens).await, "demo-user-1");
    // And the ID token is not one.
    assert!(matches!(
        validator
            .validate(tokens.id_token.as_ref().unwrap().expose())
            .await,
        Err(TokenError::WrongType(_))
    ));
}

#[tokio::test]
async fn the_login_form_path_with_auto_login_works_without_a_hint() {
    let idp = TestIdp::spawn().await;
    idp.set_auto_login(Some("grace"));
    let client = client_for(&idp).await;
    let (url, pending) = client.begin_login("/");
    let params = authorize(&url).await;
    let tokens = client.complete_login(&pending, &params).await.unwrap();
    assert_eq!(tokens.user.sub, "demo-user-2");
}

#[tokio::test]
async fn a_callback_whose_state_differs_is_refused_before_the_code_is_exchanged() {
    let (idp, client) = idp_and_client().await;
    let (pending, params) = start(&client, "ada").await;
    let before = idp.token_requests();
    let tampered = [
        Some(format!("{}x", pending.state)),
        Some(String::new()),
        None,
    ]
    .map(|state| CallbackParams {
        state,
        ..params.clone()
    });
    for error in refusals(&client, &pending, tampered).await {
        assert!(matches!(error, LoginError::StateMismatch), "{error:?}");
    }
    assert_eq!(idp.token_requests(), before, "no code exchange happened");
    // The genuine callback still works afterwards.
    assert!(client.complete_login(&pending, &params).await.is_ok());
}

#[tokio::test]
async fn a_callback_from_another_issuer_or_without_iss_is_refused() {
    let (idp, client) = idp_and_client().await;
    let (pending, params) = start(&client, "ada").await;
    let evil = Some("https://evil.example".to_owned());
    let tampered = [evil, Some(format!("{}/", idp.url())), None].map(|iss| CallbackParams {
        iss,
        ..params.clone()
    });
    for error in refusals(&client, &pending, tampered).await {
        assert!(matches!(error, LoginError::IssuerMismatch), "{error:?}");
    }
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let (_idp, client) = idp_and_client().await;
    let (pending, params) = start(&client, "ada").await;
    let other = PendingLogin {
        nonce: SecretToken::new("another-nonce"),
        ..pending
    };
    assert!(matches!(
        client.complete_login(&other, &params).await,
        Err(LoginError::IdToken(TokenError::NonceMismatch))
    ));
}

#[tokio::test]
async fn an_error_callback_a_wrong_verifier_and_a_replayed_code_are_refused() {
    let (_idp, client) = idp_and_client().await;
    let (pending, params) = start(&client, "ada").await;

    let denied = CallbackParams {
        code: None,
        error: Some("access_denied".to_owned()),
        ..params.clone()
    };
    assert!(matches!(
        client.complete_login(&pending, &denied).await,
        Err(LoginError::Provider(code)) if code == "access_denied"
    ));

    let wrong_verifier = PendingLogin {
        pkce_verifier: SecretToken::new("x".repeat(43)),
        ..pending.clone()
    };
    assert!(matches!(
        client.complete_login(&wrong_verifier, &params).await,
        Err(LoginError::Token(code)) if code == "invalid_grant"
    ));

    let (pending, params) = start(&client, "ada").await;
    assert!(client.complete_login(&pending, &params).await.is_ok());
    assert!(matches!(
        client.complete_login(&pending, &params).await,
        Err(LoginError::Token(code)) if code == "invalid_grant"
    ));
}

/// A provider that follows OpenID Connect Core §11: `offline_access` only with `prompt=consent`.
async fn consent_minded_idp() -> TestIdp {
    TestIdp::spawn_with(dev_idp::IdpConfig {
        allow_login_hint: true,
        offline_access_needs_consent: true,
        ..dev_idp::IdpConfig::default()
    })
    .await
}

#[tokio::test]
async fn offline_access_asks_for_consent_so_a_conforming_provider_issues_a_refresh_token() {
    let idp = consent_minded_idp().await;
    let client = client_for(&idp).await;
    let (url, _) = client.begin_login("/");
    assert_eq!(query(&url, "prompt").as_deref(), Some("consent"));
    let (url, _) = client.begin_login_with("/", &[("prompt", "login")]);
    assert_eq!(query(&url, "prompt").as_deref(), Some("login consent"));
    assert_eq!(url.query_pairs().filter(|(k, _)| k == "prompt").count(), 1);

    let tokens = login(&client, "ada").await;
    assert!(tokens.refresh_token.is_some(), "offline_access was granted");
    assert!(client.refresh(&tokens).await.is_ok());
}

#[tokio::test]
async fn without_offline_access_no_consent_is_asked_and_no_refresh_is_pretended() {
    let idp = consent_minded_idp().await;
    let mut settings = settings(&idp.url());
    settings.scopes = vec!["openid".to_owned(), "profile".to_owned()];
    let client = OidcClient::discover(&settings).await.unwrap();
    let (url, _) = client.begin_login("/");
    assert_eq!(query(&url, "prompt"), None);
    let tokens = login(&client, "ada").await;
    assert!(tokens.refresh_token.is_none());
    assert_refresh_refused(&client, &tokens, RefreshError::NoRefreshToken).await;
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token_and_a_replayed_one_is_invalid_grant() {
    let (_idp, client) = idp_and_client().await;
    let first = login(&client, "ada").await;
    let second = client.refresh(&first).await.unwrap();
    assert_ne!(second.access_token.expose(), first.access_token.expose());
    assert_ne!(
        second.refresh_token.as_ref().unwrap().expose(),
        first.refresh_token.as_ref().unwrap().expose()
    );
    assert_eq!(second.user, first.user);

    let replay = client.refresh(&first).await.unwrap_err();
    assert_eq!(replay, RefreshError::InvalidGrant);
    assert!(replay.ends_session());
    // Reuse revoked the family: the rotated token is dead too.
    assert_refresh_refused(&client, &second, RefreshError::InvalidGrant).await;
}

#[tokio::test]
async fn a_revoked_refresh_token_can_no_longer_refresh() {
    let (_idp, client) = idp_and_client().await;
    let tokens = login(&client, "ada").await;
    assert!(
        client
            .revoke(tokens.refresh_token.as_ref().unwrap())
            .await
            .unwrap()
    );
    assert_refresh_refused(&client, &tokens, RefreshError::InvalidGrant).await;
}

#[tokio::test]
async fn the_end_session_url_names_the_client_and_the_post_logout_uri() {
    let (idp, client) = idp_and_client().await;
    let after: Url = "http://localhost:8080/".parse().unwrap();
    let url = client.end_session_url(None, Some(&after)).unwrap();
    assert!(
        url.as_str()
            .starts_with(&format!("{}/end_session?", idp.url()))
    );
    assert_eq!(query(&url, "client_id").as_deref(), Some(WEB_CLIENT_ID));
    assert_eq!(
        query(&url, "post_logout_redirect_uri").as_deref(),
        Some("http://localhost:8080/")
    );
    assert_eq!(query(&url, "id_token_hint"), None);
    let hint = SecretToken::new("the-id-token");
    let url = client.end_session_url(Some(&hint), None).unwrap();
    assert_eq!(
        query(&url, "id_token_hint").as_deref(),
        Some("the-id-token")
    );
}

#[tokio::test]
async fn id_tokens_signed_with_a_rotated_key_are_accepted_without_a_restart() {
    let idp = TestIdp::spawn().await;
    let mut settings = settings(&idp.url());
    settings.jwks.refresh_cooldown = Duration::from_millis(50);
    let client = OidcClient::discover(&settings).await.unwrap();
    login(&client, "ada").await;
    idp.rotate_keys();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = idp.jwks_requests();
    login(&client, "ada").await;
    assert_eq!(idp.jwks_requests(), before + 1);
}

#[tokio::test]
async fn discovery_refuses_a_provider_that_names_another_issuer() {
    let provider = MockProvider::spawn(&[]).await;
    provider.claim_issuer("https://evil.example");
    let error = OidcClient::discover(&settings(&provider.url))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("discovery names issuer"),
        "{error}"
    );
    // The deferred client (bff-web) defers only outages: this still stops the start-up.
    let error = DeferredOidcClient::connect(&settings(&provider.url))
        .await
        .unwrap_err();
    assert!(!error.is_transient(), "{error}");
}

#[tokio::test]
async fn a_deferred_client_discovers_a_provider_that_was_down_once_per_cooldown() {
    const COOLDOWN: Duration = Duration::from_millis(200);
    let provider = MockProvider::spawn(&[]).await;
    provider.set_discovery_down(true);
    let mut settings = settings(&provider.url);
    settings.jwks.refresh_cooldown = COOLDOWN;
    let deferred = DeferredOidcClient::connect(&settings)
        .await
        .expect("a provider answering 503 does not stop the start-up");
    assert_eq!(provider.discovery_hits(), 1);
    assert!(!deferred.is_discovered());

    provider.set_discovery_down(false);
    for _ in 0..20 {
        let refused = deferred.client().await.unwrap_err();
        assert_eq!(refused.to_problem().into_response().status(), 503);
    }
    assert_eq!(
        provider.discovery_hits(),
        1,
        "nothing retried within the cooldown"
    );

    tokio::time::sleep(COOLDOWN + Duration::from_millis(50)).await;
    deferred
        .client()
        .await
        .expect("discovered after the cooldown");
    deferred.client().await.unwrap();
    assert_eq!(provider.discovery_hits(), 2, "discovered once, then kept");
    assert!(deferred.is_discovered());
}

// --- Faults of the token endpoint (mock provider) ---------------------------------------------

async fn mock_client(provider: &MockProvider, timeout: Duration) -> OidcClient {
    let mut settings = settings(&provider.url);
    settings.timeout = timeout;
    mock_client_with(provider, &settings).await.unwrap()
}

async fn mock_client_with(
    provider: &MockProvider,
    settings: &OidcSettings,
) -> Result<OidcClient, shared::auth::oidc::OidcError> {
    let metadata: ProviderMetadata =
        reqwest::get(format!("{}/.well-known/openid-configuration", provider.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    OidcClient::new(settings, metadata, Arc::new(StaticKeyStore::new()))
}

/// Tokens whose access token has expired, with a refresh token.
fn expired_tokens() -> TokenSet {
    TokenSet {
        access_token: SecretToken::new("at"),
        refresh_token: Some(SecretToken::new("rt")),
        id_token: None,
        expires_at: 0,
        user: shared::auth::oidc::User {
            sub: "u".to_owned(),
            name: None,
            email: None,
        },
    }
}

async fn exchange(client: &OidcClient) -> Result<TokenSet, LoginError> {
    let (_, pending) = client.begin_login("/");
    let params = CallbackParams {
        code: Some("a-code".to_owned()),
        state: Some(pending.state.clone()),
        ..CallbackParams::default()
    };
    client.complete_login(&pending, &params).await
}

/// A code exchange against a token endpoint in `mode`, by a client whose `timeout` is as given:
/// the provider, and why the exchange failed (it must).
async fn failed_exchange(mode: TokenMode, timeout: Duration) -> (MockProvider, LoginError) {
    let provider = MockProvider::spawn(&[]).await;
    provider.set_token_mode(mode);
    let client = mock_client(&provider, timeout).await;
    let error = exchange(&client).await.unwrap_err();
    (provider, error)
}

#[tokio::test]
async fn an_oversized_token_response_is_refused() {
    let mode = TokenMode::Oversized(100 * 1024);
    let (_, error) = failed_exchange(mode, Duration::from_secs(5)).await;
    assert!(matches!(
        error,
        LoginError::Fetch(FetchError::TooLarge(65536))
    ));
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out() {
    let started = Instant::now();
    let mode = TokenMode::Slow(Duration::from_secs(5));
    let (_, error) = failed_exchange(mode, Duration::from_millis(200)).await;
    assert!(matches!(error, LoginError::Fetch(FetchError::Timeout)));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let (provider, error) = failed_exchange(TokenMode::Redirect, Duration::from_secs(5)).await;
    assert!(matches!(error, LoginError::Fetch(FetchError::Status(302))));
    assert_eq!(provider.token_hits(), 1);
}

#[tokio::test]
async fn invalid_grant_on_refresh_ends_the_session_and_other_failures_do_not() {
    let provider = MockProvider::spawn(&[]).await;
    let client = mock_client(&provider, Duration::from_millis(300)).await;
    let tokens = expired_tokens();
    let error = client.refresh(&tokens).await.unwrap_err();
    assert!(matches!(error, RefreshError::InvalidGrant) && error.ends_session());
    provider.set_token_mode(TokenMode::Slow(Duration::from_secs(5)));
    let error = client.refresh(&tokens).await.unwrap_err();
    assert!(matches!(error, RefreshError::Failed(_)) && !error.ends_session());
    let without = TokenSet {
        refresh_token: None,
        ..tokens
    };
    assert!(client.refresh(&without).await.unwrap_err().ends_session());
}

#[tokio::test]
async fn resource_indicators_go_on_the_authorization_request_and_the_token_is_for_them() {
    let idp = TestIdp::spawn().await;
    let mut settings = settings(&idp.url());
    let resource = "https://accounts.shop.test/";
    settings.resource = vec![resource.to_owned()];
    let client = OidcClient::discover(&settings).await.unwrap();
    let (url, _) = client.begin_login("/");
    assert_eq!(query(&url, "resource").as_deref(), Some(resource));

    let tokens = login(&client, "ada").await;
    let for_the_resource = validator_for(&idp, resource).await;
    assert_eq!(subject(&for_the_resource, &tokens).await, "demo-user-1");
    // Not for the client's default audiences any more.
    let for_the_bff = validator_for(&idp, WEB_CLIENT_ID).await;
    assert!(
        for_the_bff
            .validate(tokens.access_token.expose())
            .await
            .is_err()
    );
    let refreshed = client.refresh(&tokens).await.unwrap();
    assert!(
        for_the_resource
            .validate(refreshed.access_token.expose())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn resource_indicators_go_on_the_code_exchange_and_every_refresh() {
    let provider = MockProvider::spawn(&[]).await;
    let mut settings = settings(&provider.url);
    settings.resource = vec![
        "https://accounts.shop.test/".to_owned(),
        "urn:shop:recommendations".to_owned(),
    ];
    let client = mock_client_with(&provider, &settings).await.unwrap();
    let _ = exchange(&client).await;
    let tokens = expired_tokens();
    let _ = client.refresh(&tokens).await;
    let requests = provider.token_requests();
    assert_eq!(requests.len(), 2);
    for (_, body) in &requests {
        let resources: Vec<String> = url::form_urlencoded::parse(body.as_bytes())
            .filter(|(k, _)| k == "resource")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(
            resources,
            ["https://accounts.shop.test/", "urn:shop:recommendations"],
            "{body}"
        );
    }
}

#[tokio::test]
async fn the_client_authenticates_with_basic_unless_the_provider_offers_only_post() {
    for (methods, basic) in [
        (None, true),
        (
            Some(&["client_secret_post", "client_secret_basic"][..]),
            true,
        ),
        (Some(&["client_secret_post", "private_key_jwt"][..]), false),
    ] {
        let provider = MockProvider::spawn(&[]).await;
        if let Some(methods) = methods {
            provider.set_auth_methods(methods);
        }
        let client = mock_client(&provider, Duration::from_secs(5)).await;
        let _ = exchange(&client).await;
        let (authorization, body) = provider.token_requests().remove(0);
        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        let posted = form
            .iter()
            .any(|(k, v)| k == "client_secret" && v == WEB_CLIENT_SECRET);
        assert_eq!(authorization.is_some(), basic, "{methods:?}");
        assert_eq!(posted, !basic, "{methods:?}");
        if !basic {
            assert!(
                form.iter()
                    .any(|(k, v)| k == "client_id" && v == WEB_CLIENT_ID)
            );
        }
    }
    let provider = MockProvider::spawn(&[]).await;
    provider.set_auth_methods(&["private_key_jwt"]);
    assert!(
        mock_client_with(&provider, &settings(&provider.url))
            .await
            .is_err()
    );
}
