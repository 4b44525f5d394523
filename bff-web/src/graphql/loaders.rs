//! One loader per batched upstream endpoint, made per request: every product a query touches
//! asks its loader, and the loader makes one call for all the ids asked in the same turn (up to
//! the upstreams' 100 ids a call). A query for 24 products with offers and ratings
//! is one catalog call, one offers call and one ratings call, however the fields are nested.
//!
//! The loaders call the same typed clients as the REST screens (`shared::upstream`), under the
//! query's [`Screen`] deadline: the same timeouts, retries, breakers and upstream cache apply.
//!
//! Written here rather than taken from async-graphql's `DataLoader`, which spawns a task per
//! batch and waits a 1 ms timer before each call: on the product page that was 2 ms of its
//! latency, and a call that went on after its request had ended.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use shared::aggregate::Screen;
use shared::ids::ById;
use shared::upstream::catalog::{Product, ProductCard};
use shared::upstream::offers::Offer;
use shared::upstream::reviews::Rating;
use shared::upstream::{UpstreamError, Upstreams};
use tokio::sync::OnceCell;

/// The upstreams' limit of ids in one call.
const MAX_IDS: usize = 100;

/// The loaders of one request.
pub struct Loaders {
    /// Product cards: `GET catalog /products?ids=…&view=card`.
    pub cards: Loader<Cards>,
    /// Products in full: `GET catalog /products?ids=…`.
    pub products: Loader<Products>,
    /// Offers: `GET offers /offers?ids=…`.
    pub offers: Loader<Offers>,
    /// Average ratings: `GET reviews /ratings?ids=…`.
    pub ratings: Loader<Ratings>,
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
            cards: Loader::new(Cards(batch.clone())),
            products: Loader::new(Products(batch.clone())),
            offers: Loader::new(Offers(batch.clone())),
            ratings: Loader::new(Ratings(batch)),
        }
    }
}

/// One batched endpoint: the call for a set of ids, answered by id.
pub trait BatchCall {
    /// What one id loads.
    type Value;
    /// One call for `ids` (at most [`MAX_IDS`], no repeats).
    fn call(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<ById<Arc<Self::Value>>, UpstreamError>> + Send;
}

/// Gathers the ids that a query's fields ask for in one turn of the request's task into one
/// call. The executor resolves sibling fields (a list's items, a product's fields) by polling
/// them together, so by the time the first of them has yielded once, every sibling has added
/// its id. No task is spawned and no timer set: the call runs in the request's task, under its
/// span and deadline, and stops with it.
pub struct Loader<C: BatchCall> {
    call: C,
    open: Mutex<Option<Arc<Pending<C::Value>>>>,
}

/// The batch that ids are being added to, then its answers.
struct Pending<V> {
    ids: Mutex<Vec<String>>,
    answers: OnceCell<Result<ById<Arc<V>>, UpstreamError>>,
}

impl<C: BatchCall> Loader<C> {
    fn new(call: C) -> Self {
        Self {
            call,
            open: Mutex::new(None),
        }
    }

    /// What `id` loads (`None`: the upstream does not know it), from the call of its batch.
    pub async fn load_one(&self, id: String) -> Result<Option<Arc<C::Value>>, UpstreamError> {
        let batch = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            let batch = open.get_or_insert_with(|| {
                Arc::new(Pending {
                    ids: Mutex::new(Vec::new()),
                    answers: OnceCell::new(),
                })
            });
            let batch = batch.clone();
            let mut ids = batch.ids.lock().unwrap_or_else(PoisonError::into_inner);
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
            if ids.len() >= MAX_IDS {
                // Full: the next id starts another batch.
                *open = None;
            }
            drop(ids);
            batch
        };
        let answers = batch
            .answers
            .get_or_init(|| async {
                // Let the siblings of this field add their ids first.
                tokio::task::yield_now().await;
                {
                    let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
                    if open.as_ref().is_some_and(|o| Arc::ptr_eq(o, &batch)) {
                        *open = None;
                    }
                }
                // A copy, not the list itself: if this field is dropped mid-call (its list
                // failed), the next one waiting makes the same call.
                let ids = batch.ids.lock().unwrap_or_else(PoisonError::into_inner).clone();
                self.call.call(&ids).await
            })
            .await;
        match answers {
            Ok(answers) => Ok(answers.get(&id).cloned()),
            Err(error) => Err(error.clone()),
        }
    }
}

/// What every loader needs: the query's screen (deadline, request id) and the clients.
#[derive(Clone)]
pub struct Batch {
    screen: Arc<Screen>,
    upstreams: Arc<Upstreams>,
}

/// By id, from a list in which each item names its id.
fn by_id<T>(items: Vec<T>, id: impl Fn(&T) -> &str) -> ById<Arc<T>> {
    items
        .into_iter()
        .map(|item| (id(&item).to_owned(), Arc::new(item)))
        .collect()
}

/// The same answers by id, each shared with every field that asks for it.
fn shared_values<T>(by_id: ById<T>) -> ById<Arc<T>> {
    by_id.into_iter().map(|(id, value)| (id, Arc::new(value))).collect()
}

/// Declares loaders, one a line: `Name: Value = |upstreams, screen, ids| answers;` is the
/// loader `Name` of `Value`s, whose one call for `ids` answers `answers` (by id), made with the
/// [`Batch`]'s clients within its screen's deadline.
macro_rules! batch_calls {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $value:ty = |$upstreams:ident, $screen:ident, $ids:ident| $answers:expr;
    )*) => {$(
        $(#[doc = $doc])*
        pub struct $name(Batch);

        impl BatchCall for $name {
            type Value = $value;

            async fn call(
                &self,
                $ids: &[String],
            ) -> Result<ById<Arc<$value>>, UpstreamError> {
                let ($upstreams, $screen) = (&*self.0.upstreams, &*self.0.screen);
                Ok($answers)
            }
        }
    )*};
}

batch_calls! {
    /// Loads product cards.
    Cards: ProductCard = |up, screen, ids| by_id(up.catalog.cards(screen, ids).await?, |c| &c.id);
    /// Loads products in full.
    Products: Product = |up, screen, ids| by_id(up.catalog.products(screen, ids).await?, |p| &p.id);
    /// Loads offers.
    Offers: Offer = |up, screen, ids| shared_values(up.offers.offers(screen, ids).await?);
    /// Loads average ratings.
    Ratings: Rating = |up, screen, ids| shared_values(up.reviews.ratings(screen, ids).await?);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers each id with its upper case; records every call; the first call never ends
    /// when `hang_first`.
    #[derive(Default)]
    struct Upper {
        calls: Mutex<Vec<Vec<String>>>,
        hang_first: bool,
    }

    impl BatchCall for Upper {
        type Value = String;

        async fn call(&self, ids: &[String]) -> Result<ById<Arc<String>>, UpstreamError> {
            let first = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(ids.to_vec());
                calls.len() == 1
            };
            if first && self.hang_first {
                std::future::pending::<()>().await;
            }
            Ok(ids
                .iter()
                .map(|id| (id.clone(), Arc::new(id.to_uppercase())))
                .collect())
        }
    }

    fn ids(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[tokio::test]
    async fn ids_asked_in_one_turn_are_one_call_and_later_ones_the_next() {
        let loader = Loader::new(Upper::default());
        let (a, b, a_again) = tokio::join!(
            loader.load_one("a".into()),
            loader.load_one("b".into()),
            loader.load_one("a".into()),
        );
        assert_eq!(a.unwrap().as_deref().map(String::as_str), Some("A"));
        assert_eq!(b.unwrap().as_deref().map(String::as_str), Some("B"));
        assert_eq!(a_again.unwrap().as_deref().map(String::as_str), Some("A"));
        let c = loader.load_one("c".into()).await.unwrap();
        assert_eq!(c.as_deref().map(String::as_str), Some("C"));
        assert_eq!(*loader.call.calls.lock().unwrap(), [ids(&["a", "b"]), ids(&["c"])]);
    }

    #[tokio::test]
    async fn when_the_caller_making_the_call_is_dropped_the_next_one_makes_it_again() {
        let loader = Loader::new(Upper {
            hang_first: true,
            ..Upper::default()
        });
        let mut first = Box::pin(loader.load_one("a".into()));
        let mut second = Box::pin(loader.load_one("b".into()));
        // Both join the batch; the first yields once, then makes the call, which hangs.
        assert!(futures::poll!(first.as_mut()).is_pending());
        assert!(futures::poll!(second.as_mut()).is_pending());
        assert!(futures::poll!(first.as_mut()).is_pending());
        drop(first);

        let b = second.await.unwrap();
        assert_eq!(b.as_deref().map(String::as_str), Some("B"));
        let calls = loader.call.calls.lock().unwrap().clone();
        assert_eq!(calls, [ids(&["a", "b"]), ids(&["a", "b"])]);
    }
}
