//! The signed-in user's screens: `GET /v1/me`, `GET /v1/cart`, `POST /v1/cart/items`,
//! `DELETE /v1/cart/items/{id}`.
//!
//! Each takes an [`AuthUser`]: the request's bearer token, validated before the handler runs
//! (401 otherwise, with no upstream call). Accounts is called with that same token
//! (`user.token`), never with another credential, so accounts decides whose data it is. Input is
//! validated before any upstream call. The accounts call is critical; a cart's lines are then
//! shown with one batched catalog call ("catalog": names and images, in the device's rendition)
//! and one batched offers call ("offers": prices), both optional. Ratings are not fetched: a
//! cart line does not show them. Every answer is `Cache-Control: private, no-store` (set by the
//! routes' layer).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::aggregate::Screen;
use shared::auth::AuthUser;
use shared::ids;
use shared::problem::Problem;
use shared::upstream::accounts::{Cart, CartLine};
use utoipa::ToSchema;

use crate::AppState;
use crate::device::{self, Device, HintHeaders, HintQuery};
use crate::views::{CartView, Me};

/// The quantities a cart line may have (the accounts service's own limits).
pub const QUANTITY: std::ops::RangeInclusive<i64> = 1..=99;

/// `GET /v1/me`.
#[utoipa::path(
    get,
    path = "/me",
    tag = "account",
    summary = "The token's user",
    responses((status = 200, description = "Name and e-mail.", body = Me)),
)]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.me);
    let profile = screen
        .critical(state.upstreams.accounts.me(&screen, user.token.expose()))
        .await?;
    Ok(Json(Me::from(&profile)).into_response())
}

/// `GET /v1/cart`.
#[utoipa::path(
    get,
    path = "/cart",
    tag = "account",
    summary = "The user's cart",
    params(HintQuery, HintHeaders),
    responses(
        (status = 200, description = "The cart, compact.", body = CartView),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn cart(
    State(state): State<AppState>,
    user: AuthUser,
    device: Device,
) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.cart);
    let cart = screen
        .critical(state.upstreams.accounts.cart(&screen, user.token.expose()))
        .await?;
    Ok(cart_view(&state, &screen, &cart, &device).await)
}

/// `POST /v1/cart/items` with `{"product_id": "p00001", "quantity": 1}`: adds units (to an
/// existing line if there is one) and answers the cart.
#[utoipa::path(
    post,
    path = "/cart/items",
    tag = "account",
    summary = "Add a product to the cart",
    params(HintQuery, HintHeaders),
    request_body(content = NewLine, content_type = "application/json"),
    responses(
        (status = 200, description = "The cart after the change.", body = CartView),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    device: Device,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let line = new_line(&headers, &body)?;
    let screen = Screen::start(state.settings.screens.cart);
    let cart = screen
        .critical(
            state
                .upstreams
                .accounts
                .add_to_cart(&screen, user.token.expose(), &line),
        )
        .await?;
    Ok(cart_view(&state, &screen, &cart, &device).await)
}

/// `DELETE /v1/cart/items/{id}`: removes the product's line (absent is not an error) and
/// answers the cart.
#[utoipa::path(
    delete,
    path = "/cart/items/{id}",
    tag = "account",
    summary = "Remove a product's line from the cart",
    params(("id" = String, Path, description = "Product id.", pattern = "^[A-Za-z0-9_-]{1,32}$",
        example = "p00042"), HintQuery, HintHeaders),
    responses(
        (status = 200, description = "The cart after the change.", body = CartView),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    device: Device,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = ids::product_id(&id)?;
    let screen = Screen::start(state.settings.screens.cart);
    let cart = screen
        .critical(
            state
                .upstreams
                .accounts
                .remove_from_cart(&screen, user.token.expose(), id),
        )
        .await?;
    Ok(cart_view(&state, &screen, &cart, &device).await)
}

/// The cart with each line's name, price and image: one catalog batch and one offers batch,
/// concurrently, both optional.
async fn cart_view(state: &AppState, screen: &Screen, cart: &Cart, device: &Device) -> Response {
    let upstreams = &*state.upstreams;
    // Only well-formed ids go into upstream URLs; a malformed one is shown without its card.
    let ids: Vec<&str> = cart
        .items
        .iter()
        .map(|line| line.product_id.as_str())
        .filter(|id| ids::product_id(id).is_ok())
        .collect();
    let (cards, offers) = tokio::join!(
        screen.optional("catalog", upstreams.catalog.cards(screen, &ids)),
        screen.optional("offers", upstreams.offers.offers(screen, &ids)),
    );
    let cards = cards.unwrap_or_default();
    let offers = offers.unwrap_or_default();
    let view = CartView::new(cart, &cards, &offers, device, screen.degraded());
    let mut response = Json(view).into_response();
    device::mark_device_dependent(&mut response);
    response
}

/// The body of `POST /v1/cart/items`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"product_id": "p00042", "quantity": 1}))]
struct NewLine {
    /// The product to add.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "p00042")]
    product_id: String,
    /// Units to add, 1 to 99.
    #[schema(minimum = 1, maximum = 99, example = 1)]
    quantity: i64,
}

/// Validates a new cart line: JSON (415 otherwise), a well-formed product id and a quantity
/// from 1 to 99 (400 otherwise, without echoing the input).
fn new_line(headers: &HeaderMap, body: &[u8]) -> Result<CartLine, Problem> {
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .with_detail("Send the body as application/json."));
    }
    let line: NewLine = serde_json::from_slice(body).map_err(|_| {
        Problem::bad_request(
            "The cart item must be {\"product_id\": string, \"quantity\": integer}.",
        )
    })?;
    let product_id = ids::product_id(&line.product_id)?.to_owned();
    let quantity = Some(line.quantity)
        .filter(|quantity| QUANTITY.contains(quantity))
        .and_then(|quantity| u32::try_from(quantity).ok())
        .ok_or_else(|| Problem::bad_request("The quantity must be between 1 and 99."))?;
    Ok(CartLine {
        product_id,
        quantity,
    })
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
            let line = new_line(&json_headers(), body.as_bytes()).unwrap();
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
            let problem = new_line(&json_headers(), body.as_bytes()).unwrap_err();
            assert_eq!(problem.status_code(), StatusCode::BAD_REQUEST, "{body}");
        }
        for content_type in [None, Some("text/plain"), Some("application/jsonx")] {
            let mut headers = HeaderMap::new();
            if let Some(value) = content_type {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(value));
            }
            let problem =
                new_line(&headers, br#"{"product_id": "p00001", "quantity": 1}"#).unwrap_err();
            assert_eq!(
                problem.status_code(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type:?}"
            );
        }
    }
}
