//! Word lists and sentence templates the generated data is made of.
//!
//! Kept apart from the generator so that the generator reads as an algorithm. Templates use
//! `{placeholders}` filled by [`crate::data`]: `{name}`, `{brand}`, `{noun}`, `{adj}`, `{use}`,
//! `{benefit}`, `{feature}`, `{material}`, `{color}`, `{category}`, and `{a_noun}` / `{a_adj}`
//! (with the right indefinite article).

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

pub(crate) const CATEGORIES: &[CategoryDef] = &[
    CategoryDef {
        id: "audio",
        name: "Audio",
        weight: 14,
        brands: &[
            "Lumen", "Marlowe", "Quorra", "Solvik", "Umbra", "Everline", "Helio", "Calder",
        ],
        nouns: &[
            "Headphones",
            "Earbuds",
            "Speaker",
            "Soundbar",
            "Turntable",
            "Amplifier",
        ],
        adjectives: &[
            "Wireless",
            "Noise-Cancelling",
            "Studio",
            "Portable",
            "Bluetooth",
            "Hi-Fi",
            "Compact",
        ],
        features: &[
            "Adaptive noise cancellation that adjusts to your surroundings",
            "Up to 40 hours of battery life on a single charge",
            "Multipoint Bluetooth to switch between phone and laptop",
            "Custom 40 mm drivers tuned for a natural sound",
            "Transparency mode to hear announcements without taking them off",
            "USB-C fast charging: 10 minutes for 5 hours of playback",
            "Foldable design with a hard-shell travel case",
            "Six microphones for clear calls in windy streets",
            "Lossless playback over a wired connection",
            "An equaliser in the companion app",
            "Memory-foam cushions for all-day comfort",
            "Splash resistance for workouts in the rain",
        ],
        uses: &[
            "long flights",
            "the daily commute",
            "focused work",
            "late-night listening",
            "home cinema evenings",
            "podcasts and audiobooks",
        ],
        benefits: &[
            "keeps the noise of the city out",
            "delivers deep bass without muddying the vocals",
            "fills a living room with clear sound",
            "stays comfortable for hours",
            "makes calls sound like you are in the same room",
        ],
        materials: &[
            "aluminium",
            "recycled plastic",
            "vegan leather",
            "steel",
            "walnut wood",
        ],
        price_eur: (29, 899),
        specs: &[
            ("Driver size", |r| format!("{} mm", r.random_range(6..=50))),
            ("Frequency response", |r| {
                format!(
                    "{}–{} Hz",
                    r.random_range(5..=20),
                    r.random_range(20..=40) * 1000
                )
            }),
            ("Battery life", |r| hours(r, 6, 60)),
            ("Bluetooth", |r| pick(r, &["5.0", "5.2", "5.3", "5.4"])),
            ("Codecs", |r| {
                pick(
                    r,
                    &["SBC, AAC", "SBC, AAC, aptX", "SBC, AAC, LDAC", "SBC, LC3"],
                )
            }),
            ("Impedance", |r| format!("{} Ω", r.random_range(16..=300))),
            ("Weight", |r| grams(r, 4, 3500)),
            ("Water resistance", |r| {
                pick(r, &["none", "IPX4", "IP54", "IP67"])
            }),
        ],
        option: None,
    },
    CategoryDef {
        id: "cameras",
        name: "Cameras",
        weight: 8,
        brands: &["Helio", "Corvid", "Pallas", "Tessel", "Lumen", "Fjordlab"],
        nouns: &[
            "Mirrorless Camera",
            "Action Camera",
            "Lens",
            "Tripod",
            "Camera Bag",
            "Drone",
        ],
        adjectives: &[
            "4K",
            "Compact",
            "Rugged",
            "Full-Frame",
            "Ultralight",
            "Stabilised",
        ],
        features: &[
            "In-body image stabilisation worth seven stops",
            "4K video at 60 frames per second",
            "A weather-sealed body for shooting in the rain",
            "Fast hybrid autofocus that tracks eyes and animals",
            "A fully articulating touchscreen",
            "Two card slots for instant backups",
            "Quick-release plate compatible with common systems",
            "A bright, high-resolution electronic viewfinder",
            "RAW photos at 20 frames per second",
            "Live streaming over USB-C",
        ],
        uses: &[
            "travel photography",
            "weddings",
            "mountain hikes",
            "vlogging",
            "wildlife trips",
            "street photography",
        ],
        benefits: &[
            "captures sharp pictures even in low light",
            "keeps your footage steady while you run",
            "makes it easy to tell a story in pictures",
            "fits in a jacket pocket",
        ],
        materials: &[
            "magnesium alloy",
            "carbon fibre",
            "aluminium",
            "weatherproof nylon",
        ],
        price_eur: (39, 2999),
        specs: &[
            ("Sensor", |r| {
                pick(
                    r,
                    &[
                        "Full frame, 24 MP",
                        "APS-C, 26 MP",
                        "1-inch, 20 MP",
                        "Micro Four Thirds, 20 MP",
                    ],
                )
            }),
            ("Video", |r| {
                pick(r, &["4K 30p", "4K 60p", "5.3K 60p", "1080p 120p"])
            }),
            ("ISO range", |r| {
                format!("100–{}", 25_600 * r.random_range(1..=8))
            }),
            ("Mount", |r| {
                pick(r, &["Z", "E", "RF", "L", "not applicable"])
            }),
            ("Battery life", |r| {
                format!("{} shots", r.random_range(200..=900))
            }),
            ("Weight", |r| grams(r, 90, 1400)),
            ("Storage", |r| {
                pick(r, &["SD UHS-II", "microSD", "CFexpress B + SD"])
            }),
            ("Weather sealing", |r| pick(r, &["yes", "no"])),
        ],
        option: None,
    },
    CategoryDef {
        id: "computers",
        name: "Computers",
        weight: 12,
        brands: &[
            "Arcline", "Kinetica", "Novaro", "Tessel", "Zentro", "Rivet", "Quorra",
        ],
        nouns: &[
            "Laptop",
            "Monitor",
            "Keyboard",
            "Mouse",
            "Docking Station",
            "Webcam",
        ],
        adjectives: &[
            "Slim",
            "Mechanical",
            "Ergonomic",
            "27-inch",
            "Wireless",
            "Performance",
            "Ultrawide",
        ],
        features: &[
            "A calibrated display covering the full sRGB colour space",
            "Hot-swappable mechanical switches",
            "Single-cable docking with 100 W power delivery",
            "An aluminium unibody that survives the backpack",
            "All-day battery life",
            "A backlit keyboard with adjustable brightness",
            "Three device pairing with an easy switch key",
            "A privacy shutter for the camera",
            "Firmware you can customise with open tools",
            "Fanless operation for silent work",
        ],
        uses: &[
            "remote work",
            "coding marathons",
            "photo editing",
            "university lectures",
            "spreadsheets and video calls",
            "a tidy home office",
        ],
        benefits: &[
            "keeps up with demanding workloads",
            "reduces strain on wrists and neck",
            "turns a small desk into a proper workstation",
            "stays cool and quiet under load",
        ],
        materials: &["aluminium", "recycled plastic", "PBT plastic", "magnesium"],
        price_eur: (19, 2499),
        specs: &[
            ("Processor", |r| {
                pick(
                    r,
                    &[
                        "8-core, 3.2 GHz",
                        "10-core, 3.6 GHz",
                        "12-core, 4.0 GHz",
                        "not applicable",
                    ],
                )
            }),
            ("Memory", |r| {
                pick(r, &["8 GB", "16 GB", "32 GB", "64 GB", "not applicable"])
            }),
            ("Display", |r| {
                pick(
                    r,
                    &[
                        "13.6-inch, 2560 × 1664",
                        "15-inch, 2880 × 1864",
                        "27-inch, 3840 × 2160",
                        "none",
                    ],
                )
            }),
            ("Ports", |r| {
                pick(
                    r,
                    &[
                        "2 × USB-C",
                        "2 × USB-C, 1 × USB-A, HDMI",
                        "4 × USB-C, Ethernet, HDMI",
                        "USB receiver",
                    ],
                )
            }),
            ("Connectivity", |r| {
                pick(
                    r,
                    &[
                        "Wi-Fi 6E, Bluetooth 5.3",
                        "Bluetooth 5.1",
                        "2.4 GHz receiver",
                        "USB-C cable",
                    ],
                )
            }),
            ("Battery life", |r| hours(r, 8, 24)),
            ("Weight", |r| grams(r, 60, 2200)),
            ("Operating systems", |r| {
                pick(r, &["Windows, macOS, Linux", "Windows, macOS", "any"])
            }),
        ],
        option: Some(("storage", &["256 GB", "512 GB", "1 TB", "2 TB"])),
    },
    CategoryDef {
        id: "phones",
        name: "Phones & Tablets",
        weight: 12,
        brands: &["Novaro", "Zentro", "Helio", "Quorra", "Arcline", "Everline"],
        nouns: &[
            "Smartphone",
            "Tablet",
            "Phone Case",
            "Charger",
            "Power Bank",
            "Screen Protector",
        ],
        adjectives: &[
            "5G",
            "Foldable",
            "Rugged",
            "Fast-Charging",
            "Magnetic",
            "Slim",
        ],
        features: &[
            "A 120 Hz OLED display that stays readable in sunlight",
            "Two days of battery life",
            "65 W fast charging",
            "Seven years of software updates",
            "A triple camera with optical zoom",
            "Drop protection tested from two metres",
            "Wireless charging in both directions",
            "A replaceable battery",
            "Dual SIM with eSIM support",
            "Magnetic accessories that snap into place",
        ],
        uses: &[
            "busy days on the go",
            "travel",
            "mobile gaming",
            "taking notes in meetings",
            "reading on the sofa",
            "video calls with family",
        ],
        benefits: &[
            "lasts from morning to night",
            "protects your phone from everyday drops",
            "charges everything you carry",
            "keeps your data private",
        ],
        materials: &[
            "glass and aluminium",
            "recycled plastic",
            "silicone",
            "titanium",
        ],
        price_eur: (9, 1499),
        specs: &[
            ("Display", |r| {
                pick(
                    r,
                    &["6.1-inch OLED", "6.7-inch OLED", "11-inch LCD", "none"],
                )
            }),
            ("Battery", |r| {
                format!("{} mAh", r.random_range(30..=120) * 100)
            }),
            ("Charging", |r| {
                pick(r, &["25 W", "45 W", "65 W", "15 W wireless"])
            }),
            ("Camera", |r| {
                pick(
                    r,
                    &["50 MP + 12 MP", "50 MP + 48 MP + 10 MP", "12 MP", "none"],
                )
            }),
            ("Network", |r| {
                pick(r, &["5G", "4G LTE", "Wi-Fi only", "not applicable"])
            }),
            ("Weight", |r| grams(r, 20, 700)),
            ("Water resistance", |r| {
                pick(r, &["IP53", "IP67", "IP68", "none"])
            }),
            ("Operating system", |r| {
                pick(r, &["Android 16", "Android 15", "not applicable"])
            }),
        ],
        option: Some(("storage", &["128 GB", "256 GB", "512 GB"])),
    },
    CategoryDef {
        id: "wearables",
        name: "Wearables",
        weight: 8,
        brands: &["Kinetica", "Solvik", "Pallas", "Yarrow", "Helio"],
        nouns: &[
            "Smartwatch",
            "Fitness Tracker",
            "Smart Ring",
            "Sports Watch",
            "Watch Strap",
        ],
        adjectives: &["GPS", "Solar", "Titanium", "Waterproof", "Hybrid", "Slim"],
        features: &[
            "Dual-frequency GPS for accurate tracks in cities",
            "Up to 14 days of battery life",
            "Continuous heart-rate and sleep tracking",
            "Water resistance to 100 metres",
            "Contactless payments",
            "Offline maps with turn-by-turn directions",
            "An always-on display",
            "Quick-release straps without tools",
        ],
        uses: &[
            "marathon training",
            "open-water swimming",
            "tracking sleep",
            "hiking",
            "everyday fitness",
            "cycling",
        ],
        benefits: &[
            "motivates you to move a little more each day",
            "tracks your training without getting in the way",
            "shows your notifications at a glance",
            "lasts more than a week between charges",
        ],
        materials: &["titanium", "stainless steel", "recycled nylon", "silicone"],
        price_eur: (19, 899),
        specs: &[
            ("Display", |r| {
                pick(r, &["1.4-inch AMOLED", "1.2-inch MIP", "none"])
            }),
            ("Battery life", |r| {
                format!("{} days", r.random_range(2..=21))
            }),
            ("Water resistance", |r| {
                pick(r, &["5 ATM", "10 ATM", "IP68"])
            }),
            ("Sensors", |r| {
                pick(
                    r,
                    &[
                        "Heart rate, SpO2, accelerometer",
                        "Heart rate, barometer, compass",
                        "Accelerometer",
                    ],
                )
            }),
            ("GPS", |r| {
                pick(r, &["dual-frequency", "single-frequency", "connected"])
            }),
            ("Weight", |r| grams(r, 3, 80)),
            ("Strap width", |r| format!("{} mm", r.random_range(18..=24))),
            ("Compatibility", |r| {
                pick(r, &["Android, iOS", "Android", "iOS"])
            }),
        ],
        option: Some(("size", &["S", "M", "L"])),
    },
    CategoryDef {
        id: "gaming",
        name: "Gaming",
        weight: 9,
        brands: &["Corvid", "Zentro", "Rivet", "Umbra", "Kinetica"],
        nouns: &[
            "Controller",
            "Gaming Headset",
            "Gaming Mouse",
            "Console Stand",
            "Racing Wheel",
            "Gaming Chair",
        ],
        adjectives: &[
            "RGB",
            "Pro",
            "Wireless",
            "Tournament",
            "Low-Latency",
            "Ergonomic",
        ],
        features: &[
            "A 1 ms wireless connection",
            "Hall-effect sticks that do not drift",
            "Programmable back buttons",
            "Customisable RGB lighting",
            "A 26,000 DPI optical sensor",
            "Force feedback with 8 Nm of torque",
            "Breathable fabric for long sessions",
            "Compatibility with PC and consoles",
        ],
        uses: &[
            "competitive matches",
            "long gaming nights",
            "racing simulators",
            "streaming",
            "couch co-op",
            "esports training",
        ],
        benefits: &[
            "gives you a real edge in fast games",
            "stays comfortable through long sessions",
            "responds the instant you press",
            "looks great on stream",
        ],
        materials: &["recycled plastic", "aluminium", "breathable mesh", "steel"],
        price_eur: (19, 799),
        specs: &[
            ("Connection", |r| {
                pick(
                    r,
                    &["2.4 GHz wireless", "Bluetooth and 2.4 GHz", "USB-C cable"],
                )
            }),
            ("Latency", |r| format!("{} ms", r.random_range(1..=8))),
            ("Battery life", |r| hours(r, 20, 120)),
            ("Platforms", |r| {
                pick(r, &["PC, console", "PC", "console", "PC, console, mobile"])
            }),
            ("Buttons", |r| r.random_range(2..=16).to_string()),
            ("Weight", |r| grams(r, 50, 22_000)),
            ("Lighting", |r| pick(r, &["RGB", "none", "white"])),
            ("Cable length", |r| {
                format!("{}.{} m", r.random_range(1..=3), r.random_range(0..10))
            }),
        ],
        option: None,
    },
    CategoryDef {
        id: "home",
        name: "Smart Home",
        weight: 10,
        brands: &[
            "Brightwell",
            "Oakridge",
            "Wrenfield",
            "Lumen",
            "Dunmore",
            "Calder",
        ],
        nouns: &[
            "Smart Bulb",
            "Thermostat",
            "Security Camera",
            "Video Doorbell",
            "Smart Plug",
            "Robot Vacuum",
        ],
        adjectives: &[
            "Smart",
            "Wi-Fi",
            "Voice-Controlled",
            "Energy-Saving",
            "Outdoor",
            "Matter-Ready",
        ],
        features: &[
            "Works with all major voice assistants",
            "Local control that keeps working without internet",
            "Energy reports in the companion app",
            "Night vision up to ten metres",
            "Automatic schedules that learn your routine",
            "End-to-end encrypted video",
            "Easy installation without an electrician",
            "Matter and Thread support",
        ],
        uses: &[
            "a cosy evening at home",
            "keeping an eye on the front door",
            "saving energy in winter",
            "busy family mornings",
            "holidays away from home",
            "a home office",
        ],
        benefits: &[
            "lowers your energy bill",
            "lets you check on home from anywhere",
            "makes everyday routines effortless",
            "keeps working even when the internet is down",
        ],
        materials: &["recycled plastic", "aluminium", "glass", "steel"],
        price_eur: (9, 699),
        specs: &[
            ("Protocol", |r| {
                pick(
                    r,
                    &[
                        "Wi-Fi",
                        "Matter over Thread",
                        "Zigbee",
                        "Wi-Fi and Bluetooth",
                    ],
                )
            }),
            ("Power", |r| {
                pick(r, &["230 V", "battery", "USB-C", "solar and battery"])
            }),
            ("Power consumption", |r| {
                format!("{} W", r.random_range(1..=60))
            }),
            ("Resolution", |r| {
                pick(r, &["1080p", "2K", "4K", "not applicable"])
            }),
            ("App", |r| pick(r, &["Android, iOS", "Android, iOS, web"])),
            ("Operating temperature", |r| {
                format!(
                    "-{} to {} °C",
                    r.random_range(0..=20),
                    r.random_range(35..=50)
                )
            }),
            ("Weight", |r| grams(r, 30, 4000)),
            ("Voice assistants", |r| {
                pick(r, &["all major assistants", "two major assistants", "none"])
            }),
        ],
        option: None,
    },
    CategoryDef {
        id: "kitchen",
        name: "Kitchen",
        weight: 10,
        brands: &[
            "Oakridge",
            "Marlowe",
            "Brightwell",
            "Dunmore",
            "Veldt",
            "Yarrow",
        ],
        nouns: &[
            "Espresso Machine",
            "Blender",
            "Kettle",
            "Air Fryer",
            "Chef's Knife",
            "Cookware Set",
        ],
        adjectives: &[
            "Stainless",
            "Ceramic",
            "Digital",
            "Cordless",
            "Cast-Iron",
            "Precision",
        ],
        features: &[
            "Precise temperature control to the degree",
            "Dishwasher-safe parts",
            "A 15-bar pump for a proper crema",
            "Forged from a single piece of steel",
            "Keep-warm mode for up to two hours",
            "Non-stick coating free of PFAS",
            "Quiet operation at night",
            "Suitable for induction hobs",
        ],
        uses: &[
            "weekend brunches",
            "quick weekday dinners",
            "the morning coffee ritual",
            "meal prep",
            "baking with the kids",
            "dinner parties",
        ],
        benefits: &[
            "makes cooking faster and more fun",
            "brings café-quality coffee to your kitchen",
            "cleans up in seconds",
            "lasts a lifetime with a little care",
        ],
        materials: &[
            "stainless steel",
            "cast iron",
            "ceramic",
            "borosilicate glass",
            "olive wood",
        ],
        price_eur: (15, 1299),
        specs: &[
            ("Capacity", |r| {
                format!("{}.{} l", r.random_range(0..=6), r.random_range(0..10))
            }),
            ("Power", |r| format!("{} W", r.random_range(5..=30) * 100)),
            ("Temperature range", |r| {
                format!(
                    "{}–{} °C",
                    r.random_range(40..=80),
                    r.random_range(100..=230)
                )
            }),
            ("Dishwasher safe", |r| pick(r, &["yes", "parts only", "no"])),
            ("Hob compatibility", |r| {
                pick(
                    r,
                    &[
                        "all including induction",
                        "gas and electric",
                        "not applicable",
                    ],
                )
            }),
            ("Weight", |r| grams(r, 150, 9000)),
            ("Cable length", |r| {
                format!("{}.{} m", r.random_range(0..=1), r.random_range(5..10))
            }),
            ("Programmes", |r| r.random_range(1..=12).to_string()),
        ],
        option: None,
    },
    CategoryDef {
        id: "outdoor",
        name: "Outdoor",
        weight: 9,
        brands: &[
            "Veldt",
            "Fjordlab",
            "Pallas",
            "Solvik",
            "Yarrow",
            "Wrenfield",
        ],
        nouns: &[
            "Tent",
            "Backpack",
            "Sleeping Bag",
            "Headlamp",
            "Water Bottle",
            "Camping Stove",
        ],
        adjectives: &[
            "Ultralight",
            "Insulated",
            "Waterproof",
            "Four-Season",
            "Trail",
            "Packable",
        ],
        features: &[
            "Packs down to the size of a water bottle",
            "Taped seams that keep heavy rain out",
            "A rechargeable battery good for a week of evenings",
            "Double-wall insulation that keeps drinks cold for 24 hours",
            "Adjustable back system for a perfect fit",
            "Made from recycled ripstop fabric",
            "Boils a litre of water in three minutes",
            "Reflective details for visibility at night",
        ],
        uses: &[
            "multi-day treks",
            "weekend camping",
            "alpine tours",
            "festival season",
            "bikepacking",
            "trail running",
        ],
        benefits: &[
            "keeps you warm and dry when the weather turns",
            "saves weight on long trails",
            "sets up in minutes even in the dark",
            "survives years of rough use",
        ],
        materials: &[
            "recycled ripstop nylon",
            "aluminium",
            "stainless steel",
            "down",
            "Dyneema",
        ],
        price_eur: (12, 899),
        specs: &[
            ("Packed size", |r| {
                format!("{} × {} cm", r.random_range(8..=60), r.random_range(8..=40))
            }),
            ("Temperature rating", |r| {
                format!("{} °C", r.random_range(-20..=10))
            }),
            ("Waterproof rating", |r| {
                format!("{} mm", r.random_range(15..=100) * 100)
            }),
            ("Volume", |r| format!("{} l", r.random_range(1..=70))),
            ("Brightness", |r| {
                format!("{} lm", r.random_range(1..=15) * 100)
            }),
            ("Weight", |r| grams(r, 80, 4500)),
            ("Fabric", |r| {
                pick(
                    r,
                    &[
                        "20D ripstop",
                        "40D nylon",
                        "210D polyester",
                        "not applicable",
                    ],
                )
            }),
            ("Persons", |r| r.random_range(1..=4).to_string()),
        ],
        option: Some(("size", &["S", "M", "L", "XL"])),
    },
    CategoryDef {
        id: "fitness",
        name: "Fitness",
        weight: 8,
        brands: &[
            "Kinetica",
            "Rivet",
            "Everline",
            "Wrenfield",
            "Calder",
            "Veldt",
        ],
        nouns: &[
            "Yoga Mat",
            "Dumbbell Set",
            "Exercise Bike",
            "Resistance Bands",
            "Foam Roller",
            "Jump Rope",
        ],
        adjectives: &[
            "Adjustable",
            "Non-Slip",
            "Folding",
            "Smart",
            "Weighted",
            "Compact",
        ],
        features: &[
            "Adjusts from 2 to 24 kg in seconds",
            "A non-slip surface that stays grippy when wet",
            "Folds flat to slide under a bed",
            "Connects to popular training apps",
            "Sixteen levels of magnetic resistance",
            "Free guided workouts for beginners",
            "Made from natural rubber",
            "Quiet enough for a flat with thin walls",
        ],
        uses: &[
            "home workouts",
            "morning yoga",
            "recovery after a run",
            "strength training",
            "small-flat fitness",
            "rainy-day cardio",
        ],
        benefits: &[
            "turns a corner of the living room into a gym",
            "helps you build a routine that sticks",
            "speeds up recovery",
            "packs away when you are done",
        ],
        materials: &[
            "natural rubber",
            "steel",
            "cork",
            "TPE foam",
            "recycled plastic",
        ],
        price_eur: (9, 1999),
        specs: &[
            ("Maximum user weight", |r| {
                format!("{} kg", r.random_range(10..=16) * 10)
            }),
            ("Resistance levels", |r| r.random_range(1..=32).to_string()),
            ("Thickness", |r| format!("{} mm", r.random_range(2..=15))),
            ("Length", |r| format!("{} cm", r.random_range(30..=200))),
            ("Weight range", |r| {
                format!("{}–{} kg", r.random_range(1..=4), r.random_range(10..=40))
            }),
            ("Weight", |r| grams(r, 150, 40_000)),
            ("Foldable", |r| pick(r, &["yes", "no"])),
            ("App support", |r| pick(r, &["yes", "no"])),
        ],
        option: None,
    },
];
