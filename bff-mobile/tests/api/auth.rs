//! Bearer-token authentication of the personal routes (`SECURITY.md`, "Mobile BFF"): tokens from
//! the real provider, forged ones signed with its keys, and crafted ones it would never issue.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use demo_upstreams::Service;
use demo_upstreams::ServiceContext;
use demo_upstreams::accounts::{InvalidToken, TokenVerifier};
use demo_upstreams::config::DemoConfig;
use demo_upstreams::testing::{RunningService, TestUpstreams};
use dev_idp::testing::TestIdp;
use futures::future::BoxFuture;
use reqwest::Method;
use serde_json::{Value, json};
use shared::auth::{JwtSettings, TokenValidator};

use crate::helpers::{
    Bearer, INVALID_TOKEN, NO_TOKEN, TestApp, assert_problem, assert_unauthorized, bearer,
    cache_control, cart_lines, forward_user_tokens, keys, screen_json, spawn_app,
    spawn_app_against, spawn_app_with,
};

/// Seconds since the epoch.
fn now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

/// The JSON of one part (0 header, 1 payload) of a JWT.
fn part(token: &str, index: usize) -> Value {
    let encoded = token.split('.').nth(index).expect("a JWT part");
    serde_json::from_slice(&B64.decode(encoded).unwrap()).unwrap()
}

fn encode(value: &Value) -> String {
    B64.encode(value.to_string())
}

/// `token` with its header replaced by `header` (so the signature no longer fits).
fn with_header(token: &str, header: &Value) -> String {
    let mut parts = token.splitn(2, '.');
    parts.next();
    format!("{}.{}", encode(header), parts.next().unwrap())
}

/// `token` with the character at `index` replaced by another base64url character.
/// `token` with a random key id no provider knows, `padding` characters longer.
fn with_unknown_kid(token: &str, padding: usize) -> String {
    let header = json!({
        "alg": "ES256",
        "typ": "at+jwt",
        "kid": format!("{:032x}{}", rand::random::<u128>(), "k".repeat(padding)),
    });
    with_header(token, &header)
}

/// Sends 100 copies of `token` at once, each with its own unknown key id, and asserts that each
/// is refused as an invalid token.
async fn assert_a_kid_flood_is_refused(app: &TestApp, token: &str) {
    let flood: Vec<String> = (0..100).map(|_| with_unknown_kid(token, 0)).collect();
    let responses = futures::future::join_all(flood.iter().map(|token| app.get_me(token))).await;
    for response in responses {
        assert_unauthorized(response, INVALID_TOKEN, &[]).await;
    }
}

fn mutate(token: &str, index: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    assert_ne!(
        bytes[index], b'.',
        "mutate a base64url character, not a dot"
    );
    bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}

/// The index of the middle character of part `index` of a JWT.
fn middle_of(token: &str, index: usize) -> usize {
    let parts: Vec<&str> = token.split('.').collect();
    let start: usize = parts[..index].iter().map(|p| p.len() + 1).sum();
    start + parts[index].len() / 2
}

/// One way of (not) presenting a token, and the challenge it must get.
struct Case<'a> {
    name: &'a str,
    /// Appended to the route's path.
    query: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    /// The expected `WWW-Authenticate`.
    challenge: &'a str,
}

/// One personal route and how to call it.
struct Route {
    method: Method,
    path: &'static str,
    body: Option<Value>,
}

fn personal_routes() -> Vec<Route> {
    vec![
        Route {
            method: Method::GET,
            path: "/v1/me",
            body: None,
        },
        Route {
            method: Method::GET,
            path: "/v1/cart",
            body: None,
        },
        Route {
            method: Method::POST,
            path: "/v1/cart/items",
            body: Some(json!({"product_id": "p00001", "quantity": 1})),
        },
        Route {
            method: Method::DELETE,
            path: "/v1/cart/items/p00001",
            body: None,
        },
    ]
}

#[tokio::test]
async fn the_app_signs_in_with_code_and_pkce_then_reads_the_profile_and_changes_the_cart() {
    let app = spawn_app().await;
    let tokens = app.idp.mobile_tokens("demo-user-1").await;
    let token = tokens.access_token;

    let response = app.get_me(&token).await;
    assert_eq!(cache_control(&response), "private, no-store");
    let me = screen_json(response).await;
    assert_eq!(
        me,
        json!({"name": "Ada Lovelace", "email": "ada@example.test"})
    );

    let cart = screen_json(app.add_to_cart(&token, "p00042", 2).await).await;
    assert_eq!(cart["count"], 2);
    assert_eq!(cart["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        keys(&cart["items"][0]),
        ["image", "name", "price", "product_id", "quantity"]
    );
    assert_eq!(cart["items"][0]["product_id"], "p00042");
    assert_eq!(cart["items"][0]["quantity"], 2);

    let response = app.get_cart(&token).await;
    assert_eq!(cache_control(&response), "private, no-store");
    assert_eq!(screen_json(response).await, cart);

    let response = app.remove_from_cart(&token, "p00042").await;
    assert_eq!(cache_control(&response), "private, no-store");
    assert_eq!(
        screen_json(response).await,
        json!({"items": [], "count": 0})
    );

    let expired = app
        .idp
        .mint_access_token(json!({"exp": now() - 3600, "iat": now() - 7200, "nbf": now() - 7200}));
    let response = app.get_me(&expired).await;
    assert_eq!(cache_control(&response), "private, no-store");
    assert_unauthorized(response, INVALID_TOKEN, &[&expired]).await;
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;

    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let authorization = format!("{scheme} {token}");
        let response = app
            .send(
                Method::GET,
                "/v1/me",
                &[("Authorization", &authorization)],
                None,
            )
            .await;
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn every_missing_or_invalid_credential_is_a_401_and_accounts_is_never_called() {
    let app = spawn_app().await;
    let idp = &app.idp;
    let tokens = idp.mobile_tokens("demo-user-1").await;
    let valid = tokens.access_token.clone();
    let kid = idp.current_kid();
    let mut alg_none_header = part(&valid, 0);
    alg_none_header["alg"] = json!("none");
    let alg_none = format!("{}.{}.", encode(&alg_none_header), encode(&part(&valid, 1)));
    let alg_none_signed = format!("{alg_none}{}", valid.rsplit('.').next().unwrap());
    // A validly signed token that is larger than the 8 KiB cap: refused on its size alone.
    let oversized = idp.mint_access_token(json!({"pad": "x".repeat(9000)}));
    assert!(oversized.len() > 8192);
    let expired = idp.mint_access_token(json!({"exp": now() - 3600, "iat": now() - 7200}));
    let not_yet_valid = idp.mint_access_token(json!({"nbf": now() + 3600}));
    let wrong_audience = idp.mint_access_token(json!({"aud": ["bff-web"]}));
    let wrong_issuer = idp.mint_access_token(json!({"iss": "http://127.0.0.1:9"}));
    let embedded_key = with_header(
        &valid,
        &json!({"alg": "ES256", "typ": "at+jwt", "kid": kid,
                "jku": "http://127.0.0.1:9/jwks", "jwk": {"kty": "EC"}}),
    );
    let cookie_only = format!("access_token={valid}; token={valid}");
    let query = format!("?access_token={valid}");
    let two_headers = [bearer(&valid), bearer(&valid)];
    let two_in_one = format!("Bearer {valid} {valid}");
    let listed = format!("Bearer {valid}, Bearer {valid}");
    let bearers = [
        ("oversized header", bearer(&oversized)),
        ("alg none, unsigned", bearer(&alg_none)),
        ("alg none, with a signature", bearer(&alg_none_signed)),
        ("wrong audience", bearer(&wrong_audience)),
        ("wrong issuer", bearer(&wrong_issuer)),
        ("expired", bearer(&expired)),
        ("not yet valid", bearer(&not_yet_valid)),
        ("an ID token", bearer(&tokens.id_token)),
        ("the refresh token", bearer(&tokens.refresh_token)),
        ("a key embedded in the header", bearer(&embedded_key)),
        (
            "one byte mutated in the header",
            bearer(&mutate(&valid, middle_of(&valid, 0))),
        ),
        (
            "one byte mutated in the payload",
            bearer(&mutate(&valid, middle_of(&valid, 1))),
        ),
        (
            "one byte mutated in the signature",
            bearer(&mutate(&valid, middle_of(&valid, 2))),
        ),
        ("not a JWT", bearer("demo-user-1")),
    ];

    let case = |name, query, headers, challenge| Case {
        name,
        query,
        headers,
        challenge,
    };
    let mut cases = vec![
        case("no Authorization header", "", vec![], NO_TOKEN),
        case(
            "the token in the query string only",
            &query,
            vec![],
            NO_TOKEN,
        ),
        case(
            "the token in a cookie only",
            "",
            vec![("Cookie", &cookie_only)],
            NO_TOKEN,
        ),
        case(
            "Basic credentials",
            "",
            vec![("Authorization", "Basic ZGVtby11c2VyLTE6ZGVtbw==")],
            INVALID_TOKEN,
        ),
        case(
            "an empty bearer",
            "",
            vec![("Authorization", "Bearer ")],
            INVALID_TOKEN,
        ),
        case(
            "the scheme alone",
            "",
            vec![("Authorization", "Bearer")],
            INVALID_TOKEN,
        ),
        case(
            "two Authorization headers",
            "",
            two_headers.iter().map(Bearer::as_header).collect(),
            INVALID_TOKEN,
        ),
        case(
            "two tokens in one header",
            "",
            vec![("Authorization", &two_in_one)],
            INVALID_TOKEN,
        ),
        case(
            "a list of two bearers",
            "",
            vec![("Authorization", &listed)],
            INVALID_TOKEN,
        ),
    ];
    for (name, authorization) in &bearers {
        cases.push(case(
            name,
            "",
            vec![authorization.as_header()],
            INVALID_TOKEN,
        ));
    }

    for Case {
        name: case,
        query,
        headers,
        challenge,
    } in &cases
    {
        for route in personal_routes() {
            let path = format!("{}{query}", route.path);
            let response = app
                .send(route.method.clone(), &path, headers, route.body.as_ref())
                .await;
            assert_eq!(
                response.status(),
                401,
                "{case}: {} {}",
                route.method,
                route.path
            );
            assert_eq!(cache_control(&response), "private, no-store", "{case}");
            assert_unauthorized(response, challenge, &[&valid, "ZGVtby11c2VyLTE6ZGVtbw"]).await;
            assert_eq!(
                app.upstreams.accounts.hits(),
                0,
                "{case}: {} {} reached accounts",
                route.method,
                route.path
            );
        }
    }
    assert_eq!(app.upstream_hits(), 0);

    // The same valid token, sent properly, is accepted: the cases above fail for their reason.
    assert_eq!(app.get_me(&valid).await.status(), 200);
}

#[tokio::test]
async fn without_an_audience_accounts_receives_exactly_the_users_own_token_and_nothing_else() {
    let app = spawn_app_with(forward_user_tokens).await;
    let token = app.token_of("demo-user-1").await;
    let authorization = bearer(&token);
    let headers = [
        authorization.as_header(),
        ("Cookie", "session=s3cr3t-cookie; access_token=another"),
        ("X-User-Id", "demo-user-2"),
        ("X-Forwarded-User", "demo-user-2"),
    ];

    for route in personal_routes() {
        let response = app
            .send(route.method, route.path, &headers, route.body.as_ref())
            .await;
        assert_eq!(response.status(), 200, "{}", route.path);
    }

    let requests = app.upstreams.accounts.requests();
    assert_eq!(requests.len(), 4);
    for request in &requests {
        let sent: Vec<&[u8]> = request
            .headers
            .get_all("authorization")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert_eq!(sent, [format!("Bearer {token}").as_bytes()]);
        for name in ["cookie", "x-user-id", "x-forwarded-user"] {
            assert!(
                request.headers.get(name).is_none(),
                "{name} forwarded to {}",
                request.path_and_query
            );
        }
    }
    let paths: Vec<(String, &str)> = requests
        .iter()
        .map(|r| (r.method.to_string(), r.path_and_query.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("GET".to_owned(), "/me"),
            ("GET".to_owned(), "/cart"),
            ("POST".to_owned(), "/cart/items"),
            ("DELETE".to_owned(), "/cart/items/p00001"),
        ]
    );
    // The token goes to accounts only: the cart's catalog and offers calls carry none.
    for service in [&app.upstreams.catalog, &app.upstreams.offers] {
        for request in service.requests() {
            assert!(
                request.headers.get("authorization").is_none(),
                "{request:?}"
            );
            assert!(request.headers.get("cookie").is_none(), "{request:?}");
        }
    }
}

#[tokio::test]
async fn one_user_never_sees_or_changes_another_users_cart() {
    let app = spawn_app().await;
    let ada = app.token_of("demo-user-1").await;
    let grace = app.token_of("demo-user-2").await;

    screen_json(app.add_to_cart(&ada, "p00001", 3).await).await;
    let graces = screen_json(app.get_cart(&grace).await).await;
    assert_eq!(graces, json!({"items": [], "count": 0}));

    screen_json(app.add_to_cart(&grace, "p00002", 1).await).await;
    // Removing a line Grace does not have leaves Ada's alone.
    screen_json(app.remove_from_cart(&grace, "p00001").await).await;

    let adas = screen_json(app.get_cart(&ada).await).await;
    let graces = screen_json(app.get_cart(&grace).await).await;
    assert_eq!(cart_lines(&adas), [("p00001".to_owned(), 3)]);
    assert_eq!(cart_lines(&graces), [("p00002".to_owned(), 1)]);
    assert_eq!(
        screen_json(app.get_me(&grace).await).await["name"],
        "Grace Hopper"
    );
}

/// Accounts and recommendations verifying `issuer`'s tokens with a short JWKS cooldown, so that
/// they, like the app, pick up a rotated key within the test. (`spawn_verifying`'s verifiers
/// keep shared's 30 s cooldown, which no test should wait for.)
async fn upstreams_verifying_with_cooldown(issuer: &str, cooldown: Duration) -> TestUpstreams {
    #[derive(Debug)]
    struct Verifier(TokenValidator);

    impl TokenVerifier for Verifier {
        fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>> {
            Box::pin(async move {
                self.0
                    .validate(token)
                    .await
                    .map(|claims| claims.sub)
                    .map_err(|_| InvalidToken)
            })
        }
    }

    let config = Arc::new(DemoConfig::default().without_injection());
    let verifying = async |service: Service| {
        let mut settings = JwtSettings::new(issuer, service.name());
        settings.jwks.refresh_cooldown = cooldown;
        let validator = TokenValidator::from_settings(&settings)
            .await
            .expect("the provider can be discovered");
        let ctx = ServiceContext::new(Arc::clone(&config))
            .with_token_verifier(Arc::new(Verifier(validator)));
        RunningService::spawn_context(service, ctx).await
    };
    TestUpstreams::spawn_with_verifying(&config, verifying).await
}

#[tokio::test]
async fn a_key_rotated_at_the_provider_is_used_without_a_restart() {
    const COOLDOWN: Duration = Duration::from_millis(100);
    let idp = TestIdp::spawn().await;
    let upstreams = upstreams_verifying_with_cooldown(&idp.url(), COOLDOWN).await;
    let app = spawn_app_against(idp, upstreams, |settings| {
        settings.auth.jwt.jwks.refresh_cooldown = COOLDOWN;
    })
    .await;
    let before = app.token_of("demo-user-1").await;
    assert_eq!(app.get_me(&before).await.status(), 200);
    let old_kid = app.idp.current_kid();

    app.idp.rotate_keys();
    // Past the cooldown of the start-up fetch: the new kid may cause a fetch.
    tokio::time::sleep(COOLDOWN * 2).await;
    let fetched = app.idp.jwks_requests();
    let after = app.token_of("demo-user-1").await;

    assert_ne!(part(&after, 0)["kid"], json!(old_kid));
    assert_eq!(part(&after, 0)["kid"], json!(app.idp.current_kid()));
    let me = screen_json(app.get_me(&after).await).await;
    assert_eq!(me["name"], "Ada Lovelace");
    assert!(app.idp.jwks_requests() > fetched, "the new key was fetched");
    // The old key stays published for its grace period: tokens signed with it still work.
    assert_eq!(app.get_me(&before).await.status(), 200);
}

/// Issue 18: a provider that signs with a key the moment it publishes it. With the default
/// settings (app and upstreams), a token of the new key works at once, not after a 30 s
/// cooldown; and a flood of random `kid`s right after costs a bounded number of fetches.
#[tokio::test]
async fn a_key_rotated_right_after_the_jwks_fetch_works_at_once_and_a_kid_flood_stays_bounded() {
    let app = spawn_app().await;
    let warm = app.token_of("demo-user-1").await;
    assert_eq!(
        app.get_me(&warm).await.status(),
        200,
        "app and accounts fetched the JWKS"
    );

    app.idp.rotate_keys();
    let rotated = app.token_of("demo-user-1").await;
    let started = std::time::Instant::now();
    let response = app.get_me(&rotated).await;
    let took = started.elapsed();
    assert_eq!(response.status(), 200, "the new kid was refused");
    assert!(took < Duration::from_secs(2), "{took:?}");

    let fetched = app.idp.jwks_requests();
    let started = std::time::Instant::now();
    assert_a_kid_flood_is_refused(&app, &rotated).await;
    let extra = app.idp.jwks_requests() - fetched;
    let bound = started.elapsed().as_secs() as usize + 1;
    assert!(extra <= bound, "{extra} JWKS fetches for 100 random kids");
    eprintln!("new kid accepted in {took:?}; {extra} JWKS fetches for 100 random kids");
    assert_eq!(app.get_me(&rotated).await.status(), 200);
}

#[tokio::test]
async fn with_the_provider_unreachable_the_app_starts_serves_public_screens_and_answers_503_for_tokens()
 {
    // Nothing listens on the port the BFF is told to reach the provider at.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let backchannel = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let app = spawn_app_with(|settings| {
        settings.auth.jwt.backchannel_url = Some(backchannel.parse().unwrap());
    })
    .await;
    assert_eq!(app.get_home().await.status(), 200);

    let token = app.token_of("demo-user-1").await;
    let response = app.get_me(&token).await;
    assert!(response.headers().contains_key("retry-after"));
    assert!(!response.headers().contains_key("www-authenticate"));
    assert_problem(response, 503, &[&token]).await;
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

#[tokio::test]
async fn a_storm_of_unknown_key_ids_costs_at_most_one_jwks_fetch() {
    const COOLDOWN: Duration = Duration::from_secs(2);
    let app = spawn_app_with(|settings| settings.auth.jwt.jwks.refresh_cooldown = COOLDOWN).await;
    let valid = app.token_of("demo-user-1").await;
    // Past the cooldown of the start-up fetch, so the storm could fetch: it may, once.
    tokio::time::sleep(COOLDOWN + Duration::from_millis(100)).await;
    let fetched = app.idp.jwks_requests();

    assert_a_kid_flood_is_refused(&app, &valid).await;
    let extra = app.idp.jwks_requests() - fetched;
    assert!(extra <= 1, "{extra} JWKS fetches for one storm");
    assert_eq!(app.upstreams.accounts.hits(), 0);
    // The known key was kept: valid tokens still work.
    assert_eq!(app.get_me(&valid).await.status(), 200);
}

#[tokio::test]
async fn an_oversized_token_is_refused_before_it_is_decoded() {
    const COOLDOWN: Duration = Duration::from_millis(100);
    let app = spawn_app_with(|settings| settings.auth.jwt.jwks.refresh_cooldown = COOLDOWN).await;
    let valid = app.token_of("demo-user-1").await;
    let unknown_kid = |padding: usize| with_unknown_kid(&valid, padding);
    tokio::time::sleep(COOLDOWN * 2).await;
    let fetched = app.idp.jwks_requests();

    // Decoding its header would look its kid up and fetch the JWKS: the size cap comes first.
    let oversized = unknown_kid(9000);
    assert!(oversized.len() > 8192);
    assert_unauthorized(app.get_me(&oversized).await, INVALID_TOKEN, &[]).await;
    assert_eq!(
        app.idp.jwks_requests(),
        fetched,
        "the oversized token was decoded"
    );

    // The same token within the cap is decoded, and its unknown kid costs a fetch.
    assert_unauthorized(app.get_me(&unknown_kid(0)).await, INVALID_TOKEN, &[]).await;
    assert_eq!(app.idp.jwks_requests(), fetched + 1);
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

#[tokio::test]
async fn the_401_for_an_invalid_token_does_not_say_which_check_failed() {
    let app: TestApp = spawn_app().await;
    let expired = app
        .idp
        .mint_access_token(json!({"exp": now() - 3600, "iat": now() - 7200}));
    let wrong_audience = app.idp.mint_access_token(json!({"aud": "bff-web"}));

    let first = assert_unauthorized(app.get_me(&expired).await, INVALID_TOKEN, &[]).await;
    let second = assert_unauthorized(app.get_me(&wrong_audience).await, INVALID_TOKEN, &[]).await;

    assert_eq!(first["detail"], second["detail"]);
    assert_eq!(first["title"], second["title"]);
    let text = first.to_string().to_lowercase();
    for word in ["audience", "\"aud", "issuer", "signature", "kid", "nbf"] {
        assert!(!text.contains(word), "{word}: {text}");
    }
}
