//! Reviews and ratings.

use serde::Deserialize;

use super::UpstreamError;
use crate::aggregate::Screen;
use crate::ids::ProductId;

/// The route classes of this upstream: each has its own circuit breaker (see
/// [`super::resilience`]), named in `resilience.route_circuits`.
pub mod route {
    /// Pages of a product's reviews.
    pub const REVIEWS: &str = "reviews";
    /// Rating summaries and averages.
    pub const RATINGS: &str = "ratings";

    /// Every class, for validating `resilience.route_circuits`.
    pub const ALL: &[&str] = &[REVIEWS, RATINGS];
}

super::typed_client!(
    /// Client of the reviews service.
    ReviewsClient
);

/// One customer review.
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    /// Review id.
    pub id: String,
    /// Display name of the author.
    pub author: String,
    /// 1 to 5 stars.
    pub rating: u8,
    /// Headline.
    pub title: String,
    /// Plain text.
    pub body: String,
    /// ISO date.
    pub created_at: String,
}

/// A page of reviews, newest first.
#[derive(Debug, Clone, Deserialize)]
pub struct ReviewPage {
    /// Reviews in all.
    pub total: u32,
    /// Reviews skipped.
    pub offset: u32,
    /// This page's reviews.
    pub items: Vec<Review>,
}

/// A product's rating with its histogram.
#[derive(Debug, Clone, Deserialize)]
pub struct RatingSummary {
    /// Mean stars, 0 when there are no reviews.
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
    /// Counts of 1 to 5 stars.
    pub histogram: [u32; 5],
}

/// A product's average rating, for cards.
#[derive(Debug, Clone, Deserialize)]
pub struct Rating {
    /// Product id.
    pub product_id: String,
    /// Mean stars.
    pub average: f32,
    /// Number of ratings.
    pub count: u32,
}

impl ReviewsClient {
    /// A page of a product's reviews.
    pub async fn reviews(
        &self,
        screen: &Screen,
        product_id: &ProductId,
        offset: u32,
        limit: u32,
    ) -> Result<ReviewPage, UpstreamError> {
        let (mut offset_digits, mut limit_digits) = (itoa::Buffer::new(), itoa::Buffer::new());
        let query = [
            ("offset", offset_digits.format(offset)),
            ("limit", limit_digits.format(limit)),
        ];
        self.0
            .get_json(
                screen,
                route::REVIEWS,
                &["products", product_id.as_str(), "reviews"],
                &query,
            )
            .await
    }

    /// A product's rating summary with histogram.
    pub async fn rating(
        &self,
        screen: &Screen,
        product_id: &ProductId,
    ) -> Result<RatingSummary, UpstreamError> {
        self.0
            .get_json(
                screen,
                route::RATINGS,
                &["products", product_id.as_str(), "rating"],
                &[],
            )
            .await
    }

    /// Average ratings for `ids` in one call, by product id.
    pub async fn ratings<S: AsRef<str>>(
        &self,
        screen: &Screen,
        ids: &[S],
    ) -> Result<crate::ids::ById<Rating>, UpstreamError> {
        let ratings: Vec<Rating> = self
            .0
            .get_batch(screen, route::RATINGS, &["ratings"], ids, &[])
            .await?;
        Ok(ratings
            .into_iter()
            .map(|rating| (rating.product_id.clone(), rating))
            .collect())
    }
}
