//! The JSON the app receives: as small as its screens allow.
//!
//! Views borrow from the decoded upstream data, so building one copies little. Sections the
//! screen had to leave out are absent (never `null`) and named in `degraded`; so are values that
//! are unknown (a price when offers are down, a rating without reviews).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Serialize;
use shared::cards::CardExtras;
use shared::upstream::accounts::{Cart, Profile};
use shared::upstream::catalog::{Product, ProductCard};
use shared::upstream::offers::{Offer, format_money};
use shared::upstream::reviews::{RatingSummary, Review};
use utoipa::ToSchema;

use crate::device::Device;
use crate::text;

/// Longest product summary, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;
/// Longest review excerpt (title and body), in characters.
pub const REVIEW_MAX_CHARS: usize = 200;
/// Most images on a product screen.
pub const MAX_PRODUCT_IMAGES: usize = 5;

/// A product on a shelf (home, related, search).
#[derive(Debug, Serialize, ToSchema)]
pub struct Card<'a> {
    /// Product id, for the product screen's route.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed, e.g. `€129.99`; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// Average stars to one decimal; absent when unknown or unrated.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rating: Option<f32>,
    /// The one rendition of the main image picked for this device.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct Home<'a> {
    /// The editors' picks.
    pub featured: Vec<Card<'a>>,
    /// Popular products, for anonymous requests; absent when recommendations are unavailable
    /// or when the list was personalised (then it is `for_you`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub popular: Option<Vec<Card<'a>>>,
    /// Popular products personalised for the token's user, instead of `popular`, when the
    /// request carried a valid bearer token; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub for_you: Option<Vec<Card<'a>>>,
    /// Sections left out (`offers`, `reviews`, `recommendations`); absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub degraded: Option<Vec<&'static str>>,
}

/// `GET /v1/products/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductDetail<'a> {
    /// Product id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// Whether it can be bought now; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub in_stock: Option<bool>,
    /// Up to five image URLs, one rendition each, picked for this device.
    pub images: Vec<&'a str>,
    /// The first paragraph(s) of the description, plain text, at most 300 characters.
    pub summary: Cow<'a, str>,
    /// Average and count of ratings; absent when reviews are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub rating: Option<RatingView>,
    /// The newest three reviews, shortened; absent when reviews are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reviews: Option<Vec<ReviewView<'a>>>,
    /// Related products; absent when recommendations are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub related: Option<Vec<Card<'a>>>,
    /// Sections left out; absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults<'a> {
    /// This page's products.
    pub items: Vec<Card<'a>>,
    /// Matches in all.
    pub total: u32,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub next_cursor: Option<String>,
    /// Sections left out; absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub degraded: Option<Vec<&'static str>>,
}

/// `GET /v1/me`: what the app shows of its user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me<'a> {
    /// Display name.
    pub name: &'a str,
    /// E-mail address.
    pub email: &'a str,
}

impl<'a> From<&'a Profile> for Me<'a> {
    fn from(profile: &'a Profile) -> Self {
        Self {
            name: &profile.name,
            email: &profile.email,
        }
    }
}

/// `GET /v1/cart`, and the answer to every cart change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView<'a> {
    /// Lines in the order they were added.
    pub items: Vec<CartItem<'a>>,
    /// The sum of price × quantity, as displayed (`€65.99`); absent when the cart is empty, a
    /// line's price is unknown, or the lines are in different currencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub total: Option<String>,
    /// Units in the cart, all lines together (the badge on the cart tab).
    pub count: u32,
    /// Sections left out (`catalog`, `offers`); absent when complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub degraded: Option<Vec<&'static str>>,
}

/// One cart line.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartItem<'a> {
    /// Product id, for the product screen's route and for removing the line.
    pub product_id: &'a str,
    /// Units, 1 to 99.
    pub quantity: u32,
    /// Display name; absent when the catalog is unavailable or does not know the product.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub name: Option<&'a str>,
    /// Price of one unit as displayed; absent when offers are unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// The one rendition of the main image picked for this device; absent with the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub image: Option<&'a str>,
}

impl<'a> CartView<'a> {
    /// Shapes the cart with the cards and offers fetched for its lines.
    pub fn new(
        cart: &'a Cart,
        cards: &'a [ProductCard],
        offers: &HashMap<String, Offer>,
        device: &Device,
        degraded: Option<Vec<&'static str>>,
    ) -> Self {
        let items = cart
            .items
            .iter()
            .map(|line| {
                let card = cards.iter().find(|card| card.id == line.product_id);
                CartItem {
                    product_id: &line.product_id,
                    quantity: line.quantity,
                    name: card.map(|card| card.name.as_str()),
                    price: offers.get(&line.product_id).map(Offer::price_display),
                    image: card
                        .and_then(|card| card.images.first())
                        .and_then(|image| device.image_url(image)),
                }
            })
            .collect();
        Self {
            items,
            total: total(cart, offers),
            // Saturating: the accounts service's quantities are not trusted to stay small (a
            // plain sum overflowed on a fuzzed cart).
            count: cart
                .items
                .iter()
                .fold(0, |count, line| count.saturating_add(line.quantity)),
            degraded,
        }
    }
}

/// Σ price × quantity, formatted, when every line has a price in one currency.
fn total(cart: &Cart, offers: &HashMap<String, Offer>) -> Option<String> {
    let mut currency: Option<&str> = None;
    let mut cents: i64 = 0;
    for line in &cart.items {
        let offer = offers.get(&line.product_id)?;
        if currency.is_some_and(|currency| currency != offer.currency) {
            return None;
        }
        currency = Some(&offer.currency);
        cents = offer
            .price_cents
            .checked_mul(i64::from(line.quantity))
            .and_then(|line_total| cents.checked_add(line_total))?;
    }
    currency.map(|currency| format_money(cents, currency))
}

/// Rounds to one decimal (4.25 → 4.3), as the app shows ratings.
fn one_decimal(value: f32) -> f32 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cart(lines: &[(&str, u32)]) -> Cart {
        serde_json::from_value(json!({
            "items": lines
                .iter()
                .map(|(id, q)| json!({"product_id": id, "quantity": q}))
                .collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    fn offers(prices: &[(&str, i64, &str)]) -> HashMap<String, Offer> {
        prices
            .iter()
            .map(|(id, cents, currency)| {
                let offer = serde_json::from_value(json!({
                    "product_id": id, "price_cents": cents, "list_price_cents": cents,
                    "currency": currency, "discount_percent": 0, "stock": 5,
                    "delivery": {"min_days": 1, "max_days": 3}
                }))
                .unwrap();
                ((*id).to_owned(), offer)
            })
            .collect()
    }

    fn device() -> Device {
        Device {
            target_width_px: 780,
            save_data: false,
        }
    }

    #[test]
    fn a_cart_is_totalled_when_every_price_is_known_in_one_currency() {
        let cart = cart(&[("p00001", 2), ("p00002", 1)]);
        let offers = offers(&[("p00001", 1_000, "EUR"), ("p00002", 4_599, "EUR")]);
        let view =
            serde_json::to_value(CartView::new(&cart, &[], &offers, &device(), None)).unwrap();
        assert_eq!(view["total"], "€65.99");
        assert_eq!(view["count"], 3);
        assert_eq!(
            view["items"][0],
            json!({"product_id": "p00001", "quantity": 2, "price": "€10.00"})
        );
        assert!(view.get("degraded").is_none());
    }

    #[test]
    fn no_total_when_a_price_is_missing_currencies_differ_or_the_cart_is_empty() {
        let two_lines = cart(&[("p00001", 2), ("p00002", 1)]);
        for offers in [
            offers(&[("p00001", 1_000, "EUR")]),
            offers(&[("p00001", 1_000, "EUR"), ("p00002", 4_599, "USD")]),
            offers(&[("p00001", i64::MAX, "EUR"), ("p00002", 1, "EUR")]),
        ] {
            let view =
                serde_json::to_value(CartView::new(&two_lines, &[], &offers, &device(), None))
                    .unwrap();
            assert!(view.get("total").is_none(), "{view}");
        }
        let empty = cart(&[]);
        let view = serde_json::to_value(CartView::new(&empty, &[], &offers(&[]), &device(), None))
            .unwrap();
        assert_eq!(view, json!({"items": [], "count": 0}));
    }

    #[test]
    fn a_cart_of_huge_quantities_counts_without_overflowing() {
        // Found by the `upstream_json` fuzz target: the sum overflowed (a panic with overflow
        // checks, a wrong badge without).
        let cart = cart(&[("p00001", u32::MAX), ("p00002", 1)]);
        let view =
            serde_json::to_value(CartView::new(&cart, &[], &offers(&[]), &device(), None)).unwrap();
        assert_eq!(view["count"], u32::MAX);
    }

    #[test]
    fn the_profile_is_name_and_email_only() {
        let profile: Profile = serde_json::from_value(json!({
            "id": "demo-user-1", "name": "Ada Lovelace", "email": "ada@example.test",
            "member_since": "2024-01-15"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(Me::from(&profile)).unwrap(),
            json!({"name": "Ada Lovelace", "email": "ada@example.test"})
        );
    }

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
