//! The minimal BFF's web product page, `GET /api/products/{id}`, and home page, `GET /api/home`:
//! the lower bounds for bff-web's product and home pages, as `serve` is for bff-mobile's screens.
//!
//! bff-web's 9 upstream calls with its concurrency (`bff-web/src/screens/product.rs`): the
//! product, its offer, rating summary, first 10 reviews and the category list at once, and
//! concurrently the 12 related ids, then as soon as they are in the related cards, offers and
//! ratings. Every body is decoded with sonic-rs as it arrives into owned structs holding exactly
//! the fields bff-web decodes (`shared/src/upstream/{catalog,offers,reviews,recommendations}.rs`:
//! the full `Product`, `Category`, `Offer` with delivery, `RatingSummary` with histogram,
//! `ReviewPage`, `ProductCard`, `Rating`, `Recommended`), also those the page does not show
//! (`dead_code`). The answer has bff-web's fields, in its order, computed as bff-web computes them
//! (`bff-web/src/views/{product,card}.rs`): description paragraphs, specs, features, variants,
//! every image with `src` (the narrowest rendition at least 480 wide, else the widest), `srcset`
//! (every rendition, narrowest first, built in one `String`) and its renditions, the offer's price
//! (minor units, currency, `€1,299.00` display strings, list price when discounted), stock and
//! delivery, the rating with histogram, the 10 reviews with the `next` link, 12 related cards
//! (href, price, stock, rating, responsive image) and the breadcrumbs with the category's name;
//! serialised with `sonic_rs::to_vec`, 19-27 KB like bff-web's.
//!
//! The home page (`bff-web/src/screens/home.rs`): the 24 featured cards with the banner and the
//! 12 popular ids at once (the ids cut to 12, as bff-web does), then the popular cards and one
//! offers and one ratings call for both shelves' ids (featured first, each once); concurrently
//! with all that, the category list. The answer (`bff-web/src/views/home.rs`): the banner (title,
//! subtitle, product id, href, responsive image), every category with its search link, and the
//! two shelves' cards, as the product page's related cards; 31 KB like bff-web's.
//!
//! Left out, as in `serve`: validating the id, the related ids, card ids, category ids, the
//! banner's product id and the image URLs (bff-web leaves out renditions whose URL is not http(s)
//! or holds a `srcset` separator, and cards, the banner's link or category links with malformed
//! ids); degraded sections and the `degraded` field (any upstream failure is a 502, an unknown
//! product too); bff-web's screen cache, `ETag`, `X-CSRF` check, compression and everything else
//! `serve` leaves out. Offers and ratings are found by a linear search, not through a map by id.
//!
//! Always decoded this way: `--decode least` answers these routes exactly like `--decode same`.

use std::fmt::Write;

use serde::{Deserialize, Serialize};

use super::same::{
    Delivery, Featured, Image, Offer, ProductCard, Rating, RatingSummary, Rendition, ReviewPage,
    home_ids,
};
use super::{
    Error, Http, Items, Recommended, Upstreams, format_money, get, home_shelf_urls, home_urls,
    related_shelf_urls,
};

/// Reviews and related cards on the page, as bff-web shows them.
const REVIEWS: u32 = 10;
const RELATED: usize = 12;
/// Cards on the home page's featured and popular shelves, as bff-web shows them.
const HOME_FEATURED: u32 = 24;
const HOME_POPULAR: usize = 12;
/// The furthest review offset bff-web links to.
const MAX_REVIEW_OFFSET: u32 = 10_000;
/// The width `src` aims for (bff-web's `SRC_TARGET_WIDTH`).
const SRC_TARGET_WIDTH: u32 = 480;

// --- what bff-web decodes (shared/src/upstream/), owned -------------------------------------------

#[derive(Deserialize)]
struct Product {
    id: String,
    name: String,
    brand: String,
    category: String,
    description: String,
    features: Vec<String>,
    specs: Vec<Spec>,
    images: Vec<Image>,
    variants: Vec<Variant>,
}

#[derive(Deserialize)]
struct Spec {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct Variant {
    sku: String,
    name: String,
}

#[derive(Deserialize)]
struct Category {
    id: String,
    name: String,
    product_count: u32,
}

// --- what it answers (bff-web/src/views/{product,home,card}.rs) -----------------------------------

#[derive(Serialize)]
struct HomePage<'a> {
    hero: HeroView<'a>,
    categories: Vec<CategoryLink<'a>>,
    featured: Vec<Card<'a>>,
    popular: Vec<Card<'a>>,
}

#[derive(Serialize)]
struct HeroView<'a> {
    title: &'a str,
    subtitle: &'a str,
    product_id: &'a str,
    href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<ResponsiveImage<'a>>,
}

#[derive(Serialize)]
struct CategoryLink<'a> {
    id: &'a str,
    name: &'a str,
    product_count: u32,
    href: String,
}

#[derive(Serialize)]
struct ProductPage<'a> {
    product: ProductView<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    offer: Option<OfferView<'a>>,
    rating: RatingView,
    reviews: ReviewsView<'a>,
    related: Vec<Card<'a>>,
    breadcrumbs: [Breadcrumb<'a>; 3],
}

#[derive(Serialize)]
struct ProductView<'a> {
    id: &'a str,
    name: &'a str,
    brand: &'a str,
    category: &'a str,
    description: Vec<&'a str>,
    features: &'a [String],
    specs: Vec<SpecView<'a>>,
    images: Vec<DetailImage<'a>>,
    variants: Vec<VariantView<'a>>,
}

#[derive(Serialize)]
struct SpecView<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct VariantView<'a> {
    sku: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct DetailImage<'a> {
    alt: &'a str,
    src: &'a str,
    srcset: String,
    width: u32,
    height: u32,
    renditions: Vec<RenditionView<'a>>,
}

#[derive(Serialize)]
struct RenditionView<'a> {
    width: u32,
    height: u32,
    url: &'a str,
}

#[derive(Serialize)]
struct OfferView<'a> {
    price: Price<'a>,
    stock: u32,
    in_stock: bool,
    delivery: Delivery,
}

#[derive(Serialize)]
struct Price<'a> {
    amount_cents: i64,
    currency: &'a str,
    display: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    list_display: Option<String>,
    discount_percent: u8,
}

#[derive(Serialize)]
struct RatingView {
    average: f32,
    count: u32,
    histogram: [u32; 5],
}

#[derive(Serialize)]
struct ReviewsView<'a> {
    total: u32,
    items: Vec<ReviewView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

#[derive(Serialize)]
struct ReviewView<'a> {
    id: &'a str,
    author: &'a str,
    rating: u8,
    title: &'a str,
    body: &'a str,
    created_at: &'a str,
}

#[derive(Serialize)]
struct Card<'a> {
    id: &'a str,
    name: &'a str,
    brand: &'a str,
    href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<Price<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_stock: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<CardRating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<ResponsiveImage<'a>>,
}

#[derive(Serialize)]
struct CardRating {
    average: f32,
    count: u32,
}

#[derive(Serialize)]
struct ResponsiveImage<'a> {
    alt: &'a str,
    src: &'a str,
    srcset: String,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct Breadcrumb<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
}

/// The web product page: bff-web's 9 calls with its dependencies, each body decoded as it
/// arrives, then the answer.
pub(super) async fn product(http: &Http, up: &Upstreams, id: &str) -> Result<Vec<u8>, Error> {
    let (c, o, r) = (&up.catalog, &up.offers, &up.reviews);
    // The related shelf's cards, offers and ratings as soon as its ids are in.
    let shelf = async {
        let related: Recommended = get(
            http,
            format!(
                "{}/products/{id}/related?limit={RELATED}",
                up.recommendations
            ),
        )
        .await?;
        let [cards, offers, ratings] = related_shelf_urls(up, &related);
        tokio::try_join!(
            get::<Items<ProductCard>>(http, cards),
            get::<Items<Offer>>(http, offers),
            get::<Items<Rating>>(http, ratings),
        )
    };
    let (product, offers, rating, reviews, categories, (cards, card_offers, ratings)) = tokio::try_join!(
        get::<Product>(http, format!("{c}/products/{id}")),
        get::<Items<Offer>>(http, format!("{o}/offers?ids={id}")),
        get::<RatingSummary>(http, format!("{r}/products/{id}/rating")),
        get::<ReviewPage>(
            http,
            format!("{r}/products/{id}/reviews?offset=0&limit={REVIEWS}")
        ),
        get::<Items<Category>>(http, format!("{c}/categories")),
        shelf,
    )?;

    let category_name = categories
        .items
        .iter()
        .find(|category| category.id == product.category)
        .map_or(&*product.category, |category| &*category.name);
    let page = ProductPage {
        product: ProductView {
            id: &product.id,
            name: &product.name,
            brand: &product.brand,
            category: &product.category,
            description: product
                .description
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect(),
            features: &product.features,
            specs: product
                .specs
                .iter()
                .map(|spec| SpecView {
                    name: &spec.name,
                    value: &spec.value,
                })
                .collect(),
            images: product.images.iter().filter_map(detail_image).collect(),
            variants: product
                .variants
                .iter()
                .map(|variant| VariantView {
                    sku: &variant.sku,
                    name: &variant.name,
                })
                .collect(),
        },
        offer: offers
            .items
            .iter()
            .find(|offer| offer.product_id == id)
            .map(|offer| OfferView {
                price: price(offer),
                stock: offer.stock,
                in_stock: offer.stock > 0,
                delivery: offer.delivery,
            }),
        rating: RatingView {
            average: rating.average,
            count: rating.count,
            histogram: rating.histogram,
        },
        reviews: ReviewsView {
            total: reviews.total,
            items: reviews
                .items
                .iter()
                .map(|review| ReviewView {
                    id: &review.id,
                    author: &review.author,
                    rating: review.rating,
                    title: &review.title,
                    body: &review.body,
                    created_at: &review.created_at,
                })
                .collect(),
            next: next_reviews_link(id, &reviews),
        },
        related: shelf_cards(&cards.items, &card_offers, &ratings),
        breadcrumbs: [
            Breadcrumb {
                name: "Home",
                href: Some("/".to_owned()),
            },
            Breadcrumb {
                name: category_name,
                href: Some(format!("/search?category={}", product.category)),
            },
            Breadcrumb {
                name: &product.name,
                href: None,
            },
        ],
    };
    Ok(sonic_rs::to_vec(&page)?)
}

/// The web home page: bff-web's 6 calls with its dependencies, each body decoded as it arrives,
/// then the answer.
pub(super) async fn home(http: &Http, up: &Upstreams) -> Result<Vec<u8>, Error> {
    // The two shelves: the featured cards and popular ids, then the popular cards and the
    // offers and ratings of both.
    let shelves = async {
        let [featured, popular] = home_urls(up, HOME_FEATURED, HOME_POPULAR as u32);
        let (featured, mut popular) = tokio::try_join!(
            get::<Featured>(http, featured),
            get::<Recommended>(http, popular),
        )?;
        popular.product_ids.truncate(HOME_POPULAR);
        let [cards, offers, ratings] =
            home_shelf_urls(up, &popular, &home_ids(&featured, &popular));
        let (cards, offers, ratings) = tokio::try_join!(
            get::<Items<ProductCard>>(http, cards),
            get::<Items<Offer>>(http, offers),
            get::<Items<Rating>>(http, ratings),
        )?;
        Ok::<_, Error>((featured, cards, offers, ratings))
    };
    let ((featured, popular, offers, ratings), categories) = tokio::try_join!(
        shelves,
        get::<Items<Category>>(http, format!("{}/categories", up.catalog)),
    )?;

    let hero = &featured.hero;
    let page = HomePage {
        hero: HeroView {
            title: &hero.title,
            subtitle: &hero.subtitle,
            product_id: &hero.product_id,
            href: format!("/products/{}", hero.product_id),
            image: responsive_image(&hero.image),
        },
        categories: categories
            .items
            .iter()
            .map(|category| CategoryLink {
                id: &category.id,
                name: &category.name,
                product_count: category.product_count,
                href: format!("/search?category={}", category.id),
            })
            .collect(),
        featured: shelf_cards(&featured.items, &offers, &ratings),
        popular: shelf_cards(&popular.items, &offers, &ratings),
    };
    Ok(sonic_rs::to_vec(&page)?)
}

/// A shelf's cards (bff-web/src/views/card.rs), in the catalog's order, with their offers and
/// ratings.
fn shelf_cards<'v>(
    cards: &'v [ProductCard],
    offers: &'v Items<Offer>,
    ratings: &Items<Rating>,
) -> Vec<Card<'v>> {
    cards
        .iter()
        .map(|card| {
            let offer = offers
                .items
                .iter()
                .find(|offer| offer.product_id == card.id);
            Card {
                id: &card.id,
                name: &card.name,
                brand: &card.brand,
                href: format!("/products/{}", card.id),
                price: offer.map(price),
                in_stock: offer.map(|offer| offer.stock > 0),
                rating: ratings
                    .items
                    .iter()
                    .find(|rating| rating.product_id == card.id)
                    .map(|rating| CardRating {
                        average: rating.average,
                        count: rating.count,
                    }),
                image: card.images.first().and_then(responsive_image),
            }
        })
        .collect()
}

/// The link to the page of reviews after `page`, if there is one within the offset limit.
fn next_reviews_link(id: &str, page: &ReviewPage) -> Option<String> {
    let shown = page.items.len() as u32;
    let next = page.offset + shown;
    (shown > 0 && next < page.total && next <= MAX_REVIEW_OFFSET)
        .then(|| format!("/api/products/{id}/reviews?offset={next}"))
}

/// An offer's price with its display strings.
fn price(offer: &Offer) -> Price<'_> {
    let discounted = offer.list_price_cents > offer.price_cents;
    Price {
        amount_cents: offer.price_cents,
        currency: &offer.currency,
        display: format_money(offer.price_cents, &offer.currency),
        list_display: discounted.then(|| format_money(offer.list_price_cents, &offer.currency)),
        discount_percent: if discounted {
            offer.discount_percent
        } else {
            0
        },
    }
}

/// An image's `src` and `srcset`; `None` when it has no rendition.
fn responsive_image(image: &Image) -> Option<ResponsiveImage<'_>> {
    let mut by_width: Vec<&Rendition> = image.renditions.iter().collect();
    by_width.sort_by_key(|r| r.width);
    let src = by_width
        .iter()
        .find(|r| r.width >= SRC_TARGET_WIDTH)
        .or(by_width.last())?;
    Some(ResponsiveImage {
        alt: &image.alt,
        src: &src.url,
        srcset: srcset(&by_width),
        width: src.width,
        height: src.height,
    })
}

/// A product-page image: the responsive image and every rendition, in the catalog's order.
fn detail_image(image: &Image) -> Option<DetailImage<'_>> {
    let ResponsiveImage {
        alt,
        src,
        srcset,
        width,
        height,
    } = responsive_image(image)?;
    Some(DetailImage {
        alt,
        src,
        srcset,
        width,
        height,
        renditions: image
            .renditions
            .iter()
            .map(|r| RenditionView {
                width: r.width,
                height: r.height,
                url: &r.url,
            })
            .collect(),
    })
}

/// `url 160w, url 320w, …` over the renditions, narrowest first, in one `String` (the widths
/// written with `fmt`, bff-web with `itoa`).
fn srcset(by_width: &[&Rendition]) -> String {
    let mut out = String::with_capacity(by_width.iter().map(|r| r.url.len() + 8).sum());
    for (i, rendition) in by_width.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&rendition.url);
        let _ = write!(out, " {}w", rendition.width);
    }
    out
}
