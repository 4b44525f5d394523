use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn a_pkce_mismatch_is_invalid_grant() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let code = app.mobile_code(&pkce, "demo-user-1").await;
    let other = Pkce::new();
    let response = app.redeem_mobile_code(&code, &other.verifier).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        error_code(response).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    // The failed attempt spent the code.
    let response = app.redeem_mobile_code(&code, &pkce.verifier).await;
    assert_eq!(error_code(response).await.1, "invalid_grant");
}

#[tokio::test]
async fn a_missing_code_verifier_is_invalid_request() {
    let app = spawn().await;
    let code = app.mobile_code(&Pkce::new(), "demo-user-1").await;
    assert_eq!(
        app.token_error(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", MOBILE_CALLBACK),
                ("client_id", MOBILE),
            ],
            None,
        )
        .await,
        "invalid_request"
    );
}

#[tokio::test]
async fn a_reused_code_is_invalid_grant_and_revokes_the_tokens_issued_from_it() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let code = app.mobile_code(&pkce, "demo-user-1").await;
    let first = tokens(app.redeem_mobile_code(&code, &pkce.verifier).await).await;
    assert_eq!(
        app.userinfo_status(&first.access_token).await,
        StatusCode::OK
    );

    let replay = app.redeem_mobile_code(&code, &pkce.verifier).await;
    assert_eq!(
        error_code(replay).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    app.assert_refresh_refused(&first.refresh_token).await;
    app.assert_access_refused(&first.access_token).await;
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let app = spawn().await;
    app.idp
        .add_redirect_uri(MOBILE, "http://127.0.0.1:8765/callback");
    let pkce = Pkce::new();
    let code = app.mobile_code(&pkce, "demo-user-1").await;
    // Another client cannot redeem it (and does not spend it).
    let response = app
        .redeem_code(
            &code,
            MOBILE_CALLBACK,
            &pkce.verifier,
            Some((WEB, WEB_SECRET)),
        )
        .await;
    assert_eq!(error_code(response).await.1, "invalid_grant");
    // Another registered redirect URI does not match the one of the request.
    let response = app
        .redeem_code(
            &code,
            "http://127.0.0.1:8765/callback",
            &pkce.verifier,
            None,
        )
        .await;
    assert_eq!(error_code(response).await.1, "invalid_grant");
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client_with_401() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let code = query(&app.web_callback(&pkce, "ada").await, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", WEB_CALLBACK),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let basic = app.post_form("/token", &form, Some((WEB, "wrong"))).await;
    assert!(basic.headers().contains_key("www-authenticate"));
    assert_eq!(
        error_code(basic).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    let mut post = form.to_vec();
    post.extend([
        ("client_id", WEB),
        ("client_secret", "dev-secret-change-mE"),
    ]);
    let response = app.post_form("/token", &post, None).await;
    assert_eq!(
        error_code(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_client".to_owned())
    );
    // Without any secret, a confidential client is not authenticated either.
    let mut none = form.to_vec();
    none.push(("client_id", WEB));
    let response = app.post_form("/token", &none, None).await;
    assert_eq!(error_code(response).await.0, StatusCode::UNAUTHORIZED);
    // The failed attempts did not spend the code: client_secret_post works.
    let mut good = form.to_vec();
    good.extend([("client_id", WEB), ("client_secret", WEB_SECRET)]);
    tokens(app.post_form("/token", &good, None).await).await;
}

#[tokio::test]
async fn an_unknown_client_or_a_secret_for_a_public_client_is_invalid_client() {
    let app = spawn().await;
    let form = [("grant_type", "refresh_token"), ("refresh_token", "x")];
    assert_eq!(
        app.token_error(&form, Some(("nobody", "x"))).await,
        "invalid_client"
    );
    assert_eq!(
        app.token_error(&form, Some((MOBILE, "guess"))).await,
        "invalid_client"
    );
}

#[tokio::test]
async fn malformed_token_requests_get_rfc_6749_errors() {
    let app = spawn().await;
    let forms: [(&[(&str, &str)], &str); 3] = [
        (
            &[("grant_type", "password"), ("client_id", MOBILE)],
            "unsupported_grant_type",
        ),
        (&[("client_id", MOBILE)], "invalid_request"),
        (
            &[
                ("client_id", MOBILE),
                ("client_id", MOBILE),
                ("grant_type", "refresh_token"),
            ],
            "invalid_request",
        ),
    ];
    for (form, error) in forms {
        assert_eq!(app.token_error(form, None).await, error, "{form:?}");
    }
    let response = app
        .http
        .post(format!("{}/token", app.url))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(response).await.1, "invalid_request");
}

#[tokio::test]
async fn each_refresh_rotates_the_refresh_token_and_issues_new_tokens() {
    let app = spawn().await;
    let (first, second) = app.mobile_tokens_refreshed_once("grace").await;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    let access = app.access_claims(&second.access_token, "bff-mobile").await;
    assert_eq!(access["sub"], "demo-user-2");
    let id = app.verify(&second.id_token, "JWT", MOBILE).await.claims;
    assert_eq!(id["nonce"], "test-nonce");
    let third = app.refreshed_mobile(&second.refresh_token).await;
    assert_ne!(third.refresh_token, second.refresh_token);
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let app = spawn().await;
    let first = app.idp.mobile_tokens("ada").await;
    let narrowed = app
        .refresh_mobile_with_scope(&first.refresh_token, "openid")
        .await;
    let narrowed = tokens(narrowed).await;
    assert_eq!(narrowed.scope, "openid");
    let widened = app
        .refresh_mobile_with_scope(&narrowed.refresh_token, "openid admin")
        .await;
    assert_eq!(error_code(widened).await.1, "invalid_scope");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_family() {
    let app = spawn().await;
    let (first, second) = app.mobile_tokens_refreshed_once("ada").await;

    let replay = app.refresh_mobile(&first.refresh_token).await;
    assert_eq!(
        error_code(replay).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".to_owned())
    );
    // The legitimate-looking newest token is dead too, and so are the family's access tokens.
    app.assert_refresh_refused(&second.refresh_token).await;
    for access in [&first.access_token, &second.access_token] {
        app.assert_access_refused(access).await;
    }
    // Other sign-ins are unaffected.
    let other = app.idp.mobile_tokens("ada").await;
    app.refreshed_mobile(&other.refresh_token).await;
}

#[tokio::test]
async fn a_refresh_token_of_another_client_is_invalid_grant() {
    let app = spawn().await;
    let mobile = app.idp.mobile_tokens("ada").await;
    let response = app.refresh_as_web(&mobile.refresh_token).await;
    assert_eq!(error_code(response).await.1, "invalid_grant");
}

#[tokio::test]
async fn resource_indicators_set_the_audience_and_may_only_narrow() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let mut params = authorize_params(WEB, WEB_CALLBACK, &pkce);
    params.push(("login_hint".to_owned(), "ada".to_owned()));
    params.push(("resource".to_owned(), "https://a.shop.test/".to_owned()));
    params.push(("resource".to_owned(), "urn:shop:b".to_owned()));
    let callback = location(&app.authorize(&params).await);
    let code = query(&callback, "code").expect("a code");
    let response = app
        .post_form(
            "/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", WEB_CALLBACK),
                ("code_verifier", &pkce.verifier),
                ("resource", "urn:shop:b"),
            ],
            Some((WEB, WEB_SECRET)),
        )
        .await;
    let tokens = tokens(response).await;
    let claims = app.access_claims(&tokens.access_token, "urn:shop:b").await;
    assert_eq!(claims["aud"], serde_json::json!(["urn:shop:b"]));

    assert_eq!(
        app.token_error(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &tokens.refresh_token),
                ("resource", "https://elsewhere.test/"),
            ],
            Some((WEB, WEB_SECRET)),
        )
        .await,
        "invalid_target"
    );

    let mut relative = authorize_params(WEB, WEB_CALLBACK, &Pkce::new());
    relative.push(("login_hint".to_owned(), "ada".to_owned()));
    relative.push(("resource".to_owned(), "/api".to_owned()));
    let refused = location(&app.authorize(&relative).await);
    assert_eq!(query(&refused, "error").as_deref(), Some("invalid_target"));
}
