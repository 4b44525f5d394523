//! `GET /authorize` (authorization code flow with PKCE S256 only) and `POST /login` (the login
//! form's target).
//!
//! Until the client and its redirect URI are validated, errors are shown as a page and never
//! redirected (RFC 6749 §4.1.2.1): an unknown client or an unregistered URI must not turn the
//! provider into an open redirector. After that, errors go back to the client as
//! `error=...&state=...&iss=...`. Every redirect carries `iss` (RFC 9207).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use subtle::ConstantTimeEq as _;

use super::{SCOPES_SUPPORTED, redirect};
use crate::grants::{AuthorizationRequest, unix_now};
use crate::html::{self, LoginPage};
use crate::params::{Params, is_form};
use crate::state::AppState;
use crate::users::{self, PASSWORD, User};

/// Longest `state` or `nonce` accepted.
const MAX_VALUE_LEN: usize = 2048;

/// Starts a sign-in: validates the request, then signs a user in at once (`login_hint`,
/// `auto_login`) or shows the login page.
pub(crate) async fn authorize(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(params) = Params::parse(query.unwrap_or_default().as_bytes()) else {
        return html::error_page(
            StatusCode::BAD_REQUEST,
            "A parameter appears more than once in the authorization request.",
        );
    };
    let request = match validate(&state, &params) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let hinted = params
        .get("login_hint")
        .filter(|_| state.config.allow_login_hint)
        .and_then(users::find);
    if let Some(user) = hinted.or_else(|| state.auto_login()) {
        return complete(&state, &request, user, StatusCode::FOUND);
    }
    let prompts: Vec<&str> = params.get("prompt").unwrap_or("").split(' ').collect();
    if prompts.contains(&"none") {
        return error_redirect(
            &state,
            &request,
            StatusCode::FOUND,
            "login_required",
            "the user must sign in on the login page",
        );
    }
    let Ok(request_id) = state.grants.begin(request.clone()) else {
        return error_redirect(
            &state,
            &request,
            StatusCode::FOUND,
            "temporarily_unavailable",
            "too many sign-ins in progress",
        );
    };
    html::login_page(&LoginPage {
        action: &format!("{}/login", state.issuer()),
        request_id: &request_id,
        client_id: &request.client_id,
        scope: &request.scope,
        username: params.get("login_hint").unwrap_or(""),
        error: None,
    })
}

/// Checks the request; on failure returns the response to send (an error page before the
/// redirect URI is trusted, an error redirect after).
fn validate(state: &AppState, params: &Params) -> Result<AuthorizationRequest, Box<Response>> {
    let page = |message: String| Box::new(html::error_page(StatusCode::BAD_REQUEST, &message));
    let Some(client_id) = params.get("client_id") else {
        return Err(page(
            "The authorization request has no client_id.".to_owned(),
        ));
    };
    let Some(client) = state.client(client_id) else {
        return Err(page(format!("Unknown client \"{client_id}\".")));
    };
    let Some(redirect_uri) = params.get("redirect_uri") else {
        return Err(page(format!(
            "The authorization request of client \"{client_id}\" has no redirect_uri."
        )));
    };
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return Err(page(format!(
            "The redirect_uri \"{redirect_uri}\" is not registered for client \"{client_id}\" \
             (redirect URIs must match exactly)."
        )));
    }
    // From here on, errors can go back to the client.
    let mut request = AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: params.get("state").map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: String::new(),
        scope: String::new(),
        resources: Vec::new(),
    };
    let fail = |request: &AuthorizationRequest, error: &str, description: &str| {
        Box::new(error_redirect(
            state,
            request,
            StatusCode::FOUND,
            error,
            description,
        ))
    };
    if request
        .state
        .as_ref()
        .is_some_and(|s| s.len() > MAX_VALUE_LEN)
    {
        request.state = None;
        return Err(fail(&request, "invalid_request", "state is too long"));
    }
    if request
        .nonce
        .as_ref()
        .is_some_and(|s| s.len() > MAX_VALUE_LEN)
    {
        return Err(fail(&request, "invalid_request", "nonce is too long"));
    }
    if params.get("request").is_some() {
        return Err(fail(
            &request,
            "request_not_supported",
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(
            &request,
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    only_value(
        params.get("response_type"),
        "code",
        (
            "unsupported_response_type",
            "only response_type=code is supported",
        ),
        "response_type is required",
    )
    .map_err(|(error, description)| fail(&request, error, description))?;
    if params
        .get("response_mode")
        .is_some_and(|mode| mode != "query")
    {
        return Err(fail(
            &request,
            "invalid_request",
            "only response_mode=query is supported",
        ));
    }
    let mut scopes: Vec<&str> = Vec::new();
    for scope in params
        .get("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
    {
        if !SCOPES_SUPPORTED.contains(&scope) {
            return Err(fail(
                &request,
                "invalid_scope",
                "the scope names an unknown value",
            ));
        }
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    if !scopes.contains(&"openid") {
        return Err(fail(&request, "invalid_scope", "scope must include openid"));
    }
    let consent = params
        .get("prompt")
        .is_some_and(|prompt| prompt.split(' ').any(|p| p == "consent"));
    if state.config.offline_access_needs_consent && !consent {
        // OpenID Connect Core §11: offline_access without prompt=consent is ignored.
        scopes.retain(|scope| *scope != "offline_access");
    }
    request.scope = scopes.join(" ");
    match params.checked_resources() {
        Ok(resources) => request.resources = resources.to_vec(),
        Err(_) => {
            return Err(fail(
                &request,
                "invalid_target",
                "resource must be an absolute URI without fragment",
            ));
        }
    }
    only_value(
        params.get("code_challenge_method"),
        "S256",
        (
            "invalid_request",
            "only code_challenge_method=S256 is supported (plain is refused)",
        ),
        "PKCE is required: send code_challenge and code_challenge_method=S256",
    )
    .map_err(|(error, description)| fail(&request, error, description))?;
    match params.get("code_challenge") {
        Some(challenge) if is_s256_challenge(challenge) => {
            request.code_challenge = challenge.to_owned();
        }
        Some(_) => {
            return Err(fail(
                &request,
                "invalid_request",
                "code_challenge must be a base64url SHA-256 (43 characters)",
            ));
        }
        None => {
            return Err(fail(
                &request,
                "invalid_request",
                "PKCE is required: send code_challenge and code_challenge_method=S256",
            ));
        }
    }
    Ok(request)
}

/// A base64url-encoded SHA-256 digest without padding: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The target of the login form: checks the password and sends the browser back with a code.
pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let params = match body {
        Ok(body) if is_form(&headers) => Params::parse(&body).ok(),
        _ => None,
    };
    let Some(params) = params else {
        return html::error_page(StatusCode::BAD_REQUEST, "The sign-in form is malformed.");
    };
    let expired = || {
        html::error_page(
            StatusCode::BAD_REQUEST,
            "This sign-in has expired or was already completed. Start again from the application.",
        )
    };
    let Some(request_id) = params.get("request") else {
        return expired();
    };
    let Some(request) = state.grants.pending(request_id) else {
        return expired();
    };
    if params.get("action") == Some("deny") {
        return match state.grants.take_pending(request_id) {
            Some(request) => error_redirect(
                &state,
                &request,
                StatusCode::SEE_OTHER,
                "access_denied",
                "the user cancelled the sign-in",
            ),
            None => expired(),
        };
    }
    let username = params.get("username").unwrap_or("");
    let password = params.get("password").unwrap_or("");
    let password_ok: bool = password.as_bytes().ct_eq(PASSWORD.as_bytes()).into();
    let Some(user) = users::find(username).filter(|_| password_ok) else {
        tracing::info!(
            client_id = request.client_id,
            "sign-in refused: wrong username or password"
        );
        return html::login_page(&LoginPage {
            action: &format!("{}/login", state.issuer()),
            request_id,
            client_id: &request.client_id,
            scope: &request.scope,
            username,
            error: Some("Unknown username or wrong password."),
        });
    };
    // Taking the request makes the sign-in complete at most once.
    let Some(request) = state.grants.take_pending(request_id) else {
        return expired();
    };
    complete(&state, &request, user, StatusCode::SEE_OTHER)
}

/// Signs `user` in for `request`: issues a code and redirects with `code`, `state` and `iss`.
fn complete(
    state: &AppState,
    request: &AuthorizationRequest,
    user: &'static User,
    status: StatusCode,
) -> Response {
    let sid = uuid::Uuid::new_v4().to_string();
    let Ok(code) = state.grants.issue_code(
        request.clone(),
        user,
        unix_now(),
        sid,
        state.config.code_ttl,
    ) else {
        return error_redirect(
            state,
            request,
            status,
            "temporarily_unavailable",
            "too many codes outstanding",
        );
    };
    tracing::info!(
        client_id = request.client_id,
        user = user.id,
        "user signed in"
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(client_state) = &request.state {
        params.push(("state", client_state));
    }
    params.push(("iss", state.issuer()));
    redirect(status, &request.redirect_uri, &params)
}

/// An authorization error sent back to the client's (validated) redirect URI.
fn error_redirect(
    state: &AppState,
    request: &AuthorizationRequest,
    status: StatusCode,
    error: &str,
    description: &str,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(client_state) = &request.state {
        params.push(("state", client_state));
    }
    params.push(("iss", state.issuer()));
    redirect(status, &request.redirect_uri, &params)
}

/// `Ok` when a parameter that allows one value has it; otherwise the error code and description
/// to send back: `other` for a different value, `invalid_request` with `missing` for none.
fn only_value(
    value: Option<&str>,
    allowed: &str,
    other: (&'static str, &'static str),
    missing: &'static str,
) -> Result<(), (&'static str, &'static str)> {
    match value {
        Some(value) if value == allowed => Ok(()),
        Some(_) => Err(other),
        None => Err(("invalid_request", missing)),
    }
}
