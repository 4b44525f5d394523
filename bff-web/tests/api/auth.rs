//! Login, callback, logout and the session endpoint: cookies, redirects, failures, and no token
//! ever reaching the browser.

use std::sync::Arc;
use std::time::Duration;

use bff_web::Settings;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::helpers::{Options, spawn_app, spawn_with};
use crate::sessions::query_param;

#[tokio::test]
async fn strict_cookies_are_host_prefixed_secure_http_only_same_site_and_domainless() {
    let app = spawn_with(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    // No cookie jar: a plain-HTTP jar would not send `Secure` cookies back; read the headers.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let set_cookies = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    };

    let login = http
        .get(format!("{}/auth/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 302);
    let authorize = login.headers()[LOCATION].to_str().unwrap().to_owned();
    let state = query_param(&authorize, "state");
    let login_cookies = set_cookies(&login);
    assert_eq!(login_cookies.len(), 1, "{login_cookies:?}");
    let sealed = login_cookies[0]
        .strip_prefix("__Host-login=")
        .and_then(|rest| rest.strip_suffix("; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"))
        .unwrap_or_else(|| panic!("{login_cookies:?}"))
        .to_owned();
    // The pending login itself, sealed: not the bare state, which an attacker could set.
    assert!(sealed.len() > 100 && !sealed.contains(&state), "{sealed}");

    let at_provider = http.get(&authorize).send().await.unwrap();
    let callback = at_provider.headers()[LOCATION].to_str().unwrap().to_owned();
    let done = http
        .get(&callback)
        .header(COOKIE, format!("__Host-login={sealed}"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 302);
    let cookies = set_cookies(&done);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    let id = cookies[0]
        .strip_prefix("__Host-session=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    assert_eq!(id.len(), 43);
    assert_eq!(
        cookies,
        [
            format!("__Host-session={id}; Path=/; Secure; HttpOnly; SameSite=Strict"),
            "__Host-login=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0".to_owned(),
        ]
    );

    let session = |cookie: String| {
        http.get(format!("{}/auth/session", app.address))
            .header(COOKIE, cookie)
            .send()
    };
    assert_eq!(
        session(format!("__Host-session={id}"))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        session(format!("session={id}")).await.unwrap().status(),
        401,
        "strict mode reads the __Host- cookie only"
    );

    let logout = http
        .post(format!("{}/auth/logout", app.address))
        .header(COOKIE, format!("__Host-session={id}"))
        .header("x-csrf", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 200);
    assert_eq!(
        set_cookies(&logout),
        ["__Host-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"]
    );
}

#[tokio::test]
async fn no_token_reaches_the_browser_in_any_body_header_or_url() {
    let app = spawn_app().await;
    let browser = &app.browser;
    let id = browser.login().await;
    let mut tokens = app.tokens_of(&id).await;

    browser.get("/auth/session").await;
    browser.get("/api/me").await;
    browser.add_to_cart("p00003", 1).await;
    app.expire_access_token(&id).await;
    assert_eq!(browser.get("/api/cart").await.status, 200);
    tokens.extend(app.tokens_of(&id).await);
    assert_eq!(app.state.auth.sessions.refresh_count(), 1);
    browser.delete("/api/cart/items/p00003").await;
    let logout = browser.logout().await;
    let logout_url = logout.json()["logout_url"].as_str().unwrap().to_owned();
    let after = browser.get(&logout_url).await;
    assert_eq!(after.status, 302, "{}", after.body);
    assert_eq!(after.location(), format!("{}/", app.address));

    let seen = browser.seen();
    assert!(seen.len() >= 10, "{}", seen.len());
    for reply in seen {
        let text = reply.text();
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "a token in {text}");
        }
        // Nor a JWT of any kind (header `{"` base64url-encoded).
        assert!(!text.contains("eyJ"), "something JWT-like in {text}");
    }
}

#[tokio::test]
async fn open_redirects_through_return_to_all_end_at_the_root() {
    let app = spawn_app().await;
    let root = format!("{}/", app.address);
    let payloads = [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "%2F%2Fevil.example",
        "/%2F%2Fevil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "/a/..//evil.example",
        "",
    ];
    for payload in payloads {
        let done = app.browser.login_to(payload).await;
        assert_eq!(done.status, 302, "{payload:?}: {}", done.body);
        assert_eq!(done.location(), root, "{payload:?}");
    }

    // The raw query form: `%2F%2F` decodes to `//`.
    let login = app
        .browser
        .get("/auth/login?return_to=%2F%2Fevil.example")
        .await;
    let at_provider = app.browser.get(login.location()).await;
    let done = app.browser.get(at_provider.location()).await;
    assert_eq!(done.location(), root);

    // A same-origin path is kept, and the origin is the configured one, whatever the Host.
    let (_, callback) = app.browser.start_login("/search?q=red%20shoes#top").await;
    let done = app
        .browser
        .get_with(
            &callback,
            &[
                ("host", "evil.example"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "https"),
            ],
        )
        .await;
    assert_eq!(
        done.location(),
        format!("{}/search?q=red%20shoes#top", app.address)
    );
}

#[tokio::test]
async fn a_callback_that_is_not_this_browsers_login_is_a_400_problem_without_a_session() {
    let app = spawn_app().await;
    let browser = &app.browser;

    // State mismatch.
    let (_, callback) = browser.start_login("/").await;
    let mut forged = url::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "x".repeat(43)
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(&pairs);
    let mismatch = browser.get(forged.as_str()).await;
    mismatch.assert_problem(400);

    // The login cookie missing: the callback arrives in another browser.
    let (_, callback) = browser.start_login("/").await;
    let other = app.new_browser();
    let missing = other.get(&callback).await;
    missing.assert_problem(400);

    // The provider refused; a callback without anything.
    let (_, callback) = browser.start_login("/").await;
    let state = query_param(&callback, "state");
    let refused = browser
        .get(&format!(
            "/auth/callback?error=access_denied&error_description=<script>boom</script>\
             &state={state}&iss={}",
            app.idp.url()
        ))
        .await;
    let problem = refused.assert_problem(400);
    assert!(!refused.body.contains("boom"), "{problem}");
    let empty = browser.get("/auth/callback").await;
    empty.assert_problem(400);

    for reply in [&mismatch, &missing, &refused, &empty] {
        assert_eq!(reply.set_cookie("session"), None, "{}", reply.request);
        assert!(!reply.body.contains(&query_param(&callback, "code")));
    }
    assert_eq!(browser.session_id(), None);
    browser.get("/auth/session").await.assert_problem(401);
    other.get("/auth/session").await.assert_problem(401);
}

#[tokio::test]
async fn a_provider_that_is_down_at_the_callback_is_a_502_problem() {
    let app = spawn_app().await;
    let (_, callback) = app.browser.start_login("/").await;
    drop(app.idp);
    tokio::time::sleep(Duration::from_millis(400)).await;

    let done = app.browser.get(&callback).await;

    let problem = done.assert_problem(502);
    assert_eq!(done.set_cookie("session"), None);
    assert!(!done.body.contains("127.0.0.1"), "{problem}");
}

#[tokio::test]
async fn the_session_endpoint_answers_401_and_never_redirects() {
    let app = spawn_app().await;
    let browser = &app.browser;

    let anonymous = browser.get("/auth/session").await;
    anonymous.assert_problem(401);
    assert_eq!(anonymous.header("location"), None);
    assert_eq!(anonymous.cache_control(), "no-store");
    assert_eq!(anonymous.set_cookie("session"), None);

    for planted in ["garbage".to_owned(), "B".repeat(43)] {
        browser.plant_cookie(&format!("session={planted}"));
        let reply = browser.get("/auth/session").await;
        reply.assert_problem(401);
        assert_eq!(reply.header("location"), None);
        // A cookie that leads nowhere is cleared.
        assert_eq!(
            reply.set_cookie("session"),
            Some("session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
        );
    }
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_sends_the_browser_to_the_providers_end_session() {
    let app = spawn_app().await;
    let browser = &app.browser;
    let id = browser.login().await;
    let tokens = app.tokens_of(&id).await;

    let logout = browser.logout().await;

    assert_eq!(logout.status, 200, "{}", logout.body);
    assert_eq!(logout.cache_control(), "no-store");
    let logout_url = url::Url::parse(logout.json()["logout_url"].as_str().unwrap()).unwrap();
    assert_eq!(
        logout_url.as_str().split('?').next().unwrap(),
        format!("{}/end_session", app.idp.url())
    );
    let mut params: Vec<(String, String)> = logout_url.query_pairs().into_owned().collect();
    params.sort();
    assert_eq!(
        params,
        [
            ("client_id".to_owned(), "bff-web".to_owned()),
            (
                "post_logout_redirect_uri".to_owned(),
                format!("{}/", app.address)
            ),
        ],
        "no id_token_hint"
    );
    let (status, body) = app.refresh_at_provider(&tokens[1]).await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_grant"), "{body}");
    assert!(app.stored_session(&id).await.is_none());

    // Anonymous now: 204, and the cookie is cleared again.
    let again = browser.logout().await;
    assert_eq!(again.status, 204);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn with_logout_id_token_hint_the_end_session_url_carries_the_sessions_id_token() {
    let app = spawn_with(Options {
        configure: Some(Arc::new(|settings: &mut Settings| {
            settings.oidc.logout_id_token_hint = true;
        })),
        ..Options::default()
    })
    .await;
    let browser = &app.browser;
    let id = browser.login().await;
    let id_token = app.tokens_of(&id).await[2].clone();

    let logout = browser.logout().await;

    assert_eq!(logout.status, 200, "{}", logout.body);
    let logout_url = url::Url::parse(logout.json()["logout_url"].as_str().unwrap()).unwrap();
    let hint = logout_url
        .query_pairs()
        .find(|(name, _)| name == "id_token_hint")
        .map(|(_, value)| value.into_owned());
    assert_eq!(hint.as_deref(), Some(id_token.as_str()));
    // The provider accepts it and sends the browser to the registered URI.
    let after = browser.get(logout_url.as_str()).await;
    assert_eq!(after.status, 302, "{}", after.body);
    assert_eq!(after.location(), format!("{}/", app.address));
}

#[tokio::test]
async fn a_provider_down_at_start_up_leaves_the_screens_up_and_sign_in_503_until_it_is_back() {
    const COOLDOWN: Duration = Duration::from_millis(300);
    // The BFF reaches the provider through an address where nothing listens yet (its
    // backchannel): the provider is unreachable at start-up, as in a stack starting up.
    let vacant = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backchannel = vacant.local_addr().unwrap();
    drop(vacant);
    let app = spawn_with(Options {
        configure: Some(Arc::new(move |settings: &mut Settings| {
            settings.oidc.client.backchannel_url =
                Some(format!("http://{backchannel}").parse().unwrap());
            settings.oidc.client.jwks.refresh_cooldown = COOLDOWN;
        })),
        ..Options::default()
    })
    .await;
    assert!(!app.state.auth.oidc.is_discovered());

    assert_eq!(app.get_home().await.status(), 200, "public screens work");
    let readiness = |reply: reqwest::Response| async move {
        assert_eq!(
            reply.status(),
            200,
            "the provider never makes the BFF unready"
        );
        reply.json::<serde_json::Value>().await.unwrap()["identity_provider"].clone()
    };
    assert_eq!(
        readiness(app.admin_get("/readyz").await).await,
        serde_json::json!({ "discovered": false, "required": false })
    );
    let browser = app.new_browser();
    let login = browser.get("/auth/login?return_to=/cart").await;
    let problem = login.assert_problem(503);
    assert!(login.header("retry-after").is_some(), "{:?}", login.headers);
    assert_eq!(login.cache_control(), "no-store");
    assert!(
        login.set_cookies().is_empty(),
        "no login cookie without a login"
    );
    assert!(!problem.to_string().contains(&backchannel.to_string()));
    assert_eq!(app.idp.token_requests(), 0);

    // The provider comes back at that address: a TCP relay to it.
    let relay = tokio::net::TcpListener::bind(backchannel).await.unwrap();
    let provider = app.idp.url().trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = relay.accept().await {
            let provider = provider.clone();
            tokio::spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(provider).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    // Within the cooldown of the failed start-up attempt nothing is retried; after it, the first
    // login discovers the provider and goes through.
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    browser.login().await;
    assert!(app.state.auth.oidc.is_discovered());
    assert_eq!(
        readiness(app.admin_get("/readyz").await).await["discovered"],
        true
    );
    let me = browser.get("/api/me").await;
    assert_eq!(me.status, 200, "{}", me.body);
}
