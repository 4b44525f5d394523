//! The home and leisure categories: gaming, home, kitchen, outdoor, fitness.

use rand::Rng;

use super::{CategoryDef, grams, hours, pick};

pub(super) const GAMING: CategoryDef = CategoryDef {
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
};

pub(super) const HOME: CategoryDef = CategoryDef {
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
};

pub(super) const KITCHEN: CategoryDef = CategoryDef {
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
};

pub(super) const OUTDOOR: CategoryDef = CategoryDef {
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
};

pub(super) const FITNESS: CategoryDef = CategoryDef {
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
};
