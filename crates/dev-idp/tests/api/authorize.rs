use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_confidential_client_signs_in_through_the_login_form_and_gets_verifiable_tokens() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let page = app
        .authorize(&authorize_params(WEB, WEB_CALLBACK, &pkce))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("DEVELOPMENT ONLY"), "the banner");
    for shown in ["ada", "Grace Hopper", "alan@example.test", "demo-user-3"] {
        assert!(html.contains(shown), "{shown}");
    }

    let response = app.login(&request_id(&html), "grace", "demo").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let callback = location(&response);
    assert!(callback.as_str().starts_with(WEB_CALLBACK));
    assert_eq!(query(&callback, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&callback, "iss"), Some(app.url.clone()));
    let code = query(&callback, "code").unwrap();

    let response = app
        .redeem_code(&code, WEB_CALLBACK, &pkce.verifier, Some((WEB, WEB_SECRET)))
        .await;
    let tokens = tokens(response).await;
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.expires_in, 300);
    assert_eq!(tokens.scope, "openid profile email");
    assert!(!tokens.refresh_token.is_empty());

    let access = app.access_claims(&tokens.access_token, "accounts").await;
    assert_eq!(access["sub"], "demo-user-2");
    assert_eq!(access["client_id"], WEB);
    assert_eq!(access["scope"], "openid profile email");
    assert_eq!(
        access["aud"],
        serde_json::json!(["bff-web", "accounts", "recommendations"])
    );
    assert!(access["jti"].is_string());
    assert_eq!(access["nbf"], access["iat"]);
    assert_eq!(
        access["exp"].as_u64().unwrap() - access["iat"].as_u64().unwrap(),
        300
    );
    assert!(access.get("name").is_none() && access.get("email").is_none());

    let id = app.verify(&tokens.id_token, "JWT", WEB).await.claims;
    assert_eq!(id["sub"], "demo-user-2");
    assert_eq!(id["aud"], WEB);
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["name"], "Grace Hopper");
    assert_eq!(id["email"], "grace@example.test");
    assert!(id["auth_time"].is_u64());
    assert!(id["sid"].is_string());
}

#[tokio::test]
async fn the_public_client_signs_in_with_login_hint_and_gets_verifiable_tokens() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let response = app.authorize_mobile(&pkce, "demo-user-3").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let callback = location(&response);
    assert_eq!(callback.scheme(), "com.example.storefront");
    assert_eq!(query(&callback, "iss"), Some(app.url.clone()));
    let code = query(&callback, "code").unwrap();

    let tokens = tokens(app.redeem_mobile_code(&code, &pkce.verifier).await).await;
    let access = app.access_claims(&tokens.access_token, "bff-mobile").await;
    assert_eq!(access["sub"], "demo-user-3");
    assert_eq!(access["client_id"], MOBILE);
    let id = app.verify(&tokens.id_token, "JWT", MOBILE).await.claims;
    assert_eq!(id["name"], "Alan Turing");
}

#[tokio::test]
async fn with_the_defaults_a_login_hint_only_prefills_the_login_page() {
    // Issue 12: the provider signed anyone in by `login_hint`, without a password, by default.
    let app = spawn_with(dev_idp::config::IdpConfig::default()).await;
    let pkce = Pkce::new();
    let response = app.authorize_mobile(&pkce, "demo-user-2").await;
    assert_eq!(response.status(), StatusCode::OK, "no redirect with a code");
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains("name=\"password\""), "the login page: {page}");
    assert!(!page.contains("code="), "{page}");
}

#[tokio::test]
async fn the_testing_helper_runs_the_mobile_flow_for_a_user_with_or_without_login_hints() {
    // With hints the user is named by `login_hint`; without, the helper fills in the login form.
    for (allow_login_hint, user, sub) in [
        (true, "ada", "demo-user-1"),
        (false, "demo-user-2", "demo-user-2"),
    ] {
        let app = spawn_changing(|config| config.allow_login_hint = allow_login_hint).await;
        let tokens = app.idp.mobile_tokens(user).await;
        let access = app
            .access_claims(&tokens.access_token, "recommendations")
            .await;
        assert_eq!(access["sub"], sub, "{user}");
        let id = app.verify(&tokens.id_token, "JWT", MOBILE).await.claims;
        assert_eq!(id["sub"], sub, "{user}");
        assert_eq!(app.idp.token_requests(), 1, "{user}");
    }
}

#[tokio::test]
async fn auto_login_skips_the_login_page_until_it_is_cleared() {
    let app = spawn().await;
    app.idp.set_auto_login(Some("demo-user-1"));
    let pkce = Pkce::new();
    let response = app
        .authorize(&authorize_params(WEB, WEB_CALLBACK, &pkce))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(query(&location(&response), "code").is_some());

    app.idp.set_auto_login(None);
    let response = app
        .authorize(&authorize_params(WEB, WEB_CALLBACK, &pkce))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_redirect_uri_registered_at_run_time_is_accepted() {
    let app = spawn().await;
    let callback = "http://127.0.0.1:45678/auth/callback";
    app.idp.add_redirect_uri(WEB, callback);
    app.idp.set_auto_login(Some("grace"));
    let response = app
        .authorize(&authorize_params(WEB, callback, &Pkce::new()))
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(location(&response).as_str().starts_with(callback));
}

#[tokio::test]
async fn a_wrong_password_shows_the_login_page_again_and_redirects_nowhere() {
    let app = spawn().await;
    let id = app.web_login_request(&Pkce::new()).await;
    let response = app.login(&id, "ada", "wrong").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert!(html.contains("wrong password"));
    // The same sign-in can still succeed.
    let response = app.login(&id, "ada", "demo").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // And only once.
    let response = app.login(&id, "ada", "demo").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cancelling_the_login_sends_access_denied_back_to_the_client() {
    let app = spawn().await;
    let id = app.web_login_request(&Pkce::new()).await;
    let response = app
        .post_form("/login", &[("request", &id), ("action", "deny")], None)
        .await;
    let callback = location(&response);
    assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&callback, "state").as_deref(), Some("st-123"));
}

#[tokio::test]
async fn a_redirect_uri_that_is_not_an_exact_match_gets_an_error_page_and_no_redirect() {
    let app = spawn().await;
    let pkce = Pkce::new();
    for uri in [
        "http://localhost:8080/auth/callback/",
        "http://localhost:8080/auth/callback?x=1",
        "http://localhost:8080/auth/callbackx",
        "http://localhost:8080/auth",
        "http://LOCALHOST:8080/auth/callback",
        "https://evil.example/auth/callback",
        MOBILE_CALLBACK,
    ] {
        let response = app.authorize(&authorize_params(WEB, uri, &pkce)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert!(response.headers().get("location").is_none(), "{uri}");
        assert!(
            response.text().await.unwrap().contains("not registered"),
            "{uri}"
        );
    }
    let missing = with(
        authorize_params(WEB, WEB_CALLBACK, &pkce),
        "redirect_uri",
        None,
    );
    let response = app.authorize(&missing).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_that_escapes_its_id() {
    let app = spawn().await;
    let params = authorize_params(
        "<script>alert(1)</script>",
        "https://evil.example/cb",
        &Pkce::new(),
    );
    let response = app.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    let html = response.text().await.unwrap();
    assert_escaped(&html, "<script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
}

#[tokio::test]
async fn reflected_values_on_the_login_page_are_html_escaped() {
    let app = spawn().await;
    let hint = "\"><img src=x onerror=alert(1)>";
    let params = with(
        authorize_params(WEB, WEB_CALLBACK, &Pkce::new()),
        "login_hint",
        Some(hint),
    );
    let response = app.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"));
    let html = response.text().await.unwrap();
    assert_escaped(
        &html,
        "<img",
        "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;",
    );
    // And on the page shown again after a failed attempt.
    let response = app.login(&request_id(&html), "<b>x</b>", "demo").await;
    let html = response.text().await.unwrap();
    assert_escaped(&html, "<b>x</b>", "&lt;b&gt;x&lt;/b&gt;");
}

#[tokio::test]
async fn plain_pkce_is_refused_with_an_error_sent_back_to_the_client() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let params = with(
        with(
            authorize_params(MOBILE, MOBILE_CALLBACK, &pkce),
            "code_challenge_method",
            Some("plain"),
        ),
        "code_challenge",
        Some(&pkce.verifier),
    );
    let response = app.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let callback = location(&response);
    assert_eq!(
        query(&callback, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query(&callback, "state").as_deref(), Some("st-123"));
    assert_eq!(query(&callback, "iss"), Some(app.url.clone()));
    assert!(query(&callback, "code").is_none());
}

#[tokio::test]
async fn a_request_without_pkce_is_refused() {
    let app = spawn().await;
    let pkce = Pkce::new();
    for missing in ["code_challenge", "code_challenge_method"] {
        let params = with(authorize_params(WEB, WEB_CALLBACK, &pkce), missing, None);
        let callback = location(&app.authorize(&params).await);
        assert_eq!(
            query(&callback, "error").as_deref(),
            Some("invalid_request"),
            "{missing}"
        );
    }
}

#[tokio::test]
async fn other_invalid_requests_are_sent_back_with_their_rfc_6749_error_code() {
    let app = spawn().await;
    let pkce = Pkce::new();
    let base = || authorize_params(WEB, WEB_CALLBACK, &pkce);
    let cases = [
        (
            with(base(), "scope", Some("profile email")),
            "invalid_scope",
        ),
        (with(base(), "scope", Some("openid admin")), "invalid_scope"),
        (
            with(base(), "response_type", Some("token")),
            "unsupported_response_type",
        ),
        (with(base(), "response_type", None), "invalid_request"),
        (with(base(), "prompt", Some("none")), "login_required"),
    ];
    for (params, expected) in cases {
        let response = app.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{expected}");
        assert_eq!(
            query(&location(&response), "error").as_deref(),
            Some(expected)
        );
    }
}

#[tokio::test]
async fn a_repeated_parameter_is_refused_without_a_redirect() {
    let app = spawn().await;
    let mut params = authorize_params(WEB, WEB_CALLBACK, &Pkce::new());
    params.push((
        "redirect_uri".to_owned(),
        "https://evil.example/".to_owned(),
    ));
    let response = app.authorize(&params).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
}
