//! The offers service: prices, discounts, stock and delivery times, in batches.
//!
//! Offers change often in a real shop, hence the short `max-age=5`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::CachePolicy as _;
use crate::batch::{Batch, BatchIds};
use crate::data::Dataset;

/// The offers service's routes.
pub(crate) fn routes(data: Arc<Dataset>) -> Router {
    Router::new()
        .route("/offers", get(offers))
        .with_state(data)
        .cache_policy("public, max-age=5")
}

#[derive(Serialize)]
struct OfferJson<'a> {
    product_id: &'a str,
    price_cents: u32,
    list_price_cents: u32,
    currency: &'static str,
    discount_percent: u32,
    stock: u32,
    delivery: Delivery,
}

#[derive(Serialize)]
struct Delivery {
    min_days: u32,
    max_days: u32,
}

async fn offers(State(data): State<Arc<Dataset>>, ids: BatchIds) -> Response {
    Batch::of(&data, &ids, |id, index| {
        let offer = &data.offers[index];
        OfferJson {
            product_id: id,
            price_cents: offer.price_cents,
            list_price_cents: offer.list_price_cents,
            currency: "EUR",
            discount_percent: offer.discount_percent,
            stock: offer.stock,
            delivery: Delivery {
                min_days: offer.min_days,
                max_days: offer.max_days,
            },
        }
    })
    .into_response()
}
