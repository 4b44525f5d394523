//! The catalog: products, categories, search, featured products.

use std::sync::Arc;

use serde::Deserialize;

use super::{Items, UpstreamError};
use crate::aggregate::Screen;
use crate::ids::{CategoryId, ProductId};

/// The route classes of this upstream: each has its own circuit breaker (see
/// [`super::resilience`]), named in `resilience.route_circuits`.
pub mod route {
    /// Products in full and product cards.
    pub const PRODUCTS: &str = "products";
    /// Search result pages.
    pub const SEARCH: &str = "search";
    /// The home page's featured content.
    pub const FEATURED: &str = "featured";
    /// The category list.
    pub const CATEGORIES: &str = "categories";

    /// Every class, for validating `resilience.route_circuits`.
    pub const ALL: &[&str] = &[PRODUCTS, SEARCH, FEATURED, CATEGORIES];
}

super::typed_client!(
    /// Client of the catalog service.
    CatalogClient
);

/// A product with everything a detail page may show.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    /// Product id, e.g. `p00042`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Brand name.
    pub brand: String,
    /// Category id (a slug).
    pub category: String,
    /// Plain text, paragraphs separated by blank lines; a few KB.
    pub description: String,
    /// Bullet points.
    pub features: Vec<String>,
    /// Technical specification entries, in display order.
    pub specs: Vec<Spec>,
    /// Product images, the first is the main one.
    pub images: Vec<Image>,
    /// Purchasable variants (colours, sizes).
    pub variants: Vec<Variant>,
}

/// The part of a product that a compact product screen shows: the rest of the document
/// (brand, specs, features, variants) is skipped while parsing, never decoded into strings.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductSummary {
    /// Product id, e.g. `p00042`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Plain text, paragraphs separated by blank lines; a few KB.
    pub description: String,
    /// Product images, the first is the main one.
    pub images: Vec<Image>,
}

/// One specification entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Spec {
    /// E.g. `Weight`.
    pub name: String,
    /// E.g. `250 g`.
    pub value: String,
}

/// One image, available at several widths.
#[derive(Debug, Clone, Deserialize)]
pub struct Image {
    /// Alternative text.
    pub alt: String,
    /// The image's renditions, sorted by width, narrowest first.
    pub renditions: Vec<Rendition>,
}

/// One rendition of an image.
#[derive(Debug, Clone, Deserialize)]
pub struct Rendition {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Absolute URL.
    pub url: String,
}

/// A purchasable variant.
#[derive(Debug, Clone, Deserialize)]
pub struct Variant {
    /// Stock keeping unit.
    pub sku: String,
    /// E.g. `Black`.
    pub name: String,
}

/// What a product card needs: no description, the main image only.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductCard {
    /// Product id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Brand name.
    pub brand: String,
    /// Category id.
    pub category: String,
    /// The main image (possibly none).
    pub images: Vec<Image>,
}

/// A product category.
#[derive(Debug, Clone, Deserialize)]
pub struct Category {
    /// Slug, e.g. `audio`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Products in the category.
    pub product_count: u32,
}

/// A page of search results.
#[derive(Debug, Clone, Deserialize)]
pub struct SearchPage {
    /// Matches in all.
    pub total: u32,
    /// This page's cards.
    pub items: Vec<ProductCard>,
    /// Counts per category and brand.
    pub facets: Facets,
}

/// Search facets.
#[derive(Debug, Clone, Deserialize)]
pub struct Facets {
    /// Matches per category id.
    pub categories: Vec<FacetValue>,
    /// Matches per brand.
    pub brands: Vec<FacetValue>,
}

/// One facet value and its count.
#[derive(Debug, Clone, Deserialize)]
pub struct FacetValue {
    /// The value (a category id or a brand).
    pub value: String,
    /// How many matches have it.
    pub count: u32,
}

/// The home page's editorial content.
#[derive(Debug, Clone, Deserialize)]
pub struct Featured {
    /// The banner.
    pub hero: Hero,
    /// Featured product cards.
    pub items: Vec<ProductCard>,
}

/// The home page banner.
#[derive(Debug, Clone, Deserialize)]
pub struct Hero {
    /// Headline.
    pub title: String,
    /// Sub-headline.
    pub subtitle: String,
    /// The product the banner links to.
    pub product_id: String,
    /// Banner image.
    pub image: Image,
}

/// Sort orders the catalog supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchSort {
    /// Best match first (the default).
    #[default]
    Relevance,
    /// Alphabetical.
    Name,
    /// Newest first.
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
}

impl SearchSort {
    /// Parses the public name of a sort order.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "relevance" => Self::Relevance,
            "name" => Self::Name,
            "newest" => Self::Newest,
            "price_asc" => Self::PriceAsc,
            "price_desc" => Self::PriceDesc,
            _ => return None,
        })
    }

    /// The public name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relevance => "relevance",
            Self::Name => "name",
            Self::Newest => "newest",
            Self::PriceAsc => "price_asc",
            Self::PriceDesc => "price_desc",
        }
    }
}

/// A validated search request.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery<'a> {
    /// Free text.
    pub text: Option<&'a str>,
    /// Category id filter.
    pub category: Option<&'a CategoryId>,
    /// Sort order.
    pub sort: SearchSort,
    /// Results to skip.
    pub offset: u32,
    /// Results per page (at most 100).
    pub limit: u32,
}

impl CatalogClient {
    /// One product in full, shared with the cache (a hit copies nothing).
    pub async fn product(
        &self,
        screen: &Screen,
        id: &ProductId,
    ) -> Result<Arc<Product>, UpstreamError> {
        self.0
            .get_shared(screen, route::PRODUCTS, &["products", id.as_str()], &[])
            .await
    }

    /// One product, only what [`ProductSummary`] keeps: the same call as [`Self::product`], a
    /// smaller decoded value (cached apart from the full one), shared likewise.
    pub async fn product_summary(
        &self,
        screen: &Screen,
        id: &ProductId,
    ) -> Result<Arc<ProductSummary>, UpstreamError> {
        self.0
            .get_shared(screen, route::PRODUCTS, &["products", id.as_str()], &[])
            .await
    }

    /// Cards for `ids` in one call, in the order asked; unknown ids are left out.
    pub async fn cards<S: AsRef<str>>(
        &self,
        screen: &Screen,
        ids: &[S],
    ) -> Result<Vec<ProductCard>, UpstreamError> {
        self.0
            .get_batch(
                screen,
                route::PRODUCTS,
                &["products"],
                ids,
                &[("view", "card")],
            )
            .await
    }

    /// Products in full for `ids` in one call, in the order asked; unknown ids are left out.
    /// (bff-web's GraphQL batches the detail fields of many products into it.)
    pub async fn products<S: AsRef<str>>(
        &self,
        screen: &Screen,
        ids: &[S],
    ) -> Result<Vec<Product>, UpstreamError> {
        self.0
            .get_batch(screen, route::PRODUCTS, &["products"], ids, &[])
            .await
    }

    /// A page of search results.
    pub async fn search(
        &self,
        screen: &Screen,
        query: &SearchQuery<'_>,
    ) -> Result<SearchPage, UpstreamError> {
        let offset = query.offset.to_string();
        let limit = query.limit.to_string();
        let mut params = vec![
            ("sort", query.sort.as_str()),
            ("offset", offset.as_str()),
            ("limit", limit.as_str()),
        ];
        if let Some(text) = query.text {
            params.push(("q", text));
        }
        if let Some(category) = query.category {
            params.push(("category", category.as_str()));
        }
        self.0
            .get_json(screen, route::SEARCH, &["products", "search"], &params)
            .await
    }

    /// The hero banner and `limit` featured cards.
    pub async fn featured(&self, screen: &Screen, limit: u32) -> Result<Featured, UpstreamError> {
        self.0
            .get_limited(screen, route::FEATURED, &["featured"], limit)
            .await
    }

    /// All categories.
    pub async fn categories(&self, screen: &Screen) -> Result<Vec<Category>, UpstreamError> {
        let list: Items<Category> = self
            .0
            .get_json(screen, route::CATEGORIES, &["categories"], &[])
            .await?;
        Ok(list.items)
    }
}
