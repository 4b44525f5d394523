//! The catalog service: categories, products, batch lookups, search, featured products, images.
//!
//! Every successful response carries a strong `ETag` (a fixed hash of the body, so all replicas
//! agree) and `Cache-Control: public, max-age=60`, so BFFs can exercise revalidation.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use shared::problem::Problem;

use crate::CachePolicy as _;
use crate::batch::{Batch, BatchIds};
use crate::data::{Dataset, Product, RENDITION_WIDTHS, Spec, Variant, fnv1a};
use crate::error::{ApiError, Page, Path, Query, check_product_id, find_product};
use crate::vocab::CATEGORIES;

/// What the catalog's handlers share.
#[derive(Clone)]
struct Catalog {
    data: Arc<Dataset>,
    /// Prefix of rendition URLs (`http://localhost:7001`).
    base_url: Arc<str>,
}

/// The catalog's routes, with ETags and caching headers.
pub(crate) fn routes(data: Arc<Dataset>, public_base_url: &str) -> Router {
    data.prewarm_search();
    let state = Catalog {
        data,
        base_url: Arc::from(public_base_url),
    };
    Router::new()
        .route("/categories", get(categories))
        .route("/products", get(products))
        .route("/products/search", get(search))
        .route("/products/{id}", get(product))
        .route("/featured", get(featured))
        .route("/images/{id}/{index}/{file}", get(image))
        .with_state(state)
        // Inside the ETag layer, so the 304 repeats the caching policy.
        .cache_policy("public, max-age=60")
        .layer(middleware::from_fn(strong_etag))
}

#[derive(Serialize)]
struct Items<T> {
    items: Vec<T>,
}

/// What a product and its card begin with.
#[derive(Serialize)]
struct HeadJson<'a> {
    id: &'a str,
    name: &'a str,
    brand: &'a str,
    category: &'a str,
}

#[derive(Serialize)]
struct ProductJson<'a> {
    #[serde(flatten)]
    head: HeadJson<'a>,
    description: &'a str,
    features: &'a [&'static str],
    specs: &'a [Spec],
    images: Vec<ImageJson<'a>>,
    variants: &'a [Variant],
    created_at: &'a str,
}

/// A product's head and its first image.
#[derive(Serialize)]
struct CardJson<'a> {
    #[serde(flatten)]
    head: HeadJson<'a>,
    images: Vec<ImageJson<'a>>,
}

#[derive(Serialize)]
struct ImageJson<'a> {
    alt: &'a str,
    color: &'a str,
    renditions: Vec<Rendition>,
}

#[derive(Serialize)]
struct Rendition {
    width: u32,
    height: u32,
    url: String,
}

fn image_json<'a>(
    base_url: &str,
    product: &'a Product,
    index: usize,
    alt: &'a str,
) -> ImageJson<'a> {
    ImageJson {
        alt,
        color: product.color,
        renditions: RENDITION_WIDTHS
            .iter()
            .map(|&width| Rendition {
                width,
                height: width * 3 / 4,
                url: format!("{base_url}/images/{}/{index}/{width}.svg", product.id),
            })
            .collect(),
    }
}

fn head_json(product: &Product) -> HeadJson<'_> {
    HeadJson {
        id: &product.id,
        name: &product.name,
        brand: product.brand,
        category: CATEGORIES[product.category].id,
    }
}

fn product_json<'a>(base_url: &str, product: &'a Product) -> ProductJson<'a> {
    ProductJson {
        head: head_json(product),
        description: &product.description,
        features: &product.features,
        specs: &product.specs,
        images: product
            .images
            .iter()
            .enumerate()
            .map(|(i, alt)| image_json(base_url, product, i, alt))
            .collect(),
        variants: &product.variants,
        created_at: &product.created_at,
    }
}

fn card_json<'a>(base_url: &str, product: &'a Product) -> CardJson<'a> {
    CardJson {
        head: head_json(product),
        images: product
            .images
            .first()
            .map(|alt| image_json(base_url, product, 0, alt))
            .into_iter()
            .collect(),
    }
}

async fn categories(State(catalog): State<Catalog>) -> Response {
    axum::Json(Items {
        items: catalog.data.categories.clone(),
    })
    .into_response()
}

async fn product(
    State(catalog): State<Catalog>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let index = find_product(&catalog.data, &id)?;
    let product = &catalog.data.products[index];
    Ok(axum::Json(product_json(&catalog.base_url, product)).into_response())
}

#[derive(Deserialize)]
struct BatchQuery {
    ids: Option<String>,
    view: Option<String>,
}

async fn products(
    State(catalog): State<Catalog>,
    Query(query): Query<BatchQuery>,
) -> Result<Response, ApiError> {
    let ids = BatchIds::parse(query.ids.as_deref())?;
    let card = match query.view.as_deref() {
        None | Some("full") => false,
        Some("card") => true,
        Some(_) => return Err(ApiError::BadRequest("view is card or full")),
    };
    let (data, base) = (&catalog.data, &catalog.base_url);
    let product = |index: usize| &data.products[index];
    Ok(if card {
        Batch::of(data, &ids, |_, index| card_json(base, product(index))).into_response()
    } else {
        Batch::of(data, &ids, |_, index| product_json(base, product(index))).into_response()
    })
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    category: Option<String>,
    sort: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct SearchPage<'a> {
    total: usize,
    offset: usize,
    limit: usize,
    items: Vec<CardJson<'a>>,
    facets: Facets,
}

#[derive(Serialize)]
struct Facets {
    categories: Vec<FacetValue>,
    brands: Vec<FacetValue>,
}

#[derive(Serialize)]
struct FacetValue {
    value: &'static str,
    count: usize,
}

#[derive(Clone, Copy)]
enum Sort {
    Relevance,
    Name,
    Newest,
    PriceAsc,
    PriceDesc,
}

/// Counts per value, most frequent first, then alphabetically.
fn facet(values: impl Iterator<Item = &'static str>) -> Vec<FacetValue> {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for value in values {
        *counts.entry(value).or_insert(0) += 1;
    }
    let mut facet: Vec<FacetValue> = counts
        .into_iter()
        .map(|(value, count)| FacetValue { value, count })
        .collect();
    facet.sort_by_key(|f| Reverse(f.count));
    facet
}

async fn search(
    State(catalog): State<Catalog>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let q = query.q.as_deref().unwrap_or("");
    if q.chars().count() > 200 {
        return Err(ApiError::BadRequest("q is at most 200 characters"));
    }
    let category = match query.category.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(slug) if is_slug(slug) => Some(catalog.data.category_index(slug)),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "category is a slug of lower-case letters, digits and dashes",
            ));
        }
    };
    let sort = match query.sort.as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("name") => Sort::Name,
        Some("newest") => Sort::Newest,
        Some("price_asc") => Sort::PriceAsc,
        Some("price_desc") => Sort::PriceDesc,
        Some(_) => {
            return Err(ApiError::BadRequest(
                "sort is relevance, name, newest, price_asc or price_desc",
            ));
        }
    };
    let page = Page::parse(query.offset.as_deref(), query.limit.as_deref(), 24)?;

    let data = &catalog.data;
    let matches = data.search(q);
    let facets = Facets {
        categories: facet(
            matches
                .iter()
                .map(|(i, _)| CATEGORIES[data.products[*i as usize].category].id),
        ),
        brands: facet(
            matches
                .iter()
                .map(|(i, _)| data.products[*i as usize].brand),
        ),
    };
    let mut hits: Vec<(u32, u32)> = match category {
        None => matches,
        Some(None) => Vec::new(),
        Some(Some(wanted)) => matches
            .into_iter()
            .filter(|(i, _)| data.products[*i as usize].category == wanted)
            .collect(),
    };
    let rank = |i: u32| data.popularity_rank[i as usize];
    let product = |i: u32| &data.products[i as usize];
    let price = |i: u32| data.offers[i as usize].price_cents;
    match sort {
        Sort::Relevance => hits.sort_by_key(|&(i, score)| (Reverse(score), rank(i))),
        Sort::Name => hits.sort_by(|a, b| {
            product(a.0)
                .name
                .cmp(&product(b.0).name)
                .then(a.0.cmp(&b.0))
        }),
        Sort::Newest => hits.sort_by_key(|&(i, _)| (Reverse(product(i).created_day), i)),
        Sort::PriceAsc => hits.sort_by_key(|&(i, _)| (price(i), i)),
        Sort::PriceDesc => hits.sort_by_key(|&(i, _)| (Reverse(price(i)), i)),
    }
    let items = hits
        .iter()
        .skip(page.offset)
        .take(page.limit)
        .map(|&(i, _)| card_json(&catalog.base_url, product(i)))
        .collect();
    Ok(axum::Json(SearchPage {
        total: hits.len(),
        offset: page.offset,
        limit: page.limit,
        items,
        facets,
    })
    .into_response())
}

fn is_slug(text: &str) -> bool {
    (1..=40).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<String>,
}

#[derive(Serialize)]
struct Featured<'a> {
    hero: Hero<'a>,
    items: Vec<CardJson<'a>>,
}

#[derive(Serialize)]
struct Hero<'a> {
    title: String,
    subtitle: String,
    product_id: &'a str,
    image: ImageJson<'a>,
}

async fn featured(
    State(catalog): State<Catalog>,
    Query(query): Query<LimitQuery>,
) -> Result<Response, ApiError> {
    let limit = crate::error::limit(query.limit.as_deref(), 24)?;
    let data = &catalog.data;
    let hero_index = data
        .popular
        .iter()
        .copied()
        .find(|&i| data.offers[i as usize].discount_percent >= 10)
        .unwrap_or(data.popular[0]) as usize;
    let hero = &data.products[hero_index];
    let category = &CATEGORIES[hero.category];
    let best_discount = data.by_category[hero.category]
        .iter()
        .map(|&i| data.offers[i as usize].discount_percent)
        .max()
        .unwrap_or(0);
    let title = if best_discount > 0 {
        format!("Up to {best_discount}% off {}", category.name)
    } else {
        format!("The best of {}", category.name)
    };
    // The most popular products of every category in turn, so the shelf is varied.
    let mut items = Vec::with_capacity(limit);
    let mut round = 0;
    while items.len() < limit && round < data.products.len() {
        for members in &data.by_category {
            if let Some(&i) = members.get(round)
                && items.len() < limit
            {
                items.push(card_json(&catalog.base_url, &data.products[i as usize]));
            }
        }
        round += 1;
    }
    Ok(axum::Json(Featured {
        hero: Hero {
            title,
            subtitle: format!(
                "The {} {} and more, while stocks last",
                hero.brand, hero.name
            ),
            product_id: &hero.id,
            image: image_json(&catalog.base_url, hero, 0, &hero.images[0]),
        },
        items,
    })
    .into_response())
}

async fn image(
    State(catalog): State<Catalog>,
    Path((id, index, file)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    check_product_id(&id)?;
    let index: usize = index
        .parse()
        .map_err(|_| ApiError::BadRequest("the image index is a number"))?;
    let width: u32 = file
        .strip_suffix(".svg")
        .and_then(|w| w.parse().ok())
        .ok_or(ApiError::BadRequest("an image file is named {width}.svg"))?;
    let product = catalog
        .data
        .product_index(&id)
        .map(|i| &catalog.data.products[i])
        .ok_or(ApiError::NotFound("no product has this id"))?;
    if index >= product.images.len() || !RENDITION_WIDTHS.contains(&width) {
        return Err(ApiError::NotFound("no such image rendition"));
    }
    let headers = [
        (header::CONTENT_TYPE, "image/svg+xml"),
        (header::CACHE_CONTROL, "public, max-age=86400"),
    ];
    Ok((headers, crate::images::svg(product, index, width)).into_response())
}

/// Bodies above this are not buffered for tagging (none of the catalog's come near it).
const MAX_TAGGED_BODY: usize = 4 * 1024 * 1024;

/// Adds a strong `ETag` to successful GET responses and answers `304` (with the tag and the
/// caching headers, no body) when `If-None-Match` names it. HEAD responses are left untagged:
/// their body is already stripped here, and a tag of the empty body would be wrong.
async fn strong_etag(request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_TAGGED_BODY).await else {
        return Problem::internal().into_response();
    };
    let tag = HeaderValue::from_str(&format!("\"{:016x}\"", fnv1a(&bytes)))
        .expect("hex digits in quotes are a valid header value");
    if if_none_match.is_some_and(|candidates| shared::etag::matches(&candidates, &tag)) {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        for name in [header::CACHE_CONTROL, header::VARY] {
            if let Some(value) = parts.headers.get(&name) {
                not_modified.headers_mut().insert(name, value.clone());
            }
        }
        not_modified.headers_mut().insert(header::ETAG, tag);
        return not_modified;
    }
    parts.headers.insert(header::ETAG, tag);
    Response::from_parts(parts, Body::from(bytes))
}
