use reqwest::StatusCode;

use crate::helpers::*;

async fn end_session(app: &App, params: &[(&str, &str)]) -> reqwest::Response {
    app.get_with("/end_session", params).await
}

#[tokio::test]
async fn end_session_redirects_to_an_exactly_registered_uri_with_the_state() {
    let app = spawn().await;
    app.idp.set_auto_login(Some("ada"));
    let pkce = Pkce::new();
    let callback = location(
        &app.authorize(&authorize_params(WEB, WEB_CALLBACK, &pkce))
            .await,
    );
    let code = query(&callback, "code").unwrap();
    let tokens = tokens(
        app.redeem_code(&code, WEB_CALLBACK, &pkce.verifier, Some((WEB, WEB_SECRET)))
            .await,
    )
    .await;

    let response = end_session(
        &app,
        &[
            ("id_token_hint", &tokens.id_token),
            ("post_logout_redirect_uri", "http://localhost:8080/"),
            ("state", "bye-1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "http://localhost:8080/?state=bye-1"
    );
    // The sign-in has ended: its refresh token no longer works.
    let refresh = app.refresh_as_web(&tokens.refresh_token).await;
    assert_eq!(error_code(refresh).await.1, "invalid_grant");
}

#[tokio::test]
async fn end_session_refuses_a_post_logout_redirect_uri_that_is_not_an_exact_match() {
    let app = spawn().await;
    for uri in [
        "http://localhost:8080",
        "http://localhost:8080/?next=x",
        "http://localhost:8080/evil",
        "https://evil.example/",
    ] {
        let response = end_session(
            &app,
            &[("client_id", WEB), ("post_logout_redirect_uri", uri)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(response.headers().get("location").is_none(), "{uri}");
    }
    // Without a client to check against, no redirect either.
    let response = end_session(
        &app,
        &[("post_logout_redirect_uri", "http://localhost:8080/")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn end_session_accepts_a_uri_registered_at_run_time_and_a_client_id_instead_of_a_hint() {
    let app = spawn().await;
    app.idp
        .add_post_logout_redirect_uri(WEB, "http://127.0.0.1:40000/signed-out");
    let response = end_session(
        &app,
        &[
            ("client_id", WEB),
            (
                "post_logout_redirect_uri",
                "http://127.0.0.1:40000/signed-out",
            ),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        response.headers()["location"],
        "http://127.0.0.1:40000/signed-out"
    );
}

#[tokio::test]
async fn end_session_without_a_redirect_shows_a_signed_out_page() {
    let app = spawn().await;
    let response = end_session(&app, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Signed out"));
}

#[tokio::test]
async fn end_session_refuses_a_forged_id_token_hint() {
    let app = spawn().await;
    let access = app.idp.mint_access_token(serde_json::json!({}));
    let response = end_session(
        &app,
        &[
            ("id_token_hint", &access),
            ("post_logout_redirect_uri", "http://localhost:8080/"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}
