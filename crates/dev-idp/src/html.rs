//! Server-rendered pages: login, error, signed out. Every value interpolated into a page goes
//! through [`escape`]; every page carries the development-only banner and headers that keep it
//! out of frames and caches.

use std::fmt::Write as _;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::users::{PASSWORD, USERS};

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f6;color:#222}\
.banner{background:#b00020;color:#fff;padding:.6em 1em;font-weight:bold;text-align:center}\
main{max-width:34em;margin:2em auto;background:#fff;padding:1.5em 2em;border-radius:8px;\
box-shadow:0 1px 4px rgba(0,0,0,.15)}label{display:block;margin:.8em 0}\
input{display:block;width:100%;padding:.4em;box-sizing:border-box}button{margin-top:1em;padding:.5em 1.2em}\
.error{background:#fde7e9;color:#b00020;padding:.6em;border-radius:4px}\
table{border-collapse:collapse;width:100%;margin-top:.5em}td,th{text-align:left;padding:.3em;\
border-bottom:1px solid #ddd}code{background:#eee;padding:0 .2em}";

/// Wraps `body` (already escaped) in the page shell with the development-only banner.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{title} – dev-idp</title><style>{STYLE}</style></head>\
<body><div class=\"banner\" role=\"alert\">DEVELOPMENT ONLY – dev-idp is a local test identity \
provider with demo users. Never use it for real accounts or in production.</div>\
<main>{body}</main></body></html>\n",
        title = escape(title),
    );
    with_page_headers((status, Html(html)).into_response())
}

/// Headers for every page and browser redirect: never cached (pages and `Location`s carry
/// single-use values), never framed (no clickjacking of the login form), no referrer leaks.
pub(crate) fn with_page_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// What the login page shows.
pub(crate) struct LoginPage<'a> {
    /// Where the form posts: `{issuer}/login`.
    pub action: &'a str,
    /// The id of the pending authorization request (hidden field).
    pub request_id: &'a str,
    /// The client asking.
    pub client_id: &'a str,
    /// The requested scope.
    pub scope: &'a str,
    /// Prefill of the username field (`login_hint` or the previous attempt).
    pub username: &'a str,
    /// An error from the previous attempt.
    pub error: Option<&'a str>,
}

/// The login page: a username and password form, and the demo users.
pub(crate) fn login_page(login: &LoginPage<'_>) -> Response {
    let mut body = format!(
        "<h1>Sign in</h1><p>The application <strong>{client}</strong> asks you to sign in \
(scope: <code>{scope}</code>).</p>",
        client = escape(login.client_id),
        scope = escape(login.scope),
    );
    if let Some(error) = login.error {
        let _ = write!(
            body,
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        );
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"request\" value=\"{request}\">\
<label>Username <input name=\"username\" value=\"{username}\" autocomplete=\"username\" required autofocus></label>\
<label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\
<button type=\"submit\" name=\"action\" value=\"login\">Sign in</button> \
<button type=\"submit\" name=\"action\" value=\"deny\" formnovalidate>Cancel</button></form>\
<h2>Demo users</h2><p>The password of every demo user is <code>{password}</code>.</p>\
<table><tr><th>Username</th><th>Name</th><th>Email</th><th>User id (<code>sub</code>)</th></tr>",
        action = escape(login.action),
        request = escape(login.request_id),
        username = escape(login.username),
        password = escape(PASSWORD),
    );
    for user in &USERS {
        let _ = write!(
            body,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            escape(user.username),
            escape(user.name),
            escape(user.email),
            escape(user.id),
        );
    }
    body.push_str("</table>");
    page(StatusCode::OK, "Sign in", &body)
}

/// An error page, shown instead of redirecting when the redirect target cannot be trusted.
/// `message` is escaped here.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Sign-in error</h1><p class=\"error\" role=\"alert\">{}</p>\
<p>The request was not sent back to the application because its redirect target could not be \
trusted. Check the client's registration in the dev-idp configuration.</p>",
        escape(message)
    );
    page(status, "Error", &body)
}

/// The page shown after `/end_session` without a redirect target.
pub(crate) fn signed_out_page() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        "<h1>Signed out</h1><p>You are signed out of dev-idp. You can close this window.</p>",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }
}
