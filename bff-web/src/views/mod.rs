//! The JSON the browser receives: one module per screen, plus the product card and responsive
//! image every shelf shares.
//!
//! Views borrow from the decoded upstream data and are serialised once; they never go through
//! `serde_json::Value`. Sections that may be missing are `Option`s skipped when `None`, and every
//! screen names what it left out in a top-level `degraded` list (absent when complete).

pub mod account;
pub mod card;
pub mod home;
pub mod product;
pub mod search;

pub use card::{Card, Price, ResponsiveImage};
