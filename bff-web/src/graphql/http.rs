//! `/graphql` over HTTP: `POST` with `application/json` (anything else: 415), `GET` for
//! persisted queries only (a hash, never query text) and never for mutations (405). Both need
//! `X-CSRF: 1` and refuse cross-site requests, as `/api` does; the session is `/api`'s cookie.
//! No CORS headers. Transport failures are problem+json (403, 405, 413, 415, 429); everything
//! about the operation itself is a GraphQL error with `extensions.code`, in a 200 answer.
//!
//! Order of checks, all before any upstream call: CSRF → media type → persisted query → query
//! size → parse → introspection (when off) → aliases (and, for GET, the operation type) → depth
//! and complexity (validation) → execution. A document that passed validation before is neither
//! parsed nor validated again but for its depth and complexity ([`super::documents`]).

use std::sync::Arc;

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ErrorExtensions as _, ServerError, Variables};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware};
use serde::Deserialize;
use shared::aggregate::Screen;
use shared::problem::Problem;

use super::GraphqlSettings;
use super::documents::{self, Documents};
use super::errors::coded;
use super::limits;
use super::loaders::Loaders;
use super::persisted::{Persisted, PersistedQuery};
use super::schema::{QueryContext, WebSchema};
use super::user::User;
use crate::AppState;
use crate::auth::csrf;

/// The path of the endpoint.
pub const PATH: &str = "/graphql";

/// What the endpoint keeps between requests: the schema (built once, with its limits) and the
/// persisted queries.
struct Endpoint {
    app: AppState,
    schema: WebSchema,
    /// The same schema for documents that passed validation before.
    schema_for_validated: WebSchema,
    documents: Documents,
    persisted: Persisted,
    settings: GraphqlSettings,
}

/// `/graphql`, or nothing when `graphql.enabled` is false.
pub fn routes(state: &AppState) -> Router {
    let settings = state.settings.graphql.clone();
    if !settings.enabled {
        return Router::new();
    }
    let endpoint = Arc::new(Endpoint {
        app: state.clone(),
        schema: settings.schema(),
        schema_for_validated: settings.schema_for_validated(),
        documents: Documents::new(settings.document_cache_bytes),
        persisted: Persisted::new(
            settings.persisted.only_manifest,
            settings.persisted.apq_cache_entries,
        ),
        settings,
    });
    Router::new()
        .route(PATH, get(via_get).post(via_post))
        .route_layer(middleware::from_fn(csrf::require))
        // Answers may be the user's own (me, cart): never stored anywhere.
        .layer(middleware::map_response(shared::server::personal))
        .with_state(endpoint)
}

/// A GraphQL request as JSON (or as GET parameters, each JSON-decoded).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<serde_json::Value>,
    extensions: Option<Extensions>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Extensions {
    persisted_query: Option<PersistedQuery>,
}

async fn via_post(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_json(&headers) {
        return Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .with_detail("Send GraphQL requests as application/json.")
            .into_response();
    }
    match sonic_rs::from_slice::<Body>(&body) {
        Ok(body) => endpoint.run(headers, body, false).await,
        Err(_) => Problem::bad_request("The body must be one GraphQL request as a JSON object.")
            .into_response(),
    }
}

async fn via_get(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match get_body(query.as_deref().unwrap_or_default()) {
        Ok(body) => endpoint.run(headers, body, true).await,
        Err(problem) => problem.into_response(),
    }
}

/// The GET parameters: `extensions` (with the persisted query's hash), `variables`,
/// `operationName`; `query` text is refused, and so is a repeated parameter.
fn get_body(query: &str) -> Result<Body, Problem> {
    let mut body = Body::default();
    let malformed = || Problem::bad_request("The query string is not a persisted GraphQL request.");
    let mut seen = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if seen.contains(&key) {
            return Err(malformed());
        }
        match &*key {
            "query" => {
                return Err(Problem::bad_request(
                    "GET accepts persisted queries only (extensions.persistedQuery); send query \
                     text with POST.",
                ));
            }
            "operationName" => body.operation_name = Some(value.to_string()),
            "variables" => {
                body.variables = Some(serde_json::from_str(&value).map_err(|_| malformed())?);
            }
            "extensions" => {
                body.extensions = Some(serde_json::from_str(&value).map_err(|_| malformed())?);
            }
            _ => {}
        }
        seen.push(key);
    }
    Ok(body)
}

/// `application/json`, with parameters (`; charset=utf-8`) or not.
fn is_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::CONTENT_TYPE).iter();
    let first = values.next().and_then(|v| v.to_str().ok());
    values.next().is_none()
        && first.is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

impl Endpoint {
    async fn run(&self, headers: HeaderMap, body: Body, via_get: bool) -> Response {
        let persisted = body.extensions.and_then(|e| e.persisted_query);
        let query = match self.persisted.resolve(body.query, persisted.as_ref()) {
            Ok(query) => query,
            Err(error) => return refused(error),
        };
        if query.len() > self.settings.max_query_bytes {
            return Problem::new(StatusCode::PAYLOAD_TOO_LARGE)
                .with_detail("The query is longer than this endpoint accepts.")
                .into_response();
        }
        let mut request = async_graphql::Request::new(&*query);
        if let Some(name) = body.operation_name {
            request = request.operation_name(name);
        }
        match body.variables {
            None | Some(serde_json::Value::Null) => {}
            Some(variables @ serde_json::Value::Object(_)) => {
                request = request.variables(Variables::from_json(variables));
            }
            Some(_) => return refused(coded("BAD_REQUEST", "variables must be an object.")),
        }
        let operation_name = request.operation_name.clone();
        let validated = self.documents.get(&query);
        let seen_before = validated.is_some();
        if let Some(document) = validated {
            request.set_parsed_query(document);
        }
        let document = match request.parsed_query() {
            Ok(document) => document,
            Err(error) => return respond(async_graphql::Response::from_errors(vec![error])),
        };
        if let Some(refusal) =
            self.refusal(document, seen_before, via_get, operation_name.as_deref())
        {
            return refusal;
        }
        let fresh = (!seen_before).then(|| document.clone());
        let screen = Arc::new(Screen::start(self.settings.deadline));
        let upstreams = self.app.upstreams.clone();
        let user = Arc::new(User::new(self.app.clone(), headers));
        request = request.data(QueryContext {
            loaders: Loaders::new(&screen, &upstreams),
            screen,
            upstreams,
            user: user.clone(),
        });
        let answer = match fresh {
            None => self.schema_for_validated.execute(request).await,
            Some(document) => {
                let answer = self.schema.execute(request).await;
                self.documents.remember(query, document, &answer);
                answer
            }
        };
        let mut response = respond(answer);
        if let Some(clear) = user.clear_cookie() {
            response.headers_mut().insert(header::SET_COOKIE, clear);
        }
        response
    }
}

impl Endpoint {
    /// Why `document` must not run, if it must not: introspection when it is off, too many
    /// aliases (both already checked when the document was `seen_before`), a mutation by GET.
    fn refusal(
        &self,
        document: &ExecutableDocument,
        seen_before: bool,
        via_get: bool,
        operation_name: Option<&str>,
    ) -> Option<Response> {
        if !seen_before {
            if !self.settings.introspection && limits::introspects(document) {
                return Some(refused(coded(
                    "INTROSPECTION_DISABLED",
                    "Introspection is not available on this endpoint.",
                )));
            }
            if limits::aliases(document) > self.settings.max_aliases {
                return Some(refused(coded(
                    "LIMIT_EXCEEDED",
                    "The query has too many aliases.",
                )));
            }
        }
        if via_get && limits::operation_type(document, operation_name) != Some(OperationType::Query)
        {
            return Some(
                Problem::new(StatusCode::METHOD_NOT_ALLOWED)
                    .with_detail("Mutations are accepted with POST only.")
                    .with_header(header::ALLOW, HeaderValue::from_static("POST"))
                    .into_response(),
            );
        }
        None
    }
}

/// A request refused before execution: one coded error (and no `data`).
fn refused(error: async_graphql::Error) -> Response {
    let mut server_error: ServerError = error.into_server_error(async_graphql::Pos::default());
    server_error.locations.clear();
    respond(async_graphql::Response::from_errors(vec![server_error]))
}

/// Where async-graphql's message for a value of the wrong type (`Expected input type "Int",
/// found "…".`) starts to repeat the value: it is cut, so no answer reflects what was sent.
const WRONG_TYPE_VALUE: &str = ", found ";

/// The answer as JSON; every error gets a code (async-graphql's own parse and validation
/// errors: `LIMIT_EXCEEDED` for depth and complexity, `GRAPHQL_VALIDATION_FAILED` otherwise).
fn respond(mut response: async_graphql::Response) -> Response {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if has_code {
            continue;
        }
        let code = match error.message.as_str() {
            "Query is nested too deep." | "Query is too complex." => "LIMIT_EXCEEDED",
            _ => "GRAPHQL_VALIDATION_FAILED",
        };
        let coded = async_graphql::Error::new("").extend_with(|_, e| e.set("code", code));
        error.extensions = coded.extensions;
        if let Some(at) = error.message.find(WRONG_TYPE_VALUE) {
            error.message.truncate(at);
            error.message.push('.');
        }
    }
    if documents::executed(&response) {
        shared::json::response(&response)
    } else {
        // Refused before execution: no `data` at all (GraphQL over HTTP), only the errors.
        shared::json::response(&serde_json::json!({ "errors": response.errors }))
    }
}
