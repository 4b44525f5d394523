//! The app's screens, one module each: which upstream calls a screen makes, concurrently, and
//! which of them it can do without.
//!
//! A handler validates its input before any upstream call, starts a [`Screen`] with its
//! deadline and runs its calls with `tokio::try_join!`: the critical call as is, optional ones
//! lifted by [`always`] (they cannot fail: they yield `None` and mark themselves degraded), so a
//! failed critical call answers at once instead of waiting for the optional calls in flight.

pub mod account;
pub mod home;
pub mod product;
pub mod search;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use futures::FutureExt as _;
use serde::Serialize;
use shared::aggregate::{CachePolicy, Screen, Section};
use shared::upstream::UpstreamError;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, device};

/// The `/v1` routes (the version gate is added around them in [`crate::app`]).
pub fn routes() -> Router<AppState> {
    api().into()
}

/// [`routes`] with their OpenAPI operations: each layer is documented where it is applied.
pub fn api() -> OpenApiRouter<AppState> {
    let mut api = public().merge(account::routes());
    shared::openapi::upstream_responses(api.get_openapi_mut());
    api
}

/// The screens anyone may see, with conditional GETs (`ETag`, 304).
fn public() -> OpenApiRouter<AppState> {
    let mut public = OpenApiRouter::new()
        .routes(routes!(home::home))
        .routes(routes!(product::product))
        .routes(routes!(search::search));
    shared::openapi::conditional_gets(public.get_openapi_mut());
    public
}

/// Renders a screen whose image URLs were picked for the device: `Cache-Control` by `cache`
/// (see [`Screen::respond`]), `Vary` on the device hints and `Accept-CH`.
fn respond_for_device<T: Serialize>(screen: &Screen, view: &T, cache: CachePolicy) -> Response {
    let mut response = screen.respond(view, cache);
    device::mark_device_dependent(&mut response);
    response
}

/// Runs an optional call of a screen's first stage within `limit` (less than the screen's
/// deadline), so that a slow optional upstream leaves the second stage time to run instead of
/// taking every other section down with it. Lateness marks `section` degraded.
///
/// A combinator, not an `async fn`, which would keep `call` twice (see `Screen::critical`).
fn optional_within<T>(
    screen: &Screen,
    section: Section,
    limit: Duration,
    call: impl Future<Output = Result<T, UpstreamError>>,
) -> impl Future<Output = Option<T>> {
    let within = tokio::time::timeout(limit, screen.optional(section, call));
    within.map(move |answer| match answer {
        Ok(value) => value,
        Err(_) => {
            tracing::warn!(
                section = section.as_str(),
                "optional section missed its stage's share of the deadline"
            );
            screen.degrade(section);
            None
        }
    })
}
