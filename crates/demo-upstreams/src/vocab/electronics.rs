//! The electronics categories: audio, cameras, computers, phones, wearables.

use rand::Rng;

use super::{CategoryDef, grams, hours, pick};

pub(super) const AUDIO: CategoryDef = CategoryDef {
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
};

pub(super) const CAMERAS: CategoryDef = CategoryDef {
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
};

pub(super) const COMPUTERS: CategoryDef = CategoryDef {
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
};

pub(super) const PHONES: CategoryDef = CategoryDef {
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
};

pub(super) const WEARABLES: CategoryDef = CategoryDef {
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
};
