//! The attack and bad-input suite of `SECURITY.md` for the native app's BFF: forged and misused
//! bearer tokens (signed with test keys served by a counting mock provider, so that each case
//! fails for its own reason and a fetched `jku` would show), misbehaving upstreams and hostile
//! HTTP. Each case asserts the status, a problem that echoes nothing, and (from the upstreams'
//! request logs) that no call was made where none should be.
//!
//! Cases that other modules already prove are not repeated here; `SECURITY.md` maps every rule
//! to its tests.

#[path = "../../../shared/tests/auth_support/mod.rs"]
mod auth_support;

use shared::raw_client::{
    assert_idle_connections_close_and_an_oversized_head_is_a_problem, request,
};
use shared::test_server::{SPOOFING_HEADERS, StandIn, assert_each_answers};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use auth_support::{MockProvider, Signer, TestKey, b64, forge, now, patched};
use demo_upstreams::fault::Fault;
use demo_upstreams::testing::{TestUpstreams, broken_upstream_faults};
use dev_idp::testing::TestIdp;
use jsonwebtoken::Algorithm;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::helpers::{
    DEADLINE, INVALID_TOKEN, NO_TOKEN, SLACK, TestApp, assert_problem, assert_unauthorized, bearer,
    client, forward_user_tokens, post_cart_item, screen_json, spawn_app, spawn_app_against,
    spawn_app_with, token_routes,
};

/// What only a leak would put in a problem: panics, source locations, library names, upstream
/// addresses and what the demo upstreams and the fakes below put in their bodies.
const LEAKS: [&str; 9] = [
    "panicked",
    "backtrace",
    ".rs:",
    "reqwest",
    "hyper",
    "127.0.0.1",
    "injected",
    "garbage",
    "UPSTREAM-SECRET",
];

/// What a problem must not echo: `also` and the [`LEAKS`].
fn not_echoed<'a>(also: &[&'a str]) -> Vec<&'a str> {
    also.iter().copied().chain(LEAKS).collect()
}

/// The mock provider's tokens: a mobile-app access token for demo-user-1, accepted by the app
/// and by accounts.
struct Forge {
    provider: MockProvider,
    es: TestKey,
    rsa: TestKey,
}

impl Forge {
    fn claims(&self) -> Value {
        let now = now();
        json!({
            "iss": self.provider.url,
            "sub": "demo-user-1",
            "aud": ["bff-mobile", "accounts", "recommendations"],
            "exp": now + 300,
            "iat": now,
            "nbf": now,
            "jti": "attack-1",
            "client_id": "mobile-app",
            "scope": "openid profile",
        })
    }

    /// A token signed by `key` with its header and claims patched (`null` removes a member).
    fn token(&self, key: &TestKey, header: Value, claims: Value) -> String {
        let base = json!({"alg": format!("{:?}", key.alg), "typ": "at+jwt", "kid": key.kid});
        forge(
            &patched(&base, &header),
            &patched(&self.claims(), &claims),
            Signer::Key(key),
        )
    }

    fn es(&self, header: Value, claims: Value) -> String {
        self.token(&self.es, header, claims)
    }
}

/// The app and accounts trusting the mock provider, which publishes an ES256 and an RS256 key.
async fn spawn_against_mock_provider() -> (TestApp, Forge) {
    let es = TestKey::es256("es-1");
    let rsa = TestKey::rs256("rsa-1");
    let provider = MockProvider::spawn(&[&es, &rsa]).await;
    let upstreams = TestUpstreams::spawn_verifying(&provider.url).await;
    let issuer = provider.url.clone();
    let app = spawn_app_against(TestIdp::spawn().await, upstreams, move |settings| {
        settings.auth.jwt.issuer = issuer;
        // The mock provider cannot exchange tokens; its tokens name every audience.
        forward_user_tokens(settings);
    })
    .await;
    (app, Forge { provider, es, rsa })
}

#[tokio::test]
async fn forged_and_misused_tokens_are_401_on_every_route_and_no_named_key_is_ever_fetched() {
    let (app, kit) = spawn_against_mock_provider().await;
    let attacker = TestKey::es256("attacker");
    let attacker_site = MockProvider::spawn(&[&attacker]).await;
    let evil_keys = format!("{}/keys.json", attacker_site.url);
    let es = &kit.es;
    let issuer = kit.provider.url.clone();
    let now = now();
    let claims = kit.claims();
    let by_attacker = |header: Value| {
        kit.token(
            &attacker,
            patched(&json!({"kid": attacker.kid}), &header),
            json!({}),
        )
    };
    let unsigned = |alg: &str| {
        forge(
            &json!({"alg": alg, "typ": "at+jwt", "kid": es.kid}),
            &claims,
            Signer::Empty,
        )
    };
    let mut cases: Vec<(&str, String)> = vec![
        ("alg none, unsigned", unsigned("none")),
        (
            "alg none, with a signature",
            forge(
                &json!({"alg": "none", "typ": "at+jwt", "kid": es.kid}),
                &claims,
                Signer::Garbage,
            ),
        ),
        ("alg None", unsigned("None")),
        ("alg NONE", unsigned("NONE")),
        (
            "HS256 keyed with the provider's public JWK",
            forge(
                &json!({"alg": "HS256", "typ": "at+jwt", "kid": es.kid}),
                &claims,
                Signer::Hmac(es.public_bytes(), Algorithm::HS256),
            ),
        ),
        (
            "HS512 keyed with the provider's public JWK",
            forge(
                &json!({"alg": "HS512", "typ": "at+jwt", "kid": kit.rsa.kid}),
                &claims,
                Signer::Hmac(kit.rsa.public_bytes(), Algorithm::HS512),
            ),
        ),
        (
            "RS256 claimed for the EC key",
            forge(
                &json!({"alg": "RS256", "typ": "at+jwt", "kid": es.kid}),
                &claims,
                Signer::Key(&kit.rsa),
            ),
        ),
        (
            "ES384, outside the allow-list",
            forge(
                &json!({"alg": "ES384", "typ": "at+jwt", "kid": es.kid}),
                &claims,
                Signer::Garbage,
            ),
        ),
        (
            "jku to the attacker's keys",
            by_attacker(json!({"jku": evil_keys})),
        ),
        (
            "x5u to the attacker's keys",
            by_attacker(json!({"x5u": evil_keys})),
        ),
        (
            "the attacker's key embedded as jwk",
            by_attacker(json!({"jwk": attacker.public_jwk})),
        ),
        (
            "the provider's kid with the attacker's jwk and jku",
            by_attacker(json!({"kid": es.kid, "jwk": attacker.public_jwk, "jku": evil_keys})),
        ),
        (
            "an x5c chain",
            by_attacker(json!({"x5c": ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]})),
        ),
        (
            "a payload that is not JSON",
            format!(
                "{}.{}.{}",
                b64(json!({"alg": "ES256", "typ": "at+jwt", "kid": es.kid})
                    .to_string()
                    .as_bytes()),
                b64(b"not json"),
                b64(b"sig")
            ),
        ),
        ("four parts", format!("{}.x", kit.es(json!({}), json!({})))),
        (
            "an ID token: typ JWT, nonce, the client as audience",
            kit.es(
                json!({"typ": "JWT"}),
                json!({"aud": "mobile-app", "nonce": "n", "azp": "mobile-app"}),
            ),
        ),
    ];
    // Signed with the provider's EC key, one header parameter changed.
    let header_changes = [
        ("an unknown crit", json!({"crit": ["exp"], "exp": 1})),
        ("an empty crit", json!({"crit": []})),
        ("crit b64 false", json!({"crit": ["b64"], "b64": false})),
        ("typ JWT (an ID token)", json!({"typ": "JWT"})),
        ("no typ", json!({"typ": null})),
        ("typ application/jwt", json!({"typ": "application/jwt"})),
        ("typ dpop+jwt", json!({"typ": "dpop+jwt"})),
        ("no kid", json!({"kid": null})),
        ("an unknown kid", json!({"kid": "who-knows"})),
        ("a path as kid", json!({"kid": "../../../../etc/passwd"})),
        ("the RSA key's kid", json!({"kid": kit.rsa.kid})),
    ];
    cases.extend(header_changes.map(|(case, header)| (case, kit.es(header, json!({})))));
    // Signed with the provider's EC key, one claim changed.
    let claim_changes = [
        ("wrong aud", json!({"aud": "accounts"})),
        (
            "aud list without this service",
            json!({"aud": ["accounts"]}),
        ),
        ("empty aud list", json!({"aud": []})),
        ("wrong iss", json!({"iss": "https://evil.example"})),
        (
            "iss with a trailing slash",
            json!({"iss": format!("{issuer}/")}),
        ),
        ("iss as a list", json!({"iss": [issuer]})),
        ("expired past the leeway", json!({"exp": now - 60})),
        ("nbf in the future", json!({"nbf": now + 120})),
        ("iat in the future", json!({"iat": now + 120})),
        ("no exp", json!({"exp": null})),
        ("exp as a string", json!({"exp": (now + 300).to_string()})),
        ("no sub", json!({"sub": null})),
        ("no iat", json!({"iat": null})),
    ];
    cases.extend(claim_changes.map(|(case, claims)| (case, kit.es(json!({}), claims))));

    for (case, token) in &cases {
        for (method, path, body) in token_routes() {
            let response = app
                .send_as(token, method.clone(), path, body.as_ref())
                .await;
            assert_eq!(response.status(), 401, "{case}: {method} {path}");
            let echoes = not_echoed(&[token.as_str()]);
            assert_unauthorized(response, INVALID_TOKEN, &echoes).await;
        }
    }

    assert_eq!(
        app.upstream_hits(),
        0,
        "a refused token reached an upstream"
    );
    assert_eq!(attacker_site.other_hits(), 0, "a jku/x5u was fetched");
    assert_eq!(attacker_site.jwks_hits(), 0);
    // The same provider's well-formed tokens pass, for both keys and within the leeway: the
    // cases above failed for their own reason.
    for token in [
        kit.es(json!({}), json!({})),
        kit.token(&kit.rsa, json!({}), json!({})),
        kit.es(
            json!({"typ": "application/at+jwt"}),
            // `now()` again: the refused tokens above took a while (an unknown kid waits for
            // the next JWKS fetch).
            json!({"exp": self::now() - 10}),
        ),
    ] {
        let me = screen_json(app.get_me(&token).await).await;
        assert_eq!(me["name"], "Ada Lovelace");
        let sent = app.upstreams.accounts.requests().pop().unwrap();
        assert_eq!(
            sent.headers["authorization"].to_str().unwrap(),
            format!("Bearer {token}")
        );
    }
}

#[tokio::test]
async fn a_token_changed_in_any_one_character_is_refused_before_accounts() {
    let (app, kit) = spawn_against_mock_provider().await;
    let valid = kit.es(json!({}), json!({}));
    let parts: Vec<usize> = valid.match_indices('.').map(|(i, _)| i).collect();
    let positions: Vec<usize> = (0..valid.len())
        .step_by(5)
        .chain([parts[0] - 1, parts[1] - 1, valid.len() - 1])
        .filter(|i| !parts.contains(i))
        .collect();

    for &position in &positions {
        let mut bytes = valid.clone().into_bytes();
        bytes[position] = if bytes[position] == b'A' { b'B' } else { b'A' };
        let mutated = String::from_utf8(bytes).unwrap();
        let response = app.get_me(&mutated).await;
        assert_eq!(response.status(), 401, "changed at {position}");
        assert_unauthorized(response, INVALID_TOKEN, &[&mutated]).await;
    }

    assert!(positions.len() > 50, "{}", positions.len());
    assert_eq!(app.upstream_hits(), 0);
    assert_eq!(app.get_me(&valid).await.status(), 200);
}

#[tokio::test]
async fn a_token_in_a_form_body_is_not_a_credential() {
    let (app, kit) = spawn_against_mock_provider().await;
    let valid = kit.es(json!({}), json!({}));

    let response = app
        .send_raw(
            Method::POST,
            "/v1/cart/items",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("access_token={valid}&product_id=p00001&quantity=1"),
        )
        .await;

    assert_unauthorized(response, NO_TOKEN, &[&valid]).await;
    assert_eq!(app.upstream_hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// Misbehaving upstreams
// ---------------------------------------------------------------------------------------------

/// An accounts stand-in that answers every request with a redirect to `elsewhere`, keeping the
/// `Authorization` of each.
struct Redirector {
    url: String,
    authorizations: Arc<Mutex<Vec<String>>>,
    _server: StandIn,
}

impl Redirector {
    async fn spawn(status: u16, elsewhere: &str) -> Self {
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        let location = format!("{elsewhere}/steal");
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            if let Some(value) = headers.get("authorization") {
                seen.lock()
                    .unwrap()
                    .push(value.to_str().unwrap().to_owned());
            }
            let status = axum::http::StatusCode::from_u16(status).unwrap();
            let location = location.clone();
            async move { (status, [("location", location)], "UPSTREAM-SECRET") }
        });
        let server = StandIn::spawn(app).await;
        Self {
            url: server.url.clone(),
            authorizations,
            _server: server,
        }
    }
}

#[tokio::test]
async fn an_upstream_redirect_is_never_followed_so_the_token_goes_nowhere_else() {
    // The attacker's host counts every request it gets.
    let attacker = TestKey::es256("attacker");
    let elsewhere = MockProvider::spawn(&[&attacker]).await;
    let mut redirectors = Vec::new();
    for status in [301, 302, 303, 307, 308] {
        redirectors.push(Redirector::spawn(status, &elsewhere.url).await);
    }

    for redirector in &redirectors {
        let accounts = redirector.url.clone();
        let app = spawn_app_with(move |settings| {
            settings.upstreams.accounts.url = accounts.parse().unwrap();
            forward_user_tokens(settings);
        })
        .await;
        let token = app.token_of("demo-user-1").await;
        for (method, path, body) in token_routes().into_iter().take(4) {
            let response = app
                .send_as(&token, method.clone(), path, body.as_ref())
                .await;
            let echoes = not_echoed(&[token.as_str(), "steal"]);
            assert_problem(response, 502, &echoes).await;
        }
        let sent = redirector.authorizations.lock().unwrap().clone();
        assert!(!sent.is_empty(), "accounts was not called");
        assert!(sent.iter().all(|a| *a == format!("Bearer {token}")));
    }

    assert_eq!(elsewhere.other_hits(), 0, "a redirect was followed");
}

#[tokio::test]
async fn refused_truncated_endless_garbage_and_hanging_upstreams_are_bounded_problems() {
    let refused = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let app = spawn_app_with(|settings| {
        for upstream in [
            &mut settings.upstreams.catalog,
            &mut settings.upstreams.offers,
            &mut settings.upstreams.reviews,
            &mut settings.upstreams.recommendations,
            &mut settings.upstreams.accounts,
        ] {
            upstream.resilience.circuit.failure_threshold = 1_000_000;
        }
        settings.screens.me = DEADLINE;
        settings.screens.cart = DEADLINE;
    })
    .await;
    let token = app.token_of("demo-user-1").await;
    let routes = [
        (Method::GET, "/v1/products/p00001", None),
        (Method::GET, "/v1/search?q=wireless", None),
        (Method::GET, "/v1/me", None),
        (Method::GET, "/v1/cart", None),
        post_cart_item("p00001"),
    ];

    for (fault, expected) in broken_upstream_faults(503) {
        app.upstreams.catalog.set_fault(fault.clone());
        app.upstreams.accounts.set_fault(fault.clone());
        for (method, path, body) in &routes {
            let started = Instant::now();
            let response = app
                .send_as(&token, method.clone(), path, body.as_ref())
                .await;
            let elapsed = started.elapsed();
            let status = response.status().as_u16();
            assert!(
                expected.contains(&status),
                "{fault:?} {method} {path}: {status}"
            );
            let echoes = not_echoed(&[token.as_str(), "endless", "p00001\",\"name"]);
            assert_problem(response, status, &echoes).await;
            assert!(elapsed < DEADLINE + SLACK, "{fault:?} {path}: {elapsed:?}");
        }
    }
    assert!(app.upstreams.accounts.hits() >= 10);

    // Nothing listening at all.
    let app = spawn_app_with(move |settings| {
        settings.upstreams.catalog.url = refused.parse().unwrap();
        settings.upstreams.accounts.url = refused.parse().unwrap();
    })
    .await;
    let token = app.token_of("demo-user-1").await;
    for (method, path, body) in &routes {
        let started = Instant::now();
        let response = app
            .send_as(&token, method.clone(), path, body.as_ref())
            .await;
        let echoes = not_echoed(&[token.as_str()]);
        assert_problem(response, 502, &echoes).await;
        assert!(started.elapsed() < DEADLINE + SLACK, "{path}");
    }
}

// ---------------------------------------------------------------------------------------------
// Inbound HTTP
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused_before_any_upstream_call() {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;
    let marker = "zz-marker-zz";
    let huge = format!("{marker}{}", "x".repeat(20 * 1024));

    for head in [
        format!("GET /v1/home HTTP/1.1\r\nX-Big: {huge}\r\n"),
        format!("GET /v1/search?q={huge} HTTP/1.1\r\n"),
        format!("GET /v1/me HTTP/1.1\r\nAuthorization: Bearer {huge}\r\n"),
    ] {
        let (status, answer) = request(&app.address, &head, b"").await;
        assert!([400, 414, 431].contains(&status), "{status}");
        assert!(!answer.contains(marker));
    }

    let body = format!(
        r#"{{"product_id": "p00001", "quantity": 1, "pad": "{marker}{}"}}"#,
        "x".repeat(100 * 1024)
    );
    let head = format!(
        "POST /v1/cart/items HTTP/1.1\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\n"
    );
    let mut chunked = Vec::new();
    for chunk in body.as_bytes().chunks(4096) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    for (framing, bytes) in [
        (
            format!("Content-Length: {}\r\n", body.len()),
            body.as_bytes(),
        ),
        ("Transfer-Encoding: chunked\r\n".to_owned(), &chunked[..]),
    ] {
        let (status, answer) = request(&app.address, &format!("{head}{framing}"), bytes).await;
        assert_eq!(status, 413, "{framing}: {answer}");
        assert!(answer.contains("application/problem+json"), "{answer}");
        assert!(!answer.contains(marker) && !answer.contains(&token));
    }

    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn malformed_bodies_queries_and_paths_are_problems_that_echo_nothing() {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;
    let authorization = bearer(&token);
    let marker = "zz-marker-zz";
    let mut invalid_utf8 = format!(r#"{{"product_id": "{marker}"#).into_bytes();
    invalid_utf8.extend_from_slice(b"\xff\xfe\", \"quantity\": 1}");
    let bodies: Vec<Vec<u8>> = vec![
        format!(
            r#"{{"product_id": "{marker}", "quantity": {}"#,
            "[".repeat(20_000)
        )
        .into(),
        invalid_utf8,
        format!(r#"{{"product_id": "p00001", "quantity": 1e999999, "x": "{marker}"}}"#).into(),
        format!("\u{feff}{{\"product_id\": \"{marker}\", \"quantity\": 1}}").into(),
        format!(r#"{{"product_id": "p00001", "quantity": 1, "product_id": "{marker}"}}"#).into(),
        format!(r#"{{"product_id": "p00001", "quantity": 1}} {marker}"#).into(),
        b"null".to_vec(),
    ];
    for body in bodies {
        let response = client()
            .post(format!("{}/v1/cart/items", app.address))
            .header("authorization", authorization.as_header().1)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert!([400, 422].contains(&status), "{status}");
        assert_problem(response, status, &[marker, "[[["]).await;
    }

    let paths: [(&str, u16); 10] = [
        ("/v1/search?q=zz-marker&cursor=a&cursor=b", 400),
        ("/v1/search?q=zz-marker&q=other", 400),
        ("/v1/search?q=zz-marker%00", 400),
        ("/v1/home?w=zz-marker", 400),
        ("/v1/home?dpr=1e308", 400),
        ("/v1/products/%FFzz-marker", 400),
        ("/v1/products/zz-marker%00", 400),
        ("/v1/products/p0000%EF%BC%91", 400),
        ("/v1/products/p00001/zz-marker", 404),
        ("/v1/zz-marker", 404),
    ];
    for (path, status) in paths {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert_problem(response, status, &[marker, "\\u0000"]).await;
    }
    let reached: Vec<String> = app
        .services()
        .iter()
        .flat_map(|service| service.requests())
        .map(|request| format!("{} {}", request.method, request.path_and_query))
        .collect();
    assert!(
        reached.is_empty(),
        "malformed requests reached upstreams: {reached:?}"
    );
}

#[tokio::test]
async fn a_page_size_or_offset_the_app_sends_changes_nothing_upstream() {
    let app = spawn_app().await;

    let page = screen_json(
        app.get("/v1/search?q=wireless&limit=1000&per_page=1000&offset=40")
            .await,
    )
    .await;

    assert!(page["items"].as_array().unwrap().len() <= 20);
    let sent = &app.upstreams.catalog.requests()[0].path_and_query;
    assert_eq!(
        sent,
        "/products/search?sort=relevance&offset=0&limit=20&q=wireless"
    );
}

/// Headers a client might send to pose as someone, somewhere or something else: the
/// [`SPOOFING_HEADERS`] and a cookie (no credential of the mobile BFF's).
fn spoofing_headers() -> Vec<(&'static str, &'static str)> {
    let mut headers = SPOOFING_HEADERS.to_vec();
    headers.push(("cookie", "session=s3cr3t; access_token=another"));
    headers
}

#[tokio::test]
async fn identity_and_forwarding_headers_reach_no_upstream_on_any_route() {
    let app = spawn_app().await;
    let token = app.token_of("demo-user-1").await;
    let authorization = bearer(&token);
    let mut headers = vec![authorization.as_header()];
    headers.extend(spoofing_headers());

    for (method, path, body) in [
        (Method::GET, "/v1/home", None),
        (Method::GET, "/v1/products/p00042", None),
        (Method::GET, "/v1/search?q=wireless", None),
        (Method::GET, "/v1/me", None),
        post_cart_item("p00042"),
        (Method::DELETE, "/v1/cart/items/p00042", None),
    ] {
        let response = app
            .send(method.clone(), path, &headers, body.as_ref())
            .await;
        assert_eq!(response.status(), 200, "{method} {path}");
        let text = response.text().await.unwrap();
        assert!(
            !text.contains("evil.example") && !text.contains("Grace"),
            "{text}"
        );
    }

    let mut seen = 0;
    for service in [
        &app.upstreams.catalog,
        &app.upstreams.offers,
        &app.upstreams.reviews,
        &app.upstreams.recommendations,
        &app.upstreams.accounts,
    ] {
        for request in service.requests() {
            seen += 1;
            for (name, _) in spoofing_headers() {
                assert!(
                    !request.headers.contains_key(name),
                    "{name} reached {:?} {}",
                    service.service(),
                    request.path_and_query
                );
            }
            assert!(!request.path_and_query.contains("admin"));
        }
    }
    assert!(seen >= 15, "{seen}");
    let methods: Vec<String> = app
        .upstreams
        .accounts
        .requests()
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert!(!methods.contains(&"PUT".to_owned()), "{methods:?}");
}

#[tokio::test]
async fn an_old_build_is_told_which_version_to_update_to() {
    let app = spawn_app_with(|settings| settings.app.min_version = "2.1.0".parse().unwrap()).await;

    let response = app
        .get_with("/v1/home", &[("X-App-Version", "2.0.0")])
        .await;

    assert_eq!(response.status(), 426);
    assert_eq!(
        response
            .headers()
            .get("upgrade")
            .map(|v| v.to_str().unwrap()),
        Some("storefront-app/2.1.0")
    );
    let problem = assert_problem(response, 426, &["2.0.0"]).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("2.1.0"),
        "{problem}"
    );
    assert_eq!(app.upstream_hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// One slow route against every screen
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_hanging_search_answered_504_by_the_deadline_leaves_every_product_screen_answering() {
    let app = spawn_app().await;
    app.upstreams
        .catalog
        .set_fault_for_routes(Fault::Hang, ["/products/search"]);

    // Distinct queries: no two searches share one upstream call.
    let app = &app;
    let search = |i| async move {
        let response = app.get_search(&format!("q=wireless{i}")).await;
        response.status().as_u16()
    };
    assert_each_answers(40, search, 504).await;

    // Every product screen still answers: the search route's failures are its own.
    for id in ["p00001", "p00002", "p00003"] {
        let response = app.get_product(id).await;
        assert_eq!(response.status(), 200, "{id}");
    }
    assert_eq!(app.get_home().await.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// Connections that never send a request (issue 12, class 1): the BFF closes them after its
// header-read timeout (5 s by default, as served here), whatever they sent, and answers a head
// hyper refuses (431) with a problem.

#[tokio::test]
async fn silent_connections_are_closed_after_the_header_read_timeout_and_an_oversized_head_is_a_problem()
 {
    let app = spawn_app().await;
    assert_idle_connections_close_and_an_oversized_head_is_a_problem(&app.address).await;
}
