//! Identifiers that arrive in paths and queries, validated once into types: the typed upstream
//! clients take a [`ProductId`] (or [`CategoryId`]) where an id goes into a URL, so only an id
//! that passed the strict pattern can reach one.

use std::collections::HashMap;
use std::fmt;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{ObjectBuilder, Required, Type};

use crate::problem::Problem;

/// Answers by product id, such as the offers and ratings a screen's cards are looked up in (a
/// few dozen lookups and inserts per screen). Hashed with foldhash, hashbrown's own hasher,
/// where std's SipHash was about 1% of a cold web home: the ids come from the upstreams' answers
/// and are at most a batch's 100, and foldhash is still seeded per process.
pub type ById<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// The pattern every product and category id matches, as the OpenAPI documents state it.
pub const ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,32}$";

/// The longest id, in bytes.
const MAX_ID_LEN: usize = 32;

/// A product id that matched `[A-Za-z0-9_-]{1,32}`. As a handler argument it is the route's
/// `{id}` path parameter, a 400 problem (that does not echo the input) when malformed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ProductId(String);

/// A category id that matched `[A-Za-z0-9_-]{1,32}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CategoryId(String);

/// The methods both id types share: parsing with the type's own problem text, and reading.
macro_rules! slug_id {
    ($type:ident, $problem:literal) => {
        impl $type {
            /// Validates `value`; anything but the strict pattern is a 400 problem.
            pub fn parse(value: &str) -> Result<Self, Problem> {
                if is_slug(value) {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(Problem::bad_request($problem))
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $type {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $type {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(ProductId, "The product id is malformed.");
slug_id!(CategoryId, "The category is malformed.");

/// Checks a product id against the strict pattern; anything else is a 400 problem (that does
/// not echo the input). Prefer [`ProductId::parse`], which keeps the proof in the type.
pub fn product_id(value: &str) -> Result<&str, Problem> {
    ProductId::parse(value).map(|_| value)
}

/// Checks a category id against the strict pattern. Prefer [`CategoryId::parse`].
pub fn category_id(value: &str) -> Result<&str, Problem> {
    CategoryId::parse(value).map(|_| value)
}

fn is_slug(value: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl<S: Send + Sync> FromRequestParts<S> for ProductId {
    type Rejection = Problem;

    /// The route's one path parameter (`{id}`), validated.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::bad_request("The product id is malformed."))?;
        Self::parse(&id)
    }
}

impl utoipa::IntoParams for ProductId {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("Product id."))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .pattern(Some(ID_PATTERN)),
                ))
                .example(Some(serde_json::json!("p00042")))
                .build(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_are_strict() {
        for good in ["p00001", "abc-DEF_9", &"a".repeat(32)] {
            assert!(product_id(good).is_ok(), "{good}");
            assert_eq!(ProductId::parse(good).unwrap().as_str(), good);
        }
        for bad in [
            "",
            "../etc",
            "p 1",
            "p%2F1",
            "p/1",
            "é",
            &"a".repeat(33),
            "p.1",
        ] {
            assert!(product_id(bad).is_err(), "{bad}");
            assert!(ProductId::parse(bad).is_err(), "{bad}");
            assert!(CategoryId::parse(bad).is_err(), "{bad}");
        }
    }
}
