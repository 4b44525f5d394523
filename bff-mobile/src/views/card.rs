//! The product card of every shelf (home, related, search).

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::cards::CardExtras;
use shared::upstream::catalog::ProductCard;
use utoipa::ToSchema;

use crate::device::Device;

/// A product on a shelf (home, related, search).
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct Card<'a> {
    /// Product id, for the product screen's route.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Price to pay as displayed, e.g. `€129.99`; absent when offers are unavailable.
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// Average stars to one decimal; absent when unknown or unrated.
    #[schema(nullable = false)]
    pub rating: Option<f32>,
    /// The one rendition of the main image picked for this device.
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

/// Rounds to one decimal (4.25 → 4.3), as the app shows ratings.
pub(crate) fn one_decimal(value: f32) -> f32 {
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
