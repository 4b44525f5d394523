//! What a query may cost, checked before it runs: its size in bytes (the handler, before
//! parsing), its aliases (here, on the parsed document), and its depth and complexity
//! (async-graphql's validation, configured in [`super::schema::build`]). An over-limit query is
//! refused before any resolver runs, so before any upstream call.

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};

/// How many fields of `document` carry an alias, in every operation and fragment.
pub fn aliases(document: &ExecutableDocument) -> usize {
    let mut count = 0;
    visit_fields(document, |field| {
        count += usize::from(field.alias.is_some())
    });
    count
}

/// Whether `document` asks for `__schema` or `__type` anywhere (refused when introspection is
/// off: async-graphql would answer them with a silent null).
pub fn introspects(document: &ExecutableDocument) -> bool {
    let mut found = false;
    visit_fields(document, |field| {
        found |= matches!(field.name.node.as_str(), "__schema" | "__type");
    });
    found
}

/// Calls `visit` with every field of every operation and fragment. Without recursion: the
/// parser bounds nesting, and this walk adds no stack of its own.
fn visit_fields(document: &ExecutableDocument, mut visit: impl FnMut(&Field)) {
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        )
        .collect();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    visit(&field.node);
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
}

/// The type of the operation that `operation_name` selects (the only one when it is `None`);
/// `None` when there is no such operation (execution then reports it).
pub fn operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    let mut operations = document.operations.iter();
    let selected = match operation_name {
        Some(name) => operations.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)),
        None => operations
            .next()
            .filter(|_| document.operations.iter().count() == 1),
    };
    selected.map(|(_, operation)| operation.node.ty)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    #[test]
    fn aliases_are_counted_in_operations_fragments_and_inline_fragments() {
        let document = parse_query(
            "query A { a: categories { id } b: categories { n: name } ... on Query { c: home { \
             hero { title } } } ...F } fragment F on Query { d: categories { id } }",
        )
        .unwrap();
        assert_eq!(aliases(&document), 5);
        assert_eq!(aliases(&parse_query("{ categories { id } }").unwrap()), 0);
        assert!(!introspects(
            &parse_query("{ categories { __typename } }").unwrap()
        ));
        assert!(introspects(&document_with(
            "{ x { ... on Q { __type(name: \"A\") { name } } } }"
        )));
    }

    fn document_with(query: &str) -> ExecutableDocument {
        parse_query(query).unwrap()
    }

    #[test]
    fn the_selected_operation_type_is_found_by_name_or_alone() {
        let document = parse_query("query Q { categories { id } } mutation M { x }").unwrap();
        assert_eq!(
            operation_type(&document, Some("M")),
            Some(OperationType::Mutation)
        );
        assert_eq!(
            operation_type(&document, Some("Q")),
            Some(OperationType::Query)
        );
        assert_eq!(operation_type(&document, None), None);
        assert_eq!(operation_type(&document, Some("Z")), None);
        let single = parse_query("mutation { x }").unwrap();
        assert_eq!(operation_type(&single, None), Some(OperationType::Mutation));
    }
}
