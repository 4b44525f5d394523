//! The two cookies bff-web sets: the session cookie (an opaque session id) and the short-lived
//! login cookie (the browser's logins in progress, sealed by [`super::login_cookie`], which binds
//! the callback to the browser that started the login).
//!
//! Strict mode (`cookies.secure = true`, the default) uses shared's helpers: `__Host-` names,
//! `Secure; HttpOnly; Path=/`, no `Domain`, `SameSite=Strict` for the session and `Lax` for the
//! login cookie (the callback is a top-level navigation from the provider's site, which
//! `Strict` would strip it from). Relaxed mode drops `Secure` and the `__Host-` prefix and keeps
//! everything else; shared's helpers always write `Secure`, so relaxed cookies are written
//! here.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue};
use shared::auth::SessionSettings;
use shared::auth::session::{
    self, LOGIN_COOKIE, SESSION_COOKIE, SessionId, cookie_value, expired_cookie,
};

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
        if self.secure {
            session::session_cookie(id)
        } else {
            relaxed(self.session_name(), id.as_str(), "Strict", None)
        }
    }

    /// `Set-Cookie` for the logins in progress (a sealed `value`), for `login_timeout`:
    /// `SameSite=Lax`.
    pub fn login(&self, value: &str) -> HeaderValue {
        if self.secure {
            session::login_cookie(value, &self.sessions)
        } else {
            relaxed(
                self.login_name(),
                value,
                "Lax",
                Some(self.sessions.login_timeout),
            )
        }
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
        if self.secure {
            expired_cookie(name)
        } else {
            relaxed(name, "", "Lax", Some(Duration::ZERO))
        }
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

/// A cookie without `Secure` (and so without the `__Host-` prefix), otherwise as strict.
fn relaxed(name: &str, value: &str, same_site: &str, max_age: Option<Duration>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if let Some(max_age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", max_age.as_secs()));
    }
    // Names are constants and values base64url: always a valid header value.
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use axum::http::header::COOKIE;

    use super::*;

    fn text(value: &HeaderValue) -> &str {
        value.to_str().unwrap()
    }

    #[test]
    fn strict_cookies_are_host_prefixed_and_secure() {
        let policy = CookiePolicy::new(true, &SessionSettings::default());
        let id = SessionId::generate();
        assert_eq!(
            text(&policy.session(&id)),
            format!(
                "__Host-session={}; Path=/; Secure; HttpOnly; SameSite=Strict",
                id.as_str()
            )
        );
        assert_eq!(
            text(&policy.login("st")),
            "__Host-login=st; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"
        );
        assert_eq!(
            text(&policy.clear_session()),
            "__Host-session=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn relaxed_cookies_drop_secure_and_the_prefix_only() {
        let policy = CookiePolicy::new(false, &SessionSettings::default());
        let id = SessionId::generate();
        assert_eq!(
            text(&policy.session(&id)),
            format!("session={}; Path=/; HttpOnly; SameSite=Strict", id.as_str())
        );
        assert_eq!(
            text(&policy.login("st")),
            "login=st; Path=/; HttpOnly; SameSite=Lax; Max-Age=600"
        );
        assert_eq!(
            text(&policy.clear_login()),
            "login=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
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
