//! The signed-in user's screens: `GET /api/me`, `GET /api/cart`, `POST /api/cart/items`,
//! `DELETE /api/cart/items/{id}`.
//!
//! Each needs a session ([`SignedIn`]: 401 otherwise) and calls accounts with the session's
//! access token, never with anything the browser sent. Input is validated before any upstream
//! call. A cart is shown with its products' cards: one batched catalog call and one batched
//! offers + ratings call for all its lines, as optional sections (`degraded` names what was left
//! out). Every answer is `Cache-Control: private, no-store` (set by the routes' layer).

use axum::extract::State;
use axum::middleware;
use axum::response::Response;
use shared::aggregate::{Screen, Section};
use shared::cards::CardExtras;
use shared::cart::{self, CartChange};
use shared::cart_line::NewCartLine;
use shared::ids::ProductId;
use shared::problem::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::SignedIn;
use crate::views::account::{CartPage, ProfileView};
use crate::{AppState, openapi};

/// The signed-in user's routes: each needs a session ([`SignedIn`]), and every answer, problems
/// included, is the user's own: never stored anywhere.
pub fn routes() -> OpenApiRouter<AppState> {
    let mut routes = OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(cart))
        .routes(routes!(add_item))
        .routes(routes!(remove_item))
        .route_layer(middleware::map_response(shared::server::personal));
    openapi::signed_in(routes.get_openapi_mut());
    routes
}

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
    Ok(shared::json::response(&ProfileView::of(&profile)))
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
    cart_page(&state, &user, CartChange::None).await
}

/// `POST /api/cart/items` with `{"product_id": "p00001", "quantity": 1}`.
#[utoipa::path(
    post,
    path = "/cart/items",
    tag = "account",
    summary = "Add a product to the cart",
    description = "Adds `quantity` units (a line of the same product grows). Answers the cart.",
    request_body(content = NewCartLine, content_type = "application/json"),
    responses(
        (status = 200, description = "The cart after the change.", body = CartPage),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn add_item(
    State(state): State<AppState>,
    user: SignedIn,
    line: NewCartLine,
) -> Result<Response, Problem> {
    cart_page(&state, &user, CartChange::Add(&line)).await
}

/// `DELETE /api/cart/items/{id}`.
#[utoipa::path(
    delete,
    path = "/cart/items/{id}",
    tag = "account",
    summary = "Remove a product's line from the cart",
    params(ProductId),
    responses(
        (status = 200, description = "The cart after the change.", body = CartPage),
        (status = 400, response = shared::openapi::BadRequest),
    ),
)]
pub async fn remove_item(
    State(state): State<AppState>,
    user: SignedIn,
    id: ProductId,
) -> Result<Response, Problem> {
    cart_page(&state, &user, CartChange::Remove(&id)).await
}

/// The cart after `change`, with a card per line: one catalog batch, one offers + ratings batch.
async fn cart_page(
    state: &AppState,
    user: &SignedIn,
    change: CartChange<'_>,
) -> Result<Response, Problem> {
    let screen = Screen::start(state.settings.screens.cart);
    let upstreams = &*state.upstreams;
    let cart = change
        .apply(&screen, &upstreams.accounts, user.access_token())
        .await?;
    let ids = cart::product_ids(&cart);
    let (cards, extras) = tokio::join!(
        screen.optional(Section::Catalog, upstreams.catalog.cards(&screen, &ids)),
        CardExtras::fetch(&screen, upstreams, &ids),
    );
    let cards = cards.unwrap_or_default();
    Ok(shared::json::response(&CartPage::new(
        &cart,
        &cards,
        &extras,
        screen.degraded(),
    )))
}
