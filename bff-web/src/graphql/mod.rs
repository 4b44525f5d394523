//! The web team's second protocol: GraphQL at `/graphql`, beside the REST routes, over the same
//! typed clients, deadlines, sections and caches.
//!
//! - [`schema`] — the roots (`Query`, `Mutation`) and the request's [`schema::QueryContext`];
//!   [`product`] — the `Product` type and what hangs off it. Types whose fields never wait for
//!   an upstream are resolved `serial`: the same answer without a set of futures per object
//!   (async-graphql's parallel resolution was the largest part of a query's own cost).
//! - [`loaders`] — one DataLoader per batched upstream endpoint, per request (no N+1).
//! - [`limits`] — aliases and the operation type, read off the parsed document; depth and
//!   complexity are async-graphql's validation.
//! - [`persisted`] — automatic persisted queries, and the manifest-only production mode.
//! - [`documents`] — documents that passed validation, by query text: a repeat is neither
//!   parsed nor validated again (depth and complexity still are, with its variables).
//! - [`contract`] — the manifest and the page's `operations.js`, generated from
//!   `bff-web/graphql/operations/`.
//! - [`errors`] — the `extensions.code` of every error.
//! - [`http`] — the transport: POST `application/json`, GET for persisted queries only, the
//!   CSRF check and session cookie of `/api`, problem+json for transport failures.
//! - [`user`] — the session, looked up when a field needs it.

/// Declares the endpoint's modules, each only with the `graphql` feature (the settings below are
/// always there, so that a configuration reads the same either way).
macro_rules! endpoint_modules {
    ($($module:ident),* $(,)?) => {
        $(
            #[cfg(feature = "graphql")]
            pub mod $module;
        )*
    };
}

endpoint_modules!(
    contract, documents, errors, http, limits, loaders, persisted, product, schema, user,
);

use std::time::Duration;

#[cfg(feature = "graphql")]
use async_graphql::ValidationMode;
use serde::{Deserialize, Serialize};
use shared::config::ConfigError;

#[cfg(feature = "graphql")]
pub use self::http::routes;

/// Without the `graphql` feature (the nightly fuzz build only): no endpoint.
#[cfg(not(feature = "graphql"))]
pub fn routes(_: &crate::AppState) -> axum::Router {
    axum::Router::new()
}

/// The `graphql` section (env `BFF_WEB__GRAPHQL__<KEY>`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlSettings {
    /// Serve `/graphql`. Default `true`.
    pub enabled: bool,
    /// A query's deadline, all its upstream calls included (a screen deadline). Default
    /// `800ms`.
    #[serde(with = "humantime_serde")]
    pub deadline: Duration,
    /// The deepest selection. Default 10.
    pub max_depth: usize,
    /// The most complex query (a field costs 1, a list its `first` × its items). Default 1000.
    pub max_complexity: usize,
    /// Aliased fields in one document. Default 30.
    pub max_aliases: usize,
    /// The longest query text, in bytes (longer: 413). Default 8192.
    pub max_query_bytes: usize,
    /// Answer introspection queries (`__schema`, `__type`). Default `false`; `true` is a
    /// development relaxation, logged at start-up.
    pub introspection: bool,
    /// The query texts of the documents kept after they passed validation (query text → parsed
    /// document), in bytes, least recently used dropped first: a repeated query skips parsing
    /// and the rules that depend on the document alone. Default 262144 (256 KiB: a page's
    /// operations take a few KiB).
    pub document_cache_bytes: u64,
    /// Persisted queries.
    pub persisted: PersistedSettings,
}

/// The `graphql.persisted` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PersistedSettings {
    /// Run only the operations of the committed manifest (`bff-web/graphql/manifest.json`):
    /// the production setting. Default `false` (any query, and APQ).
    pub only_manifest: bool,
    /// Queries registered by APQ kept at most (least recently used go first). Default 1000.
    pub apq_cache_entries: u64,
}

impl GraphqlSettings {
    /// Checks what serde cannot; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.deadline.is_zero() || self.deadline > Duration::from_secs(60) {
            return Err(ConfigError::invalid(
                "graphql.deadline",
                "must be between 1ms and 60s",
            ));
        }
        for (key, value) in [
            ("graphql.max_depth", self.max_depth),
            ("graphql.max_complexity", self.max_complexity),
            ("graphql.max_query_bytes", self.max_query_bytes),
            (
                "graphql.document_cache_bytes",
                usize::try_from(self.document_cache_bytes).unwrap_or(usize::MAX),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key, "must be at least 1"));
            }
        }
        if self.persisted.apq_cache_entries == 0 && !self.persisted.only_manifest {
            return Err(ConfigError::invalid(
                "graphql.persisted.apq_cache_entries",
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// The WARN of a development relaxation, if any.
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.enabled && self.introspection {
            warnings.push(
                "graphql.introspection is true: anyone can read the whole GraphQL schema; a \
                 development setting, off in production"
                    .to_owned(),
            );
        }
        warnings
    }

    /// The schema with these limits, validating every rule: for documents not seen before.
    #[cfg(feature = "graphql")]
    pub fn schema(&self) -> schema::WebSchema {
        self.schema_with(ValidationMode::Strict)
    }

    /// The schema for documents that passed full validation before ([`documents`]): depth and
    /// complexity are checked again (they depend on the variables), the rules that depend on the
    /// document alone are not; a variable of the wrong type still fails, in execution.
    #[cfg(feature = "graphql")]
    pub fn schema_for_validated(&self) -> schema::WebSchema {
        self.schema_with(ValidationMode::Fast)
    }

    #[cfg(feature = "graphql")]
    fn schema_with(&self, mode: ValidationMode) -> schema::WebSchema {
        let builder = schema::builder()
            .validation_mode(mode)
            .limit_depth(self.max_depth)
            .limit_complexity(self.max_complexity);
        let builder = if self.introspection {
            builder
        } else {
            builder.disable_introspection()
        };
        builder.finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::Settings;

    #[test]
    fn the_defaults_are_strict_and_introspection_is_a_logged_relaxation() {
        let defaults = Settings::defaults().unwrap();
        assert!(defaults.graphql.enabled);
        assert!(!defaults.graphql.introspection);
        assert!(defaults.graphql.startup_warnings().is_empty());
        let env = vec![(
            "BFF_WEB__GRAPHQL__INTROSPECTION".to_owned(),
            "true".to_owned(),
        )];
        let dev = Settings::from_env(env).unwrap();
        let warnings = dev.startup_warnings();
        assert!(
            warnings.iter().any(|w| w.contains("graphql.introspection")),
            "{warnings:?}"
        );
        let zero = vec![("BFF_WEB__GRAPHQL__MAX_DEPTH".to_owned(), "0".to_owned())];
        assert!(Settings::from_env(zero).is_err());
    }
}
