//! The JSON the app receives: as small as its screens allow.
//!
//! Views borrow from the decoded upstream data, so building one copies little. Sections the
//! screen had to leave out are absent (never `null`) and named in `degraded`; so are values that
//! are unknown (a price when offers are down, a rating without reviews).

use std::borrow::Cow;

use serde::Serialize;
use shared::cards::CardExtras;
use shared::upstream::catalog::{Product, ProductCard};
use shared::upstream::reviews::{RatingSummary, Review};

use crate::device::Device;
use crate::text;

/// Longest product summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;
/// Longest review excerpt (title and body), in characters.
pub const REVIEW_MAX_CHARS: usize = 200;
/// Most images on a product screen.
pub const MAX_PRODUCT_IMAGES: usize = 5;

/// A product on a shelf (home, related, search).
#[derive(Debug, Serialize)]
pub struct Card<'a> {
    /// Product id, for the product screen's route.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed, e.g. `€129.99`; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// Average stars to one decimal; absent when unknown or unrated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<f32>,
    /// The one rendition of the main image picked for this device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<&'a str>,
}

impl<'a> Card<'a> {
    /// A card from the catalog's card and the shelf's offers and ratings.
    pub fn new(card: &'a ProductCard, extras: &CardExtras, device: &Device) -> Self {
        Self {
            id: &card.id,
            name: &card.name,
            price: extras.offer(card).map(|offer| offer.price_display()),
            rating: extras
                .rating(card)
                .filter(|rating| rating.count > 0)
                .map(|rating| one_decimal(rating.average)),
            image: card
                .images
                .first()
                .and_then(|image| device.image_url(image)),
        }
    }

    /// Cards for a shelf, in the catalog's order.
    pub fn shelf(cards: &'a [ProductCard], extras: &CardExtras, device: &Device) -> Vec<Self> {
        cards
            .iter()
            .map(|card| Self::new(card, extras, device))
            .collect()
    }
}

/// `GET /v1/home`.
#[derive(Debug, Serialize)]
pub struct Home<'a> {
    /// The editors' picks.
    pub featured: Vec<Card<'a>>,
    /// Popular products; absent when recommendations are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub popular: Option<Vec<Card<'a>>>,
    /// Sections left out (`offers`, `reviews`, `recommendations`); absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<Vec<&'static str>>,
}

/// `GET /v1/products/{id}`.
#[derive(Debug, Serialize)]
pub struct ProductDetail<'a> {
    /// Product id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// Whether it can be bought now; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_stock: Option<bool>,
    /// Up to five image URLs, one rendition each, picked for this device.
    pub images: Vec<&'a str>,
    /// The first paragraph(s) of the description, plain text, at most 300 characters.
    pub summary: Cow<'a, str>,
    /// Average and count of ratings; absent when reviews are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<RatingView>,
    /// The newest three reviews, shortened; absent when reviews are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Vec<ReviewView<'a>>>,
    /// Related products; absent when recommendations are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<Card<'a>>>,
    /// Sections left out; absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<Vec<&'static str>>,
}

impl<'a> ProductDetail<'a> {
    /// The screen's fixed part, from the catalog's product; the optional sections start empty.
    pub fn new(product: &'a Product, device: &Device) -> Self {
        Self {
            id: &product.id,
            name: &product.name,
            price: None,
            in_stock: None,
            images: product
                .images
                .iter()
                .filter_map(|image| device.image_url(image))
                .take(MAX_PRODUCT_IMAGES)
                .collect(),
            summary: text::summary(&product.description, SUMMARY_MAX_CHARS),
            rating: None,
            reviews: None,
            related: None,
            degraded: None,
        }
    }
}

/// A product's rating.
#[derive(Debug, Serialize)]
pub struct RatingView {
    /// Mean stars to one decimal, 0 without ratings.
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
}

impl From<&RatingSummary> for RatingView {
    fn from(summary: &RatingSummary) -> Self {
        Self {
            average: one_decimal(summary.average),
            count: summary.count,
        }
    }
}

/// One review, shortened for a phone.
#[derive(Debug, Serialize)]
pub struct ReviewView<'a> {
    /// Display name of the author.
    pub author: &'a str,
    /// 1 to 5 stars.
    pub rating: u8,
    /// Title and body, at most 200 characters.
    pub text: String,
}

impl<'a> From<&'a Review> for ReviewView<'a> {
    fn from(review: &'a Review) -> Self {
        Self {
            author: &review.author,
            rating: review.rating,
            text: text::review_excerpt(&review.title, &review.body, REVIEW_MAX_CHARS),
        }
    }
}

/// `GET /v1/search`.
#[derive(Debug, Serialize)]
pub struct SearchResults<'a> {
    /// This page's products.
    pub items: Vec<Card<'a>>,
    /// Matches in all.
    pub total: u32,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Sections left out; absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degraded: Option<Vec<&'static str>>,
}

/// Rounds to one decimal (4.25 → 4.3), as the app shows ratings.
fn one_decimal(value: f32) -> f32 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_have_one_decimal_in_json() {
        for (value, json) in [
            (4.25_f32, "4.3"),
            (4.0, "4.0"),
            (3.149, "3.1"),
            (0.0, "0.0"),
        ] {
            assert_eq!(serde_json::to_string(&one_decimal(value)).unwrap(), json);
        }
    }
}
