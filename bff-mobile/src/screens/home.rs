//! `GET /v1/home`: featured products and popular products, as compact cards.
//!
//! Stage 1, concurrently: the featured cards (critical: without them there is no home screen) and
//! the popular product ids (optional, "recommendations"; given at most 60% of the deadline so
//! stage 2 keeps time when recommendations are slow). Stage 2, concurrently: the popular products'
//! cards, and one offers call plus one ratings call for both shelves together.

use axum::extract::State;
use axum::response::Response;
use shared::aggregate::Screen;
use shared::cards::CardExtras;
use shared::problem::Problem;

use super::{always, optional_within, respond_for_device};
use crate::AppState;
use crate::device::Device;
use crate::views::{Card, Home};

/// Cards on the featured shelf.
pub const FEATURED: u32 = 10;
/// Cards on the popular shelf.
pub const POPULAR: u32 = 6;

/// The home screen.
pub async fn home(State(state): State<AppState>, device: Device) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.home);
    let upstreams = &state.upstreams;
    let stage_one_limit = screen.remaining() * 3 / 5;

    let (featured, popular) = tokio::try_join!(
        screen.critical(upstreams.catalog.featured(&screen, FEATURED)),
        always(optional_within(
            &screen,
            "recommendations",
            stage_one_limit,
            upstreams.recommendations.popular(&screen, POPULAR),
        )),
    )?;
    let popular_ids = popular.map(|popular| popular.product_ids);

    let shelf_ids = union(
        featured.items.iter().map(|card| card.id.as_str()),
        popular_ids.iter().flatten().map(String::as_str),
    );
    let (popular_cards, extras) = tokio::join!(
        async {
            let ids = popular_ids.as_deref()?;
            screen
                .optional("recommendations", upstreams.catalog.cards(&screen, ids))
                .await
        },
        CardExtras::fetch(&screen, upstreams, &shelf_ids),
    );

    let view = Home {
        featured: Card::shelf(&featured.items, &extras, &device),
        popular: popular_cards
            .as_deref()
            .map(|cards| Card::shelf(cards, &extras, &device)),
        degraded: screen.degraded(),
    };
    Ok(respond_for_device(&screen, &view))
}

/// The ids of both shelves, each once, in order.
fn union<'a>(
    first: impl Iterator<Item = &'a str>,
    second: impl Iterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = Vec::with_capacity((FEATURED + POPULAR) as usize);
    for id in first.chain(second) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shelf_ids_are_unique_and_keep_their_order() {
        let ids = union(
            ["a", "b", "c"].into_iter(),
            ["c", "d", "a", "e"].into_iter(),
        );
        assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    }
}
