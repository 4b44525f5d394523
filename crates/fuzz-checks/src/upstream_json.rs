//! Upstream JSON: arbitrary bytes decoded into each typed upstream model exactly as the clients
//! decode them (`serde_json::from_slice`), and whatever decodes is shaped into every view of
//! both BFFs that uses it and serialised, as a screen would. No panic (overflow checks are on),
//! the mobile texts stay within their caps, and every view serialises to valid JSON.
//!
//! The first byte picks the model; the rest is the body.

use bff_mobile::device::Device;
use bff_mobile::views as mobile;
use bff_web::views as web;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shared::cards::CardExtras;
use shared::upstream::accounts::{Cart, Order, Profile};
use shared::upstream::catalog::{
    Category, Featured, Product, ProductCard, ProductSummary, SearchPage, SearchSort,
};
use shared::upstream::offers::Offer;
use shared::upstream::recommendations::Recommended;
use shared::upstream::reviews::{Rating, RatingSummary, ReviewPage};

/// The `{"items": [...]}` envelope of the batch answers.
#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

/// A cart screen's three answers in one body: the cart, its cards and their offers.
#[derive(Deserialize)]
struct CartScreen {
    cart: Cart,
    cards: Items<ProductCard>,
    offers: Items<Offer>,
}

/// Cards with the offers and ratings of a shelf.
#[derive(Deserialize)]
struct Shelf {
    cards: Items<ProductCard>,
    offers: Items<Offer>,
    ratings: Items<Rating>,
}

const DEVICE: Device = Device {
    target_width_px: 780,
    save_data: false,
};

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

fn render<T: serde::Serialize>(view: &T) {
    let bytes = serde_json::to_vec(view).expect("a view that does not serialise");
    serde_json::from_slice::<serde_json::Value>(&bytes).expect("a view that is not valid JSON");
}

fn extras(offers: Vec<Offer>, ratings: Vec<Rating>) -> CardExtras {
    CardExtras {
        offers: offers
            .into_iter()
            .map(|offer| (offer.product_id.clone(), offer))
            .collect(),
        ratings: ratings
            .into_iter()
            .map(|rating| (rating.product_id.clone(), rating))
            .collect(),
    }
}

/// The mobile product screen's view of a product document (decoded as its summary).
fn product_summary(product: &ProductSummary) {
    let detail = mobile::product::ProductDetail {
        id: &product.id,
        name: &product.name,
        price: None,
        in_stock: None,
        images: mobile::product::images(product, &DEVICE),
        summary: mobile::product::summary(product),
        rating: None,
        reviews: None,
        related: None,
        degraded: None,
    };
    assert!(
        detail.summary.chars().count() <= mobile::product::SUMMARY_MAX_CHARS,
        "summary over the cap"
    );
    assert!(detail.images.len() <= mobile::product::MAX_PRODUCT_IMAGES);
    render(&detail);
}

/// The web product page's view of a product document.
fn product(product: &Product) {
    render(&web::product::ProductView::of(product));
    render(&web::product::breadcrumbs(product, &[]));
}

fn shelf(shelf: &Shelf) -> CardExtras {
    let extras = extras(shelf.offers.items.clone(), shelf.ratings.items.clone());
    render(&mobile::Card::shelf(&shelf.cards.items, &extras, &DEVICE));
    render(&web::card::cards(&shelf.cards.items, &extras));
    extras
}

fn search(page: &SearchPage) {
    let extras = CardExtras::default();
    let echo = web::search::QueryEcho::new(Some("lamp"), None, SearchSort::default());
    render(&web::search::SearchResults::new(
        echo, 1, page, &extras, None,
    ));
    render(&mobile::search::SearchResults {
        items: mobile::Card::shelf(&page.items, &extras, &DEVICE),
        total: page.total,
        next_cursor: bff_mobile::cursor::next(0, page.items.len(), page.total),
        degraded: None,
    });
}

fn reviews(page: &ReviewPage) {
    render(&web::product::ReviewsView::of("p00001", page));
    render(&web::product::ReviewsPage::of("p00001", page.offset, page));
    for review in &page.items {
        let view = mobile::product::ReviewView::of(review);
        assert!(
            view.text.chars().count() <= mobile::product::REVIEW_MAX_CHARS,
            "excerpt over the cap"
        );
        render(&view);
    }
}

fn cart(screen: &CartScreen) {
    let offers: shared::ids::ById<Offer> = screen
        .offers
        .items
        .iter()
        .map(|offer| (offer.product_id.clone(), offer.clone()))
        .collect();
    render(&mobile::account::CartView::new(
        &screen.cart,
        &screen.cards.items,
        &offers,
        &DEVICE,
        None,
    ));
    let extras = extras(screen.offers.items.clone(), Vec::new());
    render(&web::account::CartPage::new(
        &screen.cart,
        &screen.cards.items,
        &extras,
        None,
    ));
}

/// One fuzz input; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 12 {
        0 => {
            if let Some(p) = decode::<Product>(body) {
                product(&p);
            }
            if let Some(p) = decode::<ProductSummary>(body) {
                product_summary(&p);
            }
        }
        1 => {
            if let Some(s) = decode::<Shelf>(body) {
                shelf(&s);
            }
        }
        2 => {
            if let Some(page) = decode::<SearchPage>(body) {
                search(&page);
            }
        }
        3 => {
            if let Some(featured) = decode::<Featured>(body) {
                let extras = CardExtras::default();
                render(&web::home::HomePage::new(
                    &featured,
                    &[],
                    &[],
                    &extras,
                    None,
                ));
                render(&mobile::Card::shelf(&featured.items, &extras, &DEVICE));
            }
        }
        4 => {
            if let Some(list) = decode::<Items<Category>>(body) {
                let links: Vec<_> = list.items.iter().map(web::home::CategoryLink::of).collect();
                render(&links);
            }
        }
        5 => {
            if let Some(list) = decode::<Items<Offer>>(body) {
                for offer in &list.items {
                    render(&web::product::OfferView::of(offer));
                    let _ = offer.price_display();
                }
            }
        }
        6 => {
            if let Some(page) = decode::<ReviewPage>(body) {
                reviews(&page);
            }
        }
        7 => {
            if let Some(summary) = decode::<RatingSummary>(body) {
                render(&web::product::RatingView::of(&summary));
                render(&mobile::product::RatingView::of(&summary));
            }
        }
        8 => {
            let _ = decode::<Recommended>(body);
        }
        9 => {
            if let Some(profile) = decode::<Profile>(body) {
                render(&web::account::ProfileView::of(&profile));
                render(&mobile::account::Me::of(&profile));
            }
        }
        10 => {
            if let Some(screen) = decode::<CartScreen>(body) {
                cart(&screen);
            }
        }
        _ => {
            let _ = decode::<Items<Order>>(body);
        }
    }
}
