//! Deterministic generation of the storefront's data: products, offers, ratings, popularity.
//!
//! Everything derives from `(seed, products)` through [`SmallRng::seed_from_u64`] with one
//! independent stream per product and aspect, so product 42 is the same whatever the product
//! count, and no output depends on hash-map iteration order. Generation is eager for what every
//! request needs (products, offers, review ratings and dates) and lazy for the rest (review
//! texts are made on request, the search index on the first search), and datasets are cached per
//! `(seed, products)` for the whole process, because tests start services many times.
//!
//! # Layout
//! - this module — the [`Dataset`] and its lookups (popularity, categories, search, reviews);
//! - [`generate`] — how one product, offer or review set is made, and the random streams;
//! - [`search`] — the inverted index behind [`Dataset::search`];
//! - [`dates`] — day numbers and RFC 3339 timestamps.

mod dates;
mod generate;
mod search;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rand::Rng;
use serde::Serialize;

use crate::vocab::{self, CATEGORIES};

pub(crate) use dates::{format_day, format_timestamp, now_rfc3339, reference_secs};
pub(crate) use generate::{fnv1a, mix, pick};
use generate::{generate_offer, generate_product, generate_review_set, render, rng_for};
pub(crate) use search::tokens;
use search::{SearchIndex, intersect};

/// Widths of every image's renditions (height = width × 3/4).
pub(crate) const RENDITION_WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// Independent random streams per product.
#[derive(Clone, Copy)]
enum Stream {
    Product = 1,
    Offer = 2,
    Reviews = 3,
    ReviewText = 4,
    Popularity = 5,
    User = 6,
}

/// The whole generated world for one `(seed, products)`.
pub(crate) struct Dataset {
    /// Seed everything was generated from (also seeds lazily generated parts).
    pub seed: u64,
    /// Categories in display order, with their product counts.
    pub categories: Vec<Category>,
    /// Products by index (`p00001` is index 0).
    pub products: Vec<Product>,
    /// Offers by product index.
    pub offers: Vec<Offer>,
    /// Review ratings and dates by product index.
    pub reviews: Vec<ReviewSet>,
    /// Product indexes, most popular first.
    pub popular: Vec<u32>,
    /// Position of each product in `popular`.
    pub popularity_rank: Vec<u32>,
    /// Product indexes by category index, most popular first.
    pub by_category: Vec<Vec<u32>>,
    search: OnceLock<SearchIndex>,
}

/// A category as listed by the catalog.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Category {
    /// Slug (`audio`).
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Number of products in it.
    pub product_count: usize,
}

/// A generated product; the catalog turns it into wire JSON.
#[derive(Debug, Clone)]
pub(crate) struct Product {
    /// `p00042`.
    pub id: String,
    /// `Aurora Wireless Headphones`.
    pub name: String,
    /// `Lumen`.
    pub brand: &'static str,
    /// Index into [`CATEGORIES`].
    pub category: usize,
    /// Noun of the product kind (`Headphones`), for texts about it.
    pub noun: &'static str,
    /// Main material (also in the specs), for texts about it.
    pub material: &'static str,
    /// Plain text, paragraphs separated by a blank line.
    pub description: String,
    /// Bullet points.
    pub features: Vec<&'static str>,
    /// About twenty name/value pairs.
    pub specs: Vec<Spec>,
    /// Alt text of each image (3–8).
    pub images: Vec<String>,
    /// Colour name of the product (first variant).
    pub color_name: &'static str,
    /// Hex colour of the product's images.
    pub color: &'static str,
    /// Purchasable variants (1–4).
    pub variants: Vec<Variant>,
    /// `YYYY-MM-DD`.
    pub created_at: String,
    /// `created_at` as days since the Unix epoch, for sorting.
    pub created_day: i64,
}

/// One entry of a product's spec table.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Spec {
    pub name: &'static str,
    pub value: String,
}

/// A purchasable variant of a product.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Variant {
    pub sku: String,
    pub name: String,
    pub attributes: BTreeMap<&'static str, String>,
}

/// Price, stock and delivery of a product.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Offer {
    pub price_cents: u32,
    pub list_price_cents: u32,
    pub discount_percent: u32,
    pub stock: u32,
    pub min_days: u32,
    pub max_days: u32,
}

/// The ratings and dates of a product's reviews, newest first; texts are made on request.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReviewSet {
    /// `(rating 1..=5, day)` per review, newest first.
    pub entries: Vec<(u8, i64)>,
    /// Counts of 1..5 stars.
    pub histogram: [u32; 5],
    /// Mean rating rounded to one decimal, 0.0 without reviews.
    pub average: f64,
}

/// One review with its text, generated on request.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Review {
    pub id: String,
    pub author: String,
    pub rating: u8,
    pub title: &'static str,
    pub body: String,
    pub created_at: String,
}

/// Returns the cached dataset for `(seed, products)`, generating it on first use.
pub(crate) fn dataset(seed: u64, products: usize) -> Arc<Dataset> {
    type Cache = Mutex<HashMap<(u64, usize), Arc<Dataset>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    Arc::clone(
        cache
            .entry((seed, products))
            .or_insert_with(|| Arc::new(Dataset::generate(seed, products))),
    )
}

/// Parses a product id of the form `p` + five digits into its number (`p00042` → 42).
pub(crate) fn parse_product_id(id: &str) -> Option<usize> {
    let digits = id.strip_prefix('p')?;
    if digits.len() != 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Formats a product index as its id (0 → `p00001`).
pub(crate) fn product_id(index: usize) -> String {
    format!("p{:05}", index + 1)
}

impl Dataset {
    fn generate(seed: u64, count: usize) -> Self {
        let products: Vec<Product> = (0..count).map(|i| generate_product(seed, i)).collect();
        let offers: Vec<Offer> = products
            .iter()
            .enumerate()
            .map(|(i, p)| generate_offer(seed, i, &CATEGORIES[p.category]))
            .collect();
        let reviews: Vec<ReviewSet> = products
            .iter()
            .enumerate()
            .map(|(i, p)| generate_review_set(seed, i, p.created_day))
            .collect();

        let mut scored: Vec<(f64, u32)> = reviews
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let noise: f64 = rng_for(seed, Stream::Popularity, i as u64).random();
                let score =
                    r.average * r.average * (1.0 + r.entries.len() as f64).ln() + noise * 8.0;
                (score, i as u32)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let popular: Vec<u32> = scored.into_iter().map(|(_, i)| i).collect();
        let mut popularity_rank = vec![0; count];
        let mut by_category = vec![Vec::new(); CATEGORIES.len()];
        for (rank, &i) in popular.iter().enumerate() {
            popularity_rank[i as usize] = rank as u32;
            by_category[products[i as usize].category].push(i);
        }
        let categories = CATEGORIES
            .iter()
            .zip(&by_category)
            .map(|(def, members)| Category {
                id: def.id,
                name: def.name,
                product_count: members.len(),
            })
            .collect();

        Self {
            seed,
            categories,
            products,
            offers,
            reviews,
            popular,
            popularity_rank,
            by_category,
            search: OnceLock::new(),
        }
    }

    /// Builds the search index on a background thread, so that the first search does not pay
    /// for it (called when a catalog starts; other services never search).
    pub fn prewarm_search(self: &Arc<Self>) {
        if self.search.get().is_some() {
            return;
        }
        let data = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("search-index".to_owned())
            .spawn(move || {
                data.search
                    .get_or_init(|| SearchIndex::build(&data.products));
            });
        if let Err(error) = spawned {
            tracing::debug!(%error, "search index will be built on the first search");
        }
    }

    /// Looks up a product by its id; `None` for malformed and unknown ids alike.
    pub fn product_index(&self, id: &str) -> Option<usize> {
        parse_product_id(id)
            .filter(|n| (1..=self.products.len()).contains(n))
            .map(|n| n - 1)
    }

    /// The category index of a slug.
    pub fn category_index(&self, slug: &str) -> Option<usize> {
        CATEGORIES.iter().position(|c| c.id == slug)
    }

    /// Products matching every word of `query` (all products for an empty query) with their
    /// relevance scores, in product order.
    pub fn search(&self, query: &str) -> Vec<(u32, u32)> {
        let terms = {
            let mut terms = tokens(&query.to_lowercase())
                .map(str::to_owned)
                .collect::<Vec<_>>();
            terms.sort();
            terms.dedup();
            terms
        };
        if terms.is_empty() {
            return (0..self.products.len() as u32).map(|i| (i, 0)).collect();
        }
        let index = self
            .search
            .get_or_init(|| SearchIndex::build(&self.products));
        let mut matches: Option<Vec<(u32, u32)>> = None;
        for term in &terms {
            let Some(postings) = index.postings.get(term) else {
                return Vec::new();
            };
            matches = Some(match matches {
                None => postings.clone(),
                Some(current) => intersect(&current, postings),
            });
        }
        matches.unwrap_or_default()
    }

    /// Products related to `index`: the same category first (in an order particular to the
    /// product), then the rest by popularity; never the product itself.
    pub fn related(&self, index: usize, limit: usize) -> Vec<u32> {
        let category = self.products[index].category;
        let mut same: Vec<u32> = self.by_category[category]
            .iter()
            .copied()
            .filter(|&i| i as usize != index)
            .collect();
        same.sort_by_key(|&i| (mix(self.seed ^ index as u64, u64::from(i)), i));
        same.truncate(limit);
        let rest = self
            .popular
            .iter()
            .copied()
            .filter(|&i| self.products[i as usize].category != category);
        same.extend(rest.take(limit - same.len()));
        same
    }

    /// The popular list, personalised for `subject` if given: each user has two favourite
    /// categories whose products move up, and a small per-user shuffle.
    pub fn popular_for(&self, subject: Option<&str>, limit: usize) -> Vec<u32> {
        let Some(subject) = subject else {
            return self.popular.iter().copied().take(limit).collect();
        };
        let user = fnv1a(subject.as_bytes());
        let mut rng = rng_for(self.seed ^ user, Stream::User, 0);
        let favourites = [
            rng.random_range(0..CATEGORIES.len()),
            rng.random_range(0..CATEGORIES.len()),
        ];
        let mut scored: Vec<(u64, u32)> = self
            .popular
            .iter()
            .take(400)
            .map(|&i| {
                let rank = u64::from(self.popularity_rank[i as usize]);
                let boost = if favourites.contains(&self.products[i as usize].category) {
                    0
                } else {
                    200
                };
                let jitter = mix(user, u64::from(i)) % 60;
                (rank + boost + jitter, i)
            })
            .collect();
        scored.sort();
        scored.into_iter().map(|(_, i)| i).take(limit).collect()
    }

    /// Review `n` (0 = oldest) of product `index`, with its text.
    pub fn review(&self, index: usize, n: usize) -> Review {
        let product = &self.products[index];
        let def = &CATEGORIES[product.category];
        let set = &self.reviews[index];
        let (rating, day) = set.entries[set.entries.len() - 1 - n];
        let mut rng = rng_for(
            self.seed,
            Stream::ReviewText,
            (index as u64) << 16 | n as u64,
        );
        let author = format!(
            "{} {}.",
            pick(&mut rng, vocab::FIRST_NAMES),
            &pick(&mut rng, vocab::LAST_NAMES)[..1]
        );
        let stars = usize::from(rating - 1);
        let title = pick(&mut rng, vocab::REVIEW_TITLES[stars]);
        let target = rng.random_range(100..=1400);
        let mut body = String::with_capacity(target + 200);
        while body.len() < target {
            if !body.is_empty() {
                body.push(' ');
            }
            let sentence = pick(&mut rng, vocab::REVIEW_SENTENCES[stars]);
            render(&mut body, sentence, product, def, &mut rng);
        }
        Review {
            id: format!("r-{}-{:04}", product.id, n + 1),
            author,
            rating,
            title,
            body,
            created_at: format_day(day),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_need_a_p_and_exactly_five_digits() {
        assert_eq!(parse_product_id("p00042"), Some(42));
        for bad in [
            "p0042", "p000042", "P00042", "p0004a", "00042p", "p-0042", "p+0042",
        ] {
            assert_eq!(parse_product_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn generation_is_deterministic_and_fast_enough_for_tests() {
        let start = std::time::Instant::now();
        let a = Dataset::generate(42, 2000);
        let elapsed = start.elapsed();
        let b = Dataset::generate(42, 2000);
        assert_eq!(a.products[41].name, b.products[41].name);
        assert_eq!(a.products[41].description, b.products[41].description);
        assert_eq!(a.popular, b.popular);
        assert!(elapsed.as_secs_f64() < 2.0, "generation took {elapsed:?}");
        for product in &a.products {
            assert!(
                (2_000..=5_200).contains(&product.description.len()),
                "{}",
                product.description.len()
            );
            assert!((3..=8).contains(&product.images.len()));
            assert!((1..=4).contains(&product.variants.len()));
            assert!((4..=8).contains(&product.features.len()));
            assert_eq!(product.specs.len(), 22);
        }
        let discounted = a.offers.iter().filter(|o| o.discount_percent > 0).count();
        assert!((400..800).contains(&discounted), "{discounted}");
    }

    #[test]
    fn a_product_does_not_depend_on_the_product_count() {
        let small = Dataset::generate(42, 50);
        let large = dataset(42, 2000);
        assert_eq!(small.products[7].name, large.products[7].name);
        assert_eq!(small.offers[7].price_cents, large.offers[7].price_cents);
    }
}
