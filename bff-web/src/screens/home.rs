//! `GET /api/home`.
//!
//! Branch 1: featured products (critical) and popular ids (optional), then the popular cards and
//! ONE offers + ratings batch for both shelves. Branch 2: categories (optional).

use axum::extract::State;
use axum::response::Response;
use shared::aggregate::{CachePolicy, Screen, Section, always};
use shared::cards::{CardExtras, cards_for_ids, union_ids};
use shared::problem::Problem;

use crate::AppState;
use crate::views::home::HomePage;

/// Cards on the featured shelf.
const FEATURED: u32 = 24;
/// Cards on the popular shelf.
const POPULAR: usize = 12;

/// The home page.
#[utoipa::path(
    get,
    path = "/home",
    tag = "screens",
    summary = "The home page",
    description = "Hero, categories, 24 featured and 12 popular cards. Optional sections that \
        fail are left out (empty lists) and named in `degraded`.",
    responses((status = 200, description = "The home page.", body = HomePage)),
)]
pub async fn home(State(state): State<AppState>) -> Result<Response, Problem> {
    if let Some(kept) = state.screen_cache.get(KEPT_AS) {
        return Ok(kept);
    }
    // Boxed apart (see `shared::screen_cache`): a kept page moves no screen future.
    Box::pin(build(state)).await
}

/// What the page is kept as in the screen cache.
const KEPT_AS: &str = "home";

/// The page from its upstream calls, kept when it may be.
async fn build(state: AppState) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.home);
    let upstreams = &*state.upstreams;

    let shelves = async {
        let (featured, popular) = tokio::try_join!(
            screen.critical(upstreams.catalog.featured(&screen, FEATURED)),
            always(screen.optional(
                Section::Recommendations,
                upstreams.recommendations.popular(&screen, POPULAR as u32),
            )),
        )?;
        let mut popular_ids = popular.map(|p| p.product_ids).unwrap_or_default();
        popular_ids.truncate(POPULAR);
        let all_ids = union_ids(
            featured.items.iter().map(|c| c.id.as_str()),
            popular_ids.iter().map(String::as_str),
        );
        let (popular, extras) = tokio::join!(
            cards_for_ids(&screen, upstreams, Section::Recommendations, &popular_ids),
            CardExtras::fetch(&screen, upstreams, &all_ids),
        );
        Ok::<_, Problem>((featured, popular, extras))
    };
    let ((featured, popular, extras), categories) = tokio::try_join!(
        shelves,
        always(screen.optional(Section::Categories, upstreams.catalog.categories(&screen))),
    )?;

    let categories = categories.unwrap_or_default();
    let view = HomePage::new(&featured, &popular, &categories, &extras, screen.degraded());
    let response = screen.respond(&view, CachePolicy::PUBLIC);
    Ok(state
        .screen_cache
        .keep(KEPT_AS.to_owned(), &screen, response)
        .await)
}
