//! `GET /api/products/{id}`.
//!
//! Concurrently: the product (critical; unknown → 404), its offer, rating and first review page,
//! the category list for the breadcrumb (each optional), and related ids (optional) chained to
//! their cards and ONE offers + ratings batch.

use axum::extract::{Path, State};
use axum::response::Response;
use shared::aggregate::Screen;
use shared::cards::{CardExtras, cards_for_ids};
use shared::ids;
use shared::problem::Problem;

use super::PUBLIC_SCREEN;
use crate::AppState;
use crate::views::card;
use crate::views::product::{
    OfferView, ProductPage, ProductView, REVIEWS_PER_PAGE, RatingView, ReviewsView, breadcrumbs,
};
use shared::aggregate::always;

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
    params(("id" = String, Path, description = "Product id.", pattern = "^[A-Za-z0-9_-]{1,32}$",
        example = "p00042")),
    responses(
        (status = 200, description = "The product page.", body = ProductPage),
        (status = 400, response = shared::openapi::BadRequest),
        (status = 404, response = shared::openapi::NotFound),
    ),
)]
pub async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = ids::product_id(&id)?;
    let screen = Screen::start(state.settings.screens.product);
    let upstreams = &*state.upstreams;

    let related = async {
        let related = screen
            .optional(
                "recommendations",
                upstreams
                    .recommendations
                    .related(&screen, id, RELATED as u32),
            )
            .await;
        let mut ids = related.map(|r| r.product_ids).unwrap_or_default();
        ids.truncate(RELATED);
        let (cards, extras) = tokio::join!(
            cards_for_ids(&screen, upstreams, "recommendations", &ids),
            CardExtras::fetch(&screen, upstreams, &ids),
        );
        Ok::<_, Problem>((cards, extras))
    };
    let this = [id];
    let (product, offers, rating, reviews, (related, extras), categories) = tokio::try_join!(
        screen.critical(upstreams.catalog.product(&screen, id)),
        always(screen.optional("offers", upstreams.offers.offers(&screen, &this))),
        always(screen.optional("reviews", upstreams.reviews.rating(&screen, id))),
        always(screen.optional(
            "reviews",
            upstreams.reviews.reviews(&screen, id, 0, REVIEWS_PER_PAGE),
        )),
        related,
        always(screen.optional("categories", upstreams.catalog.categories(&screen))),
    )?;

    let categories = categories.unwrap_or_default();
    let view = ProductPage {
        product: ProductView::of(&product),
        offer: offers.as_ref().and_then(|o| o.get(id)).map(OfferView::of),
        rating: rating.as_ref().map(RatingView::of),
        reviews: reviews.as_ref().map(|page| ReviewsView::of(id, page)),
        related: card::cards(&related, &extras),
        breadcrumbs: breadcrumbs(&product, &categories),
        degraded: screen.degraded(),
    };
    Ok(screen.respond(&view, PUBLIC_SCREEN))
}
