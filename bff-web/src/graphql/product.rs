//! The `Product` type and what hangs off it: offer, rating, images with `srcset`, reviews and
//! related products.
//!
//! A product arrives either as a card (search, shelves, cart lines: id, name, brand, category,
//! main image) or in full (`Query.product`). Detail fields of a card are loaded in one batched
//! catalog call for every product of the query; offers and ratings likewise. Reviews and related
//! products have no batched upstream endpoint: they are served on `Query.product` only, never
//! below a list, so no query makes a call per list item.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use shared::aggregate::Section;
use shared::ids::ProductId;
use shared::upstream::catalog::{self, ProductCard};
use shared::upstream::offers;
use shared::upstream::reviews;

use super::errors;
use super::schema::QueryContext;
use crate::views::card::{ResponsiveImage, product_href};
use crate::views::product::MAX_REVIEW_OFFSET;

/// Reviews on one page at most.
const MAX_REVIEWS: i32 = 50;
/// Related products at most.
const MAX_RELATED: i32 = 24;

/// What is known of a product when it is made.
#[derive(Clone)]
enum Basics {
    Card(Arc<ProductCard>),
    Full(Arc<catalog::Product>),
}

/// A product, as a card or in full.
#[derive(Clone)]
pub struct Product {
    basics: Basics,
    /// Made by `Query.product`: the fields that cost a call per product are allowed.
    single: bool,
}

impl Product {
    /// A product of a list (search, shelves, cart, related).
    pub fn of_card(card: Arc<ProductCard>) -> Self {
        Self {
            basics: Basics::Card(card),
            single: false,
        }
    }

    /// The product of `Query.product`.
    pub fn single(product: Arc<catalog::Product>) -> Self {
        Self {
            basics: Basics::Full(product),
            single: true,
        }
    }

    fn id_str(&self) -> &str {
        match &self.basics {
            Basics::Card(card) => &card.id,
            Basics::Full(product) => &product.id,
        }
    }

    /// The id as the typed clients take it (an upstream's id that is not one: a bad input).
    fn product_id(&self) -> Result<ProductId> {
        ProductId::parse(self.id_str()).map_err(|_| errors::bad_input("bad id"))
    }

    /// The product in full: at hand, or from the batched catalog call of this query.
    async fn full(&self, ctx: &Context<'_>) -> Result<Option<Arc<catalog::Product>>> {
        if let Basics::Full(product) = &self.basics {
            return Ok(Some(product.clone()));
        }
        let q = QueryContext::of(ctx)?;
        q.loaders
            .products
            .load_one(self.id_str().to_owned())
            .await
            .map_err(|error| q.degrade(Section::Catalog, &error))
    }
}

/// A product, as the pages show it.
#[Object]
impl Product {
    /// The product id (`p00042`).
    async fn id(&self) -> ID {
        ID(self.id_str().to_owned())
    }

    /// Display name.
    async fn name(&self) -> &str {
        match &self.basics {
            Basics::Card(card) => &card.name,
            Basics::Full(product) => &product.name,
        }
    }

    /// Brand name.
    async fn brand(&self) -> &str {
        match &self.basics {
            Basics::Card(card) => &card.brand,
            Basics::Full(product) => &product.brand,
        }
    }

    /// Category id (a slug).
    async fn category(&self) -> &str {
        match &self.basics {
            Basics::Card(card) => &card.category,
            Basics::Full(product) => &product.category,
        }
    }

    /// The storefront's link to the product page.
    async fn href(&self) -> Option<String> {
        product_href(self.id_str())
    }

    /// The main image, ready for `<img src srcset>`.
    async fn main_image(&self) -> Option<Image> {
        let images = match &self.basics {
            Basics::Card(card) => &card.images,
            Basics::Full(product) => &product.images,
        };
        images.first().and_then(Image::of)
    }

    /// Every image, the main one first (null, with a `DEGRADED` error, when the catalog
    /// failed).
    async fn images(&self, ctx: &Context<'_>) -> Result<Option<Vec<Image>>> {
        let full = self.full(ctx).await?;
        Ok(full.map(|p| p.images.iter().filter_map(Image::of).collect()))
    }

    /// Plain-text paragraphs of the description.
    async fn description(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        let full = self.full(ctx).await?;
        Ok(full.map(|p| {
            crate::views::product::paragraphs(&p.description)
                .into_iter()
                .map(str::to_owned)
                .collect()
        }))
    }

    /// Bullet points.
    async fn features(&self, ctx: &Context<'_>) -> Result<Option<Vec<String>>> {
        Ok(self.full(ctx).await?.map(|p| p.features.clone()))
    }

    /// Specification entries, in display order.
    async fn specs(&self, ctx: &Context<'_>) -> Result<Option<Vec<Spec>>> {
        let full = self.full(ctx).await?;
        Ok(full.map(|p| p.specs.iter().map(Spec::of).collect()))
    }

    /// Purchasable variants.
    async fn variants(&self, ctx: &Context<'_>) -> Result<Option<Vec<Variant>>> {
        let full = self.full(ctx).await?;
        Ok(full.map(|p| p.variants.iter().map(Variant::of).collect()))
    }

    /// The current offer (null when there is none, or with a `DEGRADED` error for `offers`).
    async fn offer(&self, ctx: &Context<'_>) -> Result<Option<Offer>> {
        let q = QueryContext::of(ctx)?;
        let offer = q.loaders.offers.load_one(self.id_str().to_owned()).await;
        offer
            .map(|offer| offer.map(Offer))
            .map_err(|error| q.degrade(Section::Offers, &error))
    }

    /// The rating (with a `DEGRADED` error for `reviews` when unavailable). On `Query.product`
    /// it is the product's summary, histogram included (one call, as the REST page makes); on
    /// lists, the batched averages.
    async fn rating(&self, ctx: &Context<'_>) -> Result<Option<Rating>> {
        let q = QueryContext::of(ctx)?;
        if self.single {
            let id = self.product_id()?;
            let call = q.upstreams.reviews.rating(&q.screen, &id);
            let summary = q.optional(Section::Reviews, call).await?;
            return Ok(Some(Rating {
                average: f64::from(summary.average),
                count: summary.count,
                histogram: Some(summary.histogram),
            }));
        }
        let rating = q.loaders.ratings.load_one(self.id_str().to_owned()).await;
        rating
            .map(|rating| {
                rating.map(|r| Rating {
                    average: f64::from(r.average),
                    count: r.count,
                    histogram: None,
                })
            })
            .map_err(|error| q.degrade(Section::Reviews, &error))
    }

    /// Home, the product's category, the product: the page's trail. On `Query.product` only.
    /// When the category list is unavailable the category is named by its id (and `categories`
    /// is counted as degraded), as on the REST page.
    async fn breadcrumbs(&self, ctx: &Context<'_>) -> Result<Vec<Breadcrumb>> {
        let Basics::Full(product) = &self.basics else {
            return Err(errors::single_product_only("breadcrumbs"));
        };
        let q = QueryContext::of(ctx)?;
        let call = q.upstreams.catalog.categories(&q.screen);
        let categories = q.screen.optional(Section::Categories, call).await;
        let trail =
            crate::views::product::breadcrumbs(product, categories.as_deref().unwrap_or(&[]));
        Ok(trail
            .into_iter()
            .map(|crumb| Breadcrumb {
                name: crumb.name.to_owned(),
                href: crumb.href,
            })
            .collect())
    }

    /// A page of reviews, newest first: `first` (1 to 50) after the cursor `after`. On
    /// `Query.product` only.
    #[graphql(complexity = "5 + first.clamp(0, MAX_REVIEWS) as usize * child_complexity")]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: i32,
        after: Option<String>,
    ) -> Result<Option<ReviewConnection>> {
        if !self.single {
            return Err(errors::single_product_only("reviews"));
        }
        let offset = page_start(first, MAX_REVIEWS, after.as_deref(), MAX_REVIEW_OFFSET)?;
        let q = QueryContext::of(ctx)?;
        let id = self.product_id()?;
        let call = q
            .upstreams
            .reviews
            .reviews(&q.screen, &id, offset, first.unsigned_abs());
        let page = q.optional(Section::Reviews, call).await?;
        Ok(Some(ReviewConnection::of(offset, page)))
    }

    /// Related products, same category first (1 to 24). On `Query.product` only.
    #[graphql(complexity = "5 + first.clamp(0, MAX_RELATED) as usize * child_complexity")]
    async fn related(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12)] first: i32,
    ) -> Result<Option<Vec<Product>>> {
        if !self.single {
            return Err(errors::single_product_only("related"));
        }
        first_within(first, MAX_RELATED)?;
        let q = QueryContext::of(ctx)?;
        let id = self.product_id()?;
        let call = q
            .upstreams
            .recommendations
            .related(&q.screen, &id, first.unsigned_abs());
        q.recommended(call).await
    }
}

/// An image ready for `<img src srcset width height alt>`.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Image {
    /// Alternative text.
    alt: String,
    /// A mid-sized rendition, for clients that ignore `srcset`.
    src: String,
    /// Every rendition, `url 160w, url 320w, …`.
    srcset: String,
    /// Width of `src`.
    width: u32,
    /// Height of `src`.
    height: u32,
}

impl Image {
    /// As REST's `ResponsiveImage`; `None` when the image has no usable rendition.
    pub fn of(image: &catalog::Image) -> Option<Self> {
        let view = ResponsiveImage::of(image)?;
        Some(Self {
            alt: view.alt.to_owned(),
            src: view.src.to_owned(),
            srcset: view.srcset,
            width: view.width,
            height: view.height,
        })
    }
}

/// A specification entry.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Spec {
    /// E.g. `Weight`.
    name: String,
    /// E.g. `250 g`.
    value: String,
}

/// A purchasable variant.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Variant {
    /// Stock keeping unit.
    sku: String,
    /// E.g. `Black`.
    name: String,
}

impl Spec {
    fn of(spec: &catalog::Spec) -> Self {
        Self {
            name: spec.name.clone(),
            value: spec.value.clone(),
        }
    }
}

impl Variant {
    fn of(variant: &catalog::Variant) -> Self {
        Self {
            sku: variant.sku.clone(),
            name: variant.name.clone(),
        }
    }
}

/// The current offer of a product.
pub struct Offer(Arc<offers::Offer>);

/// The current offer of a product.
#[Object(serial)]
impl Offer {
    /// Price to pay, in minor units.
    async fn price_cents(&self) -> i64 {
        self.0.price_cents
    }
    /// Price before discount, in minor units.
    async fn list_price_cents(&self) -> i64 {
        self.0.list_price_cents
    }
    /// ISO 4217 code.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// The price as people read it (`€129.99`).
    async fn price(&self) -> String {
        self.0.price_display()
    }
    /// The price before discount as people read it; null without a discount.
    async fn list_price(&self) -> Option<String> {
        let o = &self.0;
        (o.list_price_cents > o.price_cents)
            .then(|| offers::format_money(o.list_price_cents, &o.currency))
    }
    /// Discount in percent, 0 when none.
    async fn discount_percent(&self) -> u8 {
        self.0.discount_percent
    }
    /// Units in stock.
    async fn stock(&self) -> u32 {
        self.0.stock
    }
    /// Whether it can be bought now.
    async fn in_stock(&self) -> bool {
        self.0.in_stock()
    }
    /// Earliest delivery, in days.
    async fn delivery_min_days(&self) -> u16 {
        self.0.delivery.min_days
    }
    /// Latest delivery, in days.
    async fn delivery_max_days(&self) -> u16 {
        self.0.delivery.max_days
    }
}

/// A product's rating.
pub struct Rating {
    average: f64,
    count: u32,
    /// Only from a single product's summary.
    histogram: Option<[u32; 5]>,
}

/// A product's rating.
#[Object(serial)]
impl Rating {
    /// Mean stars, one decimal; 0 without reviews.
    async fn average(&self) -> f64 {
        self.average
    }
    /// Number of ratings.
    async fn count(&self) -> u32 {
        self.count
    }
    /// Counts of 1 to 5 stars, in that order. On `Query.product` only.
    async fn histogram(&self) -> Result<&[u32]> {
        match &self.histogram {
            Some(histogram) => Ok(histogram),
            None => Err(errors::single_product_only("histogram")),
        }
    }
}

/// One step of the page's trail.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Breadcrumb {
    /// What the step shows.
    name: String,
    /// Its link; null for the page itself.
    href: Option<String>,
}

/// A page of reviews.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct ReviewConnection {
    /// Reviews in all.
    total_count: u32,
    /// This page's reviews.
    nodes: Vec<Review>,
    /// Where the next page starts.
    page_info: PageInfo,
}

impl ReviewConnection {
    fn of(offset: u32, page: reviews::ReviewPage) -> Self {
        let next = offset.saturating_add(page.items.len() as u32);
        let has_next = !page.items.is_empty() && next < page.total && next <= MAX_REVIEW_OFFSET;
        Self {
            total_count: page.total,
            page_info: PageInfo {
                has_next_page: has_next,
                end_cursor: has_next.then(|| cursor(next)),
            },
            nodes: page.items.into_iter().map(Review::of).collect(),
        }
    }
}

/// One customer review.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Review {
    /// Review id.
    id: ID,
    /// Display name of the author.
    author: String,
    /// 1 to 5 stars.
    rating: u8,
    /// Headline.
    title: String,
    /// Plain text.
    body: String,
    /// ISO date.
    created_at: String,
}

impl Review {
    fn of(review: reviews::Review) -> Self {
        Self {
            id: ID(review.id),
            author: review.author,
            rating: review.rating,
            title: review.title,
            body: review.body,
            created_at: review.created_at,
        }
    }
}

/// Where a list goes on.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    /// Whether there is a next page.
    pub has_next_page: bool,
    /// The cursor to pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// `first` of a list field: 1 to `max`.
pub fn first_within(first: i32, max: i32) -> Result<()> {
    if (1..=max).contains(&first) {
        Ok(())
    } else {
        Err(errors::bad_input(&format!(
            "first must be from 1 to {max}."
        )))
    }
}

/// Where a page of `first` items (1 to `max`) after the cursor `after` starts: a cursor of this
/// list, no deeper than `max_offset`.
pub fn page_start(first: i32, max: i32, after: Option<&str>, max_offset: u32) -> Result<u32> {
    first_within(first, max)?;
    match after {
        None => Ok(0),
        Some(cursor) => read_cursor(cursor)
            .filter(|offset| *offset <= max_offset)
            .ok_or_else(|| errors::bad_input("after is not a cursor of this list.")),
    }
}

/// The opaque cursor of a list position.
pub fn cursor(offset: u32) -> String {
    URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
}

/// The position of a cursor made by [`cursor`]; `None` for anything else.
pub fn read_cursor(cursor: &str) -> Option<u32> {
    if cursor.len() > 32 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    crate::screens::parse_decimal(text.strip_prefix("offset:")?, 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_nothing_else_reads() {
        assert_eq!(read_cursor(&cursor(0)), Some(0));
        assert_eq!(read_cursor(&cursor(9_600)), Some(9_600));
        for bad in ["", "abc", "b2Zmc2V0Oi0x", "b2Zmc2V0Og", &"a".repeat(100)] {
            assert_eq!(read_cursor(bad), None, "{bad}");
        }
    }
}
