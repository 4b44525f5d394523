//! How one product, its offer and its review set are made: each from its own random stream, so
//! product 42 is the same whatever the product count.

use std::collections::BTreeMap;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::dates::{FIRST_DAY, REFERENCE_DAY, format_day};
use super::{Offer, Product, ReviewSet, Spec, Stream, Variant, product_id};
use crate::vocab::{self, CATEGORIES, CategoryDef};

pub(super) fn generate_product(seed: u64, index: usize) -> Product {
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
pub(super) fn render(
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

pub(super) fn generate_offer(seed: u64, index: usize, def: &CategoryDef) -> Offer {
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

pub(super) fn generate_review_set(seed: u64, index: usize, created_day: i64) -> ReviewSet {
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
pub(super) fn rng_for(seed: u64, stream: Stream, index: u64) -> SmallRng {
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
