//! Each kind of breaking change is found, through `$ref`s; additive changes are not; `/v1`
//! decides what fails CI (the binary, run for real).

use std::process::Command;

use contract_diff::diff::{Kind, breaking_changes, is_under};
use serde_json::{Value, json};

/// A small document: one screen under `/v1` and one web route, a cart POST with a body.
fn before() -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {
            "/v1/products/{id}": {"get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "w", "in": "query", "required": false, "schema": {"type": "integer"}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Product"}}}}}
            }},
            "/v1/cart/items": {"post": {
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/NewLine"}}}},
                "responses": {"200": {"description": "ok"}}
            }},
            "/api/home": {"get": {"responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"type": "object", "required": ["featured"],
                    "properties": {"featured": {"type": "array", "items": {"$ref": "#/components/schemas/Card"}}}}}}}}}}
        },
        "components": {"schemas": {
            "Product": {"type": "object", "required": ["id", "name", "related"], "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "price": {"type": "string"},
                "related": {"type": "array", "items": {"$ref": "#/components/schemas/Card"}}
            }},
            "Card": {"type": "object", "required": ["id", "name"], "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "rating": {"type": "number"}}},
            "NewLine": {"type": "object", "required": ["product_id"], "properties": {
                "product_id": {"type": "string"}, "quantity": {"type": "integer"}}}
        }}
    })
}

fn changed(edit: impl FnOnce(&mut Value)) -> Value {
    let mut doc = before();
    edit(&mut doc);
    doc
}

fn kinds(after: &Value) -> Vec<(Kind, String, String)> {
    breaking_changes(&before(), after)
        .into_iter()
        .map(|c| (c.kind, c.path, c.detail))
        .collect()
}

#[test]
fn the_same_document_has_no_breaking_change() {
    assert!(breaking_changes(&before(), &before()).is_empty());
}

#[test]
fn additive_changes_are_not_breaking() {
    let after = changed(|doc| {
        doc["paths"]["/v1/search"] = json!({"get": {"responses": {"200": {"description": "ok"}}}});
        doc["paths"]["/v1/products/{id}"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "Save-Data", "in": "header", "required": false}));
        doc["paths"]["/v1/products/{id}"]["get"]["responses"]["404"] =
            json!({"description": "no such product"});
        let product = &mut doc["components"]["schemas"]["Product"];
        product["properties"]["summary"] = json!({"type": "string"});
        product["required"]
            .as_array_mut()
            .unwrap()
            .push(json!("summary"));
        doc["components"]["schemas"]["NewLine"]["properties"]["note"] = json!({"type": "string"});
        // A field that was optional becomes required: clients that read it get more, not less.
        doc["components"]["schemas"]["Card"]["required"] = json!(["id", "name", "rating"]);
        // A number that is now always an integer still reads as a number.
        doc["components"]["schemas"]["Card"]["properties"]["rating"] = json!({"type": "integer"});
    });
    assert_eq!(kinds(&after), []);
}

#[test]
fn a_removed_operation_is_found() {
    let after = changed(|doc| {
        doc["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/v1/cart/items");
    });
    assert_eq!(
        kinds(&after),
        [(
            Kind::RemovedOperation,
            "/v1/cart/items".into(),
            "the operation is gone".into()
        )]
    );
}

#[test]
fn a_removed_success_response_is_found() {
    let after = changed(|doc| {
        let responses = &mut doc["paths"]["/v1/products/{id}"]["get"]["responses"];
        responses.as_object_mut().unwrap().remove("200");
        responses["201"] = json!({"description": "created"});
    });
    assert_eq!(kinds(&after)[0].0, Kind::RemovedResponse);
}

#[test]
fn a_removed_response_field_is_found_through_refs_and_arrays() {
    let after = changed(|doc| {
        let card = &mut doc["components"]["schemas"]["Card"];
        card["properties"].as_object_mut().unwrap().remove("rating");
    });
    let found = kinds(&after);
    assert!(
        found.contains(&(
            Kind::RemovedResponseField,
            "/v1/products/{id}".into(),
            "200 application/json: .related[].rating".into()
        )),
        "{found:?}"
    );
    // The web shelf uses the same card: found there too.
    assert!(
        found
            .iter()
            .any(|(k, p, _)| *k == Kind::RemovedResponseField && p == "/api/home")
    );
}

#[test]
fn a_retyped_response_field_is_found() {
    let after = changed(|doc| {
        doc["components"]["schemas"]["Product"]["properties"]["price"] = json!({"type": "integer"});
    });
    let found = kinds(&after);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Kind::RetypedResponseField);
    assert!(found[0].2.contains(".price"), "{found:?}");
    // A field that may now be null is retyped too.
    let after = changed(|doc| {
        doc["components"]["schemas"]["Product"]["properties"]["name"] =
            json!({"type": ["string", "null"]});
    });
    assert_eq!(kinds(&after)[0].0, Kind::RetypedResponseField);
}

#[test]
fn newly_required_parameters_are_found() {
    let after = changed(|doc| {
        let parameters = doc["paths"]["/v1/products/{id}"]["get"]["parameters"]
            .as_array_mut()
            .unwrap();
        parameters[1]["required"] = json!(true);
        parameters.push(json!({"name": "X-App-Version", "in": "header", "required": true}));
    });
    let found = kinds(&after);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(k, ..)| *k == Kind::RequiredParameter));
}

#[test]
fn a_changed_required_list_is_found_where_it_breaks_a_client() {
    for (schema, required, (kind, path, detail)) in [
        // A response field that became optional: a client that reads it may find nothing.
        (
            "Product",
            json!(["id", "related"]),
            (
                Kind::OptionalResponseField,
                "/v1/products/{id}",
                "200 application/json: .name",
            ),
        ),
        // A request field that became required: a client that leaves it out is refused.
        (
            "NewLine",
            json!(["product_id", "quantity"]),
            (
                Kind::RequiredRequestField,
                "/v1/cart/items",
                "body.quantity",
            ),
        ),
    ] {
        let after = changed(|doc| doc["components"]["schemas"][schema]["required"] = required);
        assert_eq!(
            kinds(&after),
            [(kind, path.into(), detail.into())],
            "{schema}"
        );
    }
}

#[test]
fn only_changes_under_the_prefix_count_as_errors() {
    let after = changed(|doc| {
        doc["paths"].as_object_mut().unwrap().remove("/api/home");
        doc["paths"]
            .as_object_mut()
            .unwrap()
            .remove("/v1/cart/items");
    });
    let changes = breaking_changes(&before(), &after);
    let v1 = ["/v1".to_owned()];
    let under: Vec<bool> = changes.iter().map(|c| is_under(c, &v1)).collect();
    assert_eq!(under, [false, true]);
    assert!(!is_under(&changes[1], &["/v10".to_owned()]));
}

/// Runs the binary on two documents written to a temporary folder.
fn run(before: &Value, after: &Value) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("contract-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (old, new) = (dir.join("old.json"), dir.join("new.json"));
    std::fs::write(&old, before.to_string()).unwrap();
    std::fs::write(&new, after.to_string()).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_contract-diff"))
        .args([&old, &new])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_binary_fails_on_a_v1_break_and_only_warns_on_a_web_break() {
    let web_break = changed(|doc| {
        doc["paths"].as_object_mut().unwrap().remove("/api/home");
    });
    let (ok, out) = run(&before(), &web_break);
    assert!(ok, "{out}");
    assert!(
        out.contains("warning: GET /api/home: removed operation"),
        "{out}"
    );

    let v1_break = changed(|doc| {
        doc["components"]["schemas"]["Card"]["properties"]["name"] = json!({"type": "integer"});
    });
    let (ok, out) = run(&before(), &v1_break);
    assert!(!ok, "{out}");
    assert!(
        out.contains("error: GET /v1/products/{id}: retyped response field"),
        "{out}"
    );
}
