//! `GET /api/products/{id}` and its further review pages.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::upstream::catalog::{Category, Product, Spec, Variant};
use shared::upstream::offers::{Delivery, Offer};
use shared::upstream::reviews::{RatingSummary, Review, ReviewPage};
use utoipa::ToSchema;

use super::card::{Card, DetailImage, Price};
use super::home::category_href;

/// Reviews per page, on the product page and on each further page.
pub const REVIEWS_PER_PAGE: u32 = 10;
/// The furthest review offset a client may ask for (deeper pages are refused, not clamped).
pub const MAX_REVIEW_OFFSET: u32 = 10_000;

/// The product page.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductPage<'a> {
    /// The product itself.
    pub product: ProductView<'a>,
    /// Price, stock and delivery; absent when offers are degraded or there is no offer.
    #[schema(nullable = false)]
    pub offer: Option<OfferView<'a>>,
    /// Rating with histogram; absent when reviews are degraded.
    #[schema(nullable = false)]
    pub rating: Option<RatingView>,
    /// The first page of reviews; absent when reviews are degraded.
    #[schema(nullable = false)]
    pub reviews: Option<ReviewsView<'a>>,
    /// Related products (12 cards); empty when recommendations are degraded.
    pub related: Vec<Card<'a>>,
    /// Home › category › product.
    pub breadcrumbs: [Breadcrumb<'a>; 3],
    /// Sections left out, absent when the page is complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

/// The product's own fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView<'a> {
    /// Product id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Brand name.
    pub brand: &'a str,
    /// Category id.
    pub category: &'a str,
    /// Description paragraphs, in order.
    pub description: Vec<&'a str>,
    /// Bullet points.
    pub features: &'a [String],
    /// Specification entries, in display order.
    pub specs: Vec<SpecView<'a>>,
    /// Every image, the main one first.
    pub images: Vec<DetailImage<'a>>,
    /// Purchasable variants.
    pub variants: Vec<VariantView<'a>>,
}

impl<'a> ProductView<'a> {
    /// From the catalog's product.
    pub fn of(product: &'a Product) -> Self {
        Self {
            id: &product.id,
            name: &product.name,
            brand: &product.brand,
            category: &product.category,
            description: paragraphs(&product.description),
            features: &product.features,
            specs: product.specs.iter().map(SpecView::of).collect(),
            images: product.images.iter().filter_map(DetailImage::of).collect(),
            variants: product.variants.iter().map(VariantView::of).collect(),
        }
    }
}

/// Splits plain text at blank lines into trimmed, non-empty paragraphs.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// One specification entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpecView<'a> {
    /// E.g. `Weight`.
    pub name: &'a str,
    /// E.g. `250 g`.
    pub value: &'a str,
}

impl<'a> SpecView<'a> {
    fn of(spec: &'a Spec) -> Self {
        Self {
            name: &spec.name,
            value: &spec.value,
        }
    }
}

/// A purchasable variant.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView<'a> {
    /// Stock keeping unit.
    pub sku: &'a str,
    /// E.g. `Black`.
    pub name: &'a str,
}

impl<'a> VariantView<'a> {
    fn of(variant: &'a Variant) -> Self {
        Self {
            sku: &variant.sku,
            name: &variant.name,
        }
    }
}

/// Price, stock and delivery of the product.
#[derive(Debug, Serialize, ToSchema)]
pub struct OfferView<'a> {
    /// The price, as on cards.
    pub price: Price<'a>,
    /// Units in stock.
    pub stock: u32,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Delivery estimate.
    pub delivery: DeliveryView,
}

impl<'a> OfferView<'a> {
    /// From the offers service.
    pub fn of(offer: &'a Offer) -> Self {
        Self {
            price: Price::of(offer),
            stock: offer.stock,
            in_stock: offer.in_stock(),
            delivery: DeliveryView::of(offer.delivery),
        }
    }
}

/// A delivery estimate in days.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Earliest.
    pub min_days: u16,
    /// Latest.
    pub max_days: u16,
}

impl DeliveryView {
    fn of(delivery: Delivery) -> Self {
        Self {
            min_days: delivery.min_days,
            max_days: delivery.max_days,
        }
    }
}

/// The product's rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingView {
    /// Mean stars.
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
    /// Counts of 1 to 5 stars.
    pub histogram: [u32; 5],
}

impl RatingView {
    /// From the reviews service.
    pub fn of(rating: &RatingSummary) -> Self {
        Self {
            average: rating.average,
            count: rating.count,
            histogram: rating.histogram,
        }
    }
}

/// The first page of reviews on the product page.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsView<'a> {
    /// Reviews in all.
    pub total: u32,
    /// Newest first.
    pub items: Vec<ReviewView<'a>>,
    /// The next page, absent on the last.
    #[schema(nullable = false)]
    pub next: Option<String>,
}

impl<'a> ReviewsView<'a> {
    /// From the reviews service.
    pub fn of(product_id: &str, page: &'a ReviewPage) -> Self {
        Self {
            total: page.total,
            items: page.items.iter().map(ReviewView::of).collect(),
            next: next_reviews_link(product_id, page),
        }
    }
}

/// A further page of reviews (`GET /api/products/{id}/reviews?offset=`).
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewsPage<'a> {
    /// Whose reviews.
    pub product_id: &'a str,
    /// Reviews in all.
    pub total: u32,
    /// Reviews skipped.
    pub offset: u32,
    /// This page, newest first.
    pub items: Vec<ReviewView<'a>>,
    /// The next page, absent on the last.
    #[schema(nullable = false)]
    pub next: Option<String>,
}

impl<'a> ReviewsPage<'a> {
    /// From the reviews service; `product_id` has been validated.
    pub fn of(product_id: &'a str, offset: u32, page: &'a ReviewPage) -> Self {
        Self {
            product_id,
            total: page.total,
            offset,
            items: page.items.iter().map(ReviewView::of).collect(),
            next: next_reviews_link(product_id, page),
        }
    }
}

/// The link to the page after `page`, if there is one within the offset limit. `product_id`
/// must have been validated (it goes into the path as it is).
fn next_reviews_link(product_id: &str, page: &ReviewPage) -> Option<String> {
    let shown = u32::try_from(page.items.len()).ok()?;
    let next = page.offset.checked_add(shown)?;
    (shown > 0 && next < page.total && next <= MAX_REVIEW_OFFSET)
        .then(|| format!("/api/products/{product_id}/reviews?offset={next}"))
}

/// One review.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewView<'a> {
    /// Review id.
    pub id: &'a str,
    /// Display name of the author.
    pub author: &'a str,
    /// 1 to 5 stars.
    pub rating: u8,
    /// Headline.
    pub title: &'a str,
    /// Plain text.
    pub body: &'a str,
    /// ISO date.
    pub created_at: &'a str,
}

impl<'a> ReviewView<'a> {
    fn of(review: &'a Review) -> Self {
        Self {
            id: &review.id,
            author: &review.author,
            rating: review.rating,
            title: &review.title,
            body: &review.body,
            created_at: &review.created_at,
        }
    }
}

/// One step of the breadcrumb trail; the last has no link.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct Breadcrumb<'a> {
    /// What the step shows.
    pub name: &'a str,
    /// Where it leads.
    #[schema(nullable = false)]
    pub href: Option<String>,
}

/// Home › category › product; the category's name comes from the category list when it is
/// known, else its id stands in.
pub fn breadcrumbs<'a>(product: &'a Product, categories: &'a [Category]) -> [Breadcrumb<'a>; 3] {
    let category_name = categories
        .iter()
        .find(|c| c.id == product.category)
        .map_or(product.category.as_str(), |c| c.name.as_str());
    [
        Breadcrumb {
            name: "Home",
            href: Some("/".to_owned()),
        },
        Breadcrumb {
            name: category_name,
            href: category_href(&product.category),
        },
        Breadcrumb {
            name: &product.name,
            href: None,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(
            paragraphs("One.\n\n  Two.\n\n\n\nThree.\n"),
            ["One.", "Two.", "Three."]
        );
        assert!(paragraphs("").is_empty());
    }

    fn page(total: u32, offset: u32, items: usize) -> ReviewPage {
        let item = serde_json::json!({"id": "r", "author": "A", "rating": 5, "title": "t",
            "body": "b", "created_at": "2026-01-01"});
        serde_json::from_value(serde_json::json!({
            "total": total, "offset": offset, "limit": 10, "items": vec![item; items]
        }))
        .unwrap()
    }

    #[test]
    fn the_next_link_exists_only_while_reviews_remain() {
        assert_eq!(
            next_reviews_link("p00001", &page(57, 0, 10)).as_deref(),
            Some("/api/products/p00001/reviews?offset=10")
        );
        assert_eq!(next_reviews_link("p00001", &page(57, 50, 7)), None);
        assert_eq!(next_reviews_link("p00001", &page(10, 0, 10)), None);
        assert_eq!(next_reviews_link("p00001", &page(0, 0, 0)), None);
        assert_eq!(next_reviews_link("p00001", &page(99_999, 9_995, 10)), None);
    }
}
