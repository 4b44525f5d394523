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

use axum::extract::State;
use axum::middleware;
use axum::response::Response;
use shared::aggregate::{Screen, Section};
use shared::auth::AuthUser;
use shared::cart::{self, CartChange};
use shared::cart_line::NewCartLine;
use shared::ids::ProductId;
use shared::problem::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::device::{self, Device, HintHeaders, HintQuery};
use crate::views::account::{CartView, Me};
use crate::{AppState, openapi};

/// The token's user's routes: each takes an [`AuthUser`] (no valid bearer token, no upstream
/// call), and every answer, problems included, is the user's own: never stored anywhere.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut routes = OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(cart))
        .routes(routes!(add_item))
        .routes(routes!(remove_item))
        .route_layer(middleware::map_response(shared::server::personal));
    openapi::bearer_required(routes.get_openapi_mut());
    routes
}

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
        .critical(state.upstreams.accounts.me(&screen, user.access_token()))
        .await?;
    Ok(shared::json::response(&Me::of(&profile)))
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
    cart_view(&state, &user, &device, CartChange::None).await
}

/// `POST /v1/cart/items` with `{"product_id": "p00001", "quantity": 1}`: adds units (to an
/// existing line if there is one) and answers the cart.
#[utoipa::path(
    post,
    path = "/cart/items",
    tag = "account",
    summary = "Add a product to the cart",
    params(HintQuery, HintHeaders),
    request_body(content = NewCartLine, content_type = "application/json"),
    responses(
        (status = 200, description = "The cart after the change.", body = CartView),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: AuthUser,
    device: Device,
    line: NewCartLine,
) -> Result<Response, Problem> {
    cart_view(&state, &user, &device, CartChange::Add(&line)).await
}

/// `DELETE /v1/cart/items/{id}`: removes the product's line (absent is not an error) and
/// answers the cart.
#[utoipa::path(
    delete,
    path = "/cart/items/{id}",
    tag = "account",
    summary = "Remove a product's line from the cart",
    params(ProductId, HintQuery, HintHeaders),
    responses(
        (status = 200, description = "The cart after the change.", body = CartView),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: AuthUser,
    device: Device,
    id: ProductId,
) -> Result<Response, Problem> {
    cart_view(&state, &user, &device, CartChange::Remove(&id)).await
}

/// The cart after `change`, with each line's name, price and image: one catalog batch and one
/// offers batch, concurrently, both optional.
async fn cart_view(
    state: &AppState,
    user: &AuthUser,
    device: &Device,
    change: CartChange<'_>,
) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.cart);
    let upstreams = &*state.upstreams;
    let cart = change
        .apply(&screen, &upstreams.accounts, user.access_token())
        .await?;
    let ids = cart::product_ids(&cart);
    let (cards, offers) = tokio::join!(
        screen.optional(Section::Catalog, upstreams.catalog.cards(&screen, &ids)),
        screen.optional(Section::Offers, upstreams.offers.offers(&screen, &ids)),
    );
    let cards = cards.unwrap_or_default();
    let offers = offers.unwrap_or_default();
    let view = CartView::new(&cart, &cards, &offers, device, screen.degraded());
    let mut response = shared::json::response(&view);
    device::mark_device_dependent(&mut response);
    Ok(response)
}
