//! Product cards and responsive images, as every shelf of the web pages shows them.
//!
//! The desktop browser picks the rendition it needs from a `srcset` holding every width the
//! catalog has, so cards carry all renditions; `src` is a mid-sized fallback.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::cards::CardExtras;
use shared::ids;
use shared::upstream::catalog::{Image, ProductCard, Rendition};
use shared::upstream::offers::{Offer, format_money};
use shared::upstream::reviews::Rating;
use utoipa::ToSchema;

/// The width `src` aims for: sharp in a grid cell, cheap for clients that ignore `srcset`.
pub const SRC_TARGET_WIDTH: u32 = 480;

/// One product on a shelf or a result page.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct Card<'a> {
    /// Product id.
    pub id: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Brand name.
    pub brand: &'a str,
    /// The product page's path (`/products/p00001`).
    pub href: String,
    /// The current price; absent when the offers service is degraded or has no offer.
    #[schema(nullable = false)]
    pub price: Option<Price<'a>>,
    /// Whether it can be bought now; absent when unknown (offers degraded).
    #[schema(nullable = false)]
    pub in_stock: Option<bool>,
    /// Average stars; absent when unknown (reviews degraded).
    #[schema(nullable = false)]
    pub rating: Option<CardRating>,
    /// The main image; absent when the product has none.
    #[schema(nullable = false)]
    pub image: Option<ResponsiveImage<'a>>,
}

impl<'a> Card<'a> {
    /// Shapes one catalog card with its offer and rating. `None` when the upstream's id is not a
    /// well-formed product id, so no link is ever built from something unexpected.
    pub fn new(card: &'a ProductCard, extras: &'a CardExtras) -> Option<Self> {
        let Some(href) = product_href(&card.id) else {
            tracing::warn!("catalog returned a card with a malformed id; card left out");
            return None;
        };
        let offer = extras.offer(card);
        Some(Self {
            id: &card.id,
            name: &card.name,
            brand: &card.brand,
            href,
            price: offer.map(Price::of),
            in_stock: offer.map(Offer::in_stock),
            rating: extras.rating(card).map(CardRating::of),
            image: card.images.first().and_then(ResponsiveImage::of),
        })
    }
}

/// Cards for a shelf, in the catalog's order.
pub fn cards<'a>(cards: &'a [ProductCard], extras: &'a CardExtras) -> Vec<Card<'a>> {
    cards
        .iter()
        .filter_map(|card| Card::new(card, extras))
        .collect()
}

/// The product page's path, or `None` when `id` is not a well-formed product id.
pub fn product_href(id: &str) -> Option<String> {
    ids::product_id(id).ok().map(|id| format!("/products/{id}"))
}

/// A price as the page shows it: exact minor units for logic, formatted strings for display.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct Price<'a> {
    /// Price to pay, in minor units.
    pub amount_cents: i64,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// The price to pay, formatted (`€129.99`).
    pub display: String,
    /// The price before discount, formatted; only when discounted.
    #[schema(nullable = false)]
    pub list_display: Option<String>,
    /// Discount in percent, 0 when none.
    pub discount_percent: u8,
}

impl<'a> Price<'a> {
    /// The price of an offer.
    pub fn of(offer: &'a Offer) -> Self {
        let discounted = offer.list_price_cents > offer.price_cents;
        Self {
            amount_cents: offer.price_cents,
            currency: &offer.currency,
            display: offer.price_display(),
            list_display: discounted.then(|| format_money(offer.list_price_cents, &offer.currency)),
            discount_percent: if discounted {
                offer.discount_percent
            } else {
                0
            },
        }
    }
}

/// A card's rating.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardRating {
    /// Mean stars (0 when unrated).
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
}

impl CardRating {
    /// From the ratings batch.
    pub fn of(rating: &Rating) -> Self {
        Self {
            average: rating.average,
            count: rating.count,
        }
    }
}

/// An image ready for `<img src srcset width height alt>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResponsiveImage<'a> {
    /// Alternative text.
    pub alt: &'a str,
    /// A mid-sized rendition, for clients that ignore `srcset`.
    pub src: &'a str,
    /// Every rendition, `url 160w, url 320w, …`.
    pub srcset: String,
    /// Width of `src`, so the page reserves the space before the image loads.
    pub width: u32,
    /// Height of `src`.
    pub height: u32,
}

impl<'a> ResponsiveImage<'a> {
    /// The image's `src` and `srcset`; `None` when it has no usable rendition.
    pub fn of(image: &'a Image) -> Option<Self> {
        let by_width = usable_by_width(&image.renditions);
        let src = src_of(&by_width, SRC_TARGET_WIDTH)?;
        Some(Self {
            alt: &image.alt,
            src: &src.url,
            srcset: srcset_of(&by_width),
            width: src.width,
            height: src.height,
        })
    }
}

/// One rendition as listed on the product page.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenditionView<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Absolute URL.
    pub url: &'a str,
}

/// A product-page image: the responsive image plus the list of renditions (for zoom and
/// galleries).
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailImage<'a> {
    /// Alternative text.
    pub alt: &'a str,
    /// A mid-sized rendition.
    pub src: &'a str,
    /// Every rendition, `url 160w, …`.
    pub srcset: String,
    /// Width of `src`.
    pub width: u32,
    /// Height of `src`.
    pub height: u32,
    /// Every usable rendition, narrowest first.
    pub renditions: Vec<RenditionView<'a>>,
}

impl<'a> DetailImage<'a> {
    /// `None` when the image has no usable rendition.
    pub fn of(image: &'a Image) -> Option<Self> {
        let ResponsiveImage {
            alt,
            src,
            srcset,
            width,
            height,
        } = ResponsiveImage::of(image)?;
        Some(Self {
            alt,
            src,
            srcset,
            width,
            height,
            renditions: usable(&image.renditions)
                .map(|r| RenditionView {
                    width: r.width,
                    height: r.height,
                    url: &r.url,
                })
                .collect(),
        })
    }
}

/// The usable renditions, narrowest first (equal widths in their order): sorted once per image
/// for both `src` and `srcset`.
fn usable_by_width(renditions: &[Rendition]) -> Vec<&Rendition> {
    let mut usable: Vec<&Rendition> = usable(renditions).collect();
    usable.sort_by_key(|r| r.width);
    usable
}

/// The rendition for `src`: the narrowest at least `target` wide, else the widest there is.
fn src_of<'r>(by_width: &[&'r Rendition], target: u32) -> Option<&'r Rendition> {
    let wide_enough = by_width.iter().find(|r| r.width >= target);
    wide_enough.or(by_width.last()).copied()
}

/// `url 160w, url 320w, …` over the usable renditions, narrowest first.
fn srcset_of(by_width: &[&Rendition]) -> String {
    let mut out = String::with_capacity(by_width.iter().map(|r| r.url.len() + 8).sum());
    let mut digits = itoa::Buffer::new();
    for (i, rendition) in by_width.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&rendition.url);
        out.push(' ');
        out.push_str(digits.format(rendition.width));
        out.push('w');
    }
    out
}

/// Renditions whose URL can go into `src` and `srcset` as it is: an absolute http(s) URL with
/// no whitespace or comma (which would split a `srcset` entry), and a non-zero width.
fn usable(renditions: &[Rendition]) -> impl Iterator<Item = &Rendition> {
    renditions.iter().filter(|r| {
        r.width > 0
            && (r.url.starts_with("https://") || r.url.starts_with("http://"))
            && !holds_srcset_separator(&r.url)
    })
}

/// Whether `url` holds a byte that would split a `srcset` entry. Every byte is looked at, with no
/// early exit, so the compiler checks several at a time: a URL almost never holds one, and a byte
/// at a time was 5% of a cold web home's instructions (now half of that, bench/RESULTS.md).
fn holds_srcset_separator(url: &str) -> bool {
    url.bytes().fold(false, |found, b| found | splits_srcset(b))
}

/// ASCII white space or a comma.
fn splits_srcset(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ' | b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `srcset` of a list of renditions, as [`ResponsiveImage::of`] makes it.
    fn srcset(renditions: &[Rendition]) -> String {
        srcset_of(&usable_by_width(renditions))
    }

    /// `src` of a list of renditions, as [`ResponsiveImage::of`] picks it.
    fn pick_src(renditions: &[Rendition], target: u32) -> Option<&Rendition> {
        src_of(&usable_by_width(renditions), target)
    }

    const WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

    fn rendition(width: u32) -> Rendition {
        Rendition {
            width,
            height: width * 3 / 4,
            url: format!("http://img.test/p00001/0/{width}.svg"),
        }
    }

    fn image(widths: &[u32]) -> Image {
        Image {
            alt: "A thing".to_owned(),
            renditions: widths.iter().map(|&w| rendition(w)).collect(),
        }
    }

    fn card(id: &str, widths: &[u32]) -> ProductCard {
        ProductCard {
            id: id.to_owned(),
            name: "Aurora Headphones".to_owned(),
            brand: "Lumen".to_owned(),
            category: "audio".to_owned(),
            images: vec![image(widths)],
        }
    }

    fn offer(id: &str, price: i64, list: i64, discount: u8, stock: u32) -> Offer {
        serde_json::from_value(serde_json::json!({
            "product_id": id, "price_cents": price, "list_price_cents": list, "currency": "EUR",
            "discount_percent": discount, "stock": stock,
            "delivery": {"min_days": 1, "max_days": 3}
        }))
        .unwrap()
    }

    fn rating(id: &str) -> Rating {
        serde_json::from_value(serde_json::json!({"product_id": id, "average": 4.5, "count": 12}))
            .unwrap()
    }

    #[test]
    fn srcset_lists_every_rendition_narrowest_first() {
        let mut widths = WIDTHS;
        widths.reverse();
        let set = srcset(&image(&widths).renditions);
        let expected: Vec<String> = WIDTHS
            .iter()
            .map(|w| format!("http://img.test/p00001/0/{w}.svg {w}w"))
            .collect();
        assert_eq!(set, expected.join(", "));
    }

    #[test]
    fn src_is_the_480_rendition_when_there_is_one() {
        let source = image(&WIDTHS);
        let image = ResponsiveImage::of(&source).unwrap();
        assert_eq!(image.src, "http://img.test/p00001/0/480.svg");
        assert_eq!((image.width, image.height), (480, 360));
        assert_eq!(image.alt, "A thing");
    }

    #[test]
    fn src_falls_back_to_the_next_wider_then_the_widest() {
        let renditions: Vec<_> = [160, 640, 2048].map(rendition).into();
        assert_eq!(pick_src(&renditions, 480).unwrap().width, 640);
        let narrow: Vec<_> = [160, 320].map(rendition).into();
        assert_eq!(pick_src(&narrow, 480).unwrap().width, 320);
        assert!(pick_src(&[], 480).is_none());
    }

    #[test]
    fn of_equal_widths_src_is_the_first_wide_enough_and_the_fallback_the_last_widest() {
        let mut renditions: Vec<_> = [640, 640, 320, 320].map(rendition).into();
        for (i, r) in renditions.iter_mut().enumerate() {
            r.url = format!("http://img.test/{i}.svg");
        }
        assert_eq!(
            pick_src(&renditions, 480).unwrap().url,
            "http://img.test/0.svg"
        );
        assert_eq!(
            pick_src(&renditions[2..], 480).unwrap().url,
            "http://img.test/3.svg"
        );
        let image = Image {
            alt: String::new(),
            renditions,
        };
        assert_eq!(
            ResponsiveImage::of(&image).unwrap().src,
            "http://img.test/0.svg"
        );
    }

    #[test]
    fn exactly_white_space_and_commas_make_a_url_unusable() {
        for b in 0..=u8::MAX {
            let splits = b.is_ascii_whitespace() || b == b',';
            assert_eq!(splits_srcset(b), splits, "byte {b}");
        }
    }

    #[test]
    fn a_separator_anywhere_in_a_url_is_found() {
        let clean = "https://img.example/p00042/1-640.webp?v=3";
        assert!(!holds_srcset_separator(clean));
        for at in 0..=clean.len() {
            for separator in ["\t", "\n", "\x0C", "\r", " ", ","] {
                let url = format!("{}{separator}{}", &clean[..at], &clean[at..]);
                assert!(holds_srcset_separator(&url), "{url:?}");
            }
        }
    }

    #[test]
    fn renditions_with_unsafe_urls_are_left_out() {
        let mut renditions: Vec<_> = [160, 320, 480].map(rendition).into();
        renditions[0].url = "javascript:alert(1)".to_owned();
        renditions[1].url = "http://img.test/a b.svg 9999w, http://evil.test/x.svg".to_owned();
        assert_eq!(srcset(&renditions), "http://img.test/p00001/0/480.svg 480w");
        let only_bad = Image {
            alt: String::new(),
            renditions: renditions[..2].to_vec(),
        };
        assert!(ResponsiveImage::of(&only_bad).is_none());
    }

    #[test]
    fn a_card_with_offer_and_rating_has_price_stock_rating_and_image() {
        let product = card("p00001", &WIDTHS);
        let mut extras = CardExtras::default();
        extras
            .offers
            .insert("p00001".into(), offer("p00001", 12_999, 15_999, 19, 3));
        extras.ratings.insert("p00001".into(), rating("p00001"));
        let json = serde_json::to_value(Card::new(&product, &extras).unwrap()).unwrap();
        assert_eq!(json["href"], "/products/p00001");
        assert_eq!(
            json["price"],
            serde_json::json!({"amount_cents": 12_999, "currency": "EUR", "display": "€129.99",
                "list_display": "€159.99", "discount_percent": 19})
        );
        assert_eq!(json["in_stock"], true);
        assert_eq!(
            json["rating"],
            serde_json::json!({"average": 4.5, "count": 12})
        );
        let srcset = json["image"]["srcset"].as_str().unwrap();
        for width in WIDTHS {
            assert!(srcset.contains(&format!(" {width}w")), "{width}");
        }
    }

    #[test]
    fn an_undiscounted_price_has_no_list_display() {
        let offer = offer("p00001", 4_599, 4_599, 0, 0);
        let json = serde_json::to_value(Price::of(&offer)).unwrap();
        assert_eq!(json["display"], "€45.99");
        assert!(json.get("list_display").is_none());
        assert_eq!(json["discount_percent"], 0);
        assert!(!offer.in_stock());
    }

    #[test]
    fn a_card_without_extras_has_no_price_stock_or_rating() {
        let product = card("p00001", &WIDTHS);
        let extras = CardExtras::default();
        let json = serde_json::to_value(Card::new(&product, &extras).unwrap()).unwrap();
        for absent in ["price", "in_stock", "rating"] {
            assert!(json.get(absent).is_none(), "{absent}");
        }
        assert!(json.get("image").is_some());
    }

    #[test]
    fn a_card_with_a_malformed_id_is_left_out() {
        let extras = CardExtras::default();
        let products = [card("../admin", &WIDTHS), card("p00002", &WIDTHS)];
        let shelf = cards(&products, &extras);
        assert_eq!(shelf.len(), 1);
        assert_eq!(shelf[0].id, "p00002");
    }

    #[test]
    fn a_card_without_images_has_no_image() {
        let mut product = card("p00001", &WIDTHS);
        product.images.clear();
        let extras = CardExtras::default();
        let json = serde_json::to_value(Card::new(&product, &extras).unwrap()).unwrap();
        assert!(json.get("image").is_none());
    }
}
