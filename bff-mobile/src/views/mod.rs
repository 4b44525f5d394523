//! The JSON the app receives, as small as its screens allow: one module per screen, plus the
//! product card every shelf shares.
//!
//! Views borrow from the decoded upstream data, so building one copies little. Sections the
//! screen had to leave out are absent (never `null`) and named in `degraded`; so are values that
//! are unknown (a price when offers are down, a rating without reviews). A view with optional
//! fields is `#[skip_serializing_none]`, and each of them `#[schema(nullable = false)]`, so the
//! OpenAPI document says the same: absent, never `null`.

pub mod account;
pub mod card;
pub mod home;
pub mod product;
pub mod search;

pub use card::Card;
