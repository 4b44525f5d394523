//! The web BFF's two cookies: the session cookie (an opaque [`SessionId`]) and the short-lived
//! login cookie (the browser's logins in progress, sealed by bff-web's `auth::login_cookie`,
//! which binds the callback to the browser that started the login).
//!
//! Strict mode (the default) writes `__Host-` names, `Secure; HttpOnly; Path=/`, no `Domain`,
//! `SameSite=Strict` for the session and `Lax` for the login cookie (the callback is a top-level
//! navigation from the provider's site, which `Strict` would strip it from). Relaxed mode
//! ([`CookiePolicy`] with `secure = false`, for plain-HTTP development) drops `Secure` and the
//! `__Host-` prefix and keeps everything else.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

use super::{SessionId, SessionSettings};

/// The session cookie's name: the `__Host-` prefix makes the browser insist on `Secure`,
/// `Path=/` and no `Domain`.
pub const SESSION_COOKIE: &str = "__Host-session";

/// The cookie that carries a browser's logins in progress (sealed; see bff-web's
/// `auth::login_cookie`).
pub const LOGIN_COOKIE: &str = "__Host-login";

/// `Set-Cookie` for the session: `Secure; HttpOnly; SameSite=Strict; Path=/`, no `Domain`, no
/// `Max-Age` (a browser-session cookie; the server enforces the timeouts).
pub fn session_cookie(id: &SessionId) -> HeaderValue {
    cookie_header(SESSION_COOKIE, id.as_str(), "Strict", None, true)
}

/// `Set-Cookie` for the login cookie with `value` (base64url), for `login_timeout`.
/// `SameSite=Lax`: the callback arrives as a top-level navigation from the provider's site, which
/// `Strict` would strip the cookie from.
pub fn login_cookie(value: &str, settings: &SessionSettings) -> HeaderValue {
    cookie_header(
        LOGIN_COOKIE,
        value,
        "Lax",
        Some(settings.login_timeout),
        true,
    )
}

/// `Set-Cookie` that removes cookie `name` (logout, after the callback).
pub fn expired_cookie(name: &str) -> HeaderValue {
    cookie_header(name, "", "Lax", Some(Duration::ZERO), true)
}

/// `Set-Cookie` for `name=value`: `Path=/; HttpOnly`, `Secure` when `secure`, `SameSite` and
/// `Max-Age` as given.
fn cookie_header(
    name: &str,
    value: &str,
    same_site: &str,
    max_age: Option<Duration>,
    secure: bool,
) -> HeaderValue {
    let secure = if secure { " Secure;" } else { "" };
    let mut cookie = format!("{name}={value}; Path=/;{secure} HttpOnly; SameSite={same_site}");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", max_age.as_secs()));
    }
    // Names are constants and values base64url: always a valid header value.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The value of cookie `name` in the request's `Cookie` headers, if present exactly once.
pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    let mut found = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value);
    let first = found.next()?;
    // Two cookies of one name (e.g. one planted by a sibling domain): trust neither.
    found.next().is_none().then_some(first)
}

/// The session id of the request, if its cookie has the shape of one.
pub fn session_id_from(headers: &HeaderMap) -> Option<SessionId> {
    cookie_value(headers, SESSION_COOKIE).and_then(SessionId::parse)
}

/// The session cookie's name in relaxed mode.
pub const RELAXED_SESSION_COOKIE: &str = "session";
/// The login cookie's name in relaxed mode.
pub const RELAXED_LOGIN_COOKIE: &str = "login";

/// Writes and reads bff-web's cookies in the configured mode.
#[derive(Debug, Clone)]
pub struct CookiePolicy {
    /// Strict (`__Host-`, `Secure`) or relaxed.
    secure: bool,
    /// The session settings (the login cookie lives for `login_timeout`).
    sessions: SessionSettings,
}

impl CookiePolicy {
    /// The policy for `secure` cookies (or relaxed ones) with `sessions`' login timeout.
    pub fn new(secure: bool, sessions: &SessionSettings) -> Self {
        Self {
            secure,
            sessions: sessions.clone(),
        }
    }

    /// The session cookie's name.
    pub fn session_name(&self) -> &'static str {
        if self.secure {
            SESSION_COOKIE
        } else {
            RELAXED_SESSION_COOKIE
        }
    }

    /// The login cookie's name.
    pub fn login_name(&self) -> &'static str {
        if self.secure {
            LOGIN_COOKIE
        } else {
            RELAXED_LOGIN_COOKIE
        }
    }

    /// `Set-Cookie` for a new session: `SameSite=Strict`, no `Max-Age` (the server enforces the
    /// idle and absolute timeouts).
    pub fn session(&self, id: &SessionId) -> HeaderValue {
        cookie_header(
            self.session_name(),
            id.as_str(),
            "Strict",
            None,
            self.secure,
        )
    }

    /// `Set-Cookie` for the logins in progress (a sealed `value`), for `login_timeout`:
    /// `SameSite=Lax`.
    pub fn login(&self, value: &str) -> HeaderValue {
        cookie_header(
            self.login_name(),
            value,
            "Lax",
            Some(self.sessions.login_timeout),
            self.secure,
        )
    }

    /// `Set-Cookie` that removes the session cookie.
    pub fn clear_session(&self) -> HeaderValue {
        self.clear(self.session_name())
    }

    /// `Set-Cookie` that removes the login cookie.
    pub fn clear_login(&self) -> HeaderValue {
        self.clear(self.login_name())
    }

    fn clear(&self, name: &str) -> HeaderValue {
        cookie_header(name, "", "Lax", Some(Duration::ZERO), self.secure)
    }

    /// The session id the request carries, if its cookie is present once and well formed.
    pub fn session_id(&self, headers: &HeaderMap) -> Option<SessionId> {
        cookie_value(headers, self.session_name()).and_then(SessionId::parse)
    }

    /// Whether the request carries a session cookie at all (well formed or not).
    pub fn has_session_cookie(&self, headers: &HeaderMap) -> bool {
        cookie_value(headers, self.session_name()).is_some()
    }

    /// The login cookie's (sealed) value, if present once and not empty.
    pub fn login_value<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie_value(headers, self.login_name()).filter(|value| !value.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use axum::http::header::COOKIE;

    use super::*;

    #[test]
    fn cookies_are_host_prefixed_secure_http_only_and_same_site() {
        let id = SessionId::generate();
        let cookie = session_cookie(&id);
        assert_eq!(
            cookie.to_str().unwrap(),
            format!(
                "__Host-session={}; Path=/; Secure; HttpOnly; SameSite=Strict",
                id.as_str()
            )
        );
        let login = login_cookie("st", &SessionSettings::default());
        assert_eq!(
            login.to_str().unwrap(),
            "__Host-login=st; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"
        );
        assert!(
            expired_cookie(SESSION_COOKIE)
                .to_str()
                .unwrap()
                .ends_with("Max-Age=0")
        );
    }

    #[test]
    fn the_session_id_is_read_from_the_cookie_only_when_well_formed_and_unique() {
        let id = SessionId::generate();
        let mut headers = HeaderMap::new();
        assert_eq!(session_id_from(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("theme=dark; __Host-session={}", id.as_str())).unwrap(),
        );
        assert_eq!(session_id_from(&headers), Some(id.clone()));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=other"),
        );
        assert_eq!(session_id_from(&headers), None, "two session cookies");
        let mut tampered = HeaderMap::new();
        tampered.insert(
            header::COOKIE,
            HeaderValue::from_static("__Host-session=abc"),
        );
        assert_eq!(session_id_from(&tampered), None);
    }

    fn text(value: &HeaderValue) -> &str {
        value.to_str().unwrap()
    }

    #[test]
    fn strict_cookies_are_host_prefixed_and_secure_and_relaxed_ones_drop_only_that() {
        let settings = SessionSettings::default();
        let id = SessionId::generate();
        // Each mode's session, login, cleared session and cleared login cookie, in full (the
        // session id written `ID`).
        let cases = [
            (
                CookiePolicy::new(true, &settings),
                [
                    "__Host-session=ID; Path=/; Secure; HttpOnly; SameSite=Strict",
                    "__Host-login=st; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600",
                    "__Host-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
                    "__Host-login=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0",
                ],
            ),
            (
                CookiePolicy::new(false, &settings),
                [
                    "session=ID; Path=/; HttpOnly; SameSite=Strict",
                    "login=st; Path=/; HttpOnly; SameSite=Lax; Max-Age=600",
                    "session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                    "login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
                ],
            ),
        ];
        for (policy, expected) in cases {
            let written = [
                policy.session(&id),
                policy.login("st"),
                policy.clear_session(),
                policy.clear_login(),
            ];
            assert_eq!(
                written.map(|cookie| text(&cookie).replace(id.as_str(), "ID")),
                expected
            );
        }
    }

    #[test]
    fn each_mode_reads_only_its_own_cookie_names() {
        let id = SessionId::generate();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("session={}; login=abc", id.as_str())).unwrap(),
        );
        let relaxed = CookiePolicy::new(false, &SessionSettings::default());
        let strict = CookiePolicy::new(true, &SessionSettings::default());
        assert_eq!(relaxed.session_id(&headers), Some(id));
        assert_eq!(relaxed.login_value(&headers), Some("abc"));
        assert_eq!(strict.session_id(&headers), None);
        assert_eq!(strict.login_value(&headers), None);
    }
}
