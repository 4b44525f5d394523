//! The schema's roots: `Query` (product, search, categories, home, me, cart) and `Mutation`
//! (addToCart, removeFromCart), over the same typed clients as the REST screens.
//!
//! Root fields are the critical calls: their failure is an error with a code and, for the
//! non-null ones, a null `data`. Everything below them is optional, as REST's sections are:
//! null with a `DEGRADED` error naming the section.

use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, Enum, ID, Object, Result, Schema, SchemaBuilder, SimpleObject,
};
use futures::FutureExt as _;
use shared::aggregate::{Screen, Section};
use shared::cart_line::{NewCartLine, QUANTITY};
use shared::ids::{CategoryId, ProductId};
use shared::upstream::catalog::{self, SearchQuery, SearchSort};
use shared::upstream::recommendations::Recommended;
use shared::upstream::{UpstreamError, Upstreams, accounts};

use super::errors;
use super::loaders::Loaders;
use super::product::{Image, PageInfo, Product, cursor, first_within, page_start};
use super::user::User;
use crate::views::home::category_href;

/// The schema type.
pub type WebSchema = Schema<Query, Mutation, EmptySubscription>;

/// Cards on the featured shelf.
const FEATURED: u32 = 24;
/// Search results per page at most.
const MAX_SEARCH: i32 = 48;
/// The deepest search position (as REST: 400 pages of 24).
const MAX_SEARCH_OFFSET: u32 = 9_600;
/// Popular products at most.
const MAX_POPULAR: i32 = 24;

/// The schema without limits (the SDL, and the base of [`super::GraphqlSettings::schema`]).
pub fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
}

/// The schema in SDL, as committed in `bff-web/schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// What the resolvers of one request share: its deadline, its loaders, its user.
pub struct QueryContext {
    /// The query's deadline and request id (a screen deadline: `graphql.deadline`).
    pub screen: Arc<Screen>,
    /// The typed clients.
    pub upstreams: Arc<Upstreams>,
    /// One batching loader per batched endpoint.
    pub loaders: Loaders,
    /// The session, looked up when a field needs it (shared with the handler, which clears a
    /// dead session's cookie).
    pub user: Arc<User>,
}

impl QueryContext {
    /// The request's context (always set by the handler).
    pub fn of<'a>(ctx: &Context<'a>) -> Result<&'a Self> {
        ctx.data::<Self>()
    }

    /// An optional section failed: logged, counted (`screen_sections_degraded_total`), and the
    /// field's error.
    pub fn degrade(&self, section: Section, error: &UpstreamError) -> async_graphql::Error {
        tracing::warn!(section = section.as_str(), %error, "GraphQL field left out");
        self.screen.degrade(section);
        errors::degraded(section)
    }

    /// An optional section's call under the query's deadline: on failure the field is null
    /// with a `DEGRADED` error naming `section` (logged and counted by the screen).
    ///
    /// A combinator (as are [`Self::recommended`] and `critical`): an `async fn` would keep
    /// `call` beside the future it awaits (see [`Screen::critical`]).
    pub fn optional<T>(
        &self,
        section: Section,
        call: impl Future<Output = Result<T, UpstreamError>>,
    ) -> impl Future<Output = Result<T>> {
        let answer = self.screen.optional(section, call);
        answer.map(move |answer| answer.ok_or_else(|| errors::degraded(section)))
    }

    /// The products of a recommendation list (related, popular): the list, then one batched
    /// card call; either failing is `recommendations` degraded.
    pub fn recommended(
        &self,
        call: impl Future<Output = Result<Recommended, UpstreamError>>,
    ) -> impl Future<Output = Result<Option<Vec<Product>>>> {
        let list = self.optional(Section::Recommendations, call);
        list.then(move |list| async move {
            let products = self.products(Section::Recommendations, list?.product_ids);
            products.await.map(Some)
        })
    }

    /// Products for the ids of a list (related, popular), in their order: one batched card
    /// call, made at once (the ids are all known: waiting for the loader's batching window would
    /// only add latency); unknown ids are left out. A catalog failure is `section` degraded.
    pub async fn products(&self, section: Section, ids: Vec<String>) -> Result<Vec<Product>> {
        let cards = self.upstreams.catalog.cards(&self.screen, &ids);
        let cards = self.optional(section, cards).await?;
        Ok(cards
            .into_iter()
            .map(|card| Product::of_card(Arc::new(card)))
            .collect())
    }
}

/// The sort orders of `search`.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum Sort {
    /// Best match first.
    Relevance,
    /// Alphabetical.
    Name,
    /// Newest first.
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
}

impl From<Sort> for SearchSort {
    fn from(sort: Sort) -> Self {
        match sort {
            Sort::Relevance => Self::Relevance,
            Sort::Name => Self::Name,
            Sort::Newest => Self::Newest,
            Sort::PriceAsc => Self::PriceAsc,
            Sort::PriceDesc => Self::PriceDesc,
        }
    }
}

/// The queries.
pub struct Query;

#[Object]
impl Query {
    /// A product in full. Unknown: null with `NOT_FOUND`.
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = ProductId::parse(&id).map_err(|_| errors::bad_input("id is not a product id."))?;
        let q = QueryContext::of(ctx)?;
        let call = q.upstreams.catalog.product(&q.screen, &id);
        let product = critical(&q.screen, call).await?;
        Ok(Some(Product::single(product)))
    }

    /// Products matching `q` (words of name, brand, description) in `category`: `first` (1 to
    /// 48) after the cursor `after`, with the total and facets.
    #[graphql(complexity = "5 + first.clamp(0, MAX_SEARCH) as usize * child_complexity")]
    async fn search(
        &self,
        ctx: &Context<'_>,
        q: Option<String>,
        category: Option<String>,
        #[graphql(default_with = "Sort::Relevance")] sort: Sort,
        #[graphql(default = 24)] first: i32,
        after: Option<String>,
    ) -> Result<SearchResults> {
        let text = q.as_deref().map(str::trim).filter(|t| !t.is_empty());
        if text.is_some_and(|t| t.chars().count() > 200 || t.chars().any(char::is_control)) {
            return Err(errors::bad_input(
                "q must be at most 200 characters of text.",
            ));
        }
        let category = category
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(CategoryId::parse)
            .transpose()
            .map_err(|_| errors::bad_input("category is not a category id."))?;
        let offset = page_start(first, MAX_SEARCH, after.as_deref(), MAX_SEARCH_OFFSET)?;
        let qc = QueryContext::of(ctx)?;
        let query = SearchQuery {
            text,
            category: category.as_ref(),
            sort: sort.into(),
            offset,
            limit: first.unsigned_abs(),
        };
        let page = critical(&qc.screen, qc.upstreams.catalog.search(&qc.screen, &query)).await?;
        let next = offset.saturating_add(page.items.len() as u32);
        let has_next = next < page.total && next < MAX_SEARCH_OFFSET;
        Ok(SearchResults {
            total_count: page.total,
            products: page
                .items
                .into_iter()
                .map(|card| Product::of_card(Arc::new(card)))
                .collect(),
            facets: Facets {
                categories: facet_values(page.facets.categories),
                brands: facet_values(page.facets.brands),
            },
            page_info: PageInfo {
                has_next_page: has_next,
                end_cursor: has_next.then(|| cursor(next)),
            },
        })
    }

    /// Every category (null with `DEGRADED` `categories` when the catalog fails).
    async fn categories(&self, ctx: &Context<'_>) -> Result<Option<Vec<Category>>> {
        let q = QueryContext::of(ctx)?;
        let call = q.upstreams.catalog.categories(&q.screen);
        let categories = q.optional(Section::Categories, call).await?;
        Ok(Some(categories.into_iter().map(Category::of).collect()))
    }

    /// The home page's hero and shelves.
    async fn home(&self, ctx: &Context<'_>) -> Result<Home> {
        let q = QueryContext::of(ctx)?;
        let call = q.upstreams.catalog.featured(&q.screen, FEATURED);
        Ok(Home(critical(&q.screen, call).await?))
    }

    /// The signed-in user's profile (null with `UNAUTHENTICATED` when anonymous).
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Profile>> {
        let q = QueryContext::of(ctx)?;
        let user = q.user.signed_in().await?;
        let call = q.upstreams.accounts.me(&q.screen, user.access_token());
        let profile = critical(&q.screen, call).await?;
        Ok(Some(Profile {
            id: ID(profile.id),
            name: profile.name,
            email: profile.email,
            member_since: profile.member_since,
        }))
    }

    /// The signed-in user's cart (null with `UNAUTHENTICATED` when anonymous).
    async fn cart(&self, ctx: &Context<'_>) -> Result<Option<Cart>> {
        let q = QueryContext::of(ctx)?;
        let user = q.user.signed_in().await?;
        let call = q.upstreams.accounts.cart(&q.screen, user.access_token());
        Ok(Some(Cart(critical(&q.screen, call).await?)))
    }
}

/// The changes.
pub struct Mutation;

#[Object]
impl Mutation {
    /// Adds `quantity` (1 to 99) units of a product to the cart; answers the cart.
    async fn add_to_cart(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        #[graphql(default = 1)] quantity: i32,
    ) -> Result<Cart> {
        let product_id = ProductId::parse(&product_id)
            .map_err(|_| errors::bad_input("productId is not a product id."))?;
        let quantity = u32::try_from(quantity)
            .ok()
            .filter(|q| QUANTITY.contains(q))
            .ok_or_else(|| errors::bad_input("quantity must be from 1 to 99."))?;
        let q = QueryContext::of(ctx)?;
        let user = q.user.signed_in().await?;
        let line = NewCartLine {
            product_id,
            quantity,
        };
        let call = q
            .upstreams
            .accounts
            .add_to_cart(&q.screen, user.access_token(), &line);
        Ok(Cart(critical(&q.screen, call).await?))
    }

    /// Removes a product's line from the cart (absent is not an error); answers the cart.
    async fn remove_from_cart(&self, ctx: &Context<'_>, product_id: ID) -> Result<Cart> {
        let product_id = ProductId::parse(&product_id)
            .map_err(|_| errors::bad_input("productId is not a product id."))?;
        let q = QueryContext::of(ctx)?;
        let user = q.user.signed_in().await?;
        let call =
            q.upstreams
                .accounts
                .remove_from_cart(&q.screen, user.access_token(), &product_id);
        Ok(Cart(critical(&q.screen, call).await?))
    }
}

/// A critical call under the query's deadline; its failure is the field's coded error.
fn critical<T>(
    screen: &Screen,
    call: impl Future<Output = Result<T, UpstreamError>>,
) -> impl Future<Output = Result<T>> {
    tokio::time::timeout(screen.remaining(), call).map(|answer| match answer {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(errors::critical(&error)),
        Err(_) => {
            tracing::warn!("critical upstream call of a GraphQL query missed the deadline");
            Err(errors::coded(
                "UPSTREAM_TIMEOUT",
                "A service this request needs did not answer in time.",
            ))
        }
    })
}

/// A page of search results.
#[derive(SimpleObject)]
pub struct SearchResults {
    /// Matches in all.
    total_count: u32,
    /// This page's products.
    products: Vec<Product>,
    /// Matches per category and brand (before the category filter).
    facets: Facets,
    /// Where the next page starts.
    page_info: PageInfo,
}

/// Search facets.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Facets {
    /// Matches per category id.
    categories: Vec<FacetValue>,
    /// Matches per brand.
    brands: Vec<FacetValue>,
}

/// One facet value and its count.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct FacetValue {
    /// A category id or a brand.
    value: String,
    /// Matches with it.
    count: u32,
}

fn facet_values(values: Vec<catalog::FacetValue>) -> Vec<FacetValue> {
    values
        .into_iter()
        .map(|v| FacetValue {
            value: v.value,
            count: v.count,
        })
        .collect()
}

/// A product category.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Category {
    /// Slug, e.g. `audio`.
    id: ID,
    /// Display name.
    name: String,
    /// Products in it.
    product_count: u32,
    /// The storefront's search link for it.
    href: Option<String>,
}

impl Category {
    fn of(category: catalog::Category) -> Self {
        Self {
            href: category_href(&category.id),
            id: ID(category.id),
            name: category.name,
            product_count: category.product_count,
        }
    }
}

/// The home page: hero, featured and popular shelves.
pub struct Home(catalog::Featured);

/// The home page: hero, featured and popular shelves.
#[Object]
impl Home {
    /// The banner.
    async fn hero(&self) -> Hero {
        let hero = &self.0.hero;
        Hero {
            title: hero.title.clone(),
            subtitle: hero.subtitle.clone(),
            href: crate::views::card::product_href(&hero.product_id),
            image: Image::of(&hero.image),
        }
    }

    /// 24 featured products.
    #[graphql(complexity = "24 * child_complexity")]
    async fn featured(&self) -> Vec<Product> {
        let cards = self.0.items.iter().cloned().map(Arc::new);
        cards.map(Product::of_card).collect()
    }

    /// Popular products (1 to 24; null with `DEGRADED` `recommendations` when unavailable).
    #[graphql(complexity = "5 + first.clamp(0, MAX_POPULAR) as usize * child_complexity")]
    async fn popular(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12)] first: i32,
    ) -> Result<Option<Vec<Product>>> {
        first_within(first, MAX_POPULAR)?;
        let q = QueryContext::of(ctx)?;
        let call = q
            .upstreams
            .recommendations
            .popular(&q.screen, first.unsigned_abs());
        q.recommended(call).await
    }
}

/// The home page banner.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Hero {
    /// Headline.
    title: String,
    /// Sub-headline.
    subtitle: String,
    /// The product page it links to.
    href: Option<String>,
    /// Banner image.
    image: Option<Image>,
}

/// The signed-in user's profile.
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct Profile {
    /// User id.
    id: ID,
    /// Display name.
    name: String,
    /// E-mail address.
    email: String,
    /// ISO date of sign-up.
    member_since: String,
}

/// The user's cart.
pub struct Cart(accounts::Cart);

/// The user's cart.
#[Object]
impl Cart {
    /// Lines in the order they were added.
    async fn lines(&self) -> Vec<CartLine> {
        let lines = self.0.items.iter();
        lines
            .map(|line| CartLine {
                product_id: line.product_id.clone(),
                quantity: line.quantity,
            })
            .collect()
    }

    /// Units in all.
    async fn total_quantity(&self) -> u32 {
        self.0.items.iter().map(|line| line.quantity).sum()
    }
}

/// One cart line.
pub struct CartLine {
    product_id: String,
    quantity: u32,
}

/// One cart line.
#[Object]
impl CartLine {
    /// The product's id.
    async fn product_id(&self) -> ID {
        ID(self.product_id.clone())
    }

    /// Units, 1 to 99.
    async fn quantity(&self) -> u32 {
        self.quantity
    }

    /// The product's card (null with `DEGRADED` `catalog` when the catalog fails; one batched
    /// call for every line).
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        if ProductId::parse(&self.product_id).is_err() {
            return Ok(None);
        }
        let q = QueryContext::of(ctx)?;
        let card = q.loaders.cards.load_one(self.product_id.clone()).await;
        card.map(|card| card.map(Product::of_card))
            .map_err(|error| q.degrade(Section::Catalog, &error))
    }
}
