//! `GET /v1/home`: featured products and popular products, as compact cards.
//!
//! Stage 1, concurrently: the featured cards (critical: without them there is no home screen) and
//! the popular product ids (optional, "recommendations"; given at most 60% of the deadline so
//! stage 2 keeps time when recommendations are slow). Stage 2, concurrently: the popular products'
//! cards, and one offers call plus one ratings call for both shelves together.
//!
//! With a valid bearer token ([`MaybeAuthUser`]) the popular list is asked for with the user's
//! own token, so recommendations personalises it; a personalised list is sent as `for_you`
//! instead of `popular`, and the response is `Cache-Control: private` (the shelf is the user's).
//! Without a token the screen is the anonymous, publicly cacheable one; with an invalid token it
//! is a 401 (the app must learn that its token is broken), never the anonymous screen. Either way
//! the response says `Vary: Authorization`: its content depends on that header.

use axum::extract::State;
use axum::response::Response;
use shared::aggregate::{CachePolicy, Screen, Section, always};
use shared::auth::{AuthUser, MaybeAuthUser};
use shared::cards::{CardExtras, union_ids};
use shared::problem::Problem;

use super::{optional_within, respond_for_device};
use crate::AppState;
use crate::device::{Device, HintHeaders, HintQuery};
use crate::views::Card;
use crate::views::home::Home;

/// Cards on the featured shelf.
pub const FEATURED: u32 = 10;
/// Cards on the popular shelf.
pub const POPULAR: u32 = 6;

/// The home screen.
#[utoipa::path(
    get,
    path = "/home",
    tag = "screens",
    summary = "The home screen",
    description = "10 featured and 6 popular cards, one image URL each, picked for the device. \
        With a valid bearer token the second shelf is personalised and named `for_you` (and the \
        answer is `private`); an invalid token is a 401, never the anonymous screen.",
    security((), ("bearer" = [])),
    params(HintQuery, HintHeaders),
    responses(
        (status = 200, description = "The home screen.", body = Home),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 401, response = shared::openapi::Unauthorized),
    ),
)]
pub async fn home(
    State(state): State<AppState>,
    MaybeAuthUser(user): MaybeAuthUser,
    device: Device,
) -> Result<Response, Problem> {
    // Only the anonymous screen is the same for everyone.
    let kept_as = user
        .is_none()
        .then(|| format!("home/{}", device.cache_key()));
    if let Some(kept) = kept_as
        .as_deref()
        .and_then(|key| state.screen_cache.get(key))
    {
        return Ok(kept);
    }
    // Boxed apart (see `shared::screen_cache`): a kept screen moves no screen future.
    Box::pin(build(state, user, device, kept_as)).await
}

/// The screen from its upstream calls, kept as `kept_as` when it is the anonymous one.
async fn build(
    state: AppState,
    user: Option<AuthUser>,
    device: Device,
    kept_as: Option<String>,
) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.home);
    let upstreams = &state.upstreams;
    let stage_one_limit = screen.remaining() * 3 / 5;
    let recommendations = async {
        match &user {
            Some(user) => {
                upstreams
                    .recommendations
                    .popular_for_user(&screen, POPULAR, user.token.expose())
                    .await
            }
            None => upstreams.recommendations.popular(&screen, POPULAR).await,
        }
    };

    let (featured, popular) = tokio::try_join!(
        screen.critical(upstreams.catalog.featured(&screen, FEATURED)),
        always(optional_within(
            &screen,
            Section::Recommendations,
            stage_one_limit,
            recommendations,
        )),
    )?;
    let personalised = popular.as_ref().is_some_and(|popular| popular.personalised);
    let popular_ids = popular.map(|popular| popular.product_ids);

    let shelf_ids = union_ids(
        featured.items.iter().map(|card| card.id.as_str()),
        popular_ids.iter().flatten().map(String::as_str),
    );
    let (popular_cards, extras) = tokio::join!(
        async {
            let ids = popular_ids.as_deref()?;
            screen
                .optional(
                    Section::Recommendations,
                    upstreams.catalog.cards(&screen, ids),
                )
                .await
        },
        CardExtras::fetch(&screen, upstreams, &shelf_ids),
    );

    let shelf = popular_cards
        .as_deref()
        .map(|cards| Card::shelf(cards, &extras, &device));
    let (popular, for_you) = if personalised {
        (None, shelf)
    } else {
        (shelf, None)
    };
    let view = Home {
        featured: Card::shelf(&featured.items, &extras, &device),
        popular,
        for_you,
        degraded: screen.degraded(),
    };
    // Chosen by the user's token: for the user's own cache only.
    let cache = if user.is_some() {
        CachePolicy::PRIVATE
    } else {
        CachePolicy::PUBLIC
    };
    let mut response = respond_for_device(&screen, &view, cache);
    crate::add_vary(&mut response, "Authorization");
    Ok(match kept_as {
        Some(key) => state.screen_cache.keep(key, &screen, response).await,
        None => response,
    })
}
