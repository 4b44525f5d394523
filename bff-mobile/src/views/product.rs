//! `GET /v1/products/{id}`: the product screen, its rating and review excerpts.

use std::borrow::Cow;

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::upstream::catalog::ProductSummary;
use shared::upstream::reviews::{RatingSummary, Review};
use utoipa::ToSchema;

use super::Card;
use super::card::one_decimal;
use crate::device::Device;
use crate::text;

/// Longest product summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;
/// Longest review excerpt (title and body), in characters.
pub const REVIEW_MAX_CHARS: usize = 200;
/// Most images on a product screen.
pub const MAX_PRODUCT_IMAGES: usize = 5;

/// `GET /v1/products/{id}`.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDetail<'a> {
    /// Product id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed; absent when offers are unavailable.
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// Whether it can be bought now; absent when offers are unavailable.
    #[schema(nullable = false)]
    pub in_stock: Option<bool>,
    /// Up to five image URLs, one rendition each, picked for this device.
    pub images: Vec<&'a str>,
    /// The first paragraph(s) of the description, plain text, at most 300 characters.
    pub summary: Cow<'a, str>,
    /// Average and count of ratings; absent when reviews are unavailable.
    #[schema(nullable = false)]
    pub rating: Option<RatingView>,
    /// The newest three reviews, shortened; absent when reviews are unavailable.
    #[schema(nullable = false)]
    pub reviews: Option<Vec<ReviewView<'a>>>,
    /// Related products; absent when recommendations are unavailable.
    #[schema(nullable = false)]
    pub related: Option<Vec<Card<'a>>>,
    /// Sections left out; absent when complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

/// The product's first images, one rendition each, picked for the device.
pub fn images<'a>(product: &'a ProductSummary, device: &Device) -> Vec<&'a str> {
    product
        .images
        .iter()
        .filter_map(|image| device.image_url(image))
        .take(MAX_PRODUCT_IMAGES)
        .collect()
}

/// The description's first paragraph(s), plain text, at most [`SUMMARY_MAX_CHARS`].
pub fn summary(product: &ProductSummary) -> Cow<'_, str> {
    text::summary(&product.description, SUMMARY_MAX_CHARS)
}

/// A product's rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    /// Mean stars to one decimal, 0 without ratings.
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
}

impl RatingView {
    /// The rating service's summary, to one decimal.
    pub fn of(summary: &RatingSummary) -> Self {
        Self {
            average: one_decimal(summary.average),
            count: summary.count,
        }
    }
}

/// One review, shortened for a phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView<'a> {
    /// Display name of the author.
    pub author: &'a str,
    /// 1 to 5 stars.
    pub rating: u8,
    /// Title and body, at most 200 characters.
    pub text: String,
}

impl<'a> ReviewView<'a> {
    /// One review, its text shortened to an excerpt.
    pub fn of(review: &'a Review) -> Self {
        Self {
            author: &review.author,
            rating: review.rating,
            text: text::review_excerpt(&review.title, &review.body, REVIEW_MAX_CHARS),
        }
    }
}
