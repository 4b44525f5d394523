//! The committed contract's generated parts, from the storefront's operation documents
//! (`bff-web/graphql/operations/*.graphql`): the persisted query manifest and the page's
//! `web/operations.js` (the exact texts and hashes the page sends). The contract test compares
//! them with the committed files; `UPDATE_GRAPHQL=1` rewrites them.

use super::persisted::hash;

/// `(name, type, body)` of each operation document under `dir`, by file name: the body is the
/// file without its `#` comment lines, trimmed (the exact text clients send).
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
    files
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
        .collect()
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
