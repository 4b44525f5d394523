//! The browser's contract: bff-web's OpenAPI 3.1 document.
//!
//! Derived from the code, never written by hand: the operations come from the handlers'
//! `#[utoipa::path]` annotations, collected by the same `utoipa-axum` routers that serve them
//! ([`crate::screens::api`], [`crate::auth::api`]), the schemas from the views' `ToSchema`
//! derives, and what middleware adds (the CSRF header, the session, `ETag`/304, rate limits,
//! upstream failures) from the functions called where that middleware is applied. Served at
//! `GET /openapi.json` and committed as `bff-web/openapi.json`; the contract test fails when
//! the two differ (refresh with `UPDATE_OPENAPI=1 cargo test -p bff-web --test api contract`).

use serde_json::json;
use shared::openapi::{header_parameter, requires_header, requires_security};
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, auth, screens};

/// The name of the session cookie's security scheme.
pub const SESSION_SCHEME: &str = "session";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "bff-web",
        description = "The storefront's Backend-for-Frontend for the desktop browser. Pages are \
            served from this origin; every `/api` call carries `X-CSRF: 1` and the browser's \
            `HttpOnly` session cookie, never a token. Errors are RFC 9457 \
            `application/problem+json`. Screens degrade instead of failing: optional sections \
            that could not be fetched are left out and named in `degraded`.",
        license(name = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "screens", description = "Public pages of the storefront."),
        (name = "account", description = "The signed-in user's profile and cart."),
        (name = "auth", description = "Signing in and out (OpenID Connect; the BFF keeps the tokens)."),
        (name = "contract", description = "This document."),
    ),
)]
struct ApiDoc;

/// bff-web's OpenAPI document, built from the routers that serve the app.
pub fn document() -> OpenApi {
    let mut api = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .nest("/api", screens::api())
        .merge(auth::api())
        .routes(routes!(openapi_json))
        .into_openapi();
    let components = shared::openapi::complete(&mut api, env!("CARGO_PKG_VERSION"));
    components.add_security_scheme(
        SESSION_SCHEME,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "__Host-session",
            "The opaque session cookie set by `/auth/callback` (`Secure`, `HttpOnly`, \
             `SameSite=Strict`; named `session` when `cookies.secure` is off for local HTTP).",
        ))),
    );
    api
}

// `GET /openapi.json` is public: no CSRF header, no session.
shared::serve_openapi!(AppState, "The OpenAPI 3.1 document of bff-web.");

/// Documents [`crate::auth::csrf::require`] on every operation of `api`: the `X-CSRF: 1` header
/// and the 403 of requests without it or sent cross-site.
pub fn csrf_protected(api: &mut OpenApi) {
    let header = header_parameter(
        "X-CSRF",
        true,
        "Exactly one, with the value `1`: a cross-site page cannot send it without a CORS \
         preflight, which this BFF never answers. Requests with `Sec-Fetch-Site: cross-site` or \
         `same-site` are refused too.",
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(["1"])),
        json!("1"),
    );
    requires_header(api, &header, &[(403, "Forbidden")]);
}

/// Documents [`crate::auth::SignedIn`] on every operation of `api`: the session cookie, the 401
/// of anonymous requests, the 503 of an unreachable session store.
pub fn signed_in(api: &mut OpenApi) {
    requires_security(
        api,
        SESSION_SCHEME,
        &[(401, "Unauthorized"), (503, "Unavailable")],
    );
}
