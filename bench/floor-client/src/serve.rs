//! `--mode serve`: the minimal BFF, the least a BFF must do beyond the floor, as a lower bound
//! for the goals that compare a BFF's CPU per request with its floor's (issue #13).
//!
//! It serves bff-mobile's product screen, `GET /v1/products/{id}`: it accepts the request (hyper
//! HTTP/1.1 server, keep-alive), makes exactly the screen's 8 upstream calls with its concurrency
//! (the floor's client, on the floor's runtime), decodes every body with sonic-rs, and writes a
//! JSON answer shaped like bff-mobile's. Nothing else: no id validation, no deadlines, timeouts,
//! retries, breakers, cache, degraded sections (any upstream failure is a 502 with an empty body),
//! no headers but `content-type`, no logging, metrics or middleware, word-boundary cuts or device
//! hints. `GET /healthz` answers 200; anything else 404.
//!
//! It also serves bff-mobile's home screen, `GET /v1/home` (5 calls: the featured cards and the
//! popular ids at once, then the popular cards and one offers and one ratings call for both
//! shelves; an answer byte for byte bff-mobile's), and bff-web's product page and home page,
//! `GET /api/products/{id}` (9 calls, 19-27 KB) and `GET /api/home` (6 calls), for bff-web's
//! goals: module `web`, which says what it leaves out.
//!
//! `--decode same` (the default) decodes each body as it arrives into owned structs holding
//! exactly the fields bff-mobile decodes, also those the screen does not show (module `same`).
//! `--decode least` reads each body whole and, once all are in, decodes only the fields the answer
//! shows, into structs whose strings borrow from the body (`Cow`: copied only when escaped; module
//! `least`), the tightest bound; both write byte for byte the same answer. (The home's featured
//! body is decoded as it arrives in both: its ids are in the second stage's URLs.)

use std::borrow::Borrow;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use super::{Error, Http, id_list};

mod web;

/// Reviews and related products on the screen, as bff-mobile shows them.
const REVIEWS: usize = 3;
const RELATED: usize = 6;
/// Most images, longest summary and review excerpt (characters), as bff-mobile.
const MAX_IMAGES: usize = 5;
const SUMMARY_MAX_CHARS: usize = 300;
const REVIEW_MAX_CHARS: usize = 200;
/// The image width bff-mobile picks for a phone without hints (390 CSS pixels at DPR 2).
const IMAGE_WIDTH: u32 = 780;
/// Cards on the home screen's featured and popular shelves, as bff-mobile shows them.
const HOME_FEATURED: u32 = 10;
const HOME_POPULAR: u32 = 6;

/// The upstreams' base URLs.
pub struct Upstreams {
    pub catalog: String,
    pub offers: String,
    pub reviews: String,
    pub recommendations: String,
}

/// How the upstream answers are decoded (`--decode`, see the module's documentation).
#[derive(Clone, Copy)]
pub enum Decode {
    Same,
    Least,
}

/// The `{"items": [...]}` envelope of batch answers.
#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

/// The related ids, owned in both variants (they build the shelf's URLs), and the flag both BFFs
/// decode with them.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Recommended {
    product_ids: Vec<String>,
    #[serde(default)]
    personalised: bool,
}

/// The answer from the decoded bodies, written once for both variants: their structs have the
/// same names and the fields the answer reads have the same names, and a `String` and a
/// `Cow<str>` both give a `&str` (deref coercion, `&*`).
macro_rules! answer {
    () => {
        #[allow(clippy::too_many_arguments)]
        pub(super) fn answer(
            product: &ProductSummary,
            offers: &Items<Offer>,
            rating: &RatingSummary,
            reviews: &ReviewPage,
            cards: &Items<ProductCard>,
            card_offers: &Items<Offer>,
            ratings: &Items<Rating>,
        ) -> Result<Vec<u8>, Error> {
            let offer = offers
                .items
                .iter()
                .find(|offer| offer.product_id == product.id);
            let view = ProductView {
                id: &product.id,
                name: &product.name,
                price: offer.map(|offer| format_money(offer.price_cents, &offer.currency)),
                in_stock: offer.map(|offer| offer.stock > 0),
                images: product
                    .images
                    .iter()
                    .filter_map(image_url)
                    .take(MAX_IMAGES)
                    .collect(),
                summary: cut(product.description.trim(), SUMMARY_MAX_CHARS),
                rating: RatingView {
                    average: one_decimal(rating.average),
                    count: rating.count,
                },
                reviews: reviews
                    .items
                    .iter()
                    .take(REVIEWS)
                    .map(|review| ReviewView {
                        author: &review.author,
                        rating: review.rating,
                        text: excerpt(&review.title, &review.body),
                    })
                    .collect(),
                related: shelf(&cards.items, card_offers, ratings),
            };
            Ok(sonic_rs::to_vec(&view)?)
        }

        /// The home screen's answer (bff-mobile/src/views/home.rs): the popular shelf is
        /// `for_you` when the list was personalised (never, without a token).
        pub(super) fn home_answer(
            featured: &Featured,
            popular: &Recommended,
            popular_cards: &Items<ProductCard>,
            offers: &Items<Offer>,
            ratings: &Items<Rating>,
        ) -> Result<Vec<u8>, Error> {
            let popular_shelf = Some(shelf(&popular_cards.items, offers, ratings));
            let (popular_shelf, for_you) = if popular.personalised {
                (None, popular_shelf)
            } else {
                (popular_shelf, None)
            };
            let view = HomeView {
                featured: shelf(&featured.items, offers, ratings),
                popular: popular_shelf,
                for_you,
            };
            Ok(sonic_rs::to_vec(&view)?)
        }

        /// The ids whose offers and ratings the home needs: the featured cards', then the popular
        /// ones not among them (bff-mobile's and bff-web's `union_ids`).
        pub(super) fn home_ids<'v>(
            featured: &'v Featured,
            popular: &'v Recommended,
        ) -> Vec<&'v str> {
            union_ids(
                featured.items.iter().map(|card| &*card.id),
                popular.product_ids.iter().map(String::as_str),
            )
        }

        /// A shelf's cards (bff-mobile/src/views/card.rs), in the catalog's order, with their
        /// offers and ratings.
        fn shelf<'v>(
            cards: &'v [ProductCard],
            offers: &Items<Offer>,
            ratings: &Items<Rating>,
        ) -> Vec<CardView<'v>> {
            cards
                .iter()
                .map(|card| CardView {
                    id: &card.id,
                    name: &card.name,
                    price: offers
                        .items
                        .iter()
                        .find(|offer| offer.product_id == card.id)
                        .map(|offer| format_money(offer.price_cents, &offer.currency)),
                    rating: ratings
                        .items
                        .iter()
                        .find(|rating| rating.product_id == card.id && rating.count > 0)
                        .map(|rating| one_decimal(rating.average)),
                    image: card.images.first().and_then(image_url),
                })
                .collect()
        }

        /// The first rendition at least [`IMAGE_WIDTH`] wide (they come narrowest first), else
        /// the widest.
        // `'v` is needless for `same`'s `Image`, not for `least`'s `Image<'a>`.
        #[allow(clippy::needless_lifetimes)]
        fn image_url<'v>(image: &'v Image) -> Option<&'v str> {
            image
                .renditions
                .iter()
                .find(|r| r.width >= IMAGE_WIDTH)
                .or_else(|| image.renditions.iter().max_by_key(|r| r.width))
                .map(|r| &*r.url)
        }
    };
}

/// `--decode same`: what bff-mobile decodes (shared/src/upstream/{catalog,offers,reviews,
/// recommendations}.rs), owned. Every field it decodes is decoded here too, also those the screen
/// does not show (`dead_code`).
mod same {
    use super::*;

    #[derive(Deserialize)]
    pub(super) struct ProductSummary {
        id: String,
        name: String,
        description: String,
        images: Vec<Image>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct Image {
        pub(super) alt: String,
        pub(super) renditions: Vec<Rendition>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct Rendition {
        pub(super) width: u32,
        pub(super) height: u32,
        pub(super) url: String,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct Offer {
        pub(super) product_id: String,
        pub(super) price_cents: i64,
        pub(super) list_price_cents: i64,
        pub(super) currency: String,
        pub(super) discount_percent: u8,
        pub(super) stock: u32,
        pub(super) delivery: Delivery,
    }

    #[derive(Deserialize, Serialize, Clone, Copy)]
    #[allow(dead_code)]
    pub(super) struct Delivery {
        pub(super) min_days: u16,
        pub(super) max_days: u16,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct RatingSummary {
        pub(super) average: f32,
        pub(super) count: u32,
        pub(super) histogram: [u32; 5],
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct ReviewPage {
        pub(super) total: u32,
        pub(super) offset: u32,
        pub(super) items: Vec<Review>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct Review {
        pub(super) id: String,
        pub(super) author: String,
        pub(super) rating: u8,
        pub(super) title: String,
        pub(super) body: String,
        pub(super) created_at: String,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    pub(super) struct ProductCard {
        pub(super) id: String,
        pub(super) name: String,
        pub(super) brand: String,
        pub(super) category: String,
        pub(super) images: Vec<Image>,
    }

    #[derive(Deserialize)]
    pub(super) struct Rating {
        pub(super) product_id: String,
        pub(super) average: f32,
        pub(super) count: u32,
    }

    /// The featured shelf with its banner (bff-mobile decodes the banner too and shows none;
    /// bff-web shows it).
    #[derive(Deserialize)]
    pub(super) struct Featured {
        pub(super) hero: Hero,
        pub(super) items: Vec<ProductCard>,
    }

    #[derive(Deserialize)]
    pub(super) struct Hero {
        pub(super) title: String,
        pub(super) subtitle: String,
        pub(super) product_id: String,
        pub(super) image: Image,
    }

    answer!();
}

/// `--decode least`: only the fields the answer shows, the strings borrowed from the body
/// (`Cow`, so that an escaped string still decodes: then it is copied); serde skips the others.
mod least {
    use std::borrow::Cow;

    use super::*;

    #[derive(Deserialize)]
    pub(super) struct ProductSummary<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(borrow)]
        description: Cow<'a, str>,
        #[serde(borrow)]
        images: Vec<Image<'a>>,
    }

    #[derive(Deserialize)]
    struct Image<'a> {
        #[serde(borrow)]
        renditions: Vec<Rendition<'a>>,
    }

    #[derive(Deserialize)]
    struct Rendition<'a> {
        width: u32,
        #[serde(borrow)]
        url: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    pub(super) struct Offer<'a> {
        #[serde(borrow)]
        product_id: Cow<'a, str>,
        price_cents: i64,
        #[serde(borrow)]
        currency: Cow<'a, str>,
        stock: u32,
    }

    #[derive(Deserialize)]
    pub(super) struct RatingSummary {
        average: f32,
        count: u32,
    }

    #[derive(Deserialize)]
    pub(super) struct ReviewPage<'a> {
        #[serde(borrow)]
        items: Vec<Review<'a>>,
    }

    #[derive(Deserialize)]
    struct Review<'a> {
        #[serde(borrow)]
        author: Cow<'a, str>,
        rating: u8,
        #[serde(borrow)]
        title: Cow<'a, str>,
        #[serde(borrow)]
        body: Cow<'a, str>,
    }

    #[derive(Deserialize)]
    pub(super) struct ProductCard<'a> {
        #[serde(borrow)]
        id: Cow<'a, str>,
        #[serde(borrow)]
        name: Cow<'a, str>,
        #[serde(borrow)]
        images: Vec<Image<'a>>,
    }

    #[derive(Deserialize)]
    pub(super) struct Rating<'a> {
        #[serde(borrow)]
        product_id: Cow<'a, str>,
        average: f32,
        count: u32,
    }

    /// The featured cards; the banner is skipped.
    #[derive(Deserialize)]
    pub(super) struct Featured<'a> {
        #[serde(borrow)]
        items: Vec<ProductCard<'a>>,
    }

    answer!();
}

// --- what it answers (bff-mobile/src/views/{product,home,card}.rs) ----------------------------------

#[derive(Serialize)]
struct ProductView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_stock: Option<bool>,
    images: Vec<&'a str>,
    summary: &'a str,
    rating: RatingView,
    reviews: Vec<ReviewView<'a>>,
    related: Vec<CardView<'a>>,
}

#[derive(Serialize)]
struct HomeView<'a> {
    featured: Vec<CardView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    popular: Option<Vec<CardView<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    for_you: Option<Vec<CardView<'a>>>,
}

#[derive(Serialize)]
struct RatingView {
    average: f32,
    count: u32,
}

#[derive(Serialize)]
struct ReviewView<'a> {
    author: &'a str,
    rating: u8,
    text: String,
}

#[derive(Serialize)]
struct CardView<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rating: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
}

/// Serves until killed.
pub async fn serve(
    http: Http,
    upstreams: Upstreams,
    port: u16,
    decode: Decode,
) -> Result<(), Error> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let app = Arc::new((http, upstreams));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(|request| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(&app.0, &app.1, decode, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    http: &Http,
    up: &Upstreams,
    decode: Decode,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path();
    if request.method() != Method::GET {
        return status(StatusCode::NOT_FOUND);
    }
    if path == "/healthz" {
        return status(StatusCode::OK);
    }
    let product_id = |prefix| {
        path.strip_prefix(prefix)
            .filter(|id: &&str| !id.is_empty() && !id.contains('/'))
    };
    // The web routes have one decoding for both `--decode` variants (see module `web`).
    let answer = if let Some(id) = product_id("/v1/products/") {
        match decode {
            Decode::Same => product_same(http, up, id).await,
            Decode::Least => product_least(http, up, id).await,
        }
    } else if path == "/v1/home" {
        match decode {
            Decode::Same => home_same(http, up).await,
            Decode::Least => home_least(http, up).await,
        }
    } else if let Some(id) = product_id("/api/products/") {
        web::product(http, up, id).await
    } else if path == "/api/home" {
        web::home(http, up).await
    } else {
        return status(StatusCode::NOT_FOUND);
    };
    json_or_502(answer)
}

fn json_or_502(answer: Result<Vec<u8>, Error>) -> Response<Full<Bytes>> {
    match answer {
        Ok(json) => Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(json)))
            .expect("valid response"),
        Err(_) => status(StatusCode::BAD_GATEWAY),
    }
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::default());
    *response.status_mut() = code;
    response
}

/// One upstream GET, its body read whole; anything but a 200 is an error.
async fn fetch(http: &Http, url: String) -> Result<Bytes, Error> {
    let response = http.get(url.parse()?).await?;
    if response.status() != StatusCode::OK {
        return Err(format!("{url}: {}", response.status()).into());
    }
    Ok(response.into_body().collect().await?.to_bytes())
}

/// One upstream GET, decoded into owned structs.
async fn get<T: DeserializeOwned>(http: &Http, url: String) -> Result<T, Error> {
    Ok(sonic_rs::from_slice(&fetch(http, url).await?)?)
}

/// The screen's first calls, at once: product, offer, rating summary, reviews.
fn stage1_urls(up: &Upstreams, id: &str) -> [String; 4] {
    let (c, o, r) = (&up.catalog, &up.offers, &up.reviews);
    [
        format!("{c}/products/{id}"),
        format!("{o}/offers?ids={id}"),
        format!("{r}/products/{id}/rating"),
        format!("{r}/products/{id}/reviews?offset=0&limit={REVIEWS}"),
    ]
}

fn related_url(up: &Upstreams, id: &str) -> String {
    format!(
        "{}/products/{id}/related?limit={RELATED}",
        up.recommendations
    )
}

/// A shelf's calls: the cards of `cards`, the offers and ratings of `priced` (ids joined as the
/// BFFs send them, [`id_list`]).
fn shelf_urls(up: &Upstreams, cards: &str, priced: &str) -> [String; 3] {
    let (c, o, r) = (&up.catalog, &up.offers, &up.reviews);
    [
        format!("{c}/products?ids={cards}&view=card"),
        format!("{o}/offers?ids={priced}"),
        format!("{r}/ratings?ids={priced}"),
    ]
}

/// The related shelf's calls: cards, offers, ratings of the related ids.
fn related_shelf_urls(up: &Upstreams, related: &Recommended) -> [String; 3] {
    let ids = id_list(&related.product_ids);
    shelf_urls(up, &ids, &ids)
}

/// The ids of `first`, then those of `second` not already in it, in order (both BFFs'
/// `shared::cards::union_ids`): one offers and one ratings call for two shelves.
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

/// A home's first calls, at once: the featured cards (with the banner) and the popular ids.
fn home_urls(up: &Upstreams, featured: u32, popular: u32) -> [String; 2] {
    [
        format!("{}/featured?limit={featured}", up.catalog),
        format!("{}/popular?limit={popular}", up.recommendations),
    ]
}

/// A home's second calls, once both first ones are in: the popular cards, and the offers and
/// ratings of `shelf_ids` (both shelves').
fn home_shelf_urls<S: Borrow<str>>(
    up: &Upstreams,
    popular: &Recommended,
    shelf_ids: &[S],
) -> [String; 3] {
    shelf_urls(up, &id_list(&popular.product_ids), &id_list(shelf_ids))
}

/// The product screen, `--decode same`: bff-mobile's 8 calls with its dependencies, each body
/// decoded as it arrives, then the answer.
async fn product_same(http: &Http, up: &Upstreams, id: &str) -> Result<Vec<u8>, Error> {
    use same::*;
    let stage1 = async {
        let [product, offers, rating, reviews] = stage1_urls(up, id);
        tokio::try_join!(
            get::<ProductSummary>(http, product),
            get::<Items<Offer>>(http, offers),
            get::<RatingSummary>(http, rating),
            get::<ReviewPage>(http, reviews),
        )
    };
    // The related shelf's cards, offers and ratings as soon as its ids are in.
    let shelf = async {
        let related: Recommended = get(http, related_url(up, id)).await?;
        let [cards, offers, ratings] = related_shelf_urls(up, &related);
        tokio::try_join!(
            get::<Items<ProductCard>>(http, cards),
            get::<Items<Offer>>(http, offers),
            get::<Items<Rating>>(http, ratings),
        )
    };
    let ((product, offers, rating, reviews), (cards, card_offers, ratings)) =
        tokio::try_join!(stage1, shelf)?;
    answer(
        &product,
        &offers,
        &rating,
        &reviews,
        &cards,
        &card_offers,
        &ratings,
    )
}

/// The product screen, `--decode least`: the same calls with the same dependencies, their bodies
/// kept whole; once all are in, each is decoded borrowing from its body, then the answer.
async fn product_least(http: &Http, up: &Upstreams, id: &str) -> Result<Vec<u8>, Error> {
    use least::*;
    let stage1 = async {
        let [product, offers, rating, reviews] = stage1_urls(up, id);
        tokio::try_join!(
            fetch(http, product),
            fetch(http, offers),
            fetch(http, rating),
            fetch(http, reviews),
        )
    };
    // The related shelf's cards, offers and ratings as soon as its ids are in.
    let shelf = async {
        let related: Recommended = get(http, related_url(up, id)).await?;
        let [cards, offers, ratings] = related_shelf_urls(up, &related);
        tokio::try_join!(
            fetch(http, cards),
            fetch(http, offers),
            fetch(http, ratings),
        )
    };
    let ((product, offers, rating, reviews), (cards, card_offers, ratings)) =
        tokio::try_join!(stage1, shelf)?;
    let product: ProductSummary = sonic_rs::from_slice(&product)?;
    let offers: Items<Offer> = sonic_rs::from_slice(&offers)?;
    let rating: RatingSummary = sonic_rs::from_slice(&rating)?;
    let reviews: ReviewPage = sonic_rs::from_slice(&reviews)?;
    let cards: Items<ProductCard> = sonic_rs::from_slice(&cards)?;
    let card_offers: Items<Offer> = sonic_rs::from_slice(&card_offers)?;
    let ratings: Items<Rating> = sonic_rs::from_slice(&ratings)?;
    answer(
        &product,
        &offers,
        &rating,
        &reviews,
        &cards,
        &card_offers,
        &ratings,
    )
}

/// The home screen, `--decode same`: bff-mobile's 5 calls with its dependencies, each body
/// decoded as it arrives, then the answer.
async fn home_same(http: &Http, up: &Upstreams) -> Result<Vec<u8>, Error> {
    use same::*;
    let [featured, popular] = home_urls(up, HOME_FEATURED, HOME_POPULAR);
    let (featured, popular) = tokio::try_join!(
        get::<Featured>(http, featured),
        get::<Recommended>(http, popular),
    )?;
    let [cards, offers, ratings] = home_shelf_urls(up, &popular, &home_ids(&featured, &popular));
    let (cards, offers, ratings) = tokio::try_join!(
        get::<Items<ProductCard>>(http, cards),
        get::<Items<Offer>>(http, offers),
        get::<Items<Rating>>(http, ratings),
    )?;
    home_answer(&featured, &popular, &cards, &offers, &ratings)
}

/// The home screen, `--decode least`: the same calls; the featured body is decoded as soon as it
/// is in (the second calls need its ids), borrowing from it, the others once all are in.
async fn home_least(http: &Http, up: &Upstreams) -> Result<Vec<u8>, Error> {
    use least::*;
    let [featured, popular] = home_urls(up, HOME_FEATURED, HOME_POPULAR);
    let (featured, popular) =
        tokio::try_join!(fetch(http, featured), get::<Recommended>(http, popular))?;
    let featured: Featured = sonic_rs::from_slice(&featured)?;
    let [cards, offers, ratings] = home_shelf_urls(up, &popular, &home_ids(&featured, &popular));
    let (cards, offers, ratings) = tokio::try_join!(
        fetch(http, cards),
        fetch(http, offers),
        fetch(http, ratings),
    )?;
    let cards: Items<ProductCard> = sonic_rs::from_slice(&cards)?;
    let offers: Items<Offer> = sonic_rs::from_slice(&offers)?;
    let ratings: Items<Rating> = sonic_rs::from_slice(&ratings)?;
    home_answer(&featured, &popular, &cards, &offers, &ratings)
}

/// `€1,299.00`, as both BFFs format money (`shared::upstream::offers::format_money`, with `itoa`
/// for the digits, which this crate does not have).
fn format_money(cents: i64, currency: &str) -> String {
    let symbol = match currency {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        _ => "",
    };
    let minor = cents.unsigned_abs();
    let whole = (minor / 100).to_string();
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

fn one_decimal(value: f32) -> f32 {
    (value * 10.0).round() / 10.0
}

/// At most `max` characters of `text`, cut at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// A review as one text, as bff-mobile shows it: the title, then the body, at most
/// [`REVIEW_MAX_CHARS`].
fn excerpt(title: &str, body: &str) -> String {
    let mut text = String::with_capacity(REVIEW_MAX_CHARS + 8);
    text.push_str(cut(title, REVIEW_MAX_CHARS - 2));
    text.push_str(". ");
    let room = REVIEW_MAX_CHARS.saturating_sub(text.chars().count());
    text.push_str(cut(body, room));
    text
}
