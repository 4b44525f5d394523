//! OpenAPI pieces every BFF's contract shares: the problem responses, and what the shared server
//! stack and the screens' conventions add to operations.
//!
//! Each BFF derives its document from its handlers and views (`utoipa`, `utoipa-axum`). What a
//! middleware does (rate limits, load shedding, timeouts, `ETag`/304, upstream failures) is
//! documented by the functions here, called where that middleware is applied, so the document
//! says what the stack does without every handler repeating it.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder,
};

use crate::problem;

/// The component name of every problem body, `#/components/schemas/Problem`.
pub const PROBLEM_SCHEMA: &str = "Problem";

/// The problem responses of `#/components/responses`: name, status, description, example
/// detail. Handlers refer to them with `(status = 404, response = shared::openapi::NotFound)`.
const PROBLEMS: &[(&str, u16, &str, &str)] = &[
    (
        "BadRequest",
        400,
        "A parameter, header or body is malformed; the detail names which, never echoing it.",
        "The product id is malformed.",
    ),
    (
        "Unauthorized",
        401,
        "No valid credentials: sign in (again).",
        "Sign in to continue.",
    ),
    (
        "Forbidden",
        403,
        "Refused before any work was done.",
        "This request needs the header X-CSRF: 1.",
    ),
    (
        "NotFound",
        404,
        "No such resource (or no such route).",
        "No such product.",
    ),
    (
        "PayloadTooLarge",
        413,
        "The request body is above the server's limit.",
        "The request body is too large.",
    ),
    (
        "UnsupportedMediaType",
        415,
        "The body must be `application/json`.",
        "Send the body as application/json.",
    ),
    (
        "TooManyRequests",
        429,
        "This client is over its rate limit; retry after `Retry-After` seconds.",
        "Too many requests; slow down.",
    ),
    (
        "InternalError",
        500,
        "A bug; the detail stays generic and the request id finds the log.",
        "An unexpected error occurred.",
    ),
    (
        "BadGateway",
        502,
        "A service this screen cannot do without failed or answered garbage.",
        "A service this request needs failed.",
    ),
    (
        "Unavailable",
        503,
        "At capacity, too slow, or a dependency (session store) is down; retry after \
         `Retry-After` seconds.",
        "The service is at capacity; retry shortly.",
    ),
    (
        "GatewayTimeout",
        504,
        "A service this screen cannot do without did not answer within the screen's deadline.",
        "A service this request needs did not answer in time.",
    ),
];

macro_rules! problem_responses {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("`#/components/responses/", stringify!($name), "`, a problem response.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), RefOr::T(problem_response(stringify!($name))))
            }
        }
    )*};
}

problem_responses!(
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    InternalError,
    BadGateway,
    Unavailable,
    GatewayTimeout,
);

/// The response named `name` in [`PROBLEMS`] (panics on an unknown name: a programming error
/// caught by every test that builds a document).
fn problem_response(name: &str) -> Response {
    let &(_, status, description, detail) = PROBLEMS
        .iter()
        .find(|(n, ..)| *n == name)
        .unwrap_or_else(|| panic!("unknown problem response {name}"));
    let title = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    problem_with(
        description,
        json!({
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "request_id": "6f1c0f3e-8d2a-4a57-9c4e-2b1d5e7a9f10",
        }),
        matches!(status, 429 | 503),
    )
}

/// A problem response with `example` as its body, and `Retry-After` when `retry_after`.
pub fn problem_with(description: &str, example: Value, retry_after: bool) -> Response {
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(
            problem::CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(PROBLEM_SCHEMA)))
                .example(Some(example))
                .build(),
        )
        .header("X-Request-Id", request_id_header());
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(
                    ObjectBuilder::new()
                        .schema_type(Type::Integer)
                        .minimum(Some(1)),
                )
                .description(Some("Seconds to wait before retrying."))
                .build(),
        );
    }
    response.build()
}

fn request_id_header() -> utoipa::openapi::Header {
    string_header("The request's id (also in problem bodies); quote it when reporting a problem.")
}

/// A response header whose value is a string, and what it means.
fn string_header(description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

/// Completes a BFF's document as its routers built it: its `version` (the BFF's crate version),
/// the shared problem responses ([`register`]) and what the shared stack may answer on every
/// operation ([`stack_responses`]). Returns the components, for the BFF's own security scheme.
pub fn complete<'a>(api: &'a mut OpenApi, version: &str) -> &'a mut utoipa::openapi::Components {
    api.info.version = version.to_owned();
    register(api);
    stack_responses(api);
    api.components.get_or_insert_with(Default::default)
}

/// Adds every shared problem response and the `Problem` schema to `api`'s components.
pub fn register(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    for (name, ..) in PROBLEMS {
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(problem_response(name)));
    }
    components.schemas.insert(
        PROBLEM_SCHEMA.to_owned(),
        <problem::Problem as utoipa::PartialSchema>::schema(),
    );
}

/// Calls `f` with every operation of `api`, with its path and lower-case method.
pub fn for_each_operation(api: &mut OpenApi, mut f: impl FnMut(&str, &str, &mut Operation)) {
    for (path, item) in &mut api.paths.paths {
        for (method, operation) in [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
            ("head", &mut item.head),
            ("options", &mut item.options),
            ("trace", &mut item.trace),
        ] {
            if let Some(operation) = operation {
                f(path, method, operation);
            }
        }
    }
}

/// Adds the response `name` (a `#/components/responses` entry) for `status` unless the
/// operation already documents that status.
pub fn add_response(operation: &mut Operation, status: u16, name: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
}

/// Adds `parameter` unless the operation already has one of that name and place.
pub fn add_parameter(operation: &mut Operation, parameter: Parameter) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    let same = |p: &Parameter| {
        p.name.eq_ignore_ascii_case(&parameter.name) && p.parameter_in == parameter.parameter_in
    };
    if !parameters.iter().any(same) {
        parameters.push(parameter);
    }
}

/// Documents a layer that reads a request header on every operation of `api`: the `header`, and
/// the responses (status, `#/components/responses` name) the layer answers with.
pub fn requires_header(api: &mut OpenApi, header: &Parameter, responses: &[(u16, &str)]) {
    for_each_operation(api, |_, _, operation| {
        add_parameter(operation, header.clone());
        for &(status, name) in responses {
            add_response(operation, status, name);
        }
    });
}

/// Documents an authentication extractor on every operation of `api`: the security `scheme` it
/// requires, and the responses it answers with.
pub fn requires_security(api: &mut OpenApi, scheme: &str, responses: &[(u16, &str)]) {
    for_each_operation(api, |_, _, operation| {
        operation.security = Some(vec![SecurityRequirement::new(scheme, Vec::<String>::new())]);
        for &(status, name) in responses {
            add_response(operation, status, name);
        }
    });
}

/// A request header parameter, with its schema and an example.
pub fn header_parameter(
    name: &str,
    required: bool,
    description: &str,
    schema: ObjectBuilder,
    example: Value,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema))
        .example(Some(example))
        .build()
}

/// What the shared server stack ([`crate::server::stack`]) may answer on any route: 429 (rate
/// limit), 503 (load shedding, request timeout), 500 (a caught panic); 413 and 415 where a body
/// is read; 404/405 for other routes are not listed per operation.
pub fn stack_responses(api: &mut OpenApi) {
    for_each_operation(api, |_, _, operation| {
        if operation.request_body.is_some() {
            add_response(operation, 413, "PayloadTooLarge");
            add_response(operation, 415, "UnsupportedMediaType");
        }
        add_response(operation, 429, "TooManyRequests");
        add_response(operation, 500, "InternalError");
        add_response(operation, 503, "Unavailable");
    });
}

/// What every screen of [`crate::aggregate::Screen`] may answer when a critical upstream call
/// fails (502) or misses the deadline (504).
pub fn upstream_responses(api: &mut OpenApi) {
    for_each_operation(api, |_, _, operation| {
        add_response(operation, 502, "BadGateway");
        add_response(operation, 504, "GatewayTimeout");
    });
}

/// Documents the shared `ETag` middleware ([`crate::etag`]) on the GET operations of `api`
/// (public screens; personal ones are `no-store` and never tagged): `If-None-Match` in, `ETag`
/// and `Cache-Control` on the 200, and a bodiless 304 when the tag matches.
pub fn conditional_gets(api: &mut OpenApi) {
    for_each_operation(api, |_, method, operation| {
        if method != "get" {
            return;
        }
        add_parameter(
            operation,
            header_parameter(
                "If-None-Match",
                false,
                "The `ETag` of the copy the client holds; a match is answered 304 without a \
                 body.",
                ObjectBuilder::new().schema_type(Type::String),
                json!("W/\"9f2c4e1a7b3d5f60\""),
            ),
        );
        if let Some(RefOr::T(ok)) = operation.responses.responses.get_mut("200") {
            ok.headers.insert("ETag".to_owned(), etag_header());
            ok.headers.insert(
                "Cache-Control".to_owned(),
                string_header(
                    "`public, max-age=30` when complete; `no-cache` when a section is degraded \
                     or served stale.",
                ),
            );
        }
        operation
            .responses
            .responses
            .entry("304".to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description("Not Modified: `If-None-Match` matched; no body.")
                        .header("ETag", etag_header())
                        .build(),
                )
            });
    });
}

fn etag_header() -> utoipa::openapi::Header {
    string_header("Weak tag of the body; send it back in `If-None-Match` to revalidate.")
}

/// How long clients and caches may keep a BFF's document: it changes only with a release.
pub const DOCUMENT_CACHE: &str = "public, max-age=300";

/// The answer of `GET /openapi.json`: the document as committed, public and cacheable.
pub fn document_response(json: &'static str) -> axum::response::Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    use axum::response::IntoResponse;
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, DOCUMENT_CACHE),
        ],
        json,
    )
        .into_response()
}

/// Serves a BFF's OpenAPI document at `GET /openapi.json`, once for both BFFs. In the BFF's
/// `openapi` module, `shared::serve_openapi!(AppState, "The OpenAPI 3.1 document of bff-x.")`
/// defines, next to its `document()`:
/// - `json()` — `document()` as committed: pretty JSON, keys sorted ([`to_stable_json`]), built
///   once;
/// - `routes()` — the public `GET /openapi.json` route ([`document_response`]: cacheable);
/// - `openapi_json` — its handler, whose `#[utoipa::path]` (tag `contract`, the 200 described by
///   the given text) `document()` adds with `.routes(routes!(openapi_json))`.
#[macro_export]
macro_rules! serve_openapi {
    ($state:ty, $description:literal) => {
        /// [`document`] as committed: pretty JSON, keys sorted.
        pub fn json() -> &'static str {
            static JSON: ::std::sync::LazyLock<String> =
                ::std::sync::LazyLock::new(|| $crate::openapi::to_stable_json(&document()));
            &JSON
        }

        /// `GET /openapi.json`: public and cacheable.
        pub fn routes() -> ::axum::Router<$state> {
            ::utoipa_axum::router::OpenApiRouter::new()
                .routes(::utoipa_axum::routes!(openapi_json))
                .into()
        }

        /// This document.
        #[utoipa::path(
                                            get,
                                            path = "/openapi.json",
                                            tag = "contract",
                                            summary = "This OpenAPI document",
                                            responses((status = 200, description = $description,
                                                content_type = "application/json", body = Object)),
                                        )]
        async fn openapi_json() -> ::axum::response::Response {
            $crate::openapi::document_response(json())
        }
    };
}

/// Pretty JSON with every object's keys in a stable (sorted) order, as the documents are
/// committed.
pub fn to_stable_json(api: &OpenApi) -> String {
    let value = serde_json::to_value(api).unwrap_or(Value::Null);
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, sorted(v)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
