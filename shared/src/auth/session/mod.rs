//! Server-side sessions for the web BFF.
//!
//! The browser's cookie holds only an opaque [`SessionId`] (32 random bytes, base64url); the
//! user and the [`TokenSet`] stay in a [`SessionStore`]: [`MemoryStore`] (the default: one
//! instance, lost on restart) or [`RedisStore`] (JSON values with a TTL). Nothing is stored before
//! a login completes: a login in progress lives in the browser's sealed login cookie (bff-web's
//! `auth::login_cookie`), so anonymous requests cannot grow the store.
//!
//! [`SessionManager`] adds the rules: a new id at every login, an idle timeout and an absolute
//! timeout, and the refresh of a session's access token inline, once per session however many
//! requests need it at the same time (single flight: concurrent requests wait for the one
//! refresh and use its result). An `invalid_grant` ends the session.
//!
//! Across instances sharing Redis, the refresh also takes a lease in the store
//! ([`SessionStore::acquire_refresh_lease`], `SET NX PX`): one instance refreshes, the others
//! poll the session until its new tokens are there. Without it two instances could both use the
//! same refresh token, and the provider's rotation would end the session.
//!
//! # Layout
//! - [`settings`] — [`SessionSettings`] and [`StoreKind`].
//! - [`id`] — [`SessionId`], the opaque id the cookie carries.
//! - [`store`] — what a session holds ([`Session`]) and where it is kept ([`SessionStore`],
//!   [`store_from_settings`]).
//! - [`memory`] — [`MemoryStore`]; [`redis`] — [`RedisStore`].
//! - [`refresher`] — [`TokenRefresher`], what renews a session's tokens.
//! - [`manager`] — [`SessionManager`]: timeouts, a new id per login, single-flight refresh.
//! - [`cookies`] — the session and login cookies, strict (`__Host-`, `Secure`) or relaxed
//!   ([`CookiePolicy`]).

pub mod cookies;
pub mod id;
pub mod manager;
pub mod memory;
pub mod redis;
pub mod refresher;
pub mod settings;
pub mod store;

pub use cookies::{
    CookiePolicy, LOGIN_COOKIE, RELAXED_LOGIN_COOKIE, RELAXED_SESSION_COOKIE, SESSION_COOKIE,
    cookie_value, expired_cookie, login_cookie, session_cookie, session_id_from,
};
pub use id::SessionId;
pub use manager::{SessionError, SessionManager, SessionSetupError};
pub use memory::MemoryStore;
pub use redis::RedisStore;
pub use refresher::TokenRefresher;
pub use settings::{SessionSettings, StoreKind};
pub use store::{Session, SessionStore, StoreError, store_from_settings};
