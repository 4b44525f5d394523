//! The session behind a GraphQL request, looked up only when a field needs it (`me`, `cart`,
//! the mutations): an anonymous product query costs no session lookup or token refresh.

use std::sync::Arc;

use async_graphql::Error;
use axum::extract::FromRequestParts as _;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use tokio::sync::OnceCell;

use super::errors::{coded, unauthenticated};
use crate::AppState;
use crate::auth::SignedIn;

/// The request's user, as [`SignedIn`] finds it (the same cookie and refresh as `/api`).
pub struct User {
    state: AppState,
    headers: HeaderMap,
    found: OnceCell<Result<Arc<SignedIn>, Refused>>,
}

/// Why there is no user: the status `/api` would answer, and the `Set-Cookie` that clears a
/// session cookie that led nowhere (as `/api`'s 401 clears it).
struct Refused {
    status: StatusCode,
    clear_cookie: Option<HeaderValue>,
}

impl User {
    /// The user of a request with `headers`.
    pub fn new(state: AppState, headers: HeaderMap) -> Self {
        Self {
            state,
            headers,
            found: OnceCell::new(),
        }
    }

    /// The session, once per request however many fields ask.
    pub async fn signed_in(&self) -> Result<Arc<SignedIn>, Error> {
        let found = self
            .found
            .get_or_init(|| async {
                let (mut parts, ()) = axum::http::Request::new(()).into_parts();
                parts.headers = self.headers.clone();
                SignedIn::from_request_parts(&mut parts, &self.state)
                    .await
                    .map(Arc::new)
                    .map_err(|problem| Refused {
                        status: problem.status_code(),
                        clear_cookie: problem.header(&header::SET_COOKIE).cloned(),
                    })
            })
            .await;
        match found {
            Ok(user) => Ok(user.clone()),
            Err(refused) if refused.status == StatusCode::UNAUTHORIZED => Err(unauthenticated()),
            Err(_) => Err(coded(
                "SESSION_UNAVAILABLE",
                "Sessions are unavailable right now; try again shortly.",
            )),
        }
    }
}

impl User {
    /// The `Set-Cookie` that clears the request's session cookie, when a field looked the
    /// session up and found it gone or ended.
    pub fn clear_cookie(&self) -> Option<HeaderValue> {
        match self.found.get() {
            Some(Err(refused)) => refused.clear_cookie.clone(),
            _ => None,
        }
    }
}
