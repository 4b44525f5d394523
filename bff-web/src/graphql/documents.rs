//! Documents that passed validation, by query text. Clients send the same few operations over and
//! over (the page's, or the manifest's in production), so a repeat is neither parsed nor checked
//! again against the rules that depend on the document alone; its depth and complexity are, since
//! they depend on its variables ([`super::GraphqlSettings::schema_for_validated`]).
//!
//! A document is kept only after a run that proves it valid: execution started, which async-graphql
//! does only after validation passed, so every error of the answer (if any) has a `path`.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use moka::sync::Cache;

/// Validated documents by query text, least recently used dropped first.
pub struct Documents {
    known: Cache<Arc<str>, Arc<ExecutableDocument>>,
}

impl Documents {
    /// A store of documents whose query texts take at most `bytes` in all: weighed by text, so
    /// that many long queries cannot hold more memory than a few short ones (a parsed document
    /// takes a few times its text).
    pub fn new(bytes: u64) -> Self {
        Self {
            known: Cache::builder()
                .max_capacity(bytes)
                .weigher(|query: &Arc<str>, _| u32::try_from(query.len()).unwrap_or(u32::MAX))
                .build(),
        }
    }

    /// The document of `query`, if it passed validation before: a copy for execution to own.
    /// Counted in `graphql_document_cache_total{result="hit"|"miss"}`, to size the store.
    pub fn get(&self, query: &Arc<str>) -> Option<ExecutableDocument> {
        let known = self.known.get(query);
        let result = if known.is_some() { "hit" } else { "miss" };
        metrics::counter!("graphql_document_cache_total", "result" => result).increment(1);
        known.map(|document| (*document).clone())
    }

    /// Keeps `document` for `query` when `answer` shows that it passed validation.
    pub fn remember(
        &self,
        query: Arc<str>,
        document: ExecutableDocument,
        answer: &async_graphql::Response,
    ) {
        if executed(answer) {
            self.known.insert(query, Arc::new(document));
        }
    }
}

/// Whether `answer` comes from an execution: only then is any error tied to a field's `path`.
/// Parse, validation and limit errors have none, and neither has an unknown operation name.
pub fn executed(answer: &async_graphql::Response) -> bool {
    answer.errors.iter().all(|error| !error.path.is_empty())
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::{PathSegment, ServerError};

    use super::*;

    #[test]
    fn a_document_is_kept_only_after_an_answer_that_proves_it_valid() {
        let documents = Documents::new(1024);
        let valid: Arc<str> = Arc::from("{ categories { id } }");
        let invalid: Arc<str> = Arc::from("{ categories { nope } }");
        let refused = ServerError::new("Unknown field", None);
        documents.remember(
            invalid.clone(),
            parse_query(&*invalid).unwrap(),
            &async_graphql::Response::from_errors(vec![refused]),
        );
        assert!(documents.get(&invalid).is_none());
        assert!(documents.get(&valid).is_none());
        let answer = async_graphql::Response::new(async_graphql::Value::Null);
        documents.remember(valid.clone(), parse_query(&*valid).unwrap(), &answer);
        let kept = documents.get(&valid).expect("kept");
        assert_eq!(kept.operations.iter().count(), 1);
    }

    #[test]
    fn only_answers_whose_errors_all_have_a_path_prove_a_document_valid() {
        let ok = async_graphql::Response::new(async_graphql::Value::Null);
        assert!(executed(&ok));
        let mut in_field = ServerError::new("degraded", None);
        in_field.path = vec![PathSegment::Field("offer".to_owned())];
        let field_error = async_graphql::Response::from_errors(vec![in_field.clone()]);
        assert!(executed(&field_error));
        let refused = ServerError::new("Query is too complex.", None);
        let invalid = async_graphql::Response::from_errors(vec![in_field, refused]);
        assert!(!executed(&invalid));
    }
}
