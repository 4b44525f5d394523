//! `GET /v1/me` and the cart (`GET /v1/cart` and the answer to every cart change).

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::ids::ById;
use shared::upstream::accounts::{Cart, Profile};
use shared::upstream::catalog::ProductCard;
use shared::upstream::offers::{Offer, format_money};
use utoipa::ToSchema;

use crate::device::Device;

/// `GET /v1/me`: what the app shows of its user.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me<'a> {
    /// Display name.
    pub name: &'a str,
    /// E-mail address.
    pub email: &'a str,
}

impl<'a> Me<'a> {
    /// The profile's name and e-mail, nothing else.
    pub fn of(profile: &'a Profile) -> Self {
        Self {
            name: &profile.name,
            email: &profile.email,
        }
    }
}

/// `GET /v1/cart`, and the answer to every cart change.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct CartView<'a> {
    /// Lines in the order they were added.
    pub items: Vec<CartItem<'a>>,
    /// The sum of price × quantity, as displayed (`€65.99`); absent when the cart is empty, a
    /// line's price is unknown, or the lines are in different currencies.
    #[schema(nullable = false)]
    pub total: Option<String>,
    /// Units in the cart, all lines together (the badge on the cart tab).
    pub count: u32,
    /// Sections left out (`catalog`, `offers`); absent when complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

/// One cart line.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct CartItem<'a> {
    /// Product id, for the product screen's route and for removing the line.
    pub product_id: &'a str,
    /// Units, 1 to 99.
    pub quantity: u32,
    /// Display name; absent when the catalog is unavailable or does not know the product.
    #[schema(nullable = false)]
    pub name: Option<&'a str>,
    /// Price of one unit as displayed; absent when offers are unavailable.
    #[schema(nullable = false)]
    pub price: Option<String>,
    /// The one rendition of the main image picked for this device; absent with the name.
    #[schema(nullable = false)]
    pub image: Option<&'a str>,
}

impl<'a> CartView<'a> {
    /// Shapes the cart with the cards and offers fetched for its lines.
    pub fn new(
        cart: &'a Cart,
        cards: &'a [ProductCard],
        offers: &ById<Offer>,
        device: &Device,
        degraded: Option<Vec<Section>>,
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
            count: shared::cart::units(cart),
            degraded,
        }
    }
}

/// Σ price × quantity, formatted, when every line has a price in one currency.
fn total(cart: &Cart, offers: &ById<Offer>) -> Option<String> {
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

    fn offers(prices: &[(&str, i64, &str)]) -> ById<Offer> {
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
            serde_json::to_value(Me::of(&profile)).unwrap(),
            json!({"name": "Ada Lovelace", "email": "ada@example.test"})
        );
    }
}
