//! Word lists and sentence templates the generated data is made of.
//!
//! Kept apart from the generator so that the generator reads as an algorithm. Templates use
//! `{placeholders}` filled by [`crate::data`]: `{name}`, `{brand}`, `{noun}`, `{adj}`, `{use}`,
//! `{benefit}`, `{feature}`, `{material}`, `{color}`, `{category}`, and `{a_noun}` / `{a_adj}`
//! (with the right indefinite article).

mod electronics;
mod home_and_leisure;

use rand::Rng;
use rand::rngs::SmallRng;

/// Generates a spec value.
pub(crate) type SpecFn = fn(&mut SmallRng) -> String;

/// One product category with everything needed to make plausible products of it.
pub(crate) struct CategoryDef {
    /// Slug used as the category id (`audio`).
    pub id: &'static str,
    /// Display name (`Audio`).
    pub name: &'static str,
    /// Relative share of the products.
    pub weight: u32,
    /// Brands selling in this category (brands overlap between categories).
    pub brands: &'static [&'static str],
    /// Product kinds (`Headphones`).
    pub nouns: &'static [&'static str],
    /// Qualifiers (`Wireless`).
    pub adjectives: &'static [&'static str],
    /// Bullet features to pick from.
    pub features: &'static [&'static str],
    /// What people do with it (`long flights`).
    pub uses: &'static [&'static str],
    /// What it does for them (`keeps the noise of the city out`).
    pub benefits: &'static [&'static str],
    /// Materials it is made of.
    pub materials: &'static [&'static str],
    /// Price range in whole euros.
    pub price_eur: (u32, u32),
    /// Category-specific specs.
    pub specs: &'static [(&'static str, SpecFn)],
    /// Variant attribute beyond colour, if any (`("storage", ["128 GB", ...])`).
    pub option: Option<(&'static str, &'static [&'static str])>,
}

/// Product line names: the first word of a product name.
pub(crate) const MODELS: &[&str] = &[
    "Aurora", "Nova", "Zephyr", "Atlas", "Orion", "Vega", "Pulse", "Echo", "Summit", "Drift",
    "Ember", "Halo", "Prism", "Vertex", "Lyra", "Solace", "Tundra", "Cobalt", "Quill", "Nimbus",
    "Aria", "Sable", "Fjord", "Juno", "Kestrel", "Mosaic", "Cirrus", "Basalt", "Meridian", "Onyx",
];

/// Optional last word of a product name.
pub(crate) const SUFFIXES: &[&str] = &[
    "", "", "", "", " 2", " 3", " Pro", " Mini", " Max", " Lite", " S", " X",
];

/// Colour names with the hex value used for images.
pub(crate) const COLORS: &[(&str, &str)] = &[
    ("Black", "#2b2d33"),
    ("White", "#e9e9ec"),
    ("Silver", "#b8bcc4"),
    ("Graphite", "#4a4e57"),
    ("Midnight Blue", "#23395d"),
    ("Ocean", "#3a7bd5"),
    ("Forest", "#2f6b4f"),
    ("Sage", "#8fae8b"),
    ("Sand", "#d8c3a5"),
    ("Terracotta", "#c8694b"),
    ("Crimson", "#b3253b"),
    ("Coral", "#f08a6c"),
    ("Mustard", "#d9a62e"),
    ("Lavender", "#9d8ec7"),
    ("Plum", "#6b3a5d"),
    ("Teal", "#2a8c8c"),
];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Mia", "Noah", "Emma", "Liam", "Olivia", "Lucas", "Sofia", "Elias", "Hannah", "Jonas", "Lea",
    "Finn", "Clara", "Ben", "Ida", "Paul", "Marta", "Theo", "Nora", "Jan", "Aylin", "Mateo", "Zoe",
    "Omar", "Freya", "Kenji", "Priya", "Tomasz", "Ines", "Luca",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Keller",
    "Novak",
    "Jansen",
    "Moreau",
    "Rossi",
    "Berg",
    "Santos",
    "Fischer",
    "Kowalski",
    "Lindqvist",
    "Okafor",
    "Tanaka",
    "Dubois",
    "Costa",
    "Meyer",
    "Haddad",
    "Larsen",
    "Weber",
    "Silva",
    "Nakamura",
];

/// Sentences of product descriptions.
pub(crate) const DESCRIPTION_SENTENCES: &[&str] = &[
    "The {name} is the {adj} {noun} {brand} designed for {use}.",
    "Built around {feature}, it {benefit}.",
    "{brand} engineers spent two years refining every detail of the {noun}, from the {material} housing to the smallest hinge.",
    "Whether you are planning for {use} or simply want something that works every day, the {name} {benefit}.",
    "It comes in {color}, a finish chosen to age gracefully and hide fingerprints.",
    "Reviewers keep mentioning {feature}, and it is easy to see why.",
    "The {material} shell is tough enough for daily use yet light enough to carry anywhere.",
    "Setup takes a few minutes: unpack it, follow the printed quick-start card, and you are ready for {use}.",
    "Compared with the previous generation, the {name} {benefit} while using less energy.",
    "Every unit is tested at the factory before it leaves, and {brand} backs it with a generous warranty.",
    "If you care about repairability, you will like that the parts most likely to wear out can be replaced at home.",
    "The packaging is made from recycled cardboard and contains no single-use plastic.",
    "Small touches such as {feature} make a difference you notice after the first week.",
    "Think of it as {a_adj} companion for {use}.",
    "The {noun} pairs naturally with other {category} products from {brand}.",
    "Firmware updates arrive regularly and add improvements long after you buy it.",
    "It is quiet, dependable and easy to clean, which is exactly what you want from {a_noun}.",
    "For people who want more, the {name} also {benefit}.",
    "{brand} chose {material} because it feels good in the hand and lasts for years.",
    "The result is {a_noun} that {benefit} without asking for attention.",
    "Customers who bought it for {use} often end up using it every day.",
    "The controls are where your fingers expect them, so you rarely need to read the manual.",
    "Its {adj} design has been recognised by several independent design awards.",
    "Spare parts and accessories remain available for at least seven years.",
    "In side-by-side tests against similar products it stood out for {feature}.",
    "A detailed printed manual in twelve languages is included in the box.",
    "The {name} ships with everything you need, including cables and a storage pouch where it makes sense.",
    "Its colour, {color}, was picked to match the rest of the {brand} range.",
    "Whatever your routine, this {noun} {benefit}.",
    "Owners describe it as the {noun} they did not know they needed.",
];

/// Titles of reviews by star rating (index 0 is one star).
pub(crate) const REVIEW_TITLES: [&[&str]; 5] = [
    &[
        "Disappointed",
        "Broke after a month",
        "Not as described",
        "Would not buy again",
        "Returned it",
    ],
    &[
        "Expected more",
        "Mediocre at best",
        "Some good ideas, poor execution",
        "Not worth the price",
    ],
    &[
        "It is okay",
        "Does the job",
        "Average, nothing special",
        "Mixed feelings",
    ],
    &[
        "Very good",
        "Happy with it",
        "Solid choice",
        "Great value",
        "Would recommend",
    ],
    &[
        "Excellent!",
        "Best purchase this year",
        "Exactly what I wanted",
        "Absolutely love it",
        "Five stars, no doubt",
    ],
];

/// Review sentences by star rating (index 0 is one star).
pub(crate) const REVIEW_SENTENCES: [&[&str]; 5] = [
    &[
        "I bought this {noun} for {use} and it let me down.",
        "The {brand} support team never answered my emails.",
        "After a few weeks it started making a strange noise.",
        "The build quality feels cheap for what it costs.",
        "I wanted to like it, but it simply does not work reliably.",
        "The description promised {feature}, which I could not confirm.",
    ],
    &[
        "It works, but not nearly as well as I hoped for {use}.",
        "The {material} finish scratches far too easily.",
        "Setup was confusing and the manual did not help.",
        "For this price I expected better.",
        "It does what it says, just not well.",
    ],
    &[
        "It is a decent choice for {use}.",
        "Some things are great, others are frustrating.",
        "The {feature} is nice, but the rest is average.",
        "If it goes on sale it is worth considering.",
        "Delivery was quick and the packaging was fine.",
    ],
    &[
        "I use it almost every day for {use}.",
        "The {feature} works really well.",
        "It {benefit}, which is what I needed.",
        "Only small complaint: the cable could be longer.",
        "Good quality for the money, and it looks great in {color}.",
        "Setup took five minutes.",
    ],
    &[
        "This {noun} is fantastic for {use}.",
        "{brand} really thought about the details here.",
        "It {benefit} and feels premium in the hand.",
        "I have recommended it to all my friends.",
        "The {feature} alone is worth the price.",
        "Already bought a second one as a gift.",
    ],
];

fn grams(r: &mut SmallRng, lo: u32, hi: u32) -> String {
    format!("{} g", r.random_range(lo..=hi))
}

fn hours(r: &mut SmallRng, lo: u32, hi: u32) -> String {
    format!("{} h", r.random_range(lo..=hi))
}

fn pick(r: &mut SmallRng, options: &[&str]) -> String {
    options[r.random_range(0..options.len())].to_owned()
}

/// Specs every product has (the rest come from its category).
pub(crate) const COMMON_SPECS: &[(&str, SpecFn)] = &[
    ("Model number", |r| {
        format!(
            "{}{}-{}",
            char::from(b'A' + r.random_range(0..26u8)),
            char::from(b'A' + r.random_range(0..26u8)),
            r.random_range(1000..9999)
        )
    }),
    ("Dimensions", |r| {
        format!(
            "{} × {} × {} mm",
            r.random_range(20..400),
            r.random_range(20..300),
            r.random_range(5..200)
        )
    }),
    ("Warranty", |r| {
        pick(r, &["1 year", "2 years", "3 years", "5 years"])
    }),
    ("Country of origin", |r| {
        pick(
            r,
            &[
                "Germany", "Portugal", "Taiwan", "Japan", "Vietnam", "Poland", "Mexico", "Denmark",
            ],
        )
    }),
    ("Package contents", |r| {
        pick(
            r,
            &[
                "Device, manual",
                "Device, cable, manual",
                "Device, case, cable, manual",
                "Device, adapter, manual",
            ],
        )
    }),
    ("Release year", |r| r.random_range(2021..=2026).to_string()),
    ("Recycled content", |r| {
        format!("{} %", r.random_range(0..=80))
    }),
    ("Certifications", |r| {
        pick(r, &["CE", "CE, RoHS", "CE, RoHS, WEEE", "CE, FCC"])
    }),
    ("Care", |r| {
        pick(
            r,
            &[
                "Wipe with a dry cloth",
                "Dishwasher safe",
                "Hand wash only",
                "Wipe with a damp cloth",
            ],
        )
    }),
    ("Repairability score", |r| {
        format!("{}.{} / 10", r.random_range(4..10), r.random_range(0..10))
    }),
    ("Energy class", |r| {
        pick(r, &["A", "B", "C", "not applicable"])
    }),
    ("Packaging", |r| {
        pick(
            r,
            &["Plastic-free cardboard", "Recycled cardboard", "FSC paper"],
        )
    }),
];

/// Every category, in the order the generator draws from (the order is part of the data).
pub(crate) const CATEGORIES: &[CategoryDef] = &[
    electronics::AUDIO,
    electronics::CAMERAS,
    electronics::COMPUTERS,
    electronics::PHONES,
    electronics::WEARABLES,
    home_and_leisure::GAMING,
    home_and_leisure::HOME,
    home_and_leisure::KITCHEN,
    home_and_leisure::OUTDOOR,
    home_and_leisure::FITNESS,
];
