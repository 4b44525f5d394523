//! Accounts: the user's profile, cart and orders, always called with the user's own access token.

use http::Method;
use serde::{Deserialize, Serialize};

use super::{Items, UpstreamError};
use crate::aggregate::Screen;
use crate::cart_line::NewCartLine;
use crate::ids::ProductId;

/// The route classes of this upstream: each has its own circuit breaker (see
/// [`super::resilience`]), named in `resilience.route_circuits`.
pub mod route {
    /// The user's profile.
    pub const PROFILE: &str = "profile";
    /// Reading and changing the cart.
    pub const CART: &str = "cart";
    /// Past orders.
    pub const ORDERS: &str = "orders";

    /// Every class, for validating `resilience.route_circuits`.
    pub const ALL: &[&str] = &[PROFILE, CART, ORDERS];
}

super::typed_client!(
    /// Client of the accounts service.
    AccountsClient
);

/// The signed-in user's profile.
#[derive(Debug, Clone, Deserialize)]
pub struct Profile {
    /// User id (the token's subject).
    pub id: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// ISO date of sign-up.
    pub member_since: String,
}

/// The user's cart.
#[derive(Debug, Clone, Deserialize)]
pub struct Cart {
    /// Lines in the order they were added.
    pub items: Vec<CartLine>,
}

/// One cart line.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CartLine {
    /// Product id.
    pub product_id: String,
    /// Units, 1 to 99.
    pub quantity: u32,
}

/// One past order.
#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    /// Order id.
    pub id: String,
    /// ISO timestamp.
    pub placed_at: String,
    /// E.g. `delivered`.
    pub status: String,
    /// Total in minor units.
    pub total_cents: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl AccountsClient {
    /// The token's user's profile.
    pub async fn me(&self, screen: &Screen, access_token: &str) -> Result<Profile, UpstreamError> {
        self.0
            .get_as_user(screen, route::PROFILE, &["me"], &[], access_token)
            .await
    }

    /// The token's user's cart.
    pub async fn cart(&self, screen: &Screen, access_token: &str) -> Result<Cart, UpstreamError> {
        self.0
            .get_as_user(screen, route::CART, &["cart"], &[], access_token)
            .await
    }

    /// Adds units of a product to the cart; answers the new cart. Not retried: it is not
    /// idempotent.
    pub async fn add_to_cart(
        &self,
        screen: &Screen,
        access_token: &str,
        line: &NewCartLine,
    ) -> Result<Cart, UpstreamError> {
        self.0
            .call_as_user(
                screen,
                route::CART,
                Method::POST,
                &["cart", "items"],
                &[],
                access_token,
                Some(line),
            )
            .await
    }

    /// Removes a product's line from the cart; answers the new cart.
    pub async fn remove_from_cart(
        &self,
        screen: &Screen,
        access_token: &str,
        product_id: &ProductId,
    ) -> Result<Cart, UpstreamError> {
        self.0
            .call_as_user::<_, ()>(
                screen,
                route::CART,
                Method::DELETE,
                &["cart", "items", product_id.as_str()],
                &[],
                access_token,
                None,
            )
            .await
    }

    /// The token's user's past orders, newest first.
    pub async fn orders(
        &self,
        screen: &Screen,
        access_token: &str,
    ) -> Result<Vec<Order>, UpstreamError> {
        let orders: Items<Order> = self
            .0
            .get_as_user(screen, route::ORDERS, &["orders"], &[], access_token)
            .await?;
        Ok(orders.items)
    }
}
