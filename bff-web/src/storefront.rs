//! The storefront page: plain ES modules and CSS from `web/`, embedded in the binary (the image
//! is `FROM scratch`) and served from bff-web's own origin, so the session cookie and the
//! `X-CSRF` header work without CORS and the page never handles a token.
//!
//! # Routes
//! - `GET /`, `/products/{id}`, `/search`, `/cart` — `index.html` (`no-cache`, revalidated by
//!   its `ETag`); the page renders the route itself from the `/api` screens.
//! - `GET /assets/{version}/{file}` — the page's scripts, styles and icon. `index.html` names
//!   them under the current [`version`] (a hash of every asset), and ES modules import each
//!   other relatively, so one release's files are cached for a year (`immutable`) and the next
//!   release gets new URLs. A request for another version (a page of the previous release
//!   during a rolling deploy) still gets the current file, `no-cache`.
//! - Any other `GET` of a browser page (`Accept: text/html`) — `index.html` with status 404, and
//!   the page shows "not found" (crawlers and monitors see the 404, people see the shop's
//!   page). Paths under `/api`, `/auth`, `/assets`, the health, metrics and contract routes,
//!   and anything that looks like a file (`/robots.txt`) are never shadowed: they keep the 404
//!   problem of the shared stack.
//!
//! Pages carry a strict Content-Security-Policy (scripts, styles and API calls from this
//! origin only, images from here and the catalog's image origin, no framing, no inline code),
//! `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin` and friends; assets carry
//! `nosniff` and `Cross-Origin-Resource-Policy: same-origin`.

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest as _, Sha256};
use url::Url;

/// The `storefront` section of the settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorefrontSettings {
    /// The origin of the catalog's image URLs (the demo catalog's `public_base_url`), the only
    /// other origin the page may load images from (CSP `img-src`). `scheme://host[:port]`.
    /// Default `http://localhost:7001`; env `BFF_WEB__STOREFRONT__IMAGE_ORIGIN`.
    #[serde(deserialize_with = "bare_origin")]
    pub image_origin: String,
}

/// Parses `scheme://host[:port]` (http or https, nothing else) into its serialization.
fn bare_origin<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let invalid = || {
        serde::de::Error::custom(
            "storefront.image_origin must be scheme://host[:port] (http or https, no path)",
        )
    };
    let text = String::deserialize(deserializer)?;
    let url = Url::parse(&text).map_err(|_| invalid())?;
    if !crate::settings::is_bare_origin(&url) {
        return Err(invalid());
    }
    Ok(url.origin().ascii_serialization())
}

/// One embedded file of `web/`.
struct Asset {
    /// File name, as in the URL.
    name: &'static str,
    /// The file's bytes.
    bytes: &'static [u8],
}

/// Embeds `web/<name>`.
macro_rules! asset {
    ($name:literal) => {
        Asset {
            name: $name,
            bytes: include_bytes!(concat!("../web/", $name)),
        }
    };
}

/// Every file the page loads besides `index.html` (a test checks that this lists all of
/// `web/`).
const ASSETS: &[Asset] = &[
    asset!("app.js"),
    asset!("api.js"),
    asset!("dom.js"),
    asset!("pages.js"),
    asset!("operations.js"),
    asset!("style.css"),
    asset!("favicon.svg"),
];

/// The page shell; `@VERSION@` stands for [`version`].
const INDEX_HTML: &str = include_str!("../web/index.html");

/// The names of the embedded assets (tests compare them with the `web/` folder).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|asset| asset.name)
}

/// A hash of every asset: the path segment that makes their URLs change with their content.
pub fn version() -> &'static str {
    static VERSION: LazyLock<String> = LazyLock::new(|| {
        // SHA-256 is the same on every build and platform (std's DefaultHasher is only stable
        // within one build), so instances of releases with the same assets agree on the URLs.
        let mut hasher = Sha256::new();
        for asset in ASSETS {
            hasher.update((asset.name.len() as u64).to_le_bytes());
            hasher.update(asset.name.as_bytes());
            hasher.update((asset.bytes.len() as u64).to_le_bytes());
            hasher.update(asset.bytes);
        }
        let digest = hasher.finalize();
        shared::hex::lower(&digest[..8])
    });
    &VERSION
}

/// What the page routes need, built once from the settings.
#[derive(Debug)]
struct Storefront {
    /// `index.html` with the assets' version filled in.
    index: &'static str,
    /// The page's Content-Security-Policy.
    csp: HeaderValue,
}

/// The page's Content-Security-Policy, with images allowed from `image_origin` too.
pub fn content_security_policy(image_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' {image_origin}; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// The client-side routes: each is served the shell, which renders the route itself.
const PAGES: [&str; 4] = ["/", "/products/{id}", "/search", "/cart"];

/// The page routes and the fallback that serves client-side routes (see the module doc).
pub fn routes<S: Clone + Send + Sync + 'static>(settings: &StorefrontSettings) -> Router<S> {
    static INDEX: LazyLock<String> = LazyLock::new(|| INDEX_HTML.replace("@VERSION@", version()));
    let storefront = Arc::new(Storefront {
        index: INDEX.as_str(),
        // The origin was validated: it is a plain ASCII URL prefix.
        csp: HeaderValue::from_str(&content_security_policy(&settings.image_origin))
            .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
    });
    PAGES
        .iter()
        .fold(Router::new(), |router, path| router.route(path, get(page)))
        .route("/assets/{version}/{file}", get(asset))
        .fallback(fallback)
        .with_state(storefront)
}

/// A client-side route: the shell, 200.
async fn page(State(storefront): State<Arc<Storefront>>) -> Response {
    storefront.page()
}

impl Storefront {
    /// `index.html` with the page headers.
    fn page(&self) -> Response {
        let mut response = Body::from(self.index).into_response();
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // Always revalidated: the shell names the current assets.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(CONTENT_SECURITY_POLICY, self.csp.clone());
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
        // For browsers without CSP `frame-ancestors`.
        headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        );
        response
    }
}

/// `GET /assets/{version}/{file}`.
async fn asset(Path((requested, file)): Path<(String, String)>) -> Response {
    let Some(asset) = ASSETS.iter().find(|asset| asset.name == file) else {
        // The shared stack turns the bare 404 into a problem.
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if requested == version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Body::from(asset.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(content_type(asset.name)),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The media type of an asset, by its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Everything no route matched: a browser page gets the shell with a 404 (the page says "not
/// found"); everything else, and every reserved path, the shared stack's 404 problem.
async fn fallback(
    State(storefront): State<Arc<Storefront>>,
    // The full path: nested routers (`/api`) hand their fallback a stripped one.
    OriginalUri(uri): OriginalUri,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let is_page = matches!(method, Method::GET | Method::HEAD)
        && !is_reserved(uri.path())
        && accepts_html(&headers);
    if is_page {
        let mut response = storefront.page();
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
            .extensions_mut()
            .insert(shared::server::DeliberateErrorBody);
        response
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// Paths the page must never shadow: the API, login, assets, probes, metrics, the contract,
/// and anything with a file extension in its last segment.
pub fn is_reserved(path: &str) -> bool {
    const PREFIXES: [&str; 3] = ["/api", "/auth", "/assets"];
    const EXACT: [&str; 5] = [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/graphql",
    ];
    let under = |prefix: &str| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    PREFIXES.iter().any(|prefix| under(prefix))
        || EXACT.contains(&path)
        || path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'))
}

/// Whether the client asked for HTML (a browser navigating), not JSON or anything else.
fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT)
        .iter()
        .any(|accept| accept.to_str().is_ok_and(|v| v.contains("text/html")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_paths_are_never_pages() {
        for path in [
            "/api",
            "/api/",
            "/api/nope",
            "/auth/nope",
            "/assets/x/y.js",
            "/healthz",
            "/readyz",
            "/metrics",
            "/openapi.json",
            "/graphql",
            "/robots.txt",
            "/products/p1/x.png",
        ] {
            assert!(is_reserved(path), "{path}");
        }
        for path in [
            "/",
            "/apiary",
            "/authors",
            "/products/p00001",
            "/cart",
            "/x/y",
        ] {
            assert!(!is_reserved(path), "{path}");
        }
    }

    #[test]
    fn image_origins_must_be_bare() {
        #[derive(Debug, Deserialize)]
        struct Wrapper {
            #[serde(deserialize_with = "bare_origin")]
            origin: String,
        }
        let parse = |value: &str| {
            serde_json::from_value::<Wrapper>(serde_json::json!({ "origin": value }))
                .map(|w| w.origin)
        };
        assert_eq!(
            parse("http://localhost:7001").unwrap(),
            "http://localhost:7001"
        );
        assert_eq!(
            parse("https://img.example/").unwrap(),
            "https://img.example"
        );
        for bad in [
            "",
            "localhost:7001",
            "ftp://img.example",
            "https://img.example/images",
            "https://img.example/?q=1",
            "https://user@img.example",
            "https://img.example; script-src *",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
