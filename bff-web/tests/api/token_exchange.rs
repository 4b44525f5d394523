//! Token exchange (RFC 8693) toward accounts and recommendations, with the defaults' `audience`
//! settings, against a provider whose tokens carry one audience only (the session's token is
//! for bff-web): accounts gets a token of its own audience for the same user.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::helpers::{Options, spawn_with};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON claims")
}

#[tokio::test]
async fn the_session_token_is_exchanged_once_for_accounts_own_audience() {
    let app = spawn_with(Options {
        exchange_tokens: true,
        idp: Some(dev_idp::IdpConfig {
            allow_login_hint: true,
            one_audience_per_token: true,
            ..dev_idp::IdpConfig::default()
        }),
        ..Options::default()
    })
    .await;
    let id = app.browser.login().await;
    let session_token = app.tokens_of(&id).await.remove(0);
    assert_eq!(claims_of(&session_token)["aud"], json!(["bff-web"]));
    let before = app.idp.token_requests();

    for _ in 0..3 {
        let me = app.browser.get("/api/me").await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.json()["name"], "Ada Lovelace");
    }
    assert_eq!(app.browser.get("/api/cart").await.status, 200);
    assert_eq!(
        app.idp.token_requests() - before,
        1,
        "one exchange, then the cache"
    );

    // (The web screens call recommendations without the user's token.)
    for (service, audience) in [(&app.upstreams.accounts, "accounts")] {
        let requests = service.requests();
        assert!(!requests.is_empty(), "{audience} was not called");
        for request in requests {
            let sent = request.headers["authorization"].to_str().unwrap();
            let token = sent.strip_prefix("Bearer ").unwrap();
            assert_ne!(token, session_token);
            let claims = claims_of(token);
            assert_eq!(claims["aud"], json!([audience]));
            assert_eq!(claims["sub"], "demo-user-1");
            assert_eq!(claims["act"]["sub"], "bff-web");
        }
    }
}
