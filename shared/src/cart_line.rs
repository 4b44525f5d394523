//! The body both BFFs take to add a product to the cart, as one typed JSON extractor: a handler
//! that takes a [`NewCartLine`] only runs with a well-formed line.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::ProductId;
use crate::problem::Problem;

/// The quantities a cart line may have (the accounts service's own limits).
pub const QUANTITY: std::ops::RangeInclusive<u32> = 1..=99;

/// The body of `POST /cart/items` (both BFFs): the product and how many units to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = NewLine, example = json!({"product_id": "p00042", "quantity": 1}))]
pub struct NewCartLine {
    /// The product to add.
    #[schema(value_type = String, pattern = "^[A-Za-z0-9_-]{1,32}$", example = "p00042")]
    pub product_id: ProductId,
    /// Units to add, 1 to 99.
    #[schema(value_type = i64, minimum = 1, maximum = 99, example = 1)]
    pub quantity: u32,
}

/// The body as it arrives, before validation.
#[derive(Deserialize)]
struct RawLine {
    product_id: String,
    quantity: i64,
}

impl NewCartLine {
    /// Validates a body sent with `headers`: JSON (415 otherwise), a well-formed product id and
    /// a quantity from 1 to 99 (400 otherwise, without echoing the input).
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, Problem> {
        let is_json = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
                .with_detail("Send the body as application/json."));
        }
        let line: RawLine = serde_json::from_slice(body).map_err(|_| {
            Problem::bad_request(
                "The cart item must be {\"product_id\": string, \"quantity\": integer}.",
            )
        })?;
        let product_id = ProductId::parse(&line.product_id)?;
        let quantity = u32::try_from(line.quantity)
            .ok()
            .filter(|quantity| QUANTITY.contains(quantity))
            .ok_or_else(|| Problem::bad_request("The quantity must be between 1 and 99."))?;
        Ok(Self {
            product_id,
            quantity,
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for NewCartLine {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                Problem::new(rejection.status()).with_detail("The request body could not be read.")
            })?;
        Self::parse(&headers, &body)
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn json_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/JSON; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn a_well_formed_line_passes() {
        for (body, quantity) in [
            (r#"{"product_id": "p00001", "quantity": 1}"#, 1),
            (r#"{"product_id": "p00001", "quantity": 99}"#, 99),
        ] {
            let line = NewCartLine::parse(&json_headers(), body.as_bytes()).unwrap();
            assert_eq!(
                (line.product_id.as_str(), line.quantity),
                ("p00001", quantity)
            );
        }
    }

    #[test]
    fn malformed_lines_are_400_and_other_media_types_415() {
        for body in [
            r#"{"product_id": "p00001", "quantity": 0}"#,
            r#"{"product_id": "p00001", "quantity": 100}"#,
            r#"{"product_id": "p00001", "quantity": -1}"#,
            r#"{"product_id": "p00001", "quantity": 1.5}"#,
            r#"{"product_id": "p00001", "quantity": "2"}"#,
            r#"{"product_id": "p00001", "quantity": 4294967297}"#,
            r#"{"product_id": "p00001", "quantity": 1e400}"#,
            r#"{"product_id": "p00001"}"#,
            r#"{"quantity": 1}"#,
            r#"{"product_id": "../admin", "quantity": 1}"#,
            r#"{"product_id": "p00001/../../me", "quantity": 1}"#,
            r#"{"product_id": "", "quantity": 1}"#,
            r#"{"product_id": 1, "quantity": 1}"#,
            r#"{"product_id": null, "quantity": 1}"#,
            "[]",
            "",
            "not json",
        ] {
            let problem = NewCartLine::parse(&json_headers(), body.as_bytes()).unwrap_err();
            assert_eq!(problem.status_code(), StatusCode::BAD_REQUEST, "{body}");
        }
        for content_type in [None, Some("text/plain"), Some("application/jsonx")] {
            let mut headers = HeaderMap::new();
            if let Some(value) = content_type {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            }
            let problem =
                NewCartLine::parse(&headers, br#"{"product_id": "p00001", "quantity": 1}"#)
                    .unwrap_err();
            assert_eq!(
                problem.status_code(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type:?}"
            );
        }
    }

    #[test]
    fn the_line_is_sent_to_accounts_as_it_came() {
        let line = NewCartLine::parse(
            &json_headers(),
            br#"{"product_id": "p00042", "quantity": 2}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&line).unwrap(),
            serde_json::json!({"product_id": "p00042", "quantity": 2})
        );
    }
}
