//! The signed-in user's profile and cart.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::cards::CardExtras;
use shared::upstream::accounts::{Cart, Profile};
use shared::upstream::catalog::ProductCard;
use shared::upstream::offers::format_money;
use utoipa::ToSchema;

use super::card::Card;

/// `GET /api/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileView<'a> {
    /// The user's id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// E-mail address.
    pub email: &'a str,
    /// ISO date of sign-up.
    pub member_since: &'a str,
}

impl<'a> ProfileView<'a> {
    /// From the accounts profile.
    pub fn of(profile: &'a Profile) -> Self {
        Self {
            id: &profile.id,
            name: &profile.name,
            email: &profile.email,
            member_since: &profile.member_since,
        }
    }
}

/// The cart page (`GET /api/cart`, and the answer to every cart change).
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct CartPage<'a> {
    /// Lines in the order they were added.
    pub items: Vec<CartItem<'a>>,
    /// Units in the cart, all lines together (the badge on the cart icon).
    pub item_count: u32,
    /// The sum of the lines; absent when a line has no known price or currencies differ.
    #[schema(nullable = false)]
    pub subtotal: Option<Money<'a>>,
    /// Sections left out (`catalog`, `offers`, `reviews`); absent when complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

/// One cart line.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct CartItem<'a> {
    /// Product id.
    pub product_id: &'a str,
    /// Units, 1 to 99.
    pub quantity: u32,
    /// The product's card; absent when the catalog is degraded or does not know the product.
    #[schema(nullable = false)]
    pub product: Option<Card<'a>>,
    /// Price × quantity; absent when the price is unknown.
    #[schema(nullable = false)]
    pub line_total: Option<Money<'a>>,
}

/// An amount of money, exact and formatted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Money<'a> {
    /// Minor units.
    pub amount_cents: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// Formatted for display (`€129.99`).
    pub display: String,
}

impl<'a> Money<'a> {
    fn new(amount_cents: i64, currency: &'a str) -> Self {
        Self {
            amount_cents,
            currency,
            display: format_money(amount_cents, currency),
        }
    }
}

impl<'a> CartPage<'a> {
    /// Shapes the cart with the cards and extras fetched for its lines.
    pub fn new(
        cart: &'a Cart,
        cards: &'a [ProductCard],
        extras: &'a CardExtras,
        degraded: Option<Vec<Section>>,
    ) -> Self {
        let mut subtotal: Option<(i64, &str)> = Some((0, ""));
        let items = cart
            .items
            .iter()
            .map(|line| {
                let offer = extras.offers.get(&line.product_id);
                let line_total = offer.and_then(|offer| {
                    offer
                        .price_cents
                        .checked_mul(i64::from(line.quantity))
                        .map(|cents| Money::new(cents, &offer.currency))
                });
                subtotal = match (subtotal, &line_total) {
                    (Some((sum, currency)), Some(total))
                        if currency.is_empty() || currency == total.currency =>
                    {
                        sum.checked_add(total.amount_cents)
                            .map(|sum| (sum, total.currency))
                    }
                    _ => None,
                };
                CartItem {
                    product_id: &line.product_id,
                    quantity: line.quantity,
                    product: cards
                        .iter()
                        .find(|card| card.id == line.product_id)
                        .and_then(|card| Card::new(card, extras)),
                    line_total,
                }
            })
            .collect();
        Self {
            items,
            item_count: shared::cart::units(cart),
            subtotal: subtotal
                .filter(|(_, currency)| !currency.is_empty())
                .map(|(cents, currency)| Money::new(cents, currency)),
            degraded,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cart(lines: &[(&str, u32)]) -> Cart {
        serde_json::from_value(json!({
            "items": lines.iter().map(|(id, q)| json!({"product_id": id, "quantity": q})).collect::<Vec<_>>(),
        }))
        .unwrap()
    }

    fn extras(prices: &[(&str, i64, &str)]) -> CardExtras {
        let mut extras = CardExtras::default();
        for (id, cents, currency) in prices {
            extras.offers.insert(
                (*id).to_owned(),
                serde_json::from_value(json!({
                    "product_id": id, "price_cents": cents, "list_price_cents": cents,
                    "currency": currency, "discount_percent": 0, "stock": 5,
                    "delivery": {"min_days": 1, "max_days": 3}
                }))
                .unwrap(),
            );
        }
        extras
    }

    #[test]
    fn a_cart_of_huge_quantities_counts_without_overflowing() {
        // Found by the `upstream_json` fuzz target: the sum overflowed (a panic with overflow
        // checks, a wrong count without).
        let cart = cart(&[("p00001", u32::MAX), ("p00002", 1)]);
        let page = serde_json::to_value(CartPage::new(&cart, &[], &extras(&[]), None)).unwrap();
        assert_eq!(page["item_count"], u32::MAX);
    }

    #[test]
    fn lines_are_priced_and_summed_when_every_price_is_known() {
        let cart = cart(&[("p00001", 2), ("p00002", 1)]);
        let extras = extras(&[("p00001", 1_000, "EUR"), ("p00002", 4_599, "EUR")]);
        let page = serde_json::to_value(CartPage::new(&cart, &[], &extras, None)).unwrap();
        assert_eq!(page["item_count"], 3);
        assert_eq!(page["items"][0]["line_total"]["amount_cents"], 2_000);
        assert_eq!(
            page["subtotal"],
            json!({"amount_cents": 6_599, "currency": "EUR", "display": "€65.99"})
        );
        assert!(page.get("degraded").is_none());
    }

    #[test]
    fn no_subtotal_when_a_price_is_missing_or_currencies_differ() {
        let cart = cart(&[("p00001", 2), ("p00002", 1)]);
        for extras in [
            extras(&[("p00001", 1_000, "EUR")]),
            extras(&[("p00001", 1_000, "EUR"), ("p00002", 4_599, "USD")]),
        ] {
            let page = serde_json::to_value(CartPage::new(&cart, &[], &extras, None)).unwrap();
            assert!(page.get("subtotal").is_none(), "{page}");
        }
        let empty = Cart { items: Vec::new() };
        let page = serde_json::to_value(CartPage::new(&empty, &[], &extras(&[]), None)).unwrap();
        assert_eq!(page, json!({"items": [], "item_count": 0}));
    }
}
