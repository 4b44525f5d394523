//! Offers: price, discount, stock and delivery per product.

use serde::Deserialize;

use super::UpstreamError;
use crate::aggregate::Screen;

/// The route classes of this upstream: each has its own circuit breaker (see
/// [`super::resilience`]), named in `resilience.route_circuits`.
pub mod route {
    /// Prices, stock and delivery of products.
    pub const OFFERS: &str = "offers";

    /// Every class, for validating `resilience.route_circuits`.
    pub const ALL: &[&str] = &[OFFERS];
}

super::typed_client!(
    /// Client of the offers service.
    OffersClient
);

/// The current offer for one product.
#[derive(Debug, Clone, Deserialize)]
pub struct Offer {
    /// Product id.
    pub product_id: String,
    /// Price to pay, in minor units.
    pub price_cents: i64,
    /// Price before discount, in minor units (equal to `price_cents` without a discount).
    pub list_price_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Discount in percent, 0 when none.
    pub discount_percent: u8,
    /// Units in stock; 0 is out of stock.
    pub stock: u32,
    /// Delivery estimate.
    pub delivery: Delivery,
}

/// A delivery estimate in days.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Delivery {
    /// Earliest.
    pub min_days: u16,
    /// Latest.
    pub max_days: u16,
}

impl Offer {
    /// Whether the product can be bought now.
    pub fn in_stock(&self) -> bool {
        self.stock > 0
    }

    /// The price as people read it, e.g. `€129.99`.
    pub fn price_display(&self) -> String {
        format_money(self.price_cents, &self.currency)
    }
}

/// Formats minor units of a currency for display (`€1,299.00`), in one string: a shelf formats
/// a price or two per card.
pub fn format_money(cents: i64, currency: &str) -> String {
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        _ => "",
    };
    let minor = cents.unsigned_abs();
    let mut digits = itoa::Buffer::new();
    let whole = digits.format(minor / 100);
    let mut out = String::with_capacity(whole.len() * 4 / 3 + currency.len() + 8);
    if cents < 0 {
        out.push('-');
    }
    out.push_str(symbol);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    // Below 100: two digits, each below 10.
    let fraction = (minor % 100) as u8;
    out.push('.');
    out.push(char::from(b'0' + fraction / 10));
    out.push(char::from(b'0' + fraction % 10));
    if symbol.is_empty() {
        out.push(' ');
        out.push_str(currency);
    }
    out
}

impl OffersClient {
    /// Offers for `ids` in one call, by product id.
    pub async fn offers<S: AsRef<str>>(
        &self,
        screen: &Screen,
        ids: &[S],
    ) -> Result<crate::ids::ById<Offer>, UpstreamError> {
        let offers: Vec<Offer> = self
            .0
            .get_batch(screen, route::OFFERS, &["offers"], ids, &[])
            .await?;
        Ok(offers
            .into_iter()
            .map(|offer| (offer.product_id.clone(), offer))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::format_money;

    #[test]
    fn money_is_grouped_and_has_two_decimals() {
        assert_eq!(format_money(129_999, "EUR"), "€1,299.99");
        assert_eq!(format_money(5, "USD"), "$0.05");
        assert_eq!(format_money(100_000_000, "GBP"), "£1,000,000.00");
        assert_eq!(format_money(1234, "CHF"), "12.34 CHF");
        assert_eq!(format_money(-1_050, "EUR"), "-€10.50");
        assert_eq!(format_money(0, "EUR"), "€0.00");
        for cents in 0..100 {
            assert_eq!(format_money(cents, "USD"), format!("$0.{cents:02}"));
        }
    }
}
