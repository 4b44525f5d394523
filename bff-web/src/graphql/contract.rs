//! The committed contract's generated parts, from the storefront's operation documents
//! (`bff-web/graphql/operations/*.graphql`): the persisted query manifest and the page's
//! `web/operations.js` (the exact texts and hashes the page sends). The contract test compares
//! them with the committed files; `UPDATE_GRAPHQL=1` rewrites them.

use super::persisted::hash;

/// `(name, type, body)` of each operation document under `dir`, by file name: the body is the
/// file without its `#` comment lines, trimmed, followed by the fragments it spreads (a file
/// may hold one fragment, shared by the operations that use it): the exact text clients send.
pub fn operations(dir: &str) -> Vec<(String, String, String)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|e| e == "graphql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let documents: Vec<(String, String, String)> = files
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| {
            let body: Vec<&str> = text
                .lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .collect();
            let body = body.join("\n").trim().to_owned();
            let mut words = body.split_whitespace();
            let kind = words.next()?.to_owned();
            let name = words.next()?.split('(').next()?.to_owned();
            Some((name, kind, body))
        })
        .collect();
    let fragments: Vec<(&str, &str)> = documents
        .iter()
        .filter(|(_, kind, _)| kind == "fragment")
        .map(|(name, _, body)| (name.as_str(), body.as_str()))
        .collect();
    documents
        .iter()
        .filter(|(_, kind, _)| kind != "fragment")
        .map(|(name, kind, body)| {
            let mut text = body.clone();
            // Fragments may spread fragments: append until every spread one is present.
            let mut appended = Vec::new();
            while let Some((fragment, fragment_body)) = fragments
                .iter()
                .find(|(f, _)| !appended.contains(f) && spreads(&text, f))
            {
                appended.push(fragment);
                text.push_str("\n\n");
                text.push_str(fragment_body);
            }
            (name.clone(), kind.clone(), text)
        })
        .collect()
}

/// Whether `text` spreads the fragment `name` (`...name`, not a longer name).
fn spreads(text: &str, name: &str) -> bool {
    text.match_indices("...")
        .filter_map(|(at, _)| text[at + 3..].trim_start().strip_prefix(name))
        .any(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// `web/operations.js`: each operation's text and SHA-256, as the page sends them.
pub fn operations_module(operations: &[(String, String, String)]) -> String {
    let mut out = String::from(
        "// Generated from bff-web/graphql/operations/ by the contract test (UPDATE_GRAPHQL=1\n\
         // cargo test -p bff-web --test api graphql_safety::the_committed); do not edit.\n\
         // The page sends `query` with its hash: the server's manifest mode accepts exactly these.\n",
    );
    for (name, _, body) in operations {
        let text = serde_json::to_string(body).unwrap_or_default();
        out.push_str(&format!(
            "\n/** The `{name}` operation. */\nexport const {name} = {{\n  name: '{name}',\n  \
             sha256: '{}',\n  query: {text},\n}};\n",
            hash(body)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spread_names_exactly_one_fragment() {
        assert!(spreads("{ ...Card }", "Card"));
        assert!(spreads("{ ... Card }", "Card"));
        assert!(!spreads("{ ...CardImage }", "Card"));
        assert!(!spreads("{ ... on Card { id } }", "Card"));
        assert!(!spreads("{ Card }", "Card"));
    }

    #[test]
    fn an_operation_carries_the_fragments_it_spreads_and_theirs_and_no_other() {
        let dir = std::env::temp_dir().join(format!("graphql-ops-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = [
            ("A.graphql", "# a comment\nquery A { product { ...Card } }\n"),
            ("B.graphql", "query B { categories { name } }"),
            ("Card.graphql", "fragment Card on Product { id ...Price }"),
            ("Price.graphql", "fragment Price on Product { offer { price } }"),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let found = operations(dir.to_str().unwrap());
        std::fs::remove_dir_all(&dir).unwrap();

        let texts: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|(name, kind, body)| (name.as_str(), kind.as_str(), body.as_str()))
            .collect();
        assert_eq!(
            texts,
            [
                (
                    "A",
                    "query",
                    "query A { product { ...Card } }\n\n\
                     fragment Card on Product { id ...Price }\n\n\
                     fragment Price on Product { offer { price } }"
                ),
                ("B", "query", "query B { categories { name } }"),
            ]
        );
    }
}
