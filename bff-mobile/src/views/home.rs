//! `GET /v1/home`.

use serde::Serialize;
use serde_with::skip_serializing_none;
use shared::aggregate::Section;
use utoipa::ToSchema;

use super::Card;

/// `GET /v1/home`.
#[skip_serializing_none]
#[derive(Debug, Serialize, ToSchema)]
pub struct Home<'a> {
    /// The editors' picks.
    pub featured: Vec<Card<'a>>,
    /// Popular products, for anonymous requests; absent when recommendations are unavailable
    /// or when the list was personalised (then it is `for_you`).
    #[schema(nullable = false)]
    pub popular: Option<Vec<Card<'a>>>,
    /// Popular products personalised for the token's user, instead of `popular`, when the
    /// request carried a valid bearer token; absent otherwise.
    #[schema(nullable = false)]
    pub for_you: Option<Vec<Card<'a>>>,
    /// Sections left out (`offers`, `reviews`, `recommendations`); absent when complete.
    #[schema(nullable = false)]
    pub degraded: Option<Vec<Section>>,
}
