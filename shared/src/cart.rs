//! The cart as every BFF's cart screens read and change it: one accounts call with the user's
//! own token, critical (without it the screen fails), then the products of its lines.

use crate::aggregate::Screen;
use crate::cart_line::NewCartLine;
use crate::ids::ProductId;
use crate::problem::Problem;
use crate::upstream::accounts::{AccountsClient, Cart};

/// What a cart screen does to the cart before showing it.
#[derive(Debug, Clone, Copy)]
pub enum CartChange<'a> {
    /// Nothing: the cart as it is (`GET …/cart`).
    None,
    /// Adds units of a product, to its line if there is one (`POST …/cart/items`).
    Add(&'a NewCartLine),
    /// Removes a product's line; absent is not an error (`DELETE …/cart/items/{id}`).
    Remove(&'a ProductId),
}

impl CartChange<'_> {
    /// The cart after this change, from accounts called with `access_token` within `screen`'s
    /// deadline; a failure fails the screen.
    pub async fn apply(
        self,
        screen: &Screen,
        accounts: &AccountsClient,
        access_token: &str,
    ) -> Result<Cart, Problem> {
        let call = async {
            match self {
                Self::None => accounts.cart(screen, access_token).await,
                Self::Add(line) => accounts.add_to_cart(screen, access_token, line).await,
                Self::Remove(id) => accounts.remove_from_cart(screen, access_token, id).await,
            }
        };
        screen.critical(call).await
    }
}

/// The products of a cart's lines whose ids are well-formed: only those go into upstream URLs,
/// and a malformed one is shown without its card.
pub fn product_ids(cart: &Cart) -> Vec<ProductId> {
    cart.items
        .iter()
        .filter_map(|line| ProductId::parse(&line.product_id).ok())
        .collect()
}

/// The units in a cart, for its badge: saturating, because the accounts service's quantities
/// are not trusted to stay small (a plain sum overflowed on a fuzzed cart).
pub fn units(cart: &Cart) -> u32 {
    cart.items
        .iter()
        .fold(0, |units, line| units.saturating_add(line.quantity))
}
