//! Signing browsers in and out: bff-web is the confidential OpenID Connect client, the tokens
//! stay in its server-side sessions, and the browser holds only an opaque session cookie.
//!
//! # Routes
//! - `GET /auth/login?return_to=/path` — starts a login (code + PKCE S256, `state`, `nonce`):
//!   nothing is kept server-side; the pending login goes into the browser's short-lived login
//!   cookie, sealed ([`login_cookie`]: encrypted, authenticated, at most three logins in
//!   progress per browser), and the browser gets a 302 to the provider.
//! - `GET /auth/callback?code&state&iss` — the login cookie must open and hold a login of this
//!   `state` (unexpired); that login is used (once: the cookie drops it, and is cleared on any
//!   failure), the code exchanged and the ID token checked; a NEW session id is created and
//!   set, and the browser sent to `return_to` on the public origin. Any failure is a 400
//!   problem (502 when the provider is down); no token or provider error text ever reaches the
//!   browser.
//!
//! A provider that is unreachable at start-up does not stop the BFF: the public screens work,
//! and login and callback answer 503 with `Retry-After` until it has been discovered (retried
//! on demand, once per `oidc.jwks.refresh_cooldown`; see `shared::auth::deferred_oidc`).
//! - `POST /auth/logout` (`X-CSRF: 1`) — deletes the session, revokes the refresh token at the
//!   provider (best effort), clears the cookie and answers `{"logout_url": …}`: the provider's
//!   end-session URL (without `id_token_hint` unless `oidc.logout_id_token_hint`, so by default
//!   no token travels in a URL) for the page to navigate to; 204 when there was no session.
//! - `GET /auth/session` — `{"user": {"sub", "name", "email"}, "expires_at": <unix seconds>}`
//!   or a 401 problem; never a redirect, never a token.
//!
//! Every answer of these routes is `Cache-Control: no-store`.
//!
//! # Layout
//! - [`CookiePolicy`] (from `shared::auth::session::cookies`) — the session and login cookies,
//!   strict or relaxed.
//! - [`login_cookie`] — the login cookie's sealed value: the logins in progress.
//! - [`csrf`] — the `X-CSRF` / `Sec-Fetch-Site` middleware of the API.
//! - [`signed_in`] — the [`SignedIn`] extractor of personal API routes: the session, its access
//!   token refreshed inline once per session.

pub mod csrf;
pub mod login_cookie;
pub mod signed_in;

use anyhow::Context as _;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use serde::{Deserialize, Serialize};
use shared::auth::oidc::{CallbackParams, PendingLogin};
use shared::auth::session::{SessionError, StoreError};
use shared::auth::{DeferredOidcClient, SessionManager};
use shared::problem::Problem;
use url::Url;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use login_cookie::LoginSealer;
pub use shared::auth::session::CookiePolicy;
pub use signed_in::SignedIn;

use crate::AppState;
use crate::settings::Settings;

/// What signing in and out needs, built once at start-up.
#[derive(Debug)]
pub struct Auth {
    /// The provider, discovered at start-up or, if it was down then, on first use.
    pub oidc: DeferredOidcClient,
    /// Sessions, with their timeouts and single-flight refresh.
    pub sessions: SessionManager,
    /// How cookies are written and read.
    pub cookies: CookiePolicy,
    /// Seals the logins in progress into the login cookie (no server-side state before sign-in).
    pub logins: LoginSealer,
    /// `scheme://host[:port]` of this BFF as browsers reach it.
    pub public_origin: String,
    /// Where the provider sends the browser after logout.
    pub post_logout_redirect_uri: Url,
    /// Whether the logout URL carries the session's ID token (`oidc.logout_id_token_hint`).
    pub logout_id_token_hint: bool,
}

impl shared::health::ProviderDiscovery for Auth {
    fn is_discovered(&self) -> bool {
        self.oidc.is_discovered()
    }
}

impl Auth {
    /// Discovers the provider (or defers that, if it is unreachable) and connects the session
    /// store.
    pub async fn new(settings: &Settings) -> anyhow::Result<Self> {
        let client = &settings.oidc.client;
        let oidc = DeferredOidcClient::connect(client)
            .await
            .with_context(|| format!("cannot set up the OpenID client of {}", client.issuer))?;
        let sessions = SessionManager::from_settings(&settings.session)
            .await
            .context("cannot set up the session store")?;
        Ok(Self {
            oidc,
            sessions,
            cookies: CookiePolicy::new(settings.cookies.secure, &settings.session),
            logins: LoginSealer::new(&settings.session, &client.client_secret),
            public_origin: settings.server.origin(),
            post_logout_redirect_uri: settings.oidc.post_logout_redirect_uri.clone(),
            logout_id_token_hint: settings.oidc.logout_id_token_hint,
        })
    }

    /// The 401 of a request without a usable session; a session cookie that led nowhere is
    /// cleared.
    pub fn anonymous(&self, headers: &HeaderMap) -> Problem {
        let problem = SessionError::NotFound.to_problem();
        if self.cookies.has_session_cookie(headers) {
            problem.with_header(SET_COOKIE, self.cookies.clear_session())
        } else {
            problem
        }
    }
}

/// The `/auth` routes; `POST /auth/logout` requires the CSRF header like the API.
pub fn routes() -> Router<AppState> {
    api().into()
}

/// [`routes`] with their OpenAPI operations.
pub fn api() -> OpenApiRouter<AppState> {
    let mut logout = OpenApiRouter::new()
        .routes(routes!(logout))
        .route_layer(middleware::from_fn(csrf::require));
    crate::openapi::csrf_protected(logout.get_openapi_mut());
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(callback))
        .merge(logout)
        .routes(routes!(session))
        .route_layer(middleware::map_response(no_store))
}

async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A store that cannot be reached: 503, never "anonymous".
fn store_failed(error: &StoreError) -> Problem {
    tracing::error!(%error, "session store failed");
    SessionError::Store(error.clone()).to_problem()
}

/// The 400 of a callback that does not belong to a login of this browser.
fn foreign_callback() -> Problem {
    Problem::new(StatusCode::BAD_REQUEST).with_detail("The login could not be completed.")
}

fn redirect(location: &str) -> Result<Response, Problem> {
    let location = HeaderValue::from_str(location).map_err(|_| Problem::internal())?;
    Ok((StatusCode::FOUND, [(LOCATION, location)]).into_response())
}

/// The query of `GET /auth/login`, as documented (the handler reads the raw query: the first
/// `return_to` counts and anything unusable becomes `/`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(
    dead_code,
    reason = "documents the query; the handler parses it itself"
)]
struct LoginParams {
    /// Where to send the browser after sign-in: a same-origin relative path; anything else
    /// (a scheme, a host, `//`, a backslash, control characters) becomes `/`.
    #[param(example = "/cart")]
    return_to: Option<String>,
}

/// `GET /auth/login?return_to=`.
#[utoipa::path(
    get,
    path = "/auth/login",
    tag = "auth",
    summary = "Start signing in",
    description = "Sends the browser to the identity provider (authorization code flow with \
        PKCE) and sets a short-lived login cookie. Navigate to it; do not fetch it.",
    params(LoginParams),
    responses(
        (status = 302, description = "To the provider's authorization endpoint.",
            headers(("Location" = String, description = "The provider's authorization URL."))),
        (status = 503, response = shared::openapi::Unavailable),
    ),
)]
async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let auth = &state.auth;
    // The first `return_to`, decoded; anything unusable becomes `/` in `begin_login`.
    let return_to = query
        .as_deref()
        .and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "return_to")
                .map(|(_, value)| value.into_owned())
        })
        .unwrap_or_default();
    let oidc = auth.oidc.client().await.map_err(|e| e.to_problem())?;
    let (authorize, pending) = oidc.begin_login(&return_to);
    // The browser's other logins in progress (other tabs) stay; nothing is stored here.
    let mut logins = auth
        .cookies
        .login_value(&headers)
        .and_then(|value| auth.logins.open(value, unix_now()))
        .unwrap_or_default();
    logins.push(login_cookie::bounded(pending));
    let mut response = redirect(authorize.as_str())?;
    response
        .headers_mut()
        .append(SET_COOKIE, auth.cookies.login(&auth.logins.seal(&logins)));
    Ok(response)
}

/// Seconds since the epoch.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// The query the provider sends back to `GET /auth/callback` (RFC 6749 §4.1.2, RFC 9207).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents `CallbackParams` of shared")]
struct CallbackQuery {
    /// The authorization code.
    code: Option<String>,
    /// The `state` of the login this browser started.
    state: Option<String>,
    /// The issuer that answered.
    iss: Option<String>,
    /// An error code instead of a code (e.g. `access_denied`).
    error: Option<String>,
    /// The error's text (logged only).
    error_description: Option<String>,
}

/// `GET /auth/callback`: the login used leaves the login cookie (the browser's other logins in
/// progress stay); on any failure the cookie is cleared.
#[utoipa::path(
    get,
    path = "/auth/callback",
    tag = "auth",
    summary = "Complete signing in (the provider's redirect)",
    description = "Exchanges the code, creates a server-side session, sets the session cookie \
        and sends the browser to `return_to`. Only the provider links here.",
    params(CallbackQuery),
    responses(
        (status = 302, description = "Signed in: to `return_to` on this BFF's public origin.",
            headers(("Location" = String, description = "Where the browser goes next."),
                ("Set-Cookie" = String, description = "The new session cookie."))),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 502, response = shared::openapi::BadGateway),
        (status = 503, response = shared::openapi::Unavailable),
    ),
)]
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Response {
    let auth = &state.auth;
    let (mut response, others) = match complete_login(auth, &headers, params).await {
        Ok((response, others)) => (response, others),
        Err(problem) => (problem.into_response(), Vec::new()),
    };
    let cookie = if others.is_empty() {
        auth.cookies.clear_login()
    } else {
        auth.cookies.login(&auth.logins.seal(&others))
    };
    response.headers_mut().append(SET_COOKIE, cookie);
    response
}

/// Signs the browser in; also returns its other logins in progress, to keep in the cookie.
async fn complete_login(
    auth: &Auth,
    headers: &HeaderMap,
    params: Result<Query<CallbackParams>, QueryRejection>,
) -> Result<(Response, Vec<PendingLogin>), Problem> {
    let Some(value) = auth.cookies.login_value(headers) else {
        tracing::info!("login callback without the login cookie");
        return Err(foreign_callback());
    };
    let Some(mut logins) = auth.logins.open(value, unix_now()) else {
        tracing::info!("login callback with a login cookie that does not open (tampered, foreign)");
        return Err(foreign_callback());
    };
    let Ok(Query(params)) = params else {
        tracing::info!("login callback with a malformed query");
        return Err(foreign_callback());
    };
    let Some(pending) = params
        .state
        .as_deref()
        .and_then(|state| login_cookie::take(&mut logins, state))
    else {
        tracing::info!(
            "login callback for another, expired or completed login than this browser's"
        );
        return Err(foreign_callback());
    };
    let oidc = auth.oidc.client().await.map_err(|e| e.to_problem())?;
    let tokens = oidc
        .complete_login(&pending, &params)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "login failed");
            error.to_problem()
        })?;
    // Whatever session this browser had (or was planted with) ends: the login gets a new id.
    if let Some(previous) = auth.cookies.session_id(headers)
        && let Err(error) = auth.sessions.delete(&previous).await
    {
        tracing::warn!(%error, "the previous session could not be deleted");
    }
    let (id, session) = auth
        .sessions
        .create(tokens)
        .await
        .map_err(|e| store_failed(&e))?;
    tracing::info!(sub = %session.user.sub, "signed in");
    let return_to = shared::auth::return_to::sanitize(&pending.return_to);
    let mut response = redirect(&format!("{}{return_to}", auth.public_origin))?;
    response
        .headers_mut()
        .append(SET_COOKIE, auth.cookies.session(&id));
    Ok((response, logins))
}

/// The answer of a logout that ended a session.
#[derive(Debug, Serialize, ToSchema)]
struct LoggedOut {
    /// Where the page sends the browser next: the provider's end-session endpoint.
    #[schema(example = "http://localhost:7000/logout?client_id=bff-web")]
    logout_url: String,
}

/// `POST /auth/logout`.
#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "auth",
    summary = "Sign out",
    description = "Ends the session, revokes its refresh token at the provider and clears the \
        cookie.",
    security((), ("session" = [])),
    responses(
        (status = 200, description = "Signed out; navigate to `logout_url` to end the \
            provider's session too.", body = LoggedOut),
        (status = 204, description = "There was no session; the cookie is cleared."),
    ),
)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let auth = &state.auth;
    let clear = [(SET_COOKIE, auth.cookies.clear_session())];
    let Some(id) = auth.cookies.session_id(&headers) else {
        return Ok((StatusCode::NO_CONTENT, clear).into_response());
    };
    // The raw entry, expired or not: its refresh token is revoked either way.
    let session = auth
        .sessions
        .store()
        .load(&id)
        .await
        .map_err(|e| store_failed(&e))?;
    auth.sessions
        .delete(&id)
        .await
        .map_err(|e| store_failed(&e))?;
    let Some(session) = session else {
        return Ok((StatusCode::NO_CONTENT, clear).into_response());
    };
    // A provider that is still undiscovered cannot revoke or end its session: the local session
    // is gone either way, and the browser goes back to this BFF.
    let oidc = auth.oidc.client().await.ok();
    if let Some(refresh_token) = &session.tokens.refresh_token {
        match oidc.map(|oidc| oidc.revoke(refresh_token)) {
            Some(revocation) => match revocation.await {
                Ok(true) => {}
                Ok(false) => tracing::info!("the provider has no revocation endpoint"),
                Err(error) => tracing::warn!(%error, "refresh token revocation failed"),
            },
            None => tracing::warn!("refresh token not revoked: the provider is unavailable"),
        }
    }
    tracing::info!(sub = %session.user.sub, "signed out");
    // `id_token_hint` only when configured: the URL goes to the browser, and by default no
    // token may.
    let hint = session
        .tokens
        .id_token
        .as_ref()
        .filter(|_| auth.logout_id_token_hint);
    let logout_url = oidc
        .and_then(|oidc| oidc.end_session_url(hint, Some(&auth.post_logout_redirect_uri)))
        .unwrap_or_else(|| auth.post_logout_redirect_uri.clone());
    Ok((
        clear,
        shared::json::response(&LoggedOut {
            logout_url: logout_url.into(),
        }),
    )
        .into_response())
}

/// The body of `GET /auth/session`.
#[derive(Debug, Serialize, ToSchema)]
struct SessionView<'a> {
    /// Who is signed in.
    user: UserView<'a>,
    /// When the session ends at the latest (absolute timeout), seconds since the epoch.
    #[schema(example = 1_767_225_600)]
    expires_at: u64,
}

/// The signed-in user, as the page shows it.
#[derive(Debug, Serialize, ToSchema)]
struct UserView<'a> {
    /// The provider's subject identifier.
    #[schema(example = "demo-user-1")]
    sub: &'a str,
    /// Display name, `null` if the provider released none.
    #[schema(required = true, example = "Ada Lovelace")]
    name: Option<&'a str>,
    /// E-mail address, `null` if the provider released none.
    #[schema(required = true, example = "ada@example.test")]
    email: Option<&'a str>,
}

/// `GET /auth/session`.
#[utoipa::path(
    get,
    path = "/auth/session",
    tag = "auth",
    summary = "Who is signed in",
    description = "Never a redirect, never a token: a 401 problem when anonymous.",
    security((), ("session" = [])),
    responses(
        (status = 200, description = "The session's user.", body = SessionView),
        (status = 401, response = shared::openapi::Unauthorized),
        (status = 503, response = shared::openapi::Unavailable),
    ),
)]
async fn session(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    let auth = &state.auth;
    let id = auth
        .cookies
        .session_id(&headers)
        .ok_or_else(|| auth.anonymous(&headers))?;
    let session = auth
        .sessions
        .load(&id)
        .await
        .map_err(|e| store_failed(&e))?
        .ok_or_else(|| auth.anonymous(&headers))?;
    let user = &session.user;
    Ok(shared::json::response(&SessionView {
        user: UserView {
            sub: &user.sub,
            name: user.name.as_deref(),
            email: user.email.as_deref(),
        },
        expires_at: session.absolute_expiry / 1000,
    }))
}
