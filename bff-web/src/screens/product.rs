//! `GET /api/products/{id}`.
//!
//! Concurrently: the product (critical; unknown → 404), its offer, rating and first review page,
//! the category list for the breadcrumb (each optional), and related ids (optional) chained to
//! their cards and ONE offers + ratings batch.

use axum::extract::State;
use axum::response::Response;
use shared::aggregate::{CachePolicy, Screen, Section, always};
use shared::cards::{CardExtras, cards_for_ids};
use shared::ids::ProductId;
use shared::problem::Problem;

use crate::AppState;
use crate::views::card;
use crate::views::product::{
    OfferView, ProductPage, ProductView, REVIEWS_PER_PAGE, RatingView, ReviewsView, breadcrumbs,
};

/// Cards on the related shelf.
const RELATED: usize = 12;

/// The product page.
#[utoipa::path(
    get,
    path = "/products/{id}",
    tag = "screens",
    summary = "A product page",
    description = "Full detail, offer, rating histogram, the first 10 reviews with a `next` \
        link, 12 related cards and breadcrumbs.",
    params(ProductId),
    responses(
        (status = 200, description = "The product page.", body = ProductPage),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 404, response = shared::openapi::NotFound),
    ),
)]
pub async fn product(State(state): State<AppState>, id: ProductId) -> Result<Response, Problem> {
    let kept_as = format!("product/{}", id.as_str());
    if let Some(kept) = state.screen_cache.get(&kept_as) {
        return Ok(kept);
    }
    // Boxed apart (see `shared::screen_cache`): a kept page moves no screen future.
    Box::pin(build(state, id, kept_as)).await
}

/// The page from its upstream calls, kept as `kept_as` when it may be.
async fn build(state: AppState, id: ProductId, kept_as: String) -> Result<Response, Problem> {
    let id = &id;
    let screen = Screen::start(state.settings.screens.product);
    let upstreams = &*state.upstreams;

    let related = async {
        let related = screen
            .optional(
                Section::Recommendations,
                upstreams
                    .recommendations
                    .related(&screen, id, RELATED as u32),
            )
            .await;
        let mut ids = related.map(|r| r.product_ids).unwrap_or_default();
        ids.truncate(RELATED);
        let (cards, extras) = tokio::join!(
            cards_for_ids(&screen, upstreams, Section::Recommendations, &ids),
            CardExtras::fetch(&screen, upstreams, &ids),
        );
        Ok::<_, Problem>((cards, extras))
    };
    let this = [id.as_str()];
    let (product, offers, rating, reviews, (related, extras), categories) = tokio::try_join!(
        screen.critical(upstreams.catalog.product(&screen, id)),
        always(screen.optional(Section::Offers, upstreams.offers.offers(&screen, &this))),
        always(screen.optional(Section::Reviews, upstreams.reviews.rating(&screen, id))),
        always(screen.optional(
            Section::Reviews,
            upstreams.reviews.reviews(&screen, id, 0, REVIEWS_PER_PAGE),
        )),
        related,
        always(screen.optional(Section::Categories, upstreams.catalog.categories(&screen))),
    )?;

    let categories = categories.unwrap_or_default();
    let view = ProductPage {
        product: ProductView::of(&product),
        offer: offers
            .as_ref()
            .and_then(|o| o.get(id.as_str()))
            .map(OfferView::of),
        rating: rating.as_ref().map(RatingView::of),
        reviews: reviews
            .as_ref()
            .map(|page| ReviewsView::of(id.as_str(), page)),
        related: card::cards(&related, &extras),
        breadcrumbs: breadcrumbs(&product, &categories),
        degraded: screen.degraded(),
    };
    let response = screen.respond(&view, CachePolicy::PUBLIC);
    Ok(state.screen_cache.keep(kept_as, &screen, response).await)
}
