//! The JSON the browser receives: one module per screen, plus the product card and responsive
//! image every shelf shares.
//!
//! Views borrow from the decoded upstream data and are serialised once; they never go through
//! `serde_json::Value`. Sections that may be missing are `Option`s skipped when `None`, and every
//! screen names what it left out in a top-level `degraded` list (absent when complete). A view
//! with optional fields is `#[skip_serializing_none]`, and each of them
//! `#[schema(nullable = false)]`, so the OpenAPI document says the same: absent, never `null`.

pub mod account;
pub mod card;
pub mod home;
pub mod product;
pub mod search;

pub use card::{Card, Price, ResponsiveImage};
