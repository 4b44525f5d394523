//! The signed-in user's screens: `GET /api/me`, `GET /api/cart`, `POST /api/cart/items`,
//! `DELETE /api/cart/items/{id}`.
//!
//! Each needs a session ([`SignedIn`]: 401 otherwise) and calls accounts with the session's
//! access token, never with anything the browser sent. Input is validated before any upstream
//! call. A cart is shown with its products' cards: one batched catalog call and one batched
//! offers + ratings call for all its lines, as optional sections (`degraded` names what was left
//! out). Every answer is `Cache-Control: private, no-store` (set by the routes' layer).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::aggregate::Screen;
use shared::cards::CardExtras;
use shared::ids;
use shared::problem::Problem;
use shared::upstream::accounts::{Cart, CartLine};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::SignedIn;
use crate::views::account::{CartPage, ProfileView};

/// The largest quantity of one cart line (the accounts service's own limit).
pub const MAX_QUANTITY: i64 = 99;

/// `GET /api/me`.
#[utoipa::path(
    get,
    path = "/me",
    tag = "account",
    summary = "The signed-in user's profile",
    responses((status = 200, description = "The profile.", body = ProfileView)),
)]
pub async fn me(State(state): State<AppState>, user: SignedIn) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.me);
    let profile = screen
        .critical(state.upstreams.accounts.me(&screen, user.access_token()))
        .await?;
    Ok(Json(ProfileView::of(&profile)).into_response())
}

/// `GET /api/cart`.
#[utoipa::path(
    get,
    path = "/cart",
    tag = "account",
    summary = "The signed-in user's cart",
    responses((status = 200, description = "The cart, a card per line.", body = CartPage)),
)]
pub async fn cart(State(state): State<AppState>, user: SignedIn) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.cart);
    let cart = screen
        .critical(state.upstreams.accounts.cart(&screen, user.access_token()))
        .await?;
    Ok(cart_page(&state, &screen, &cart).await)
}

/// `POST /api/cart/items` with `{"product_id": "p00001", "quantity": 1}`.
#[utoipa::path(
    post,
    path = "/cart/items",
    tag = "account",
    summary = "Add a product to the cart",
    description = "Adds `quantity` units (a line of the same product grows). Answers the cart.",
    request_body(content = NewLine, content_type = "application/json"),
    responses(
        (status = 200, description = "The cart after the change.", body = CartPage),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: SignedIn,
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
                .add_to_cart(&screen, user.access_token(), &line),
        )
        .await?;
    Ok(cart_page(&state, &screen, &cart).await)
}

/// `DELETE /api/cart/items/{id}`.
#[utoipa::path(
    delete,
    path = "/cart/items/{id}",
    tag = "account",
    summary = "Remove a product's line from the cart",
    params(("id" = String, Path, description = "Product id of the line.",
        pattern = "^[A-Za-z0-9_-]{1,32}$", example = "p00042")),
    responses(
        (status = 200, description = "The cart after the change.", body = CartPage),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let id = ids::product_id(&id)?;
    let screen = Screen::start(state.settings.screens.cart);
    let cart = screen
        .critical(
            state
                .upstreams
                .accounts
                .remove_from_cart(&screen, user.access_token(), id),
        )
        .await?;
    Ok(cart_page(&state, &screen, &cart).await)
}

/// The cart with a card per line: one catalog batch, one offers + ratings batch.
async fn cart_page(state: &AppState, screen: &Screen, cart: &Cart) -> Response {
    let upstreams = &*state.upstreams;
    // Only well-formed ids go into upstream URLs; a malformed one is shown without its card.
    let ids: Vec<&str> = cart
        .items
        .iter()
        .map(|line| line.product_id.as_str())
        .filter(|id| ids::product_id(id).is_ok())
        .collect();
    let (cards, extras) = tokio::join!(
        screen.optional("catalog", upstreams.catalog.cards(screen, &ids)),
        CardExtras::fetch(screen, upstreams, &ids),
    );
    let cards = cards.unwrap_or_default();
    Json(CartPage::new(cart, &cards, &extras, screen.degraded())).into_response()
}

/// The body of `POST /api/cart/items`.
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
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
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
    let quantity = u32::try_from(line.quantity)
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(&i64::from(*q)))
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
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn a_well_formed_line_passes() {
        let line = new_line(
            &json_headers(),
            br#"{"product_id": "p00001", "quantity": 99}"#,
        )
        .unwrap();
        assert_eq!((line.product_id.as_str(), line.quantity), ("p00001", 99));
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
            r#"{"product_id": "p00001"}"#,
            r#"{"product_id": "../admin", "quantity": 1}"#,
            r#"{"product_id": "", "quantity": 1}"#,
            r#"{"product_id": 1, "quantity": 1}"#,
            r#"[]"#,
            "not json",
        ] {
            let problem = new_line(&json_headers(), body.as_bytes()).unwrap_err();
            assert_eq!(problem.status_code(), StatusCode::BAD_REQUEST, "{body}");
        }
        let problem = new_line(
            &HeaderMap::new(),
            br#"{"product_id": "p00001", "quantity": 1}"#,
        )
        .unwrap_err();
        assert_eq!(problem.status_code(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
