//! The attack and bad-input suite of `SECURITY.md` for the browser's BFF: sessions, cross-site
//! requests, open redirects, misbehaving upstreams and hostile HTTP, each case asserting the
//! status, a problem that echoes nothing, and (from the upstreams' request logs and the
//! provider's counters) that no call was made where none should be.
//!
//! Cases that other modules already prove are not repeated here; `SECURITY.md` maps every rule
//! to its tests.

use shared::raw_client::assert_idle_connections_close_and_an_oversized_head_is_a_problem;
use shared::test_server::{SPOOFING_HEADERS, StandIn, assert_each_answers};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::response::{IntoResponse, Response};
use demo_upstreams::fault::Fault;
use demo_upstreams::testing::broken_upstream_faults;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::helpers::{
    DEADLINE, Options, Reply, SLACK, Store, TestApp, spawn_app, spawn_app_with_deadline,
    spawn_with, timed, unix_now,
};
use crate::sessions::query_param;

/// What only a leak would put in a response: panics, source locations, library names, upstream
/// addresses and the words the demo upstreams and the fakes below put in their error bodies.
const LEAKS: [&str; 10] = [
    "panicked",
    "backtrace",
    ".rs:",
    "reqwest",
    "hyper",
    "serde",
    "127.0.0.1",
    "injected",
    "garbage",
    "UPSTREAM-SECRET",
];

/// Asserts an RFC 9457 problem of `status` (type, title and status set, a detail) whose body
/// and headers contain none of `echoes`, nothing JWT-like and none of [`LEAKS`]; returns it.
fn assert_safe_problem(reply: &Reply, status: u16, echoes: &[&str]) -> Value {
    let problem = reply.assert_problem(status);
    assert!(problem["type"].is_string(), "{}: {problem}", reply.request);
    assert!(
        problem["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{}: {problem}",
        reply.request
    );
    assert!(
        problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{}: {problem}",
        reply.request
    );
    let mut leaks = echoes.to_vec();
    leaks.extend(LEAKS);
    assert_nothing_echoed(reply, &leaks);
    problem
}

/// Asserts that no header or body of `reply` carries any of `echoes` (case-insensitively) or
/// something JWT-like. The request id, which a client may choose, is left out of the search.
fn assert_nothing_echoed(reply: &Reply, echoes: &[&str]) {
    let request_id = reply.header("x-request-id").unwrap_or_default().to_owned();
    let mut text = String::new();
    for (name, value) in &reply.headers {
        if name != "x-request-id" {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
    }
    if request_id.is_empty() {
        text.push_str(&reply.body);
    } else {
        text.push_str(&reply.body.replace(&request_id, ""));
    }
    assert!(!text.contains("eyJ"), "{}: a JWT in\n{text}", reply.request);
    let lower = text.to_lowercase();
    for needle in echoes {
        assert!(
            !lower.contains(&needle.to_lowercase()),
            "{}: {needle:?} in\n{text}",
            reply.request
        );
    }
}

/// Builds the catalog's search index (made on the first search, and slow in a debug build) so
/// that no screen deadline pays for it, then forgets every upstream request seen so far.
async fn warm_up(app: &TestApp) {
    let url = format!(
        "{}/products/search?q=warm&limit=1",
        app.upstreams.catalog.url()
    );
    assert_eq!(reqwest::get(url).await.unwrap().status(), 200);
    reset_logs(app);
}

/// Forgets every upstream request seen so far.
fn reset_logs(app: &TestApp) {
    for (_, service) in app.services() {
        service.reset_log();
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tampered_truncated_unknown_or_doubled_session_cookies_are_anonymous_never_500() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let tokens = app.tokens_of(&id).await;
    let token_requests = app.idp.token_requests();
    reset_logs(&app);
    let changed = |index: usize| {
        let mut bytes = id.clone().into_bytes();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let unknown = "C".repeat(43);
    let cookies = [
        ("first character changed", format!("session={}", changed(0))),
        ("last character changed", format!("session={}", changed(42))),
        ("truncated by one", format!("session={}", &id[..42])),
        ("truncated to half", format!("session={}", &id[..21])),
        ("one character longer", format!("session={id}A")),
        ("unknown", format!("session={unknown}")),
        ("empty", "session=".to_owned()),
        ("not base64url", format!("session={}", "!".repeat(43))),
        ("quoted", format!("session=\"{id}\"")),
        (
            "percent-encoded",
            format!("session=%{:02X}{}", id.as_bytes()[0], &id[1..]),
        ),
        ("4 KiB long", format!("session={}", "A".repeat(4096))),
        ("sent twice", format!("session={id}; session={id}")),
        (
            "another one first",
            format!("session={unknown}; session={id}"),
        ),
        (
            "the strict name in relaxed mode",
            format!("__Host-session={id}"),
        ),
        ("another case of the name", format!("Session={id}")),
    ];
    let stranger = app.new_browser();

    for (case, cookie) in &cookies {
        let send = |method: Method, path: &str| {
            stranger
                .request(method, path)
                .header(COOKIE, cookie.as_str())
        };
        let replies = [
            stranger.send(send(Method::GET, "/auth/session")).await,
            stranger.send(send(Method::GET, "/api/me")).await,
            stranger.send(send(Method::GET, "/api/cart")).await,
            stranger
                .send(
                    send(Method::POST, "/api/cart/items")
                        .json(&json!({"product_id": "p00001", "quantity": 1})),
                )
                .await,
            stranger
                .send(send(Method::DELETE, "/api/cart/items/p00001"))
                .await,
        ];
        for reply in &replies {
            assert_safe_problem(reply, 401, &[&id]);
            assert_eq!(reply.header("location"), None, "{case}: never a redirect");
            for set in reply.set_cookies() {
                assert!(
                    set.contains("Max-Age=0"),
                    "{case}: only a clearing cookie: {set}"
                );
            }
        }
        // Public screens are served to anonymous browsers, whatever cookie they carry.
        let home = stranger.send(send(Method::GET, "/api/home")).await;
        assert_eq!(home.status, 200, "{case}: {}", home.body);
        // Logging out with it ends nothing: no session belongs to it.
        let logout = stranger.send(send(Method::POST, "/auth/logout")).await;
        assert_eq!(logout.status, 204, "{case}: {}", logout.body);
    }

    assert_eq!(app.upstreams.accounts.hits(), 0, "a personal call was made");
    assert_eq!(
        app.idp.token_requests(),
        token_requests,
        "the provider was called"
    );
    assert!(
        app.stored_session(&id).await.is_some(),
        "the real session ended"
    );
    for reply in stranger.seen() {
        for token in &tokens {
            assert!(!reply.text().contains(token.as_str()), "{}", reply.request);
        }
    }
    // The real cookie still works: the cases above failed for their own reason.
    assert_eq!(app.browser.get("/auth/session").await.status, 200);
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_timeout_however_active_it_is() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let session = app.stored_session(&id).await.unwrap();
    assert_eq!(
        session.absolute_expiry - session.created_at,
        8 * 3600 * 1000,
        "eight hours after login"
    );
    // Activity moves the idle expiry, never the absolute one.
    assert_eq!(app.browser.get("/api/cart").await.status, 200);
    let active = app.stored_session(&id).await.unwrap();
    assert_eq!(active.absolute_expiry, session.absolute_expiry);

    // The absolute timeout passes while the idle one is far away.
    let mut ended = active.clone();
    let now_ms = unix_now() * 1000;
    ended.absolute_expiry = now_ms - 1;
    ended.idle_expiry = now_ms + 3_600_000;
    app.store_session(&id, &ended).await;
    reset_logs(&app);

    for path in ["/api/cart", "/api/me", "/auth/session"] {
        let reply = app.browser.get(path).await;
        assert_safe_problem(&reply, 401, &[&id]);
    }
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

// ---------------------------------------------------------------------------------------------
// Cross-site requests
// ---------------------------------------------------------------------------------------------

/// Every `/api` route (and logout) with a path that reaches it.
const CSRF_PATHS: [&str; 9] = [
    "/api/home",
    "/api/products/p00001",
    "/api/products/p00001/reviews?offset=10",
    "/api/search?q=wireless",
    "/api/me",
    "/api/cart",
    "/api/cart/items",
    "/api/cart/items/p00001",
    "/auth/logout",
];

#[tokio::test]
async fn every_method_on_every_api_route_without_x_csrf_is_refused_before_any_work() {
    // Over 200 requests from one address: the per-client rate limit is not what is under test.
    let app = spawn_with(Options {
        configure: Some(Arc::new(|settings| {
            settings.server.common.rate_limit.enabled = false;
        })),
        ..Options::default()
    })
    .await;
    let id = app.browser.login().await;
    // Expired: a request that got past the check would even refresh it at the provider.
    app.expire_access_token(&id).await;
    reset_logs(&app);
    let token_requests = app.idp.token_requests();
    let methods = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::from_bytes(b"PROPFIND").unwrap(),
    ];
    // What a cross-site form or `fetch` without preflight can send.
    let simple_bodies = [
        ("text/plain", r#"{"product_id":"p00001","quantity":1}"#),
        (
            "application/x-www-form-urlencoded",
            "product_id=p00001&quantity=1",
        ),
        (
            "multipart/form-data; boundary=x",
            "--x\r\nContent-Disposition: form-data; name=\"product_id\"\r\n\r\np00001\r\n--x--\r\n",
        ),
    ];

    let mut refused = 0;
    for path in CSRF_PATHS {
        for method in &methods {
            for (content_type, body) in simple_bodies {
                let mut request = app.browser.request_without_csrf(method.clone(), path);
                if !matches!(*method, Method::GET | Method::HEAD) {
                    request = request.header(CONTENT_TYPE, content_type).body(body);
                }
                let reply = app.browser.send(request).await;
                assert!(
                    [403, 405].contains(&reply.status),
                    "{method} {path}: {} {}",
                    reply.status,
                    reply.body
                );
                if *method != Method::HEAD {
                    assert_safe_problem(&reply, reply.status, &["p00001", "product_id"]);
                }
                let cors = reply.cors_headers();
                assert!(cors.is_empty(), "{method} {path}: {cors:?}");
                refused += 1;
            }
        }
    }

    assert_eq!(refused, 9 * 8 * 3);
    app.assert_nothing_happened(token_requests);
    assert!(app.stored_session(&id).await.is_some(), "logout ran");
    // With the header, the same browser gets through: the refusals were the header's doing.
    assert_eq!(app.browser.get("/api/cart").await.status, 200);
}

#[tokio::test]
async fn no_origin_is_ever_reflected_not_null_a_look_alike_or_the_apps_own() {
    let app = spawn_app().await;
    app.browser.login().await;
    let look_alike = format!("{}.evil.example", app.address);
    let origins = ["null", look_alike.as_str(), app.address.as_str()];

    for path in CSRF_PATHS {
        for origin in origins {
            let preflight = app
                .browser
                .preflight(path, origin, "POST", Some("x-csrf"))
                .await;
            let actual = app.browser.get_with(path, &[("origin", origin)]).await;
            for reply in [preflight, actual] {
                let cors = reply.cors_headers();
                assert!(cors.is_empty(), "{origin} {}: {cors:?}", reply.request);
                assert!(reply.status != 500, "{}", reply.request);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Redirects
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_return_to_that_is_not_a_same_origin_path_ends_the_real_login_at_the_root() {
    let app = spawn_app().await;
    let root = format!("{}/", app.address);
    let own_absolute = format!("{}/cart", app.address);
    let long = format!("/{}", "a".repeat(3000));
    // Decoded values (the client encodes them into the query).
    let payloads = [
        own_absolute.as_str(),
        "///evil.example",
        "/.//evil.example",
        "\\\\evil.example",
        "/\\/evil.example",
        "HTTPS://evil.example",
        "https:/evil.example",
        "https:%2F%2Fevil.example",
        "//evil.example@127.0.0.1",
        "http://127.0.0.1@evil.example",
        "/%5Cevil.example",
        "/%252F%252Fevil.example",
        "/%2e%2e//evil.example",
        "JaVaScRiPt:alert(1)",
        "javascript://%0aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "/\r\nSet-Cookie: evil=1",
        "/%0d%0aLocation:%20https://evil.example",
        "/\t/evil.example",
        "/\u{0}evil.example",
        "/\u{3000}/evil.example",
        "\u{ff0f}\u{ff0f}evil.example",
        "/\u{202e}elpmaxe.live",
        "/%E2%80%AEelpmaxe.live",
        "/caf\u{e9}",
        long.as_str(),
    ];
    for payload in payloads {
        let done = app.browser.login_to(payload).await;
        assert_eq!(done.status, 302, "{payload:?}: {}", done.body);
        assert_eq!(done.location(), root, "{payload:?}");
    }
    // Bytes that are not UTF-8 are refused outright: no redirect anywhere.
    let refused = app.browser.get("/auth/login?return_to=%FF%FE").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.headers.get("location").is_none());
    // Raw queries: encodings the client would not produce, and parameter pollution (the first
    // `return_to` counts, and is judged like any other).
    for (query, expected) in [
        ("return_to=%2F%5Cevil.example", "/"),
        ("return_to=%2F%252F%252Fevil.example", "/"),
        ("return_to=%2F%2Fevil.example&return_to=%2Fok", "/"),
        ("return_to=%2Fok&return_to=%2F%2Fevil.example", "/ok"),
        ("return_to=%2F%0D%0ASet-Cookie:%20evil=1", "/"),
        ("return_to", "/"),
    ] {
        let login = app.browser.get(&format!("/auth/login?{query}")).await;
        assert_eq!(login.status, 302, "{query}: {}", login.body);
        let at_provider = app.browser.get(login.location()).await;
        let done = app.browser.get(at_provider.location()).await;
        assert_eq!(
            done.location(),
            format!("{}{expected}", app.address),
            "{query}"
        );
    }
    // Nothing of any payload reached any header of any reply: no `Location` to evil, no
    // injected cookie. Random values are left out of the check, since "evil" turns up in random
    // base64 by chance: a cookie's value (sealed random bytes, about once in a hundred runs) and
    // the OAuth parameters of a `Location` (`code`, `state`, `nonce`, `code_challenge`, about once
    // in a few hundred); their names, the cookie's attributes and the rest of the URL are checked.
    for reply in app.browser.seen() {
        for (name, value) in &reply.headers {
            let value = String::from_utf8_lossy(value.as_bytes()).to_lowercase();
            let value = match (name.as_str(), value.split_once('=')) {
                ("set-cookie", Some((cookie, rest))) => {
                    let attributes = rest
                        .split_once(';')
                        .map_or("", |(_, attributes)| attributes);
                    format!("{cookie}=…;{attributes}")
                }
                ("location", _) => without_random_parameters(&value),
                _ => value,
            };
            assert!(
                !value.contains("evil"),
                "{}: {name}: {value}",
                reply.request
            );
        }
    }
}

#[tokio::test]
async fn logout_ignores_any_return_to_and_names_only_the_configured_destination() {
    let app = spawn_app().await;
    app.browser.login().await;

    let logout = app
        .browser
        .send(
            app.browser
                .request(
                    Method::POST,
                    "/auth/logout?return_to=https://evil.example\
                     &post_logout_redirect_uri=https://evil.example",
                )
                .json(&json!({"return_to": "https://evil.example",
                              "post_logout_redirect_uri": "https://evil.example"})),
        )
        .await;

    assert_eq!(logout.status, 200, "{}", logout.body);
    assert_nothing_echoed(&logout, &["evil"]);
    let logout_url = logout.json()["logout_url"].as_str().unwrap().to_owned();
    assert_eq!(
        query_param(&logout_url, "post_logout_redirect_uri"),
        format!("{}/", app.address)
    );
}

#[tokio::test]
async fn the_login_redirect_names_the_configured_callback_whatever_the_host_headers_say() {
    let app = spawn_app().await;

    let login = app
        .browser
        .get_with(
            "/auth/login?return_to=/cart",
            &[
                ("host", "evil.example"),
                ("x-forwarded-host", "evil.example"),
                ("x-forwarded-proto", "https"),
                ("forwarded", "host=evil.example;proto=https"),
            ],
        )
        .await;

    assert_eq!(login.status, 302);
    let authorize = login.location().to_owned();
    assert!(authorize.starts_with(&app.idp.url()), "{authorize}");
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        format!("{}/auth/callback", app.address)
    );
    assert_nothing_echoed(&login, &["evil"]);
}

// ---------------------------------------------------------------------------------------------
// Misbehaving upstreams
// ---------------------------------------------------------------------------------------------

/// How a [`FakeUpstream`] answers every request.
#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// This status with an HTML error page full of internals.
    HtmlError(u16),
    /// 200, `text/html`, not JSON.
    HtmlOk,
    /// 200, JSON of the wrong shape.
    WrongShape,
    /// This redirect status to the other host.
    Redirect(u16),
}

/// An upstream that misbehaves on purpose; counts its hits and keeps each `Authorization`.
struct FakeUpstream {
    url: String,
    hits: Arc<AtomicUsize>,
    authorizations: Arc<Mutex<Vec<String>>>,
    behaviour: Arc<Mutex<Misbehaviour>>,
    _server: StandIn,
}

impl FakeUpstream {
    /// Serves on a random port; redirects point at `elsewhere`.
    async fn spawn(elsewhere: &str) -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(Mutex::new(Misbehaviour::WrongShape));
        let (counter, seen, current) = (hits.clone(), authorizations.clone(), behaviour.clone());
        let target = format!("{elsewhere}/steal");
        let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            counter.fetch_add(1, Ordering::SeqCst);
            if let Some(value) = headers.get("authorization") {
                seen.lock()
                    .unwrap()
                    .push(value.to_str().unwrap().to_owned());
            }
            let behaviour = *current.lock().unwrap();
            let target = target.clone();
            async move { misbehave(behaviour, &target) }
        });
        let server = StandIn::spawn(app).await;
        Self {
            url: server.url.clone(),
            hits,
            authorizations,
            behaviour,
            _server: server,
        }
    }

    fn set(&self, behaviour: Misbehaviour) {
        *self.behaviour.lock().unwrap() = behaviour;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn misbehave(behaviour: Misbehaviour, target: &str) -> Response {
    use axum::http::StatusCode;
    let html = "<html><body><h1>Internal Server Error</h1><pre>UPSTREAM-SECRET \
                at db::query (src/db.rs:42) password=hunter2</pre></body></html>";
    match behaviour {
        Misbehaviour::HtmlError(status) => (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "text/html")],
            html,
        )
            .into_response(),
        Misbehaviour::HtmlOk => ([("content-type", "text/html")], html).into_response(),
        Misbehaviour::WrongShape => {
            axum::Json(json!({"UPSTREAM-SECRET": [1, 2, 3]})).into_response()
        }
        Misbehaviour::Redirect(status) => (
            StatusCode::from_u16(status).unwrap(),
            [("location", target)],
            "UPSTREAM-SECRET",
        )
            .into_response(),
    }
}

/// A port nothing listens on (bound, then released).
async fn refused_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Options with `deadline` whose circuit breakers never open (every case below must reach its
/// upstream) and, given `targets`, whose catalog and accounts are those URLs.
fn unbreakable(deadline: Duration, targets: Option<(String, String)>) -> Options {
    Options {
        deadline,
        configure: Some(Arc::new(move |settings| {
            let upstreams = &mut settings.upstreams;
            if let Some((catalog, accounts)) = &targets {
                upstreams.catalog.url = catalog.parse().unwrap();
                upstreams.accounts.url = accounts.parse().unwrap();
            }
            for upstream in [
                &mut upstreams.catalog,
                &mut upstreams.offers,
                &mut upstreams.reviews,
                &mut upstreams.recommendations,
                &mut upstreams.accounts,
            ] {
                upstream.resilience.circuit.failure_threshold = 1_000_000;
            }
        })),
        ..Options::default()
    }
}

/// Routes that call the catalog (public pages) or accounts (the signed-in user's).
const CATALOG_AND_ACCOUNTS_ROUTES: [(Method, &str); 5] = [
    (Method::GET, "/api/products/p00001"),
    (Method::GET, "/api/search?q=wireless"),
    (Method::GET, "/api/me"),
    (Method::GET, "/api/cart"),
    (Method::POST, "/api/cart/items"),
];

#[tokio::test]
async fn error_pages_wrong_shapes_and_redirects_are_generic_502s_and_no_redirect_is_followed() {
    let elsewhere = FakeUpstream::spawn("http://127.0.0.1:9").await;
    let catalog = FakeUpstream::spawn(&elsewhere.url).await;
    let accounts = FakeUpstream::spawn(&elsewhere.url).await;
    let app = spawn_with(unbreakable(
        DEADLINE,
        Some((catalog.url.clone(), accounts.url.clone())),
    ))
    .await;
    let id = app.browser.login().await;
    let tokens = app.tokens_of(&id).await;

    for behaviour in [
        Misbehaviour::HtmlError(500),
        Misbehaviour::HtmlError(503),
        Misbehaviour::HtmlError(418),
        Misbehaviour::HtmlOk,
        Misbehaviour::WrongShape,
        Misbehaviour::Redirect(301),
        Misbehaviour::Redirect(302),
        Misbehaviour::Redirect(303),
        Misbehaviour::Redirect(307),
        Misbehaviour::Redirect(308),
    ] {
        catalog.set(behaviour);
        accounts.set(behaviour);
        let (catalog_before, accounts_before) = (catalog.hits(), accounts.hits());
        for (method, path) in CATALOG_AND_ACCOUNTS_ROUTES {
            let request = app.browser.request_with_line(&method, path, "p00001");
            let (reply, elapsed) = timed(app.browser.send(request)).await;
            // An upstream's 4xx (other than 401/403/404) is the BFF's fault: 400; else 502.
            let expected = if matches!(behaviour, Misbehaviour::HtmlError(418)) {
                400
            } else {
                502
            };
            assert_safe_problem(
                &reply,
                expected,
                &["hunter2", "Internal Server Error", "steal"],
            );
            let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
            assert_nothing_echoed(&reply, &tokens);
            assert!(
                elapsed < DEADLINE + SLACK,
                "{behaviour:?} {path}: {elapsed:?}"
            );
        }
        assert!(
            catalog.hits() > catalog_before,
            "{behaviour:?}: catalog was not called"
        );
        assert!(
            accounts.hits() > accounts_before,
            "{behaviour:?}: accounts was not called"
        );
    }

    assert_eq!(elsewhere.hits(), 0, "a redirect was followed");
    assert!(elsewhere.authorizations.lock().unwrap().is_empty());
    assert!(
        catalog.authorizations.lock().unwrap().is_empty(),
        "the catalog received a token"
    );
    for authorization in accounts.authorizations.lock().unwrap().iter() {
        assert_eq!(authorization, &format!("Bearer {}", tokens[0]));
    }
}

#[tokio::test]
async fn a_refused_connection_is_a_502_problem_at_once() {
    let refused = refused_url().await;
    let app = spawn_with(unbreakable(DEADLINE, Some((refused.clone(), refused)))).await;
    app.browser.login().await;

    for path in [
        "/api/products/p00001",
        "/api/search?q=x",
        "/api/cart",
        "/api/me",
    ] {
        let started = Instant::now();
        let reply = app.browser.get(path).await;
        assert_safe_problem(&reply, 502, &[]);
        assert!(started.elapsed() < DEADLINE + SLACK, "{path}");
    }
}

#[tokio::test]
async fn truncated_endless_garbage_and_hanging_upstreams_are_502_or_504_problems_by_the_deadline() {
    let app = spawn_with(unbreakable(DEADLINE, None)).await;
    app.browser.login().await;
    let routes = [
        (Method::GET, "/api/products/p00001"),
        (Method::GET, "/api/products/p00001/reviews?offset=10"),
        (Method::GET, "/api/cart"),
        (Method::POST, "/api/cart/items"),
    ];

    for (fault, expected) in broken_upstream_faults(500) {
        for service in [
            &app.upstreams.catalog,
            &app.upstreams.reviews,
            &app.upstreams.accounts,
        ] {
            service.set_fault(fault.clone());
        }
        for (method, path) in &routes {
            let request = app.browser.request_with_line(method, path, "p00001");
            let started = Instant::now();
            let reply = app.browser.send(request).await;
            let elapsed = started.elapsed();
            assert!(
                expected.contains(&reply.status),
                "{fault:?} {method} {path}: {} {}",
                reply.status,
                reply.body
            );
            assert_safe_problem(&reply, reply.status, &["endless", "p00001\",\"name"]);
            assert!(elapsed < DEADLINE + SLACK, "{fault:?} {path}: {elapsed:?}");
        }
    }
    assert!(
        app.upstreams.accounts.hits() >= 10,
        "accounts was not called"
    );
}

// ---------------------------------------------------------------------------------------------
// Inbound HTTP
// ---------------------------------------------------------------------------------------------

/// One response read off a raw connection.
#[derive(Debug)]
struct RawReply {
    status: u16,
    /// `name: value` lines, names in lower case.
    headers: Vec<String>,
    body: String,
}

impl RawReply {
    fn header(&self, name: &str) -> Option<&str> {
        let prefix = format!("{name}: ");
        self.headers
            .iter()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
    }
}

/// [`shared::raw_client::request`], its answer read.
async fn raw_exchange(address: &str, head: &str, body: &[u8]) -> RawReply {
    let (status, text) = shared::raw_client::request(address, head, body).await;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let headers: Vec<String> = head
        .split("\r\n")
        .skip(1)
        .map(|line| match line.split_once(": ") {
            Some((name, value)) => format!("{}: {value}", name.to_ascii_lowercase()),
            None => line.to_owned(),
        })
        .collect();
    let chunked = headers.iter().any(|h| h == "transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    RawReply {
        status,
        headers,
        body,
    }
}

/// The payload of a chunked body.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// Asserts a raw reply is a problem of `status` that contains none of `echoes`.
fn assert_raw_problem(reply: &RawReply, status: u16, echoes: &[&str]) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{reply:?}"
    );
    let problem: Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(problem["status"], status);
    for echo in echoes {
        assert!(!reply.body.contains(echo), "{echo} echoed: {reply:?}");
    }
}

#[tokio::test]
async fn oversized_request_heads_are_refused_before_any_handler() {
    let app = spawn_app().await;
    let marker = "zz-marker-zz";
    let big_value = format!("{marker}{}", "x".repeat(20 * 1024));
    let many: String = (0..200)
        .map(|i| format!("X-Filler-{i}: {marker}\r\n"))
        .collect();

    for head in [
        format!("GET /api/home HTTP/1.1\r\nX-CSRF: 1\r\nX-Big: {big_value}\r\n"),
        format!("GET /api/home HTTP/1.1\r\nX-CSRF: 1\r\nCookie: session={big_value}\r\n"),
        format!("GET /api/home?q={big_value} HTTP/1.1\r\nX-CSRF: 1\r\n"),
        format!("GET /api/home HTTP/1.1\r\nX-CSRF: 1\r\n{many}"),
    ] {
        let reply = raw_exchange(&app.address, &head, b"").await;
        assert!(
            [400, 414, 431].contains(&reply.status),
            "{}: {reply:?}",
            &head[..60]
        );
        assert!(!reply.body.contains(marker), "{reply:?}");
    }
    assert_eq!(app.upstream_hits(), 0);
    // A large but acceptable head (an 8 KiB cookie) is served.
    let cookie = format!("theme={}", "x".repeat(8 * 1024));
    let reply = raw_exchange(
        &app.address,
        &format!("GET /api/home HTTP/1.1\r\nX-CSRF: 1\r\nCookie: {cookie}\r\n"),
        b"",
    )
    .await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn oversized_bodies_are_413_problems_whether_announced_or_streamed() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let marker = "zz-marker-zz";
    let big = format!(
        r#"{{"product_id": "p00001", "quantity": 1, "pad": "{marker}{}"}}"#,
        "x".repeat(100 * 1024)
    );
    let head = format!(
        "POST /api/cart/items HTTP/1.1\r\nX-CSRF: 1\r\nCookie: session={id}\r\n\
         Content-Type: application/json\r\n"
    );

    let announced = raw_exchange(
        &app.address,
        &format!("{head}Content-Length: {}\r\n", big.len()),
        big.as_bytes(),
    )
    .await;
    assert_raw_problem(&announced, 413, &[marker]);

    let mut chunked = Vec::new();
    for chunk in big.as_bytes().chunks(8 * 1024) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let streamed = raw_exchange(
        &app.address,
        &format!("{head}Transfer-Encoding: chunked\r\n"),
        &chunked,
    )
    .await;
    assert_raw_problem(&streamed, 413, &[marker]);

    assert_eq!(app.upstreams.accounts.hits(), 0);
    // The same request with a small body is served: the size was the reason.
    let small = raw_exchange(
        &app.address,
        &format!("{head}Content-Length: 39\r\n"),
        br#"{"product_id": "p00001", "quantity": 1}"#,
    )
    .await;
    assert_eq!(small.status, 200, "{small:?}");
}

#[tokio::test]
async fn malformed_json_bodies_are_400_problems_that_echo_nothing_and_call_nothing() {
    let app = spawn_app().await;
    app.browser.login().await;
    let marker = "zz-marker-zz";
    let deep = format!(
        r#"{{"product_id": "{marker}", "quantity": {}"#,
        "[".repeat(20_000)
    );
    let mut invalid_utf8 = format!(r#"{{"product_id": "{marker}"#).into_bytes();
    invalid_utf8.extend_from_slice(b"\xff\xfe\", \"quantity\": 1}");
    let bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        invalid_utf8,
        format!(r#"{{"product_id": "p00001", "quantity": 1e999999, "x": "{marker}"}}"#).into(),
        format!("\u{feff}{{\"product_id\": \"{marker}\", \"quantity\": 1}}").into(),
        format!(r#"{{"product_id": "p00001", "quantity": 1, "product_id": "{marker}"}}"#).into(),
        format!(r#"{{"product_id": "p00001", "quantity": 1}} {marker}"#).into(),
        format!(
            r#"{{"product_id": "{marker}{}", "quantity": 1}}"#,
            "y".repeat(60_000)
        )
        .into(),
        b"null".to_vec(),
        format!(r#"{{"product_id": ["{marker}"], "quantity": 1}}"#).into(),
        format!(r#"{{"product_id": "p00001", "quantity": {{"{marker}": 1}}}}"#).into(),
    ];

    let echoes = [marker, "yyyy", "[[["];
    post_each_refused(&app, "/api/cart/items", bodies, &[400, 422], &echoes).await;
    assert_eq!(app.upstreams.accounts.hits(), 0);
}

/// POSTs each JSON body to `path`: each must be a problem with one of `statuses` that echoes
/// none of `echoes`.
async fn post_each_refused(
    app: &TestApp,
    path: &str,
    bodies: Vec<Vec<u8>>,
    statuses: &[u16],
    echoes: &[&str],
) {
    for body in bodies {
        let reply = app
            .browser
            .post_raw(path, "application/json", body.clone())
            .await;
        assert!(
            statuses.contains(&reply.status),
            "{}: {}",
            String::from_utf8_lossy(&body[..body.len().min(80)]),
            reply.body
        );
        assert_safe_problem(&reply, reply.status, echoes);
    }
}

/// GraphQL request bodies are JSON the client writes, decoded by sonic-rs (as upstream bodies
/// are): whatever is not one well-formed JSON object is a 400 problem that echoes nothing and
/// calls nothing, nesting 20,000 deep included.
#[tokio::test]
async fn malformed_graphql_bodies_are_400_problems_that_echo_nothing_and_call_nothing() {
    let app = spawn_app().await;
    let marker = "zz-marker-zz";
    let query = "{ categories { id } }";
    let deep = format!(
        r#"{{"query": "{query}", "variables": {{"{marker}": {}}}}}"#,
        "[".repeat(20_000)
    );
    let mut invalid_utf8 = format!(r#"{{"query": "{query} # {marker}"#).into_bytes();
    invalid_utf8.extend_from_slice(b"\xff\xfe\"}");
    let bodies: Vec<Vec<u8>> = vec![
        deep.into_bytes(),
        invalid_utf8,
        format!("\u{feff}{{\"query\": \"{query} # {marker}\"}}").into(),
        format!(r#"{{"query": "{query}"}} {marker}"#).into(),
        format!(r#"{{"query": "{query}", "query": "{{ {marker} }}"}}"#).into(),
        format!(r#"{{"query": "{query} # {marker} \ud800"}}"#).into(),
        format!(r#"{{"query": ["{marker}"]}}"#).into(),
        format!(r#"{{"query": "{query} # {marker}""#).into(),
        b"null".to_vec(),
    ];

    post_each_refused(&app, "/graphql", bodies, &[400], &[marker, "[[["]).await;
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn malformed_queries_and_paths_are_400_or_404_problems_that_echo_nothing() {
    let app = spawn_app().await;
    warm_up(&app).await;
    let cases: [(&str, &[u16]); 22] = [
        ("/api/search?q=zz-marker&page=1&page=2", &[400]),
        ("/api/search?q=zz-marker&page=%2B1", &[400]),
        ("/api/search?q=zz-marker&page=1.0", &[400]),
        ("/api/search?q=zz-marker&page=0x10", &[400]),
        (
            "/api/search?q=zz-marker&page=99999999999999999999999",
            &[400],
        ),
        ("/api/search?q=zz-marker&page=1%00", &[400]),
        ("/api/search?sort=price_asc%00zz-marker", &[400]),
        ("/api/search?category=zz-marker%2F..%2F..", &[400]),
        ("/api/search?q=zz-marker&q=other", &[400]),
        ("/api/products/p00001/reviews?offset=10&offset=20", &[400]),
        ("/api/products/p00001/reviews?offset=1e3", &[400]),
        ("/api/products/p00001/reviews?offset=%2D1", &[400]),
        ("/api/products/p00001/reviews?offset=zz-marker", &[400]),
        ("/api/products/%FFzz-marker", &[400]),
        ("/api/products/zz-marker%00", &[400]),
        ("/api/products/p00001%0A", &[400]),
        ("/api/products/p0000%EF%BC%91", &[400]),
        ("/api/products/p00001%2F..%2F..%2Fzz-marker", &[400]),
        ("/api/products/p00001/..%2Fzz-marker", &[404]),
        ("/api/zz-marker", &[404]),
        ("/api/products/", &[404]),
        ("/api/products/p00001/reviews/zz-marker", &[404]),
    ];

    for (path, statuses) in cases {
        let reply = app.browser.get(path).await;
        assert!(
            statuses.contains(&reply.status),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
        assert_safe_problem(&reply, reply.status, &["zz-marker", "\\u0000", "\u{fffd}"]);
    }
    assert_eq!(
        app.upstream_hits(),
        0,
        "a malformed request reached an upstream"
    );
}

#[tokio::test]
async fn path_parameters_reach_the_upstream_as_the_one_canonical_encoded_segment() {
    let app = spawn_app().await;
    app.browser.login().await;

    // Percent-encoded letters and digits are the same id: decoded, validated, re-encoded.
    let reply = app.browser.get("/api/products/%70%30%30%30%34%32").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        TestApp::paths(&app.upstreams.catalog).contains(&"/products/p00042".to_owned()),
        "{:?}",
        TestApp::paths(&app.upstreams.catalog)
    );
    assert_eq!(app.browser.add_to_cart("p00042", 1).await.status, 200);
    let removed = app
        .browser
        .delete("/api/cart/items/%70%30%30%30%34%32")
        .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let accounts = TestApp::calls(&app.upstreams.accounts);
    assert_eq!(
        accounts.last().unwrap(),
        &("DELETE".to_owned(), "/cart/items/p00042".to_owned())
    );
}

#[tokio::test]
async fn paging_parameters_the_screen_does_not_define_change_nothing_upstream() {
    let app = spawn_app().await;
    warm_up(&app).await;

    for (path, most) in [
        (
            "/api/search?q=wireless&limit=100000&per_page=1000&page_size=1000&offset=5",
            24,
        ),
        ("/api/products/p00042/reviews?offset=10&limit=1000", 10),
    ] {
        let reply = app.browser.get(path).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(reply.json()["items"].as_array().unwrap().len() <= most);
    }

    let catalog = TestApp::paths(&app.upstreams.catalog);
    assert_eq!(
        catalog[0],
        "/products/search?sort=relevance&offset=0&limit=24&q=wireless"
    );
    assert!(
        TestApp::paths(&app.upstreams.reviews)
            .contains(&"/products/p00042/reviews?offset=10&limit=10".to_owned())
    );
}

/// Headers a client might send to pose as someone, somewhere or something else: the
/// [`SPOOFING_HEADERS`] and credential headers other than the session cookie.
fn spoofing_headers() -> Vec<(&'static str, &'static str)> {
    let mut headers = SPOOFING_HEADERS.to_vec();
    headers.extend([
        ("x-remote-user", "demo-user-2"),
        ("x-rewrite-url", "/admin"),
        ("authorization", "Bearer attacker-token"),
    ]);
    headers
}

#[tokio::test]
async fn identity_and_forwarding_headers_are_neither_trusted_nor_forwarded() {
    let app = spawn_app().await;
    let id = app.browser.login().await;
    let access_token = app.tokens_of(&id).await.remove(0);
    warm_up(&app).await;

    for (method, path) in [
        (Method::GET, "/api/home"),
        (Method::GET, "/api/products/p00042"),
        (Method::GET, "/api/products/p00042/reviews?offset=10"),
        (Method::GET, "/api/search?q=wireless"),
        (Method::GET, "/api/me"),
        (Method::POST, "/api/cart/items"),
        (Method::GET, "/api/cart"),
        (Method::DELETE, "/api/cart/items/p00042"),
    ] {
        let mut request = app.browser.request_with_line(&method, path, "p00042");
        for (name, value) in spoofing_headers() {
            request = request.header(name, value);
        }
        let reply = app.browser.send(request).await;
        assert_eq!(reply.status, 200, "{method} {path}: {}", reply.body);
        assert_nothing_echoed(&reply, &["evil.example", "attacker", "/admin"]);
        if path == "/api/me" {
            assert_eq!(reply.json()["id"], "demo-user-1", "the session decides who");
        }
    }

    let mut seen = 0;
    for (name, service) in app.services() {
        for request in service.requests() {
            seen += 1;
            for (header, _) in spoofing_headers() {
                if header == "authorization" && name == "accounts" {
                    continue;
                }
                assert!(
                    !request.headers.contains_key(header),
                    "{header} reached {name} {}",
                    request.path_and_query
                );
            }
            assert!(!request.path_and_query.contains("admin"), "{name}");
        }
    }
    assert!(seen >= 20, "{seen}");
    let accounts = TestApp::calls(&app.upstreams.accounts);
    assert_eq!(
        accounts,
        [
            ("GET".to_owned(), "/me".to_owned()),
            ("POST".to_owned(), "/cart/items".to_owned()),
            ("GET".to_owned(), "/cart".to_owned()),
            ("DELETE".to_owned(), "/cart/items/p00042".to_owned()),
        ],
        "no method override"
    );
    for authorization in app.accounts_authorizations() {
        assert_eq!(authorization, format!("Bearer {access_token}"));
    }
    // Anonymous, the same headers make nobody signed in.
    let stranger = app.new_browser();
    let mut request = stranger.request(Method::GET, "/api/me");
    for (name, value) in spoofing_headers() {
        request = request.header(name, value);
    }
    assert_safe_problem(&stranger.send(request).await, 401, &["demo-user-2"]);
}

#[tokio::test]
async fn a_request_id_that_is_not_plain_is_replaced_before_it_is_logged_or_forwarded() {
    let app = spawn_app().await;
    // Longer than the 64 characters a request id may have.
    let too_long = "x".repeat(65);

    for hostile in [
        "<script>alert(1)</script>",
        "id with spaces",
        "../../etc/passwd",
        &too_long,
    ] {
        let response = app.get_with_request_id("/api/home", Some(hostile)).await;
        assert_eq!(response.status(), 200);
        let answered = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(answered, hostile);
        assert_eq!(answered.len(), 36, "a generated id: {answered}");
        for (name, service) in app.services() {
            for request in service.requests() {
                assert_eq!(
                    request.headers["x-request-id"].to_str().unwrap(),
                    answered,
                    "{name}"
                );
            }
            service.reset_log();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Sign-in starts hold no server-side state (SECURITY.md, "Anonymous server-side state"): the
// login in progress lives in the browser's sealed login cookie, so a flood of `/auth/login`
// grows neither the memory store nor Redis, and a real sign-in started before it completes.

/// Where the flood's clients appear to come from: `X-Forwarded-For` values (documentation
/// addresses, never contacted) believed because the test's peer is a trusted proxy.
const FLOOD_ADDRESSES: usize = 25;
/// Login starts per address: the default burst, so the per-client limit lets each through.
const FLOOD_PER_ADDRESS: usize = 200;

/// An app whose rate limit believes the `X-Forwarded-For` of local peers (a balancer).
async fn spawn_behind_a_proxy(store: Store) -> TestApp {
    spawn_with(Options {
        store,
        configure: Some(Arc::new(|settings| {
            settings.server.common.rate_limit.trusted_proxies = vec!["127.0.0.1/32".to_owned()];
        })),
        ..Options::default()
    })
    .await
}

/// `FLOOD_ADDRESSES × FLOOD_PER_ADDRESS` cookie-less login starts with a 2 KB `return_to`;
/// asserts each was a 302 to the provider (no 429, no 5xx).
async fn flood_login_starts(app: &TestApp) {
    let return_to = format!("/{}", "a".repeat(2000));
    let tasks: Vec<_> = (0..FLOOD_ADDRESSES)
        .map(|address| {
            let url = format!("{}/auth/login?return_to={return_to}", app.address);
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                for _ in 0..FLOOD_PER_ADDRESS {
                    let response = client
                        .get(&url)
                        .header("x-forwarded-for", format!("203.0.113.{address}"))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 302, "{address}");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

/// The number of keys in the app's Redis (`DBSIZE`, over the wire).
async fn redis_key_count(app: &TestApp) -> u64 {
    use secrecy::ExposeSecret as _;
    let url = app.state.settings.session.redis_url.as_ref().unwrap();
    let url = url::Url::parse(url.expose_secret()).unwrap();
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", url.port().unwrap()))
        .await
        .unwrap();
    stream.write_all(b"DBSIZE\r\n").await.unwrap();
    let mut reply = [0_u8; 32];
    let read = stream.read(&mut reply).await.unwrap();
    let reply = std::str::from_utf8(&reply[..read]).unwrap();
    reply
        .trim()
        .strip_prefix(':')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("DBSIZE answered {reply:?}"))
}

/// The store's entries: the memory store's count, or Redis's keys.
async fn stored_entries(app: &TestApp) -> u64 {
    match app.state.auth.sessions.store().entry_count() {
        Some(count) => count as u64,
        None => redis_key_count(app).await,
    }
}

mod flood {
    use super::*;

    pub async fn a_login_flood_leaves_no_server_state_and_a_real_sign_in_completes(store: Store) {
        let app = spawn_behind_a_proxy(store).await;
        // Ada starts signing in, then the flood comes, then the provider sends her back.
        let (_, callback) = app.browser.start_login("/cart").await;
        assert_eq!(
            stored_entries(&app).await,
            0,
            "a login start stores nothing"
        );

        flood_login_starts(&app).await;

        // The old design kept one entry per start here: 5,000 of about 4.8 KB each.
        assert_eq!(
            stored_entries(&app).await,
            0,
            "{} login starts left server-side state",
            FLOOD_ADDRESSES * FLOOD_PER_ADDRESS
        );
        let done = app.browser.get(&callback).await;
        assert_eq!(done.status, 302, "{}", done.body);
        assert_eq!(done.location(), format!("{}/cart", app.address));
        assert_eq!(app.browser.get("/auth/session").await.status, 200);
        assert_eq!(stored_entries(&app).await, 1, "Ada's session, nothing else");
    }
}

// The login flood against each kind of store: the memory store stays empty, Redis gets no key.
shared::tests_per_backend! {
    suite: flood,
    backends: [memory_store => Store::Memory, redis_store => Store::Redis],
    tests: [a_login_flood_leaves_no_server_state_and_a_real_sign_in_completes],
}

/// Asserts the callback was refused with a 400 problem, signed nobody in and cleared the login
/// cookie.
fn assert_refused_callback(reply: &Reply) {
    assert_safe_problem(reply, 400, &[]);
    assert_eq!(reply.set_cookie("session"), None, "{}", reply.request);
    assert_eq!(
        reply.set_cookie("login"),
        Some("login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        "{}",
        reply.request
    );
}

#[tokio::test]
async fn a_tampered_or_forged_login_cookie_is_refused_and_cleared() {
    let app = spawn_app().await;
    let browser = &app.browser;
    let (callback, sealed) = browser.pending_login().await;
    let state = query_param(&callback, "state");

    let flip = |index: usize| {
        let mut bytes = sealed.clone().into_bytes();
        bytes[index] = if bytes[index] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    for forged in [
        flip(0),
        flip(10),
        flip(sealed.len() / 2),
        flip(sealed.len() - 1),
        sealed[..sealed.len() - 4].to_owned(),
        format!("{sealed}AAAA"),
        state.clone(),
        "x".repeat(3000),
    ] {
        browser.plant_cookie(&format!("login={forged}"));
        let reply = browser.get(&callback).await;
        assert_refused_callback(&reply);
        assert_eq!(browser.cookie("login"), None, "cleared");
    }
    // The genuine cookie still works (the refusals above used nothing up).
    browser.plant_cookie(&format!("login={sealed}"));
    assert_eq!(browser.get(&callback).await.status, 302);
    assert!(browser.session_id().is_some());
}

#[tokio::test]
async fn a_login_cookie_of_another_login_or_another_key_is_refused() {
    let app = spawn_app().await;
    let ada = &app.browser;
    let (ada_callback, ada_sealed) = ada.pending_login().await;

    // Another browser with a login of its own: Ada's callback is not one of its logins.
    let mallory = app.new_browser();
    mallory.start_login("/").await;
    let reply = mallory.get(&ada_callback).await;
    assert_refused_callback(&reply);
    mallory.get("/auth/session").await.assert_problem(401);

    // Ada's cookie sealed for another deployment (another key) opens nowhere else.
    let other = spawn_with(Options {
        configure: Some(Arc::new(|settings| {
            settings.session.login_cookie_key = Some(secrecy::SecretString::from(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ));
        })),
        ..Options::default()
    })
    .await;
    let (other_callback, other_sealed) = other.browser.pending_login().await;
    ada.plant_cookie(&format!("login={other_sealed}"));
    assert_refused_callback(&ada.get(&ada_callback).await);
    other.browser.plant_cookie(&format!("login={ada_sealed}"));
    assert_refused_callback(&other.browser.get(&other_callback).await);
}

#[tokio::test]
async fn an_expired_login_cookie_is_refused() {
    let app = spawn_with(Options {
        configure: Some(Arc::new(|settings| {
            settings.session.login_timeout = Duration::from_secs(1);
        })),
        ..Options::default()
    })
    .await;
    let (_, callback) = app.browser.start_login("/").await;
    let sealed = app.browser.cookie("login").unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // The browser would have dropped it (Max-Age); a client that keeps it gets nowhere.
    app.browser.plant_cookie(&format!("login={sealed}"));
    let reply = app.browser.get(&callback).await;
    assert_refused_callback(&reply);
    app.browser.get("/auth/session").await.assert_problem(401);
}

#[tokio::test]
async fn sign_ins_in_parallel_tabs_each_complete_and_the_cookie_stays_bounded() {
    let app = spawn_app().await;
    let browser = &app.browser;
    let (_, first) = browser.start_login("/cart").await;
    let (_, second) = browser.start_login("/search?q=shoes").await;

    // The second tab finishes first; the first tab's login stays in the cookie.
    let done = browser.get(&second).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert!(
        done.set_cookie("login")
            .is_some_and(|c| c.contains("Max-Age=600"))
    );
    let done = browser.get(&first).await;
    assert_eq!(done.status, 302, "{}", done.body);
    assert_eq!(done.location(), format!("{}/cart", app.address));
    assert_eq!(browser.cookie("login"), None, "no login left in progress");

    // However many logins a page (or another site) starts, the cookie holds the newest three.
    let mut callbacks = Vec::new();
    for _ in 0..10 {
        callbacks.push(
            browser
                .start_login(&format!("/{}", "a".repeat(500)))
                .await
                .1,
        );
        let sealed = browser.cookie("login").unwrap();
        assert!(sealed.len() < 3500, "{}", sealed.len());
    }
    assert_refused_callback(&browser.get(&callbacks[0]).await);
}

// ---------------------------------------------------------------------------------------------
// One slow route against every screen
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_hanging_search_answered_504_by_the_deadline_leaves_every_product_page_answering() {
    let app = spawn_app_with_deadline(DEADLINE).await;
    app.upstreams
        .catalog
        .set_fault_for_routes(Fault::Hang, ["/products/search"]);

    // Distinct queries: no two searches share one upstream call.
    let app = &app;
    let search = |i| async move {
        app.search(&format!("q=wireless{i}"))
            .await
            .status()
            .as_u16()
    };
    assert_each_answers(40, search, 504).await;

    // Another user's product pages still answer: the search route's failures are its own.
    let someone_else = app.new_browser();
    for id in ["p00001", "p00002", "p00003"] {
        let reply = someone_else.get(&format!("/api/products/{id}")).await;
        assert_eq!(reply.status, 200, "{id}: {}", reply.body);
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

/// `url` with the values of the OAuth parameters that are random (`code`, `state`, `nonce`,
/// `code_challenge`) replaced by `…`.
fn without_random_parameters(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name @ ("code" | "state" | "nonce" | "code_challenge"), _)) => {
                format!("{name}=…")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}
