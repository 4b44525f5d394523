//! One DataLoader per batched upstream endpoint, made per request: every product a query
//! touches asks its loader, and the loader makes one call for all the ids asked in the same
//! turn (up to the upstreams' 100 ids a call). A query for 24 products with offers and ratings
//! is one catalog call, one offers call and one ratings call, however the fields are nested.
//!
//! The loaders call the same typed clients as the REST screens (`shared::upstream`), under the
//! query's [`Screen`] deadline: the same timeouts, retries, breakers and upstream cache apply.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use shared::aggregate::Screen;
use shared::upstream::catalog::{Product, ProductCard};
use shared::upstream::offers::Offer;
use shared::upstream::reviews::Rating;
use shared::upstream::{ErrorKind, UpstreamError, Upstreams};

/// The upstreams' limit of ids in one call.
const MAX_IDS: usize = 100;

/// The loaders of one request.
pub struct Loaders {
    /// Product cards: `GET catalog /products?ids=…&view=card`.
    pub cards: DataLoader<Cards>,
    /// Products in full: `GET catalog /products?ids=…`.
    pub products: DataLoader<Products>,
    /// Offers: `GET offers /offers?ids=…`.
    pub offers: DataLoader<Offers>,
    /// Average ratings: `GET reviews /ratings?ids=…`.
    pub ratings: DataLoader<Ratings>,
}

impl Loaders {
    /// Fresh loaders for one query: nothing is shared between requests (the upstream cache
    /// is what spans them).
    pub fn new(screen: &Arc<Screen>, upstreams: &Arc<Upstreams>) -> Self {
        let batch = Batch {
            screen: screen.clone(),
            upstreams: upstreams.clone(),
        };
        Self {
            cards: loader(Cards(batch.clone())),
            products: loader(Products(batch.clone())),
            offers: loader(Offers(batch.clone())),
            ratings: loader(Ratings(batch)),
        }
    }
}

fn loader<T: Loader<String>>(inner: T) -> DataLoader<T> {
    DataLoader::new(inner, tokio::spawn).max_batch_size(MAX_IDS)
}

/// What every loader needs: the query's screen (deadline, request id) and the clients.
#[derive(Clone)]
pub struct Batch {
    screen: Arc<Screen>,
    upstreams: Arc<Upstreams>,
}

impl Batch {
    /// Runs one batched call under the screen's deadline (a late call is a timeout, as REST's
    /// `Screen::optional` makes it).
    async fn call<T>(
        &self,
        upstream: &'static str,
        call: impl Future<Output = Result<T, UpstreamError>>,
    ) -> Result<T, UpstreamError> {
        match tokio::time::timeout(self.screen.remaining(), call).await {
            Ok(result) => result,
            Err(_) => Err(UpstreamError {
                upstream,
                kind: ErrorKind::Timeout,
            }),
        }
    }
}

/// By id, from a list in which each item names its id.
fn by_id<T>(items: Vec<T>, id: impl Fn(&T) -> &str) -> HashMap<String, Arc<T>> {
    items
        .into_iter()
        .map(|item| (id(&item).to_owned(), Arc::new(item)))
        .collect()
}

/// Loads product cards.
pub struct Cards(Batch);
/// Loads products in full.
pub struct Products(Batch);
/// Loads offers.
pub struct Offers(Batch);
/// Loads average ratings.
pub struct Ratings(Batch);

impl Loader<String> for Cards {
    type Value = Arc<ProductCard>;
    type Error = UpstreamError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let b = &self.0;
        let cards = b
            .call("catalog", b.upstreams.catalog.cards(&b.screen, ids))
            .await?;
        Ok(by_id(cards, |card| &card.id))
    }
}

impl Loader<String> for Products {
    type Value = Arc<Product>;
    type Error = UpstreamError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let b = &self.0;
        let products = b
            .call("catalog", b.upstreams.catalog.products(&b.screen, ids))
            .await?;
        Ok(by_id(products, |product| &product.id))
    }
}

impl Loader<String> for Offers {
    type Value = Arc<Offer>;
    type Error = UpstreamError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let b = &self.0;
        let offers = b
            .call("offers", b.upstreams.offers.offers(&b.screen, ids))
            .await?;
        Ok(offers.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

impl Loader<String> for Ratings {
    type Value = Arc<Rating>;
    type Error = UpstreamError;

    async fn load(&self, ids: &[String]) -> Result<HashMap<String, Self::Value>, Self::Error> {
        let b = &self.0;
        let ratings = b
            .call("reviews", b.upstreams.reviews.ratings(&b.screen, ids))
            .await?;
        Ok(ratings.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}
