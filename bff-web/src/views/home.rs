//! `GET /api/home`: the hero banner, the category list and two shelves.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use shared::cards::CardExtras;
use shared::ids;
use shared::upstream::catalog::{Category, Featured, Hero, ProductCard};
use utoipa::ToSchema;

use super::card::{self, Card, ResponsiveImage};

/// The home page.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct HomePage<'a> {
    /// The banner at the top.
    pub hero: HeroView<'a>,
    /// Every category; empty when the categories section is degraded.
    pub categories: Vec<CategoryLink<'a>>,
    /// The editorial shelf (24 cards).
    pub featured: Vec<Card<'a>>,
    /// The popular shelf (12 cards); empty when recommendations are degraded.
    pub popular: Vec<Card<'a>>,
    /// Sections left out, absent when the page is complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}

impl<'a> HomePage<'a> {
    /// Shapes the page from what the upstreams returned.
    pub fn new(
        featured: &'a Featured,
        popular: &'a [ProductCard],
        categories: &'a [Category],
        extras: &'a CardExtras,
        degraded: Option<Vec<Section>>,
    ) -> Self {
        Self {
            hero: HeroView::of(&featured.hero),
            categories: categories.iter().map(CategoryLink::of).collect(),
            featured: card::cards(&featured.items, extras),
            popular: card::cards(popular, extras),
            degraded,
        }
    }
}

/// The banner.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct HeroView<'a> {
    /// Headline.
    pub title: &'a str,
    /// Sub-headline.
    pub subtitle: &'a str,
    /// The product the banner advertises.
    pub product_id: &'a str,
    /// Its page (absent if the catalog sent a malformed id).
    #[schema(nullable = false)]
    pub href: Option<String>,
    /// The banner image, every rendition in `srcset`.
    #[schema(nullable = false)]
    pub image: Option<ResponsiveImage<'a>>,
}

impl<'a> HeroView<'a> {
    /// From the catalog's hero.
    pub fn of(hero: &'a Hero) -> Self {
        Self {
            title: &hero.title,
            subtitle: &hero.subtitle,
            product_id: &hero.product_id,
            href: card::product_href(&hero.product_id),
            image: ResponsiveImage::of(&hero.image),
        }
    }
}

/// A category in the navigation.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryLink<'a> {
    /// Slug, e.g. `audio`.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Products in it.
    pub product_count: u32,
    /// The search page filtered to it (absent if the catalog sent a malformed id).
    #[schema(nullable = false)]
    pub href: Option<String>,
}

impl<'a> CategoryLink<'a> {
    /// From the catalog's category.
    pub fn of(category: &'a Category) -> Self {
        Self {
            id: &category.id,
            name: &category.name,
            product_count: category.product_count,
            href: category_href(&category.id),
        }
    }
}

/// The search page filtered to a category, or `None` when `id` is not a well-formed slug.
pub fn category_href(id: &str) -> Option<String> {
    ids::category_id(id)
        .ok()
        .map(|id| format!("/search?category={id}"))
}
