//! The app's contract: bff-mobile's OpenAPI 3.1 document.
//!
//! Derived from the code, never written by hand: the operations come from the handlers'
//! `#[utoipa::path]` annotations, collected by the same `utoipa-axum` router that serves them
//! ([`crate::screens::api`]), the schemas from the views' `ToSchema` derives, and what middleware
//! adds (the version gate, bearer tokens, `ETag`/304, rate limits, upstream failures) from the
//! functions called where that middleware is applied. Served at `GET /openapi.json` (outside the
//! version gate) and committed as `bff-mobile/openapi.json`; the contract test fails when the two
//! differ (refresh with `UPDATE_OPENAPI=1 cargo test -p bff-mobile --test api contract`).
//!
//! Everything under `/v1` is a promise to apps in the field: `crates/contract-diff` fails CI on
//! a breaking change there; such a change goes under a new prefix instead.

use serde_json::json;
use shared::openapi::{header_parameter, requires_header, requires_security};
use utoipa::OpenApi as _;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, screens, version};

/// The name of the bearer token's security scheme.
pub const BEARER_SCHEME: &str = "bearer";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "bff-mobile",
        description = "The storefront's Backend-for-Frontend for the native app. Compact \
            payloads, one image URL per card picked for the device (query `w`/`dpr`, client \
            hints, `Save-Data`), opaque search cursors. Users sign in in the app (code flow with \
            PKCE) and send `Authorization: Bearer`. Errors are RFC 9457 \
            `application/problem+json`. Routes under `/v1` never break: a breaking change goes \
            under a new prefix.",
        license(name = "MIT OR Apache-2.0"),
    ),
    tags(
        (name = "screens", description = "Public screens of the app."),
        (name = "account", description = "The token's user: profile and cart."),
        (name = "contract", description = "This document."),
    ),
)]
struct ApiDoc;

/// bff-mobile's OpenAPI document, built from the router that serves the app.
pub fn document() -> OpenApi {
    let mut v1 = screens::api();
    // The gate is layered around these routes in `crate::app`.
    version_gated(v1.get_openapi_mut());
    let mut api = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .nest("/v1", v1)
        .routes(routes!(openapi_json))
        .into_openapi();
    let components = shared::openapi::complete(&mut api, env!("CARGO_PKG_VERSION"));
    components.add_security_scheme(
        BEARER_SCHEME,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some(
                    "An RFC 9068 access token of the configured issuer for this BFF's audience, \
                     in the `Authorization` header only (never the query, never a cookie).",
                ))
                .build(),
        ),
    );
    components.responses.insert(
        "UpgradeRequired".to_owned(),
        RefOr::T(shared::openapi::problem_with(
            "This build of the app is below the minimum supported version: show the update \
             screen (match on the problem `type`).",
            json!({
                "type": version::UPDATE_REQUIRED_TYPE,
                "title": "App update required",
                "status": 426,
                "detail": "This version of the app is no longer supported. Please update the \
                    app to version 1.4.0 or later.",
                "request_id": "6f1c0f3e-8d2a-4a57-9c4e-2b1d5e7a9f10",
            }),
            false,
        )),
    );
    api
}

// `GET /openapi.json` is public, outside the version gate: any build may read it.
shared::serve_openapi!(AppState, "The OpenAPI 3.1 document of bff-mobile.");

/// Documents [`version::gate`] on every operation of `api`: the optional `X-App-Version`
/// header, the 400 of a malformed one and the 426 of a build that must update.
pub fn version_gated(api: &mut OpenApi) {
    let header = header_parameter(
        "X-App-Version",
        false,
        "The app's build, `MAJOR.MINOR.PATCH`; builds below the minimum are answered 426. \
         Absent (web views, probes, curl) is let through.",
        ObjectBuilder::new().schema_type(Type::String).pattern(Some(
            r"^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$",
        )),
        json!("1.4.2"),
    );
    requires_header(
        api,
        &header,
        &[(400, "BadRequest"), (426, "UpgradeRequired")],
    );
}

/// Documents `AuthUser` on every operation of `api`: the bearer token, and the 401 (with
/// `WWW-Authenticate: Bearer`) of a missing or invalid one.
pub fn bearer_required(api: &mut OpenApi) {
    requires_security(api, BEARER_SCHEME, &[(401, "Unauthorized")]);
}
