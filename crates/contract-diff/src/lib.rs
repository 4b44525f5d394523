//! Contract tooling for the BFFs' OpenAPI documents.
//!
//! # Layout
//! - [`diff`] — what changed between two documents, and which changes break clients: removed
//!   operations, removed or retyped response fields (through `$ref`s), newly required parameters
//!   and request fields. The `contract-diff` binary runs it in CI.
//! - [`validate`] — validates a real response body against the schema a document gives for its
//!   operation and status; the BFFs' contract tests use it.
//!
//! Documents are handled as `serde_json::Value`: the tool must read any version of a committed
//! document, including ones older than the code that wrote them.

pub mod diff;
pub mod validate;
