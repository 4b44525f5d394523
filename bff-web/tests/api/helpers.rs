//! Spawning the app against an in-process identity provider (dev-idp's `TestIdp`) and
//! in-process demo upstreams (accounts and recommendations verifying the provider's tokens), one
//! method per endpoint, and a browser stand-in for the login flows.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bff_web::{AppState, Settings};
use demo_upstreams::Service;
use demo_upstreams::fault::Fault;
use demo_upstreams::testing::{RunningService, TestUpstreams};
use dev_idp::testing::{TestIdp, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
use reqwest::cookie::{CookieStore as _, Jar};
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue, LOCATION, SET_COOKIE};
use reqwest::{Method, RequestBuilder};
use secrecy::SecretString;
use serde_json::Value;
use shared::auth::session::{Session, SessionId, StoreKind};

use shared::redis_server::RedisServer;

/// The screen deadline of tests about deadlines: short, so they are fast.
pub const DEADLINE: Duration = Duration::from_millis(300);
/// The screen deadline of every other test: generous, because the in-process upstreams run
/// unoptimised and some of their work (a search matching nothing scans every description) takes
/// hundreds of milliseconds in a debug build on a busy machine.
pub const RELAXED_DEADLINE: Duration = Duration::from_secs(2);
/// How far past the deadline a screen may answer (scheduling, a debug build, a busy machine).
pub const SLACK: Duration = Duration::from_millis(200);
/// An upstream slower than any screen's deadline in tests.
pub const SLOW: Fault = Fault::Delay(Duration::from_secs(2));
/// The eight rendition widths the catalog serves.
pub const WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// Awaits `request`; returns its output and how long it took.
pub async fn timed<T>(request: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = request.await;
    (output, started.elapsed())
}

/// Where the sessions of the app under test live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// The in-process store.
    Memory,
    /// A `redis-server` started for the test.
    Redis,
}

/// Changes a test makes to the settings after the defaults above (e.g. an upstream pointed at
/// a fake server).
pub type Configure = Arc<dyn Fn(&mut Settings) + Send + Sync>;

/// How to spawn the app.
#[derive(Clone)]
pub struct Options {
    /// Every screen's deadline.
    pub deadline: Duration,
    /// The session store.
    pub store: Store,
    /// `cookies.secure` (strict `__Host-` cookies, which a plain-HTTP cookie jar will not send
    /// back; tests of strict mode read `Set-Cookie` themselves).
    pub secure_cookies: bool,
    /// `session.idle_timeout`, if not the default.
    pub idle_timeout: Option<Duration>,
    /// Applied to the settings last.
    pub configure: Option<Configure>,
    /// Keep the defaults' `audience` of accounts and recommendations (token exchange). Off:
    /// the session's token is forwarded as it is, which the tests about exactly what reaches
    /// an upstream assert on.
    pub exchange_tokens: bool,
    /// The provider's settings (default: `TestIdp::spawn`'s).
    pub idp: Option<dev_idp::IdpConfig>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            deadline: RELAXED_DEADLINE,
            store: Store::Memory,
            secure_cookies: false,
            idle_timeout: None,
            configure: None,
            exchange_tokens: false,
            idp: None,
        }
    }
}

/// The app under test, the provider and the upstreams it talks to.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`, also the app's `server.public_origin`.
    pub address: String,
    /// The demo upstreams (faults, request logs).
    pub upstreams: TestUpstreams,
    /// The identity provider (signs `demo-user-1` in without a login page unless told
    /// otherwise).
    pub idp: TestIdp,
    /// The app's state: its sessions can be inspected and changed.
    pub state: AppState,
    /// `http://127.0.0.1:PORT` of the admin listener (`/metrics`, `/readyz`).
    pub admin_address: String,
    /// A browser with a cookie jar that sends `X-CSRF: 1` on every request.
    pub browser: Browser,
    /// A client that sends `X-CSRF: 1` and keeps no cookies (the screen tests).
    client: reqwest::Client,
    /// Keeps the test's redis-server alive.
    _redis: Option<RedisServer>,
}

/// Spawns the app with relaxed deadlines.
pub async fn spawn_app() -> TestApp {
    spawn_with(Options::default()).await
}

/// Spawns the app as [`spawn_app`] does, with `service` answering every request with `fault`.
pub async fn spawn_app_with_fault(service: Service, fault: Fault) -> TestApp {
    let app = spawn_app().await;
    app.upstreams.service(service).set_fault(fault);
    app
}

/// Spawns the app with `deadline` for every screen.
pub async fn spawn_app_with_deadline(deadline: Duration) -> TestApp {
    spawn_with(Options {
        deadline,
        ..Options::default()
    })
    .await
}

/// Spawns the app with its sessions in `store`.
pub async fn spawn_with_store(store: Store) -> TestApp {
    spawn_with(Options {
        store,
        ..Options::default()
    })
    .await
}

/// Spawns the provider, the upstreams and the app as `options` say.
pub async fn spawn_with(options: Options) -> TestApp {
    let idp = match options.idp.clone() {
        Some(config) => TestIdp::spawn_with(config).await,
        None => TestIdp::spawn().await,
    };
    idp.set_auto_login(Some("demo-user-1"));
    let upstreams = TestUpstreams::spawn_verifying(&idp.url()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let callback = format!("{address}/auth/callback");
    let after_logout = format!("{address}/");
    idp.add_redirect_uri(WEB_CLIENT_ID, &callback);
    idp.add_post_logout_redirect_uri(WEB_CLIENT_ID, &after_logout);

    let mut settings = Settings::defaults().expect("the defaults are valid");
    upstreams.point(&mut settings.upstreams);
    if !options.exchange_tokens {
        settings.upstreams.accounts.audience = None;
        settings.upstreams.recommendations.audience = None;
    }
    let screens = &mut settings.screens;
    for deadline in [
        &mut screens.home,
        &mut screens.product,
        &mut screens.search,
        &mut screens.reviews,
        &mut screens.me,
        &mut screens.cart,
    ] {
        *deadline = options.deadline;
    }
    settings.graphql.deadline = options.deadline;
    settings.server.public_origin = address.parse().unwrap();
    settings.oidc.client.issuer = idp.url();
    settings.oidc.client.client_id = WEB_CLIENT_ID.to_owned();
    settings.oidc.client.client_secret = SecretString::from(WEB_CLIENT_SECRET);
    settings.oidc.client.redirect_uri = callback.parse().unwrap();
    settings.oidc.post_logout_redirect_uri = after_logout.parse().unwrap();
    settings.cookies.secure = options.secure_cookies;
    if let Some(idle) = options.idle_timeout {
        settings.session.idle_timeout = idle;
    }
    let redis = match options.store {
        Store::Memory => None,
        Store::Redis => {
            let server = RedisServer::start();
            settings.session.store = StoreKind::Redis;
            settings.session.redis_url = Some(SecretString::from(server.url()));
            Some(server)
        }
    };
    if let Some(configure) = &options.configure {
        configure(&mut settings);
    }
    let settings = settings.validate().expect("the test settings are valid");

    let state = AppState::new(settings).await.expect("the app builds");
    let app = bff_web::app(state.clone());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    let admin_address = shared::test_server::serve_admin(bff_web::admin_routes(&state)).await;
    TestApp {
        browser: Browser::new(&address),
        address,
        admin_address,
        upstreams,
        idp,
        state,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(csrf_header())
            .build()
            .unwrap(),
        _redis: redis,
    }
}

fn csrf_header() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-csrf", HeaderValue::from_static("1"));
    headers
}

impl TestApp {
    /// Fails if a refused request reached an upstream, the provider (beyond the
    /// `token_requests` made before) or the session refresh.
    #[track_caller]
    pub fn assert_nothing_happened(&self, token_requests: usize) {
        assert_eq!(self.upstream_hits(), 0, "an upstream was called");
        assert_eq!(
            self.idp.token_requests(),
            token_requests,
            "the provider was called"
        );
        assert_eq!(self.state.auth.sessions.refresh_count(), 0);
    }

    /// GETs a path of the admin listener (`/readyz`, `/metrics`).
    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        reqwest::get(format!("{}{path}", self.admin_address))
            .await
            .unwrap()
    }

    /// GETs a path of the app, as given (no re-encoding).
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.get_with_request_id(path_and_query, None).await
    }

    /// GETs a path with an `X-Request-Id`.
    pub async fn get_with_request_id(
        &self,
        path_and_query: &str,
        request_id: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.get(format!("{}{path_and_query}", self.address));
        if let Some(id) = request_id {
            request = request.header("x-request-id", id);
        }
        request.send().await.expect("the app answers")
    }

    /// `GET /api/home`.
    pub async fn get_home(&self) -> reqwest::Response {
        self.get("/api/home").await
    }

    /// `GET /api/products/{id}`; `id` is put into the path as given (already encoded).
    pub async fn get_product(&self, id: &str) -> reqwest::Response {
        self.get(&format!("/api/products/{id}")).await
    }

    /// `GET /api/products/{id}/reviews?{query}`.
    pub async fn get_reviews(&self, id: &str, query: &str) -> reqwest::Response {
        self.get(&format!("/api/products/{id}/reviews?{query}"))
            .await
    }

    /// `GET /api/search?{query}`.
    pub async fn search(&self, query: &str) -> reqwest::Response {
        self.get(&format!("/api/search?{query}")).await
    }

    /// Every upstream, with its name.
    pub fn services(&self) -> [(&'static str, &RunningService); 5] {
        [
            ("catalog", &self.upstreams.catalog),
            ("offers", &self.upstreams.offers),
            ("reviews", &self.upstreams.reviews),
            ("recommendations", &self.upstreams.recommendations),
            ("accounts", &self.upstreams.accounts),
        ]
    }

    /// Requests that reached any upstream.
    pub fn upstream_hits(&self) -> usize {
        self.services().iter().map(|(_, s)| s.hits()).sum()
    }

    /// The method and path (with query) of each request `service` received, in order.
    pub fn calls(service: &RunningService) -> Vec<(String, String)> {
        service
            .requests()
            .into_iter()
            .map(|r| (r.method.to_string(), r.path_and_query))
            .collect()
    }

    /// The path and query of every request `service` received, in order.
    pub fn paths(service: &RunningService) -> Vec<String> {
        service
            .requests()
            .into_iter()
            .map(|r| r.path_and_query)
            .collect()
    }

    /// A second instance of the app with the same settings (same provider, upstreams and
    /// session store), as behind a load balancer; returns its address and state. Cookies are
    /// not port-specific, so a browser's session cookie reaches it too.
    pub async fn spawn_sibling(&self) -> (String, AppState) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new((*self.state.settings).clone())
            .await
            .expect("the sibling builds");
        let app = bff_web::app(state.clone());
        tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
        (address, state)
    }

    /// Another browser (its own cookie jar) on this app.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address)
    }

    /// The session stored under `id` (a cookie value), as the store has it.
    pub async fn stored_session(&self, id: &str) -> Option<Session> {
        let id = SessionId::parse(id).expect("a well-formed session id");
        self.state
            .auth
            .sessions
            .store()
            .load(&id)
            .await
            .expect("the store answers")
    }

    /// Writes `session` back under `id`.
    pub async fn store_session(&self, id: &str, session: &Session) {
        let id = SessionId::parse(id).expect("a well-formed session id");
        self.state
            .auth
            .sessions
            .store()
            .save(&id, session, Duration::from_secs(600))
            .await
            .expect("the store answers");
    }

    /// Makes the session's access token look expired, so that the next API call refreshes it.
    pub async fn expire_access_token(&self, id: &str) {
        let mut session = self.stored_session(id).await.expect("a live session");
        session.tokens.expires_at = unix_now() - 1;
        self.store_session(id, &session).await;
    }

    /// The access, refresh and ID tokens of a session.
    pub async fn tokens_of(&self, id: &str) -> Vec<String> {
        let session = self.stored_session(id).await.expect("a live session");
        let tokens = &session.tokens;
        let mut all = vec![tokens.access_token.expose().to_owned()];
        all.extend(tokens.refresh_token.iter().map(|t| t.expose().to_owned()));
        all.extend(tokens.id_token.iter().map(|t| t.expose().to_owned()));
        assert_eq!(all.len(), 3, "a session holds three tokens");
        all
    }

    /// Revokes a refresh token at the provider, as another of the user's devices might.
    pub async fn revoke_at_provider(&self, refresh_token: &str) {
        let response = self
            .provider_request(
                "/revoke",
                &[
                    ("token", refresh_token),
                    ("token_type_hint", "refresh_token"),
                ],
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    /// Redeems a refresh token at the provider; the status and body of its answer.
    pub async fn refresh_at_provider(&self, refresh_token: &str) -> (u16, String) {
        let response = self
            .provider_request(
                "/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ],
            )
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// A form POST to the provider, authenticated as bff-web.
    fn provider_request(&self, path: &str, form: &[(&str, &str)]) -> RequestBuilder {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        reqwest::Client::new()
            .post(format!("{}{path}", self.idp.url()))
            .basic_auth(WEB_CLIENT_ID, Some(WEB_CLIENT_SECRET))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    }

    /// The `authorization` header of every request accounts received, in order.
    pub fn accounts_authorizations(&self) -> Vec<String> {
        self.upstreams
            .accounts
            .requests()
            .into_iter()
            .map(|r| {
                r.headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            })
            .collect()
    }
}

/// The signed-in user's API routes, with a valid body where one is needed.
pub fn personal_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/me", None),
        (Method::GET, "/api/cart", None),
        (
            Method::POST,
            "/api/cart/items",
            Some(serde_json::json!({"product_id": "p00001", "quantity": 1})),
        ),
        (Method::DELETE, "/api/cart/items/p00001", None),
    ]
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One response as a browser saw it, buffered.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The request's method and URL.
    pub request: String,
    /// Status code.
    pub status: u16,
    /// Every header.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|_| panic!("{}: not JSON: {}", self.request, self.body))
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The `Access-Control-*` headers: the BFF answers no cross-origin request, so there must
    /// be none.
    pub fn cors_headers(&self) -> Vec<&str> {
        self.headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.starts_with("access-control-"))
            .collect()
    }

    /// `Location`.
    pub fn location(&self) -> &str {
        self.header(LOCATION.as_str())
            .unwrap_or_else(|| panic!("{}: no Location ({})", self.request, self.status))
    }

    /// Every `Set-Cookie`.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// The `Set-Cookie` of cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// `Cache-Control`.
    pub fn cache_control(&self) -> &str {
        self.header(CACHE_CONTROL.as_str()).unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with `status`; returns it.
    pub fn assert_problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}: {}", self.request, self.body);
        assert_eq!(
            self.header(CONTENT_TYPE.as_str()),
            Some("application/problem+json"),
            "{}",
            self.request
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        problem
    }

    /// Everything in the reply a token could hide in: URL, headers and body.
    pub fn text(&self) -> String {
        let mut text = format!("{} {}\n", self.request, self.status);
        for (name, value) in &self.headers {
            text.push_str(&format!(
                "{name}: {}\n",
                String::from_utf8_lossy(value.as_bytes())
            ));
        }
        text.push_str(&self.body);
        text
    }
}

/// A browser stand-in: a cookie jar, redirects not followed (tests follow them by hand), and a
/// record of every response it received.
pub struct Browser {
    /// The app's address.
    pub base: String,
    /// The cookies (shared by both clients).
    pub jar: Arc<Jar>,
    /// Sends `X-CSRF: 1` on every request, as the web app does.
    client: reqwest::Client,
    /// Sends no `X-CSRF` (a cross-site page, or a forgetful one).
    plain: reqwest::Client,
    seen: Mutex<Vec<Reply>>,
}

impl Browser {
    /// A browser with an empty jar.
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let build = |headers: HeaderMap| {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .cookie_provider(jar.clone())
                .default_headers(headers)
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap()
        };
        Self {
            base: base.to_owned(),
            client: build(csrf_header()),
            plain: build(HeaderMap::new()),
            jar: jar.clone(),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with("http://") || path_or_url.starts_with("https://") {
            path_or_url.to_owned()
        } else {
            format!("{}{path_or_url}", self.base)
        }
    }

    /// A request with `X-CSRF: 1` (a path of the app, or an absolute URL).
    pub fn request(&self, method: Method, path_or_url: &str) -> RequestBuilder {
        self.client.request(method, self.url(path_or_url))
    }

    /// [`Self::request`], a POST carrying a cart line of one `product` (a route's valid body).
    pub fn request_with_line(&self, method: &Method, path: &str, product: &str) -> RequestBuilder {
        let request = self.request(method.clone(), path);
        if *method == Method::POST {
            request.json(&serde_json::json!({"product_id": product, "quantity": 1}))
        } else {
            request
        }
    }

    /// A request without `X-CSRF`, with the same cookies.
    pub fn request_without_csrf(&self, method: Method, path_or_url: &str) -> RequestBuilder {
        self.plain.request(method, self.url(path_or_url))
    }

    /// Sends, buffers and records.
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        // Each client adds its own default headers when executing: send with the builder's.
        let (client, request) = request.build_split();
        let request = request.unwrap();
        let described = format!("{} {}", request.method(), request.url());
        let response = client
            .execute(request)
            .await
            .unwrap_or_else(|e| panic!("{described}: {e}"));
        let reply = Reply {
            request: described,
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        self.seen.lock().unwrap().push(reply.clone());
        reply
    }

    /// GET with `X-CSRF: 1`.
    pub async fn get(&self, path_or_url: &str) -> Reply {
        self.send(self.request(Method::GET, path_or_url)).await
    }

    /// POST without a body, with `X-CSRF: 1`.
    pub async fn post(&self, path: &str) -> Reply {
        self.send(self.request(Method::POST, path)).await
    }

    /// POST a JSON body, with `X-CSRF: 1`.
    pub async fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    /// GET with `X-CSRF: 1` and extra `headers`.
    pub async fn get_with(&self, path_or_url: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.request(Method::GET, path_or_url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request).await
    }

    /// POST `body` as it is, as `content_type`, with `X-CSRF: 1`.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Reply {
        let request = self.request(Method::POST, path);
        self.send(request.header(CONTENT_TYPE, content_type).body(body))
            .await
    }

    /// A CORS preflight from `origin` for `method` (and `request_headers`, if any), as a
    /// cross-site page's browser sends it: without `X-CSRF`.
    pub async fn preflight(
        &self,
        path: &str,
        origin: &str,
        method: &str,
        request_headers: Option<&str>,
    ) -> Reply {
        let mut request = self
            .request_without_csrf(Method::OPTIONS, path)
            .header("origin", origin)
            .header("access-control-request-method", method);
        if let Some(headers) = request_headers {
            request = request.header("access-control-request-headers", headers);
        }
        self.send(request).await
    }

    /// DELETE, with `X-CSRF: 1`.
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// `POST /api/cart/items`.
    pub async fn add_to_cart(&self, product_id: &str, quantity: u32) -> Reply {
        self.post_json(
            "/api/cart/items",
            &serde_json::json!({"product_id": product_id, "quantity": quantity}),
        )
        .await
    }

    /// `POST /auth/logout`.
    pub async fn logout(&self) -> Reply {
        self.post("/auth/logout").await
    }

    /// `GET /auth/login?return_to=…` then the provider's `/authorize`: the reply of the login
    /// route and the callback URL the provider redirects to (not visited yet).
    pub async fn start_login(&self, return_to: &str) -> (Reply, String) {
        let login = self
            .send(
                self.request(Method::GET, "/auth/login")
                    .query(&[("return_to", return_to)]),
            )
            .await;
        assert_eq!(login.status, 302, "{}", login.body);
        let at_provider = self.get(login.location()).await;
        assert_eq!(at_provider.status, 302, "{}", at_provider.body);
        let callback = at_provider.location().to_owned();
        assert!(
            callback.starts_with(&format!("{}/auth/callback?", self.base)),
            "{callback}"
        );
        (login, callback)
    }

    /// [`Self::start_login`] to `/`: the callback URL and the sealed login cookie it set.
    pub async fn pending_login(&self) -> (String, String) {
        let (_, callback) = self.start_login("/").await;
        let sealed = self.cookie("login").expect("a login cookie");
        (callback, sealed)
    }

    /// The whole login: the app, the provider (which signs its auto-login user in), the
    /// callback. Returns the callback's reply (a 302 to `return_to` when all went well).
    pub async fn login_to(&self, return_to: &str) -> Reply {
        let (_, callback) = self.start_login(return_to).await;
        self.get(&callback).await
    }

    /// Logs in, asserts success, and returns the new session id.
    pub async fn login(&self) -> String {
        let done = self.login_to("/").await;
        assert_eq!(done.status, 302, "{}", done.body);
        assert_eq!(done.location(), format!("{}/", self.base));
        self.session_id().expect("a session cookie after login")
    }

    /// The value of cookie `name` in the jar, for the app's origin.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().unwrap();
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .unwrap()
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// The session cookie's value (relaxed mode's name).
    pub fn session_id(&self) -> Option<String> {
        self.cookie("session")
    }

    /// Plants a cookie for the app's origin.
    pub fn plant_cookie(&self, cookie: &str) {
        self.jar
            .add_cookie_str(&format!("{cookie}; Path=/"), &self.base.parse().unwrap());
    }

    /// Every reply this browser received, in order.
    pub fn seen(&self) -> Vec<Reply> {
        self.seen.lock().unwrap().clone()
    }
}

/// Asserts a 200 JSON response and returns its body.
pub async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, 200, "body: {body}");
    serde_json::from_str(&body).expect("a JSON body")
}

pub use shared::test_server::cache_control;

/// Asserts a 200 JSON page that any cache may keep for 30 seconds (a complete public page);
/// returns its body.
pub async fn public_json(response: reqwest::Response) -> Value {
    assert_eq!(cache_control(&response), "public, max-age=30");
    ok_json(response).await
}

/// Asserts a 200 JSON page that no cache may keep (`no-cache`: a partial page) and that names
/// exactly `sections` as `degraded`; returns its body.
pub async fn degraded_json(response: reqwest::Response, sections: &[&str]) -> Value {
    assert_eq!(
        cache_control(&response),
        "no-cache",
        "a partial page must not be kept"
    );
    let page = ok_json(response).await;
    assert_eq!(page["degraded"], serde_json::json!(sections), "{page}");
    page
}

pub use shared::test_server::{assert_problem, cart_lines, each_str, each_u64};

/// Asserts that a card has the web card's shape, an image with every rendition in `srcset` and,
/// when `with_extras`, a price, stock and rating.
pub fn assert_web_card(card: &Value, with_extras: bool) {
    let id = card["id"].as_str().expect("an id");
    assert_eq!(card["href"], format!("/products/{id}"));
    assert!(card["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(card["brand"].as_str().is_some_and(|n| !n.is_empty()));
    let image = &card["image"];
    assert!(
        image["src"].as_str().unwrap().ends_with("/480.svg"),
        "{image}"
    );
    assert_eq!(image["width"], 480);
    assert_eq!(image["height"], 360);
    assert!(image["alt"].is_string());
    assert_srcset_has_every_width(image["srcset"].as_str().unwrap());
    if with_extras {
        let price = &card["price"];
        assert!(price["amount_cents"].as_i64().unwrap() > 0);
        assert_eq!(price["currency"], "EUR");
        assert!(
            price["display"].as_str().unwrap().starts_with('€'),
            "{price}"
        );
        assert!(card["in_stock"].is_boolean());
        assert!(card["rating"]["count"].is_u64());
    }
}

/// Asserts that a `srcset` lists all eight widths, narrowest first.
pub fn assert_srcset_has_every_width(srcset: &str) {
    let widths: Vec<&str> = srcset
        .split(", ")
        .map(|entry| entry.rsplit_once(' ').unwrap().1)
        .collect();
    let expected: Vec<String> = WIDTHS.iter().map(|w| format!("{w}w")).collect();
    assert_eq!(widths, expected, "{srcset}");
}
