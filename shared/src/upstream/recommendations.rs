//! Recommendations: related products and popular (or personalised) lists of product ids.

use serde::Deserialize;

use super::UpstreamError;
use crate::aggregate::Screen;
use crate::ids::ProductId;

/// The route classes of this upstream: each has its own circuit breaker (see
/// [`super::resilience`]), named in `resilience.route_circuits`.
pub mod route {
    /// Products related to one product.
    pub const RELATED: &str = "related";
    /// Popular products, for everyone or for one user.
    pub const POPULAR: &str = "popular";

    /// Every class, for validating `resilience.route_circuits`.
    pub const ALL: &[&str] = &[RELATED, POPULAR];
}

super::typed_client!(
    /// Client of the recommendations service.
    RecommendationsClient
);

/// Product ids, best first.
#[derive(Debug, Clone, Deserialize)]
pub struct Recommended {
    /// Product ids.
    pub product_ids: Vec<String>,
    /// True when the list was personalised for the token's user.
    #[serde(default)]
    pub personalised: bool,
}

impl RecommendationsClient {
    /// Products related to `product_id`.
    pub async fn related(
        &self,
        screen: &Screen,
        product_id: &ProductId,
        limit: u32,
    ) -> Result<Recommended, UpstreamError> {
        self.0
            .get_limited(
                screen,
                route::RELATED,
                &["products", product_id.as_str(), "related"],
                limit,
            )
            .await
    }

    /// Popular products for everyone.
    pub async fn popular(&self, screen: &Screen, limit: u32) -> Result<Recommended, UpstreamError> {
        self.0
            .get_limited(screen, route::POPULAR, &["popular"], limit)
            .await
    }

    /// Popular products personalised for the token's user.
    pub async fn popular_for_user(
        &self,
        screen: &Screen,
        limit: u32,
        access_token: &str,
    ) -> Result<Recommended, UpstreamError> {
        let mut digits = itoa::Buffer::new();
        let query = [("limit", digits.format(limit))];
        self.0
            .get_as_user(screen, route::POPULAR, &["popular"], &query, access_token)
            .await
    }
}
