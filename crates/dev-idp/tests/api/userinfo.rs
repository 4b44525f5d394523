use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn userinfo_returns_the_profile_of_a_valid_access_token() {
    let app = spawn().await;
    let tokens = app.idp.mobile_tokens("demo-user-1").await;
    let response = app.userinfo(&tokens.access_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let profile: Value = response.json().await.unwrap();
    assert_eq!(
        profile,
        json!({
            "sub": "demo-user-1",
            "name": "Ada Lovelace",
            "email": "ada@example.test",
            "preferred_username": "ada",
        })
    );
}

#[tokio::test]
async fn userinfo_accepts_a_minted_token_and_a_case_insensitive_scheme() {
    let app = spawn().await;
    let token = app.idp.mint_access_token(json!({"sub": "demo-user-3"}));
    let response = app
        .http
        .get(format!("{}/userinfo", app.url))
        .header("authorization", format!("bEaReR {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let profile: Value = response.json().await.unwrap();
    assert_eq!(profile["name"], "Alan Turing");
}

#[tokio::test]
async fn userinfo_refuses_expired_garbage_foreign_and_id_tokens() {
    let app = spawn().await;
    let tokens = app.idp.mobile_tokens("ada").await;
    let cases = [
        (
            "expired",
            app.idp.mint_access_token(json!({"exp": 1_000_000})),
        ),
        (
            "not yet valid",
            app.idp.mint_access_token(json!({"nbf": 4_000_000_000u64})),
        ),
        (
            "without exp",
            app.idp.mint_access_token(json!({"exp": null})),
        ),
        (
            "other issuer",
            app.idp
                .mint_access_token(json!({"iss": "http://evil.example"})),
        ),
        (
            "without openid",
            app.idp.mint_access_token(json!({"scope": "profile"})),
        ),
        (
            "unknown user",
            app.idp.mint_access_token(json!({"sub": "mallory"})),
        ),
        ("garbage", "not.a.jwt".to_owned()),
        ("id token", tokens.id_token.clone()),
        ("tampered", {
            // One signature character in the middle, changed for sure (the last character
            // carries only 2 bits, and may already be the replacement).
            let t = &tokens.access_token;
            let at = t.len() - 20;
            let swapped = if &t[at..=at] == "A" { "B" } else { "A" };
            format!("{}{swapped}{}", &t[..at], &t[at + 1..])
        }),
        // Over the token cap, within the head limit (a larger head is the server's 431 problem).
        ("oversized", "a".repeat(12_000)),
    ];
    for (case, token) in cases {
        let response = app.userinfo(&token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
        let challenge = response.headers()["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("error=\"invalid_token\""),
            "{case}: {challenge}"
        );
    }
}

#[tokio::test]
async fn userinfo_without_a_token_gets_a_bare_bearer_challenge() {
    let app = spawn().await;
    let response = app.get("/userinfo").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"));
    assert!(!challenge.contains("error="));
}
