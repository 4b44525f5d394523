//! Validation of real responses against an OpenAPI 3.1 document.
//!
//! A contract test calls each endpoint for real and hands every response to
//! [`Contract::check`]: the operation is found by method and path template, the status must be
//! documented, the media type too, and the body must validate against the schema (JSON Schema
//! 2020-12, with `#/components/...` references resolved in the document). In the strict mode the
//! tests use, objects that list their properties admit no others, so a field the code sends but
//! the document does not name fails too. [`Contract::unchecked`] lists the operations no
//! successful (2xx or 3xx) response was checked for, so a new endpoint without a contract test fails.

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::{Value, json};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// An OpenAPI document to check responses against.
#[derive(Debug)]
pub struct Contract {
    doc: Value,
    strict_components: Value,
    checked: Mutex<BTreeSet<(String, String, u16)>>,
}

impl Contract {
    /// The contract of `doc` (an OpenAPI 3.1 document as JSON).
    pub fn new(doc: Value) -> Self {
        let mut strict_components = doc["components"].clone();
        close_objects(&mut strict_components);
        Self {
            doc,
            strict_components,
            checked: Mutex::new(BTreeSet::new()),
        }
    }

    /// The path template and operation of `method` on the concrete `path` (query ignored).
    pub fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let method = method.to_ascii_lowercase();
        let path = path.split('?').next().unwrap_or_default();
        let paths = self.doc["paths"].as_object()?;
        paths.iter().find_map(|(template, item)| {
            let op = item.get(&method)?;
            matches_template(template, path).then_some((template.as_str(), op))
        })
    }

    /// Checks one response: `Ok` with a description of what was checked, or why it breaks the
    /// contract.
    pub fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> Result<String, String> {
        let described = format!("{method} {path} → {status}");
        let (template, op) = self
            .operation(method, path)
            .ok_or_else(|| format!("{described}: no such operation in the document"))?;
        let response = self
            .resolve(&op["responses"][status.to_string()])
            .or_else(|| self.resolve(&op["responses"]["default"]))
            .ok_or_else(|| format!("{described}: status {status} is not documented"))?;
        let content = response["content"].as_object();
        let essence = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase());
        let Some(content) = content.filter(|c| !c.is_empty()) else {
            if !body.is_empty() {
                return Err(format!("{described}: documented without a body, got one"));
            }
            self.record(method, template, status);
            return Ok(format!("{described}: no body, as documented"));
        };
        let essence = essence.ok_or_else(|| format!("{described}: no Content-Type"))?;
        let media = content
            .get(&essence)
            .ok_or_else(|| format!("{described}: media type {essence} is not documented"))?;
        let instance: Value = serde_json::from_str(body)
            .map_err(|e| format!("{described}: the body is not JSON ({e})"))?;
        self.validate(&media["schema"], &instance)
            .map_err(|errors| format!("{described}: {errors}\nbody: {body}"))?;
        self.record(method, template, status);
        Ok(format!("{described}: {essence} valid"))
    }

    /// Validates `instance` against `schema` (which may refer to the document's components),
    /// with every object closed to properties it does not list.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), String> {
        let mut schema = schema.clone();
        close_objects(&mut schema);
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.strict_components,
            "allOf": [schema],
        });
        let validator = jsonschema::draft202012::new(&root)
            .map_err(|e| format!("the document's schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }

    /// Operations (`METHOD path`) for which no successful (2xx, or 3xx: a redirect) response has
    /// been checked yet.
    pub fn unchecked(&self) -> Vec<String> {
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for method in METHODS {
                if item.get(method).is_none() {
                    continue;
                }
                let done = checked.iter().any(|(m, t, status)| {
                    m == method && t == template && (200..400).contains(status)
                });
                if !done {
                    out.push(format!("{} {template}", method.to_uppercase()));
                }
            }
        }
        out
    }

    fn record(&self, method: &str, template: &str, status: u16) {
        self.checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((method.to_ascii_lowercase(), template.to_owned(), status));
    }

    fn resolve<'a>(&'a self, value: &'a Value) -> Option<&'a Value> {
        let mut current = value;
        for _ in 0..8 {
            match current.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    current = self.doc.pointer(reference.strip_prefix('#')?)?;
                }
                None => return (!current.is_null()).then_some(current),
            }
        }
        None
    }
}

/// Asserts that the document committed at `committed` is `generated`; with the environment
/// variable `UPDATE_OPENAPI` set, writes it instead. `refresh` is the command to tell people.
///
/// # Panics
/// When they differ (that is the test), or when the file cannot be written on refresh.
pub fn assert_committed(committed: &str, generated: &str, refresh: &str) {
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed, generated)
            .unwrap_or_else(|e| panic!("cannot write {committed}: {e}"));
        return;
    }
    let current = std::fs::read_to_string(committed).unwrap_or_default();
    assert!(
        current == generated,
        "{committed} is not what the code generates; review the change (breaking changes under \
         /v1 are refused) and refresh it with: UPDATE_OPENAPI=1 {refresh}"
    );
}

/// Whether the concrete `path` fits `template` (`{name}` matches one non-empty segment).
fn matches_template(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// Sets `additionalProperties: false` on every object schema that lists `properties` and says
/// nothing about others.
fn close_objects(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("properties").is_some_and(Value::is_object)
                && !map.contains_key("additionalProperties")
            {
                map.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            for (key, child) in map.iter_mut() {
                // Examples are data, not schemas.
                if key == "example" || key == "examples" {
                    continue;
                }
                close_objects(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::new(json!({
            "openapi": "3.1.0",
            "paths": {"/v1/things/{id}": {"get": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "304": {"description": "not modified"},
                "404": {"$ref": "#/components/responses/NotFound"}
            }}}},
            "components": {
                "schemas": {
                    "Thing": {"type": "object", "required": ["id"], "properties": {
                        "id": {"type": "string"}, "size": {"type": "integer", "minimum": 0}}},
                    "Problem": {"type": "object", "required": ["status"], "properties": {"status": {"type": "integer"}}}
                },
                "responses": {"NotFound": {"description": "no", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
            }
        }))
    }

    #[test]
    fn a_conforming_body_passes_and_counts_as_checked() {
        let c = contract();
        assert_eq!(c.unchecked(), ["GET /v1/things/{id}"]);
        c.check(
            "GET",
            "/v1/things/a1?x=1",
            200,
            Some("application/json; charset=utf-8"),
            r#"{"id":"a1","size":3}"#,
        )
        .unwrap();
        c.check(
            "GET",
            "/v1/things/a1",
            404,
            Some("application/problem+json"),
            r#"{"status":404}"#,
        )
        .unwrap();
        c.check("GET", "/v1/things/a1", 304, None, "").unwrap();
        assert!(c.unchecked().is_empty());
    }

    #[test]
    fn drift_of_any_kind_fails() {
        let c = contract();
        for (status, content_type, body) in [
            (200, "application/json", r#"{"size":3}"#),
            (200, "application/json", r#"{"id":1}"#),
            (200, "application/json", r#"{"id":"a","size":-1}"#),
            (200, "application/json", r#"{"id":"a","colour":"red"}"#),
            (200, "text/html", "<html>"),
            (404, "application/problem+json", r#"{"title":"x"}"#),
            (500, "application/problem+json", r#"{"status":500}"#),
        ] {
            assert!(
                c.check("GET", "/v1/things/a", status, Some(content_type), body)
                    .is_err(),
                "{status} {body}"
            );
        }
        assert!(c.check("GET", "/v1/other", 200, None, "").is_err());
        assert!(c.check("POST", "/v1/things/a", 200, None, "").is_err());
        assert_eq!(c.unchecked(), ["GET /v1/things/{id}"]);
    }
}
