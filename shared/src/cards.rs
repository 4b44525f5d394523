//! Product cards: the shelves both BFFs show, assembled from one batched call per upstream.

use crate::aggregate::{Screen, Section};
use crate::ids::ById;
use crate::upstream::Upstreams;
use crate::upstream::catalog::ProductCard;
use crate::upstream::offers::Offer;
use crate::upstream::reviews::Rating;

/// Offers and ratings for a set of cards; a section whose upstream failed is empty and marked
/// degraded on the screen.
#[derive(Debug, Default)]
pub struct CardExtras {
    /// Offers by product id.
    pub offers: ById<Offer>,
    /// Ratings by product id.
    pub ratings: ById<Rating>,
}

impl CardExtras {
    /// Fetches offers and ratings for `ids`: one batched call each, concurrently.
    pub async fn fetch<S: AsRef<str>>(screen: &Screen, upstreams: &Upstreams, ids: &[S]) -> Self {
        let (offers, ratings) = tokio::join!(
            screen.optional(Section::Offers, upstreams.offers.offers(screen, ids)),
            screen.optional(Section::Reviews, upstreams.reviews.ratings(screen, ids)),
        );
        Self {
            offers: offers.unwrap_or_default(),
            ratings: ratings.unwrap_or_default(),
        }
    }

    /// The offer of one card, if known.
    pub fn offer(&self, card: &ProductCard) -> Option<&Offer> {
        self.offers.get(&card.id)
    }

    /// The rating of one card, if known.
    pub fn rating(&self, card: &ProductCard) -> Option<&Rating> {
        self.ratings.get(&card.id)
    }
}

/// Cards for product ids from a recommendation list: one batched catalog call. A failure marks
/// `section` degraded and yields no cards.
pub async fn cards_for_ids(
    screen: &Screen,
    upstreams: &Upstreams,
    section: Section,
    ids: &[String],
) -> Vec<ProductCard> {
    screen
        .optional(section, upstreams.catalog.cards(screen, ids))
        .await
        .unwrap_or_default()
}

/// The ids of `first`, then those of `second` not already in it, in order: one offers + ratings
/// batch for two shelves.
pub fn union_ids<'a>(
    first: impl IntoIterator<Item = &'a str>,
    second: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut ids: Vec<&str> = Vec::new();
    for id in first.into_iter().chain(second) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shelf_ids_are_unique_and_keep_their_order() {
        assert_eq!(
            union_ids(["a", "b", "c"], ["c", "d", "a", "e"]),
            ["a", "b", "c", "d", "e"]
        );
    }
}
