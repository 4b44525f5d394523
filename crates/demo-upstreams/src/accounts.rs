//! The accounts service: the signed-in user's profile, cart and orders.
//!
//! The caller forwards the end user's access token (`Authorization: Bearer …`). The binary
//! verifies it as an access token of the configured issuer ([`JwtVerifier`], set up by
//! [`crate::ServiceContext::verifying_tokens`]); until then a context refuses every token
//! ([`RefuseTokens`]). Tests plug other verifiers in through
//! [`crate::ServiceContext::with_token_verifier`] without touching the handlers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures::future::BoxFuture;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::CachePolicy as _;
use crate::data::{Dataset, fnv1a, format_day, format_timestamp, mix, now_rfc3339, product_id};
use crate::error::{ApiError, Json, Path, check_product_id, find_product};
use crate::vocab;

/// A token that does not identify anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the bearer token is not valid")]
pub struct InvalidToken;

/// Turns a bearer token into the subject (user id) it stands for. The seam where real
/// verification (signature, expiry, audience) plugs in.
pub trait TokenVerifier: Send + Sync + 'static {
    /// The token's subject, or [`InvalidToken`].
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>>;
}

/// The verifier of a context that has not been told whom to trust: every token is refused.
/// Trusting tokens without checking them exists only in test code (`testing::OpaqueHandles`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RefuseTokens;

impl TokenVerifier for RefuseTokens {
    fn verify<'a>(&'a self, _token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>> {
        Box::pin(std::future::ready(Err(InvalidToken)))
    }
}

/// Production-style verifier: the token must be an access token of the configured issuer for
/// this service's audience (signature, `exp`, `iss`, `aud`, `typ` by shared's validator).
#[derive(Debug, Clone)]
pub struct JwtVerifier {
    validator: Arc<shared::auth::validator::TokenValidator>,
}

impl JwtVerifier {
    /// Discovers `issuer`'s keys and accepts tokens whose `aud` contains `audience`.
    pub async fn discover(
        issuer: &str,
        backchannel_url: Option<url::Url>,
        audience: &str,
    ) -> Result<Self, shared::auth::validator::ValidatorError> {
        let mut settings = shared::auth::validator::JwtSettings::new(issuer, audience);
        settings.backchannel_url = backchannel_url;
        let validator = shared::auth::validator::TokenValidator::from_settings(&settings).await?;
        Ok(Self {
            validator: Arc::new(validator),
        })
    }
}

impl TokenVerifier for JwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>> {
        Box::pin(async move {
            self.validator
                .validate(token)
                .await
                .map(|claims| claims.sub)
                .map_err(|_| InvalidToken)
        })
    }
}

/// The subject of the request's bearer token: `None` without an `Authorization` header, a 401
/// for any other scheme or a token the verifier rejects (an invalid token is an error, never
/// "anonymous").
pub(crate) async fn bearer_subject(
    headers: &HeaderMap,
    verifier: &dyn TokenVerifier,
) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or(ApiError::Unauthorized(
            "the Authorization header must carry a bearer token",
        ))?;
    verifier
        .verify(token)
        .await
        .map(Some)
        .map_err(|_| ApiError::Unauthorized("the bearer token is not valid"))
}

/// Like [`bearer_subject`], but a missing token is a 401 too.
async fn require_subject(
    headers: &HeaderMap,
    verifier: &dyn TokenVerifier,
) -> Result<String, ApiError> {
    bearer_subject(headers, verifier)
        .await?
        .ok_or(ApiError::Unauthorized("this route needs a bearer token"))
}

/// The subject of the request's bearer token, as [`require_subject`]: a handler argument.
struct Subject(String);

impl FromRequestParts<Accounts> for Subject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Accounts) -> Result<Self, ApiError> {
        require_subject(&parts.headers, state.verifier.as_ref())
            .await
            .map(Self)
    }
}

/// Carts by user, in memory; lost on restart, as befits a demo.
#[derive(Debug, Default)]
pub(crate) struct Carts(Mutex<HashMap<String, Cart>>);

impl Carts {
    fn with_cart<T>(&self, user: &str, f: impl FnOnce(&mut Cart) -> T) -> T {
        let mut carts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let cart = carts.entry(user.to_owned()).or_insert_with(|| Cart {
            items: Vec::new(),
            updated_at: now_rfc3339(),
        });
        f(cart)
    }
}

#[derive(Debug, Clone, Serialize)]
struct Cart {
    items: Vec<CartLine>,
    updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
struct CartLine {
    product_id: String,
    quantity: u32,
}

/// Most lines a cart holds, so that one client cannot grow memory without bound.
const MAX_CART_LINES: usize = 100;

#[derive(Clone)]
struct Accounts {
    data: Arc<Dataset>,
    verifier: Arc<dyn TokenVerifier>,
    carts: Arc<Carts>,
}

/// The accounts service's routes.
pub(crate) fn routes(
    data: Arc<Dataset>,
    verifier: Arc<dyn TokenVerifier>,
    carts: Arc<Carts>,
) -> Router {
    Router::new()
        .route("/me", get(me))
        .route("/cart", get(cart))
        .route("/cart/items", post(add_item))
        .route("/cart/items/{product_id}", delete(remove_item))
        .route("/orders", get(orders))
        .with_state(Accounts {
            data,
            verifier,
            carts,
        })
        .cache_policy("private, no-store")
}

#[derive(Serialize)]
struct Profile {
    id: String,
    name: String,
    email: String,
    member_since: String,
}

/// The three well-known demo users; every other handle gets a generated profile.
const DEMO_USERS: [(&str, &str, &str, &str); 3] = [
    (
        "demo-user-1",
        "Ada Lovelace",
        "ada@example.test",
        "2024-01-15",
    ),
    (
        "demo-user-2",
        "Grace Hopper",
        "grace@example.test",
        "2024-03-09",
    ),
    (
        "demo-user-3",
        "Alan Turing",
        "alan@example.test",
        "2024-06-23",
    ),
];

fn profile(user: &str) -> Profile {
    if let Some((id, name, email, since)) = DEMO_USERS.iter().find(|(id, ..)| *id == user) {
        return Profile {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            email: (*email).to_owned(),
            member_since: (*since).to_owned(),
        };
    }
    let hash = fnv1a(user.as_bytes());
    let first = vocab::FIRST_NAMES[(hash % vocab::FIRST_NAMES.len() as u64) as usize];
    let last = vocab::LAST_NAMES[(hash >> 16) as usize % vocab::LAST_NAMES.len()];
    // Between 2019-01-01 and early 2026.
    let since = 17_897 + (hash >> 32) as i64 % 2_600;
    Profile {
        id: user.to_owned(),
        name: format!("{first} {last}"),
        email: format!("{}@example.test", user.to_ascii_lowercase()),
        member_since: format_day(since),
    }
}

async fn me(Subject(user): Subject) -> Result<Response, ApiError> {
    Ok(axum::Json(profile(&user)).into_response())
}

async fn cart(State(state): State<Accounts>, Subject(user): Subject) -> Result<Response, ApiError> {
    let cart = state.carts.with_cart(&user, |cart| cart.clone());
    Ok(axum::Json(cart).into_response())
}

#[derive(Deserialize)]
struct AddItem {
    product_id: String,
    quantity: i64,
}

async fn add_item(
    State(state): State<Accounts>,
    headers: HeaderMap,
    Json(item): Json<AddItem>,
) -> Result<Response, ApiError> {
    // Not a `Subject` argument: the body is read first, so a malformed one is a 400 with or
    // without a token.
    let user = require_subject(&headers, state.verifier.as_ref()).await?;
    check_product_id(&item.product_id)?;
    let quantity = u32::try_from(item.quantity)
        .ok()
        .filter(|q| (1..=99).contains(q))
        .ok_or(ApiError::BadRequest("quantity must be between 1 and 99"))?;
    let index = state
        .data
        .product_index(&item.product_id)
        .ok_or(ApiError::NotFound("no product has this id"))?;
    let id = product_id(index);
    let cart = state.carts.with_cart(&user, |cart| {
        let lines = cart.items.len();
        match cart.items.iter_mut().find(|line| line.product_id == id) {
            // A line never holds more than 99: adding beyond that caps instead of failing.
            Some(line) => line.quantity = (line.quantity + quantity).min(99),
            None if lines >= MAX_CART_LINES => {
                return Err(ApiError::BadRequest("a cart holds at most 100 lines"));
            }
            None => cart.items.push(CartLine {
                product_id: id,
                quantity,
            }),
        }
        cart.updated_at = now_rfc3339();
        Ok(cart.clone())
    })?;
    Ok(axum::Json(cart).into_response())
}

async fn remove_item(
    State(state): State<Accounts>,
    Path(id): Path<String>,
    Subject(user): Subject,
) -> Result<Response, ApiError> {
    find_product(&state.data, &id)?;
    let cart = state.carts.with_cart(&user, |cart| {
        let before = cart.items.len();
        cart.items.retain(|line| line.product_id != id);
        if cart.items.len() != before {
            cart.updated_at = now_rfc3339();
        }
        cart.clone()
    });
    Ok(axum::Json(cart).into_response())
}

#[derive(Serialize)]
struct Orders {
    items: Vec<Order>,
}

#[derive(Serialize)]
struct Order {
    id: String,
    placed_at: String,
    status: &'static str,
    total_cents: u64,
    currency: &'static str,
    lines: Vec<OrderLine>,
}

#[derive(Serialize)]
struct OrderLine {
    product_id: String,
    quantity: u32,
    price_cents: u32,
}

/// A user's order history: generated from the user handle and the data seed, newest first.
fn order_history(data: &Dataset, user: &str) -> Vec<Order> {
    let user_hash = fnv1a(user.as_bytes());
    let mut rng = SmallRng::seed_from_u64(mix(data.seed, user_hash));
    let is_demo_user = DEMO_USERS.iter().any(|(id, ..)| *id == user);
    let count = if is_demo_user {
        rng.random_range(3..=5)
    } else {
        rng.random_range(0..=4)
    };
    let mut placed = crate::data::reference_secs() - rng.random_range(3_600..5 * 86_400);
    (0..count)
        .map(|n| {
            let lines: Vec<OrderLine> = (0..rng.random_range(1..=3))
                .map(|_| {
                    let index = rng.random_range(0..data.products.len());
                    OrderLine {
                        product_id: product_id(index),
                        quantity: rng.random_range(1..=2),
                        price_cents: data.offers[index].price_cents,
                    }
                })
                .collect();
            let status = match n {
                0 => ["processing", "shipped"][rng.random_range(0..2)],
                _ if rng.random_bool(0.1) => "cancelled",
                _ => "delivered",
            };
            let order = Order {
                id: format!("o-{:08x}", mix(user_hash, n as u64) as u32),
                placed_at: format_timestamp(placed),
                status,
                total_cents: lines
                    .iter()
                    .map(|l| u64::from(l.price_cents) * u64::from(l.quantity))
                    .sum(),
                currency: "EUR",
                lines,
            };
            placed -= rng.random_range(86_400..90 * 86_400);
            order
        })
        .collect()
}

async fn orders(
    State(state): State<Accounts>,
    Subject(user): Subject,
) -> Result<Response, ApiError> {
    Ok(axum::Json(Orders {
        items: order_history(&state.data, &user),
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_context_without_an_issuer_refuses_every_token() {
        for token in ["demo-user-1", "demo-user-2", ""] {
            assert_eq!(
                RefuseTokens.verify(token).await,
                Err(InvalidToken),
                "{token}"
            );
        }
    }

    #[test]
    fn known_demo_users_have_fixed_profiles_and_others_generated_ones() {
        assert_eq!(profile("demo-user-2").name, "Grace Hopper");
        let someone = profile("Someone.Else");
        assert_eq!(someone.email, "someone.else@example.test");
        assert_eq!(someone.name, profile("Someone.Else").name);
    }
}
