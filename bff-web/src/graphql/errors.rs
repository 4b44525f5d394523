//! GraphQL errors as the web team reads them: a short message written for clients (never an
//! upstream body, a token or an internal name) and a machine-readable `extensions.code`.
//!
//! Codes:
//! - `DEGRADED` (with `extensions.section`, one of REST's `degraded` names): an optional
//!   section's upstream failed or was late; the field is null, the rest of the answer stands.
//! - `NOT_FOUND`, `UPSTREAM_TIMEOUT`, `UPSTREAM_UNAVAILABLE`, `UNAUTHENTICATED`, `FORBIDDEN`,
//!   `UPSTREAM_REFUSED`: a critical call failed; its field (and, being non-null, usually the
//!   whole `data`) is null.
//! - `BAD_USER_INPUT`: an argument was malformed; no upstream call was made.
//! - `PERSISTED_QUERY_NOT_FOUND`, `PERSISTED_QUERY_NOT_ALLOWED`, `PERSISTED_QUERY_INVALID`,
//!   `LIMIT_EXCEEDED`, `BAD_REQUEST`: the request was refused before execution.

use async_graphql::{Error, ErrorExtensions as _};
use shared::aggregate::Section;
use shared::upstream::{ErrorKind, UpstreamError};

/// An error with `extensions.code`.
pub fn coded(code: &'static str, message: &str) -> Error {
    Error::new(message).extend_with(|_, extensions| extensions.set("code", code))
}

/// A malformed argument: refused before any upstream call.
pub fn bad_input(message: &str) -> Error {
    coded("BAD_USER_INPUT", message)
}

/// An optional section's upstream failed: the field is null and the section is named, as REST
/// names it in `degraded`.
pub fn degraded(section: Section) -> Error {
    Error::new("This part of the answer is unavailable right now.").extend_with(|_, extensions| {
        extensions.set("code", "DEGRADED");
        extensions.set("section", section.as_str());
    })
}

/// A critical upstream call failed: the code says how, the message never says which service or
/// why (that goes to the log).
pub fn critical(error: &UpstreamError) -> Error {
    let (code, message) = match error.kind {
        ErrorKind::NotFound => ("NOT_FOUND", "The requested resource does not exist."),
        ErrorKind::Timeout => (
            "UPSTREAM_TIMEOUT",
            "A service this request needs did not answer in time.",
        ),
        ErrorKind::Unauthorized(401) | ErrorKind::TokenRefused => {
            ("UNAUTHENTICATED", "The credentials were refused.")
        }
        ErrorKind::Unauthorized(_) => ("FORBIDDEN", "This action is not allowed."),
        ErrorKind::Rejected(_) => ("UPSTREAM_REFUSED", "The request was refused."),
        _ => (
            "UPSTREAM_UNAVAILABLE",
            "A service this request needs is unavailable.",
        ),
    };
    if error.kind != ErrorKind::NotFound {
        tracing::warn!(%error, "critical upstream call of a GraphQL query failed");
    }
    coded(code, message)
}

/// No session: the field needs a signed-in user.
pub fn unauthenticated() -> Error {
    coded("UNAUTHENTICATED", "Sign in to see this.")
}

/// A field that costs one upstream call per product is asked for below a list: refused, so that
/// no query makes a call per list item.
pub fn single_product_only(field: &str) -> Error {
    coded(
        "SINGLE_PRODUCT_ONLY",
        &format!("`{field}` is available on `Query.product` only, not on lists of products."),
    )
}
