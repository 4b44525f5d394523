//! Breaking changes between two OpenAPI 3.x documents.
//!
//! A change breaks a client that was written against the old document when the client can no
//! longer rely on something it was promised, or must send something it did not know of:
//! - an operation (path + method) or a documented success response is gone;
//! - a response field is gone, changed its type, or is no longer required (the client read it
//!   unconditionally), at any depth, through `$ref`s;
//! - a parameter or request-body field is newly required (or a request body newly required).
//!
//! Additive changes (new operations, new optional parameters, new response fields, new optional
//! request fields, new error statuses) are not breaking.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

/// What kind of breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An operation (path + method) is gone.
    RemovedOperation,
    /// A documented 2xx response (or its JSON body) is gone.
    RemovedResponse,
    /// A response field is gone.
    RemovedResponseField,
    /// A response field's type changed.
    RetypedResponseField,
    /// A response field that was required is now optional.
    OptionalResponseField,
    /// A parameter is newly required.
    RequiredParameter,
    /// A request body, or a field of it, is newly required.
    RequiredRequestField,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::RemovedOperation => "removed operation",
            Self::RemovedResponse => "removed response",
            Self::RemovedResponseField => "removed response field",
            Self::RetypedResponseField => "retyped response field",
            Self::OptionalResponseField => "response field no longer required",
            Self::RequiredParameter => "newly required parameter",
            Self::RequiredRequestField => "newly required request field",
        }
    }
}

/// One breaking change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// The operation's path template, e.g. `/v1/products/{id}`.
    pub path: String,
    /// Lower-case method.
    pub method: String,
    /// What kind of change.
    pub kind: Kind,
    /// Where in the operation, e.g. `200 application/json: .related[].price`.
    pub detail: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}: {}",
            self.method.to_uppercase(),
            self.path,
            self.kind.label(),
            self.detail
        )
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// Every breaking change from `old` to `new`, sorted by path, method and kind.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    let empty = serde_json::Map::new();
    let old_paths = old["paths"].as_object().unwrap_or(&empty);
    for (path, old_item) in old_paths {
        for method in METHODS {
            let Some(old_op) = old_item.get(method) else {
                continue;
            };
            let mut found = |kind, detail: String| {
                changes.push(Change {
                    path: path.clone(),
                    method: method.to_owned(),
                    kind,
                    detail,
                });
            };
            match new["paths"].get(path).and_then(|item| item.get(method)) {
                None => found(Kind::RemovedOperation, "the operation is gone".to_owned()),
                Some(new_op) => {
                    compare_operation(
                        &Docs { old, new },
                        old_item,
                        old_op,
                        &new["paths"][path],
                        new_op,
                        &mut found,
                    );
                }
            }
        }
    }
    changes.sort();
    changes.dedup();
    changes
}

struct Docs<'a> {
    old: &'a Value,
    new: &'a Value,
}

type Found<'f> = dyn FnMut(Kind, String) + 'f;

fn compare_operation(
    docs: &Docs<'_>,
    old_item: &Value,
    old_op: &Value,
    new_item: &Value,
    new_op: &Value,
    found: &mut Found<'_>,
) {
    // Parameters: newly required ones (path-level parameters apply to every operation).
    let old_params = parameters(docs.old, old_item, old_op);
    for (key, required) in parameters(docs.new, new_item, new_op) {
        let was_required = old_params
            .iter()
            .any(|(old_key, old_required)| *old_key == key && *old_required);
        if required && !was_required {
            found(Kind::RequiredParameter, format!("{} ({})", key.1, key.0));
        }
    }

    // Request body: newly required, and newly required fields of its JSON schema.
    let old_body = resolve(docs.old, &old_op["requestBody"]);
    let new_body = resolve(docs.new, &new_op["requestBody"]);
    if !new_body.is_null() {
        if new_body["required"] == true && old_body["required"] != true {
            found(Kind::RequiredRequestField, "the request body".to_owned());
        }
        let old_schema = &old_body["content"]["application/json"]["schema"];
        let new_schema = &new_body["content"]["application/json"]["schema"];
        if !new_schema.is_null() {
            let mut walk = Walk::new(docs);
            walk.request(old_schema, new_schema, "body", found);
        }
    }

    // Responses: every documented 2xx stays, with its JSON body compatible.
    let empty = serde_json::Map::new();
    let old_responses = old_op["responses"].as_object().unwrap_or(&empty);
    for (status, old_response) in old_responses {
        if !status.starts_with('2') {
            continue;
        }
        let old_response = resolve(docs.old, old_response);
        let new_response = resolve(docs.new, &new_op["responses"][status]);
        if new_response.is_null() {
            found(Kind::RemovedResponse, format!("status {status}"));
            continue;
        }
        let old_content = old_response["content"].as_object().unwrap_or(&empty);
        for (media, old_media) in old_content {
            let new_schema = &new_response["content"][media]["schema"];
            if new_schema.is_null() {
                found(Kind::RemovedResponse, format!("{status} {media}"));
                continue;
            }
            let mut walk = Walk::new(docs);
            walk.response(
                &old_media["schema"],
                new_schema,
                &format!("{status} {media}: "),
                found,
            );
        }
    }
}

/// `((in, lower-case name), required)` of an operation's parameters, path-level ones included.
fn parameters(doc: &Value, item: &Value, op: &Value) -> Vec<((String, String), bool)> {
    let mut out: Vec<((String, String), bool)> = Vec::new();
    for list in [&item["parameters"], &op["parameters"]] {
        for parameter in list.as_array().into_iter().flatten() {
            let parameter = resolve(doc, parameter);
            let place = parameter["in"].as_str().unwrap_or_default().to_owned();
            let mut name = parameter["name"].as_str().unwrap_or_default().to_owned();
            if place == "header" {
                name = name.to_ascii_lowercase();
            }
            let required = parameter["required"] == true || place == "path";
            out.retain(|(key, _)| *key != (place.clone(), name.clone()));
            out.push(((place, name), required));
        }
    }
    out
}

/// Follows local `$ref`s (`#/components/...`) until a non-reference; `Null` when unresolvable.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..32 {
        let Some(reference) = current.get("$ref").and_then(Value::as_str) else {
            return current;
        };
        let Some(pointer) = reference.strip_prefix('#') else {
            return &Value::Null;
        };
        current = doc.pointer(pointer).unwrap_or(&Value::Null);
    }
    &Value::Null
}

/// A schema's types as a set (`type` as a string or a list; `nullable: true` adds `null`);
/// empty when the schema does not say (any type).
fn types(schema: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = match &schema["type"] {
        Value::String(t) => [t.clone()].into(),
        Value::Array(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    };
    if schema["nullable"] == true {
        out.insert("null".to_owned());
    }
    out
}

/// The properties of an object schema, `allOf` parts merged.
fn properties<'a>(doc: &'a Value, schema: &'a Value) -> (Vec<(&'a str, &'a Value)>, Vec<&'a str>) {
    let mut props = Vec::new();
    let mut required = Vec::new();
    let mut visit = vec![schema];
    while let Some(schema) = visit.pop() {
        let schema = resolve(doc, schema);
        if let Some(map) = schema["properties"].as_object() {
            props.extend(map.iter().map(|(k, v)| (k.as_str(), v)));
        }
        required.extend(
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        visit.extend(schema["allOf"].as_array().into_iter().flatten());
    }
    (props, required)
}

/// One recursive comparison; remembers the `$ref` pairs it entered so recursive schemas end.
struct Walk<'d> {
    docs: &'d Docs<'d>,
    seen: BTreeSet<(String, String)>,
}

impl<'d> Walk<'d> {
    fn new(docs: &'d Docs<'d>) -> Self {
        Self {
            docs,
            seen: BTreeSet::new(),
        }
    }

    /// The two schemas to compare at a location, `$ref`s followed; `None` when this pair of
    /// named schemas was compared already (so recursive schemas end).
    fn enter<'v>(&mut self, old: &'v Value, new: &'v Value) -> Option<(&'v Value, &'v Value)>
    where
        'd: 'v,
    {
        let name = |v: &Value| v["$ref"].as_str().unwrap_or_default().to_owned();
        let pair = (name(old), name(new));
        if !pair.0.is_empty() && !self.seen.insert(pair) {
            return None;
        }
        Some((resolve(self.docs.old, old), resolve(self.docs.new, new)))
    }

    /// What the client reads: nothing it read may vanish, change type or become optional.
    fn response(&mut self, old: &Value, new: &Value, at: &str, found: &mut Found<'_>) {
        let Some((old, new)) = self.enter(old, new) else {
            return;
        };
        let (docs_old, docs_new) = (self.docs.old, self.docs.new);
        let (old_types, new_types) = (types(old), types(new));
        // An integer still reads where a number did.
        let reads_as_before =
            |t: &String| old_types.contains(t) || (t == "integer" && old_types.contains("number"));
        let widened = !old_types.is_empty()
            && (new_types.is_empty() || !new_types.iter().all(reads_as_before));
        if widened {
            found(
                Kind::RetypedResponseField,
                format!("{at}{} was {old_types:?}, now {new_types:?}", field(at)),
            );
            return;
        }
        let (old_props, old_required) = properties(docs_old, old);
        let (new_props, new_required) = properties(docs_new, new);
        for (name, old_prop) in &old_props {
            let path = format!("{at}.{name}");
            match new_props.iter().find(|(n, _)| n == name) {
                None => found(Kind::RemovedResponseField, path),
                Some((_, new_prop)) => {
                    if old_required.contains(name) && !new_required.contains(name) {
                        found(Kind::OptionalResponseField, path.clone());
                    }
                    self.response(old_prop, new_prop, &path, found);
                }
            }
        }
        let old_items = &old["items"];
        if !old_items.is_null() && !new["items"].is_null() {
            self.response(old_items, &new["items"], &format!("{at}[]"), found);
        }
    }

    /// What the client sends: nothing may become required that it did not send.
    fn request(&mut self, old: &Value, new: &Value, at: &str, found: &mut Found<'_>) {
        let Some((old, new)) = self.enter(old, new) else {
            return;
        };
        let (docs_old, docs_new) = (self.docs.old, self.docs.new);
        let (old_props, old_required) = properties(docs_old, old);
        let (new_props, new_required) = properties(docs_new, new);
        for name in &new_required {
            if !old_required.contains(name) {
                found(Kind::RequiredRequestField, format!("{at}.{name}"));
            }
        }
        for (name, new_prop) in &new_props {
            if let Some((_, old_prop)) = old_props.iter().find(|(n, _)| n == name) {
                self.request(old_prop, new_prop, &format!("{at}.{name}"), found);
            }
        }
    }
}

/// The field a location names, for messages (`the body` at the top).
fn field(at: &str) -> &'static str {
    if at.ends_with(": ") { "the body" } else { "" }
}

/// Whether `change` touches a path under one of `prefixes` (`/v1` matches `/v1` and `/v1/...`).
pub fn is_under(change: &Change, prefixes: &[String]) -> bool {
    prefixes.iter().any(|prefix| {
        let prefix = prefix.trim_end_matches('/');
        change.path == prefix || change.path.starts_with(&format!("{prefix}/"))
    })
}
