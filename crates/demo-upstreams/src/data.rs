//! Deterministic generation of the storefront's data: products, offers, ratings, popularity.
//!
//! Everything derives from `(seed, products)` through [`SmallRng::seed_from_u64`] with one
//! independent stream per product and aspect, so product 42 is the same whatever the product
//! count, and no output depends on hash-map iteration order. Generation is eager for what every
//! request needs (products, offers, review ratings and dates) and lazy for the rest (review
//! texts are made on request, the search index on the first search), and datasets are cached per
//! `(seed, products)` for the whole process, because tests start services many times.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::vocab::{self, CATEGORIES, CategoryDef};

/// Widths of every image's renditions (height = width × 3/4).
pub(crate) const RENDITION_WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// "Today" for the generated data: fixed, so dates do not move between runs.
const REFERENCE_DAY: i64 = 20_605; // 2026-06-01
/// Earliest `created_at` of a product.
const FIRST_DAY: i64 = 19_358; // 2023-01-01

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

/// Inverted index over names, brands and descriptions, built on the first search.
struct SearchIndex {
    postings: HashMap<String, Vec<(u32, u32)>>,
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

impl SearchIndex {
    fn build(products: &[Product]) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        for (i, product) in products.iter().enumerate() {
            let name = product.name.to_lowercase();
            let brand = product.brand.to_lowercase();
            let description = product.description.to_lowercase();
            let mut scores: HashMap<&str, u32> = HashMap::with_capacity(256);
            for token in tokens(&description) {
                let score = scores.entry(token).or_insert(0);
                *score = (*score + 1).min(5);
            }
            for token in tokens(&brand) {
                *scores.entry(token).or_insert(0) += 6;
            }
            for token in tokens(&name) {
                *scores.entry(token).or_insert(0) += 10;
            }
            for (token, score) in scores.drain() {
                match postings.get_mut(token) {
                    Some(list) => list.push((i as u32, score)),
                    None => {
                        postings.insert(token.to_owned(), vec![(i as u32, score)]);
                    }
                }
            }
        }
        Self { postings }
    }
}

/// Lower-cased words of `text` (which must already be lower case).
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// Intersects two posting lists sorted by product, adding scores.
fn intersect(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn generate_product(seed: u64, index: usize) -> Product {
    let mut rng = rng_for(seed, Stream::Product, index as u64);
    let total_weight: u32 = CATEGORIES.iter().map(|c| c.weight).sum();
    let mut roll = rng.random_range(0..total_weight);
    let category = CATEGORIES
        .iter()
        .position(|c| {
            if roll < c.weight {
                true
            } else {
                roll -= c.weight;
                false
            }
        })
        .unwrap_or(0);
    let def = &CATEGORIES[category];
    let brand = pick(&mut rng, def.brands);
    let noun = pick(&mut rng, def.nouns);
    let adjective = pick(&mut rng, def.adjectives);
    let name = format!(
        "{} {adjective} {noun}{}",
        pick(&mut rng, vocab::MODELS),
        pick(&mut rng, vocab::SUFFIXES)
    );
    let color_index = rng.random_range(0..vocab::COLORS.len());
    let (color_name, color) = vocab::COLORS[color_index];
    let created_day = rng.random_range(FIRST_DAY..REFERENCE_DAY);
    let material = pick(&mut rng, def.materials);

    let mut product = Product {
        id: product_id(index),
        name,
        brand,
        category,
        noun,
        material,
        description: String::new(),
        features: Vec::new(),
        specs: Vec::new(),
        images: Vec::new(),
        color_name,
        color,
        variants: Vec::new(),
        created_at: format_day(created_day),
        created_day,
    };

    let mut features = def.features.to_vec();
    shuffle(&mut features, &mut rng);
    features.truncate(rng.random_range(4..=8));
    product.features = features;

    product.specs = vocab::COMMON_SPECS
        .iter()
        .chain(def.specs)
        .map(|(name, value)| Spec {
            name,
            value: value(&mut rng),
        })
        .collect();
    product.specs.insert(
        1,
        Spec {
            name: "Colour",
            value: color_name.to_owned(),
        },
    );
    product.specs.insert(
        2,
        Spec {
            name: "Material",
            value: capitalise(material),
        },
    );

    const VIEWS: [&str; 8] = [
        "front view",
        "side view",
        "back view",
        "in use",
        "detail",
        "with accessories",
        "in the box",
        "close-up",
    ];
    let image_count = rng.random_range(3..=8);
    product.images = VIEWS[..image_count]
        .iter()
        .map(|view| format!("{} in {color_name}, {view}", product.name))
        .collect();

    let variant_count = rng.random_range(1..=4);
    product.variants = match def.option {
        Some((attribute, values)) => values
            .iter()
            .take(variant_count)
            .map(|value| {
                let name = format!("{color_name}, {value}");
                Variant {
                    sku: format!("{}-{}", product.id, slug(&name)),
                    name,
                    attributes: BTreeMap::from([
                        ("color", color_name.to_owned()),
                        (attribute, (*value).to_owned()),
                    ]),
                }
            })
            .collect(),
        None => (0..variant_count)
            .map(|k| {
                let (colour, _) = vocab::COLORS[(color_index + k * 5) % vocab::COLORS.len()];
                Variant {
                    sku: format!("{}-{}", product.id, slug(colour)),
                    name: colour.to_owned(),
                    attributes: BTreeMap::from([("color", colour.to_owned())]),
                }
            })
            .collect(),
    };

    product.description = generate_description(&product, def, &mut rng);
    product
}

fn generate_description(product: &Product, def: &CategoryDef, rng: &mut SmallRng) -> String {
    let target = rng.random_range(2_000..=4_600);
    let mut text = String::with_capacity(target + 400);
    let sentences = vocab::DESCRIPTION_SENTENCES;
    render(&mut text, sentences[0], product, def, rng);
    // Sentences are dealt from a shuffled deck, so none repeats before all were used.
    let mut deck: Vec<&str> = Vec::new();
    let mut in_paragraph = 1;
    let mut paragraph_length = rng.random_range(3..=6);
    while text.len() < target {
        if in_paragraph == paragraph_length {
            text.push_str("\n\n");
            in_paragraph = 0;
            paragraph_length = rng.random_range(3..=6);
        } else {
            text.push(' ');
        }
        if deck.is_empty() {
            deck.extend_from_slice(&sentences[1..]);
            shuffle(&mut deck, rng);
        }
        let sentence = deck.pop().unwrap_or(sentences[0]);
        render(&mut text, sentence, product, def, rng);
        in_paragraph += 1;
    }
    text
}

/// Appends `template` to `out`, filling `{placeholders}` about `product`.
fn render(
    out: &mut String,
    template: &str,
    product: &Product,
    def: &CategoryDef,
    rng: &mut SmallRng,
) {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let key = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        match key {
            "name" => out.push_str(&product.name),
            "brand" => out.push_str(product.brand),
            "noun" => push_softened(out, product.noun),
            "adj" => push_softened(out, adjective(product)),
            "a_noun" => {
                if product.noun.ends_with('s') {
                    out.push_str("a pair of ");
                } else {
                    out.push_str(article(product.noun));
                }
                push_softened(out, product.noun);
            }
            "a_adj" => {
                out.push_str(article(adjective(product)));
                push_softened(out, adjective(product));
            }
            "use" => out.push_str(pick(rng, def.uses)),
            "benefit" => out.push_str(pick(rng, def.benefits)),
            "feature" => push_softened_first(out, pick(rng, &product.features)),
            "material" => out.push_str(product.material),
            "color" => out.push_str(&product.color_name.to_lowercase()),
            "category" => out.push_str(&def.name.to_lowercase()),
            _ => {}
        }
    }
    out.push_str(rest);
}

/// The adjective of a product's name (its second word).
fn adjective(product: &Product) -> &str {
    product.name.split(' ').nth(1).unwrap_or("")
}

/// `"a "` or `"an "` for `word` (`an ultralight`, `an RGB`, `a 4K`).
fn article(word: &str) -> &'static str {
    let mut chars = word.chars();
    let first = chars.next().unwrap_or('x');
    let acronym = chars
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let vowel_sound = if acronym {
        "AEFHILMNORSX".contains(first)
    } else {
        "AEIOUaeiou".contains(first)
    };
    if vowel_sound { "an " } else { "a " }
}

/// Lower-cases the first letter of each word part that is not an acronym (`Hi-Fi` → `hi-fi`,
/// `RGB` stays).
fn push_softened(out: &mut String, words: &str) {
    for part in words.split_inclusive([' ', '-']) {
        let mut chars = part.chars();
        match chars.next() {
            Some(c) if c.is_uppercase() && chars.as_str().chars().any(char::is_lowercase) => {
                out.extend(c.to_lowercase());
                out.push_str(chars.as_str());
            }
            _ => out.push_str(part),
        }
    }
}

/// Like [`push_softened`] for the first word only, so a feature reads well mid-sentence.
fn push_softened_first(out: &mut String, text: &str) {
    let (first, rest) = text.split_once(' ').unwrap_or((text, ""));
    if first == "A" || first == "An" {
        out.push_str(&first.to_lowercase());
    } else {
        push_softened(out, first);
    }
    if !rest.is_empty() {
        out.push(' ');
        out.push_str(rest);
    }
}

fn generate_offer(seed: u64, index: usize, def: &CategoryDef) -> Offer {
    let mut rng = rng_for(seed, Stream::Offer, index as u64);
    let (lo, hi) = (f64::from(def.price_eur.0), f64::from(def.price_eur.1));
    let euros = (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln()))
        .exp()
        .round() as u32;
    let price_cents = euros.max(2) * 100 - 1;
    let (list_price_cents, discount_percent) = if rng.random_bool(0.3) {
        let off = rng.random_range(5..=50);
        let list_euros = (f64::from(price_cents) / (1.0 - f64::from(off) / 100.0) / 100.0).ceil();
        let list = list_euros as u32 * 100 - 1;
        let percent = (f64::from(list - price_cents) * 100.0 / f64::from(list)).round() as u32;
        (list, percent.max(1))
    } else {
        (price_cents, 0)
    };
    let stock = if rng.random_bool(0.08) {
        0
    } else {
        let u: f64 = rng.random();
        1 + (u * u * 250.0) as u32
    };
    let min_days = if stock == 0 {
        rng.random_range(7..=14)
    } else {
        rng.random_range(1..=3)
    };
    Offer {
        price_cents,
        list_price_cents,
        discount_percent,
        stock,
        min_days,
        max_days: min_days + rng.random_range(1..=4),
    }
}

fn generate_review_set(seed: u64, index: usize, created_day: i64) -> ReviewSet {
    let mut rng = rng_for(seed, Stream::Reviews, index as u64);
    let count = if rng.random_bool(0.1) {
        0
    } else {
        let u: f64 = rng.random();
        1 + (u.powf(1.5) * 79.0) as usize
    };
    let quality = 2.2 + rng.random::<f64>() * 2.6;
    let mut day = REFERENCE_DAY - rng.random_range(0..20);
    let mut set = ReviewSet::default();
    for _ in 0..count {
        let spread = rng.random::<f64>() + rng.random::<f64>() - 1.0;
        let rating = (quality + spread * 2.0).round().clamp(1.0, 5.0) as u8;
        set.entries.push((rating, day.max(created_day)));
        set.histogram[usize::from(rating - 1)] += 1;
        day -= rng.random_range(0..30);
    }
    if count > 0 {
        let sum: u32 = set.entries.iter().map(|(r, _)| u32::from(*r)).sum();
        set.average = (f64::from(sum) * 10.0 / count as f64).round() / 10.0;
    }
    set
}

/// The random stream for one aspect of one item.
fn rng_for(seed: u64, stream: Stream, index: u64) -> SmallRng {
    SmallRng::seed_from_u64(mix(mix(seed, stream as u64), index))
}

/// SplitMix64 of two values: a cheap, well-spread, platform-independent combination.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_add(b.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a: a fixed hash, the same in every process (ETags, user handles).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(crate) fn pick<'a, T: ?Sized>(rng: &mut SmallRng, items: &[&'a T]) -> &'a T {
    items[rng.random_range(0..items.len())]
}

fn shuffle<T>(items: &mut [T], rng: &mut SmallRng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.random_range(0..=i));
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `Midnight Blue, 256 GB` → `midnight-blue-256-gb`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// Formats days since the Unix epoch as `YYYY-MM-DD`.
pub(crate) fn format_day(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since the Unix epoch → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The current time as RFC 3339 in UTC with second precision (`2026-05-02T10:11:12Z`).
pub(crate) fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    format_timestamp(secs)
}

/// Seconds since the Unix epoch as RFC 3339 in UTC.
pub(crate) fn format_timestamp(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Seconds since the Unix epoch of the fixed reference day (for generated timestamps).
pub(crate) fn reference_secs() -> i64 {
    REFERENCE_DAY * 86_400
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_format_as_calendar_dates() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(FIRST_DAY), "2023-01-01");
        assert_eq!(format_day(REFERENCE_DAY), "2026-06-01");
        assert_eq!(format_day(19_782), "2024-02-29");
        assert_eq!(format_timestamp(86_399), "1970-01-01T23:59:59Z");
    }

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
