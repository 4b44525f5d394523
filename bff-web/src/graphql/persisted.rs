//! Persisted queries: automatic persisted queries (APQ, Apollo's protocol: the client sends the
//! SHA-256 of its query; on `PersistedQueryNotFound` it sends the query with the hash once, and
//! the hash alone afterwards), and a production mode that runs only the operations of the
//! committed manifest (`bff-web/graphql/manifest.json`, Apollo's persisted query manifest
//! format, generated from `bff-web/graphql/operations/` by the contract test).
//!
//! In manifest mode a request may name a manifest operation by hash or send its exact text;
//! anything else is refused before parsing, so an attacker's query never reaches the executor.

use std::sync::Arc;

use async_graphql::Error;
use moka::sync::Cache;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use super::errors::coded;

/// The committed manifest, compiled in: the deployed binary and its allow-list cannot drift.
pub const MANIFEST: &str = include_str!("../../graphql/manifest.json");

/// The `extensions.persistedQuery` of a request.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PersistedQuery {
    /// The protocol's version: 1.
    pub version: u32,
    /// The SHA-256 of the query text, lowercase hex.
    pub sha256_hash: String,
}

/// Where the query text of a request comes from.
pub struct Persisted {
    /// Known query texts by hash: the registered ones (APQ) or the manifest's.
    known: Cache<String, Arc<str>>,
    /// Only the manifest's operations run.
    only_manifest: bool,
}

/// The manifest, as committed.
#[derive(Debug, Deserialize)]
struct Manifest {
    operations: Vec<ManifestOperation>,
}

/// One operation of the manifest.
#[derive(Debug, Deserialize)]
pub struct ManifestOperation {
    /// The SHA-256 of `body`.
    pub id: String,
    /// The operation's name.
    pub name: String,
    /// `query` or `mutation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The exact query text.
    pub body: String,
}

/// The operations of the committed manifest.
pub fn manifest_operations() -> Vec<ManifestOperation> {
    serde_json::from_str::<Manifest>(MANIFEST)
        .map(|m| m.operations)
        .unwrap_or_default()
}

/// The committed text of the manifest's operation `name` (fragments included), as the page
/// sends it.
pub fn manifest_body(name: &str) -> Option<String> {
    manifest_operations()
        .into_iter()
        .find(|operation| operation.name == name)
        .map(|operation| operation.body)
}

/// Lowercase hex SHA-256 of a query text.
pub fn hash(query: &str) -> String {
    shared::hex::lower(&Sha256::digest(query.as_bytes()))
}

impl Persisted {
    /// An APQ store of at most `apq_entries` registered queries; in `only_manifest` mode, the
    /// manifest's operations and nothing else.
    pub fn new(only_manifest: bool, apq_entries: u64) -> Self {
        let known = if only_manifest {
            let operations = manifest_operations();
            let known = Cache::new(operations.len() as u64 + 1);
            for operation in operations {
                known.insert(operation.id, Arc::from(operation.body));
            }
            known
        } else {
            Cache::new(apq_entries)
        };
        Self {
            known,
            only_manifest,
        }
    }

    /// The query text to run: the one sent, registered under its hash when the hash comes with
    /// it, or the one registered under the hash sent alone.
    pub fn resolve(
        &self,
        query: Option<String>,
        persisted: Option<&PersistedQuery>,
    ) -> Result<Arc<str>, Error> {
        if persisted.is_some_and(|p| p.version != 1) {
            return Err(coded(
                "PERSISTED_QUERY_INVALID",
                "Only version 1 of persisted queries is supported.",
            ));
        }
        match (query, persisted) {
            (None, None) => Err(coded("BAD_REQUEST", "The request has no query.")),
            (None, Some(persisted)) => {
                self.known
                    .get(&persisted.sha256_hash.to_ascii_lowercase())
                    .ok_or_else(|| match self.only_manifest {
                        true => not_allowed(),
                        // Apollo clients look for this exact message.
                        false => coded("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound"),
                    })
            }
            // Plain query text, where any text may run: no hash to check or register.
            (Some(query), None) if !self.only_manifest => Ok(Arc::from(query)),
            (Some(query), persisted) => {
                let hash = hash(&query);
                if persisted.is_some_and(|p| !p.sha256_hash.eq_ignore_ascii_case(&hash)) {
                    return Err(coded(
                        "PERSISTED_QUERY_INVALID",
                        "The query's hash does not match the query.",
                    ));
                }
                if self.only_manifest {
                    return self.known.get(&hash).ok_or_else(not_allowed);
                }
                let query: Arc<str> = Arc::from(query);
                if persisted.is_some() {
                    self.known.insert(hash, query.clone());
                }
                Ok(query)
            }
        }
    }
}

fn not_allowed() -> Error {
    coded(
        "PERSISTED_QUERY_NOT_ALLOWED",
        "Only the operations of the published manifest are accepted.",
    )
}

/// The manifest generated from operation documents (name and text), in name order: what the
/// contract test compares with the committed file.
pub fn manifest_json(operations: &[(String, String, String)]) -> String {
    let mut sorted: Vec<_> = operations.iter().collect();
    sorted.sort();
    let operations: Vec<_> = sorted
        .into_iter()
        .map(|(name, kind, body)| {
            serde_json::json!({"id": hash(body), "name": name, "type": kind, "body": body})
        })
        .collect();
    let manifest = serde_json::json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": operations,
    });
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apq(hash: &str) -> PersistedQuery {
        PersistedQuery {
            version: 1,
            sha256_hash: hash.to_owned(),
        }
    }

    #[test]
    fn a_query_registered_with_its_hash_runs_by_hash_alone() {
        let store = Persisted::new(false, 10);
        let query = "{ categories { id } }";
        let h = hash(query);
        let miss = store.resolve(None, Some(&apq(&h))).unwrap_err();
        assert_eq!(miss.message, "PersistedQueryNotFound");
        assert_eq!(
            &*store.resolve(Some(query.into()), Some(&apq(&h))).unwrap(),
            query
        );
        assert_eq!(&*store.resolve(None, Some(&apq(&h))).unwrap(), query);
        assert!(
            store
                .resolve(Some(query.into()), Some(&apq(&hash("other"))))
                .is_err()
        );
    }

    #[test]
    fn the_manifest_mode_runs_only_manifest_operations() {
        let store = Persisted::new(true, 10);
        assert!(
            store
                .resolve(Some("{ categories { id } }".into()), None)
                .is_err()
        );
        for operation in manifest_operations() {
            assert_eq!(operation.id, hash(&operation.body), "{}", operation.name);
            assert!(store.resolve(None, Some(&apq(&operation.id))).is_ok());
            assert!(store.resolve(Some(operation.body), None).is_ok());
        }
    }
}
