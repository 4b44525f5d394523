//! `GET /v1/products/{id}`: one product, compact: a price, a few images for this device, a short
//! summary, the rating, three review excerpts and related products.
//!
//! Stage 1, concurrently: the product (critical; unknown → 404), its offer ("offers"), its rating
//! and newest reviews ("reviews"), and its related products ("recommendations"). The related
//! shelf's stage 2 (the cards, one offers call and one ratings call) follows as soon as the related
//! ids are in, without waiting for the rest of stage 1, so a slow reviews service cannot starve it.

use axum::extract::State;
use axum::response::Response;
use shared::aggregate::{CachePolicy, Screen, Section, always};
use shared::cards::CardExtras;
use shared::ids::ProductId;
use shared::problem::Problem;
use shared::upstream::Upstreams;
use shared::upstream::catalog::ProductCard;
use shared::upstream::offers::Offer;

use super::respond_for_device;
use crate::AppState;
use crate::device::{Device, HintHeaders, HintQuery};
use crate::views::Card;
use crate::views::product::{self, ProductDetail, RatingView, ReviewView};

/// Reviews shown.
pub const REVIEWS: u32 = 3;
/// Related products shown.
pub const RELATED: u32 = 6;

/// The product screen.
#[utoipa::path(
    get,
    path = "/products/{id}",
    tag = "screens",
    summary = "A product screen",
    description = "Price, stock flag, up to 5 images, a summary of at most 300 characters, the \
        rating, the newest 3 reviews and 6 related cards.",
    params(ProductId, HintQuery, HintHeaders),
    responses(
        (status = 200, description = "The product screen.", body = ProductDetail),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 404, response = shared::openapi::NotFound),
    ),
)]
pub async fn product(
    State(state): State<AppState>,
    id: ProductId,
    device: Device,
) -> Result<Response, Problem> {
    let kept_as = format!("product/{}/{}", id.as_str(), device.cache_key());
    if let Some(kept) = state.screen_cache.get(&kept_as) {
        return Ok(kept);
    }
    // Boxed apart (see `shared::screen_cache`): a kept screen moves no screen future.
    Box::pin(build(state, id, device, kept_as)).await
}

/// The screen from its upstream calls, kept as `kept_as` when it may be.
async fn build(
    state: AppState,
    id: ProductId,
    device: Device,
    kept_as: String,
) -> Result<Response, Problem> {
    let id = &id;
    let screen = Screen::start(state.settings.screens.product);
    let upstreams = &state.upstreams;
    let just_this = [id.as_str()];

    let (product, offers, rating, reviews, related) = tokio::try_join!(
        screen.critical(upstreams.catalog.product_summary(&screen, id)),
        always(screen.optional(
            Section::Offers,
            upstreams.offers.offers(&screen, &just_this)
        )),
        always(screen.optional(Section::Reviews, upstreams.reviews.rating(&screen, id))),
        always(screen.optional(
            Section::Reviews,
            upstreams.reviews.reviews(&screen, id, 0, REVIEWS)
        )),
        always(related_shelf(&screen, upstreams, id)),
    )?;

    let offer = offers.as_ref().and_then(|offers| offers.get(id.as_str()));
    let view = ProductDetail {
        id: &product.id,
        name: &product.name,
        price: offer.map(Offer::price_display),
        in_stock: offer.map(Offer::in_stock),
        images: product::images(&product, &device),
        summary: product::summary(&product),
        rating: rating.as_ref().map(RatingView::of),
        reviews: reviews.as_ref().map(|page| {
            page.items
                .iter()
                .take(REVIEWS as usize)
                .map(ReviewView::of)
                .collect()
        }),
        related: related
            .as_ref()
            .map(|(cards, extras)| Card::shelf(cards, extras, &device)),
        degraded: screen.degraded(),
    };
    let response = respond_for_device(&screen, &view, CachePolicy::PUBLIC);
    Ok(state.screen_cache.keep(kept_as, &screen, response).await)
}

/// The related products' ids, then their cards, offers and ratings (one batched call each).
async fn related_shelf(
    screen: &Screen,
    upstreams: &Upstreams,
    id: &ProductId,
) -> Option<(Vec<ProductCard>, CardExtras)> {
    let related = screen
        .optional(
            Section::Recommendations,
            upstreams.recommendations.related(screen, id, RELATED),
        )
        .await?;
    let ids = &related.product_ids;
    let (cards, extras) = tokio::join!(
        screen.optional(
            Section::Recommendations,
            upstreams.catalog.cards(screen, ids),
        ),
        CardExtras::fetch(screen, upstreams, ids),
    );
    Some((cards?, extras))
}
