//! The browser's screens, one module each. A handler validates its input before any upstream
//! call, starts a [`shared::aggregate::Screen`] with its deadline, runs its upstream calls
//! concurrently (each `critical` or `optional`), shapes the view and sets `Cache-Control`.
//!
//! Screens use `tokio::try_join!` with optional sections lifted by
//! [`shared::aggregate::always`] (which cannot fail), so a failed critical call answers at once
//! instead of waiting for the optional calls still in flight; a call that depends on another
//! (cards for recommended ids) is chained inside its own branch, so one slow section never eats
//! the time another branch needs.

pub mod account;
mod home;
mod product;
mod reviews;
mod search;

use axum::{Router, middleware};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::csrf;
use crate::{AppState, openapi};

/// The `/api` routes. Every one of them requires `X-CSRF: 1` and refuses cross-site requests
/// ([`csrf::require`]) before anything else runs.
pub fn routes() -> Router<AppState> {
    api().into()
}

/// [`routes`] with their OpenAPI operations: each layer is documented where it is applied.
pub fn api() -> OpenApiRouter<AppState> {
    let mut api = public()
        .merge(account::routes())
        .route_layer(middleware::from_fn(csrf::require));
    shared::openapi::upstream_responses(api.get_openapi_mut());
    openapi::csrf_protected(api.get_openapi_mut());
    api
}

/// The screens anyone may see, with conditional GETs (`ETag`, 304).
fn public() -> OpenApiRouter<AppState> {
    let mut public = OpenApiRouter::new()
        .routes(routes!(home::home))
        .routes(routes!(product::product))
        .routes(routes!(reviews::reviews))
        .routes(routes!(search::search));
    shared::openapi::conditional_gets(public.get_openapi_mut());
    public
}

/// A query parameter that is absent or empty (as an untouched form field sends it) is `None`.
fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// Parses a small non-negative decimal integer strictly: ASCII digits only (no sign, no
/// spaces), at most `max_digits` of them.
pub(crate) fn parse_decimal(value: &str, max_digits: usize) -> Option<u32> {
    if value.is_empty() || value.len() > max_digits || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_digits() {
        assert_eq!(parse_decimal("007", 3), Some(7));
        assert_eq!(parse_decimal("400", 3), Some(400));
        for bad in ["", "+1", "-1", " 1", "1.0", "abc", "1000", "０"] {
            assert_eq!(parse_decimal(bad, 3), None, "{bad}");
        }
    }
}
