//! `/graphql` safety: limits refused before any upstream call, persisted queries (APQ and the
//! manifest-only mode), introspection, CSRF, media type, GET, CORS; and the committed contract
//! (`schema.graphql`, the manifest, the storefront's operations module).

use std::sync::Arc;

use reqwest::Method;
use serde_json::{Value, json};

use crate::graphql::{codes, gql};
use crate::helpers::{Options, TestApp, spawn_app, spawn_with};

/// The app with `change` applied to its `graphql` settings.
async fn spawn_graphql(change: fn(&mut bff_web::graphql::GraphqlSettings)) -> TestApp {
    spawn_with(Options {
        configure: Some(Arc::new(move |settings| change(&mut settings.graphql))),
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn each_limit_refuses_before_any_upstream_call() {
    let app = spawn_graphql(|g| {
        g.max_depth = 3;
        g.max_complexity = 60;
        g.max_aliases = 2;
        g.max_query_bytes = 300;
    })
    .await;

    let deep = "{ search { products { offer { price } } } }";
    let response = gql(&app.browser, deep, json!({})).await;
    assert_eq!(codes(&response), ["LIMIT_EXCEEDED"], "depth: {response}");
    assert!(
        response.get("data").is_none(),
        "refused before execution: {response}"
    );

    let complex = "{ search(first: 48) { products { id name } } }";
    let response = gql(&app.browser, complex, json!({})).await;
    assert_eq!(
        codes(&response),
        ["LIMIT_EXCEEDED"],
        "complexity: {response}"
    );

    let aliased = "{ a: categories { id } b: categories { id } c: categories { id } }";
    let response = gql(&app.browser, aliased, json!({})).await;
    assert_eq!(codes(&response), ["LIMIT_EXCEEDED"], "aliases: {response}");

    let long = format!("{{ categories {{ id }} }} # {}", "x".repeat(300));
    let reply = app
        .browser
        .post_json("/graphql", &json!({"query": long}))
        .await;
    reply.assert_problem(413);

    assert_eq!(
        app.upstream_hits(),
        0,
        "a refused query reached an upstream"
    );
    // Within the limits, the same shapes run.
    let ok = gql(
        &app.browser,
        "{ a: categories { id } b: categories { id } }",
        json!({}),
    )
    .await;
    assert!(ok.get("errors").is_none(), "{ok}");
}

#[tokio::test]
async fn a_document_seen_before_is_still_checked_for_what_its_variables_change() {
    let app = spawn_graphql(|g| g.max_complexity = 60).await;
    let query = "query S($n: Int) { search(first: $n) { products { id name } } }";
    // The same text twice: the second run is the validated document, not a new parse.
    for _ in 0..2 {
        let small = gql(&app.browser, query, json!({"n": 2})).await;
        assert!(small.get("errors").is_none(), "{small}");
        let products = small["data"]["search"]["products"].as_array().unwrap();
        assert_eq!(products.len(), 2, "{small}");
    }
    let hits = app.upstream_hits();

    // Its complexity depends on `$n`: still refused over the limit, before any call.
    let large = gql(&app.browser, query, json!({"n": 48})).await;
    assert_eq!(codes(&large), ["LIMIT_EXCEEDED"], "{large}");
    // A value of the wrong type is still an error, with no call made and nothing echoed.
    let wrong = gql(&app.browser, query, json!({"n": "many<script>"})).await;
    assert_eq!(codes(&wrong), ["GRAPHQL_VALIDATION_FAILED"], "{wrong}");
    assert!(!wrong.to_string().contains("<script>"), "{wrong}");
    assert_eq!(
        app.upstream_hits(),
        hits,
        "a refused run reached an upstream"
    );

    // A document refused once is refused again (it was never kept as valid).
    let unknown = "{ search { products { nope } } }";
    for _ in 0..2 {
        let answer = gql(&app.browser, unknown, json!({})).await;
        assert_eq!(codes(&answer), ["GRAPHQL_VALIDATION_FAILED"], "{answer}");
    }
}

#[tokio::test]
async fn automatic_persisted_queries_register_then_run_by_hash() {
    let app = spawn_app().await;
    let query = "{ categories { id } }";
    let hash = bff_web::graphql::persisted::hash(query);
    let apq = json!({"persistedQuery": {"version": 1, "sha256Hash": hash}});
    let get_url = format!(
        "/graphql?extensions={}",
        url::form_urlencoded::byte_serialize(apq.to_string().as_bytes()).collect::<String>()
    );

    let miss = app
        .browser
        .post_json("/graphql", &json!({"extensions": apq}))
        .await
        .json();
    assert_eq!(codes(&miss), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");
    let get_miss = app.browser.get(&get_url).await;
    assert_eq!(codes(&get_miss.json()), ["PERSISTED_QUERY_NOT_FOUND"]);
    assert_eq!(app.upstream_hits(), 0);

    let wrong = json!({"persistedQuery": {"version": 1, "sha256Hash": "00".repeat(32)}});
    let mismatch = app
        .browser
        .post_json("/graphql", &json!({"query": query, "extensions": wrong}))
        .await;
    assert_eq!(codes(&mismatch.json()), ["PERSISTED_QUERY_INVALID"]);

    let registered = app
        .browser
        .post_json("/graphql", &json!({"query": query, "extensions": apq}))
        .await;
    assert!(registered.json()["data"]["categories"].is_array());

    let by_hash = app
        .browser
        .post_json("/graphql", &json!({"extensions": apq}))
        .await;
    assert!(
        by_hash.json()["data"]["categories"].is_array(),
        "{}",
        by_hash.body
    );
    let by_get = app.browser.get(&get_url).await;
    assert_eq!(by_get.status, 200);
    assert!(
        by_get.json()["data"]["categories"].is_array(),
        "{}",
        by_get.body
    );
}

#[tokio::test]
async fn the_manifest_mode_runs_only_the_committed_operations() {
    let app = spawn_graphql(|g| g.persisted.only_manifest = true).await;

    let unknown = gql(&app.browser, "{ categories { id } }", json!({})).await;
    assert_eq!(codes(&unknown), ["PERSISTED_QUERY_NOT_ALLOWED"]);
    let register = json!({
        "query": "{ categories { id } }",
        "extensions": {"persistedQuery": {"version": 1,
            "sha256Hash": bff_web::graphql::persisted::hash("{ categories { id } }")}},
    });
    let refused = app.browser.post_json("/graphql", &register).await.json();
    assert_eq!(codes(&refused), ["PERSISTED_QUERY_NOT_ALLOWED"]);
    assert_eq!(app.upstream_hits(), 0);

    let operations = bff_web::graphql::persisted::manifest_operations();
    let search = operations.iter().find(|o| o.name == "SearchPage").unwrap();
    let by_text = gql(&app.browser, &search.body, json!({"q": "wireless"})).await;
    assert!(by_text.get("errors").is_none(), "{by_text}");
    let by_hash = app
        .browser
        .post_json(
            "/graphql",
            &json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": search.id}},
                    "variables": {"first": 2}}),
        )
        .await
        .json();
    assert_eq!(
        by_hash["data"]["search"]["products"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn introspection_is_off_by_default_and_on_when_set() {
    let introspect = "{ __schema { queryType { name } } }";
    let app = spawn_app().await;
    let off = gql(&app.browser, introspect, json!({})).await;
    assert!(off.get("data").is_none(), "{off}");
    assert_eq!(codes(&off), ["INTROSPECTION_DISABLED"]);
    let nested = "{ categories { id } ... on Query { __type(name: \"Product\") { name } } }";
    let type_query = gql(&app.browser, nested, json!({})).await;
    assert_eq!(codes(&type_query), ["INTROSPECTION_DISABLED"]);
    let typename = gql(&app.browser, "{ __typename }", json!({})).await;
    assert_eq!(typename["data"]["__typename"], "Query");

    let dev = spawn_graphql(|g| g.introspection = true).await;
    let on = gql(&dev.browser, introspect, json!({})).await;
    assert_eq!(on["data"]["__schema"]["queryType"]["name"], "Query", "{on}");
}

#[tokio::test]
async fn the_transport_is_refused_as_problems_before_any_call() {
    let app = spawn_app().await;
    let body = json!({"query": "{ categories { id } }"});

    let browser = &app.browser;

    let no_csrf = browser.request_without_csrf(Method::POST, "/graphql");
    browser.send(no_csrf.json(&body)).await.assert_problem(403);
    let cross_site = browser
        .request(Method::POST, "/graphql")
        .header("sec-fetch-site", "cross-site");
    browser
        .send(cross_site.json(&body))
        .await
        .assert_problem(403);
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ] {
        let reply = browser
            .post_raw("/graphql", content_type, body.to_string())
            .await;
        reply.assert_problem(415);
    }
    let batch = "[{\"query\": \"{ categories { id } }\"}]";
    let not_json = browser
        .post_raw("/graphql", "application/json", batch)
        .await;
    not_json.assert_problem(400);
    let text_over_get = browser
        .get("/graphql?query=%7B%20categories%20%7B%20id%20%7D%20%7D")
        .await;
    text_over_get.assert_problem(400);
    let preflight = browser
        .preflight("/graphql", "https://evil.example", "POST", None)
        .await;
    assert!(preflight.status >= 400, "{}", preflight.status);
    assert!(preflight.header("access-control-allow-origin").is_none());
    assert_eq!(app.upstream_hits(), 0);
}

#[tokio::test]
async fn over_the_rate_limit_graphql_gets_a_429_problem() {
    let app = spawn_with(Options {
        configure: Some(Arc::new(|settings| {
            let limit = &mut settings.server.common.rate_limit;
            limit.per_second = 1;
            limit.burst = 1;
        })),
        ..Options::default()
    })
    .await;
    let body = json!({"query": "{ __typename }"});

    let mut replies = Vec::new();
    for _ in 0..10 {
        replies.push(app.browser.post_json("/graphql", &body).await);
    }

    let limited = replies
        .iter()
        .find(|r| r.status == 429)
        .expect("a 429 among ten at once");
    limited.assert_problem(429);
    assert!(limited.header("retry-after").is_some());
}

#[tokio::test]
async fn get_never_runs_a_mutation() {
    let app = spawn_app().await;
    app.browser.login().await;
    let mutation = "mutation { addToCart(productId: \"p00001\") { totalQuantity } }";
    let apq = json!({"persistedQuery": {"version": 1,
        "sha256Hash": bff_web::graphql::persisted::hash(mutation)}});
    // Registered over POST (which does run it)…
    let posted = app
        .browser
        .post_json("/graphql", &json!({"query": mutation, "extensions": apq}))
        .await
        .json();
    assert_eq!(posted["data"]["addToCart"]["totalQuantity"], 1, "{posted}");
    let before = app.upstreams.accounts.hits();

    // …then asked for by hash over GET: refused.
    let url = format!(
        "/graphql?extensions={}",
        url::form_urlencoded::byte_serialize(apq.to_string().as_bytes()).collect::<String>()
    );
    let reply = app.browser.get(&url).await;
    reply.assert_problem(405);
    assert_eq!(reply.header("allow"), Some("POST"));
    assert_eq!(app.upstreams.accounts.hits(), before, "the mutation ran");
}

/// The committed contract files are what the code and the operations generate; refresh with
/// `UPDATE_GRAPHQL=1 cargo test -p bff-web --test api graphql_safety::the_committed`.
#[test]
fn the_committed_schema_manifest_and_operations_module_are_fresh() {
    let root = env!("CARGO_MANIFEST_DIR");
    let operations = bff_web::graphql::contract::operations(&format!("{root}/graphql/operations"));
    let generated = [
        ("schema.graphql", bff_web::graphql::schema::sdl()),
        (
            "graphql/manifest.json",
            bff_web::graphql::persisted::manifest_json(&operations),
        ),
        (
            "web/operations.js",
            bff_web::graphql::contract::operations_module(&operations),
        ),
    ];
    for (file, text) in generated {
        let path = format!("{root}/{file}");
        if std::env::var_os("UPDATE_GRAPHQL").is_some() {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "{file} is stale; review it and refresh with UPDATE_GRAPHQL=1 cargo test -p bff-web \
             --test api graphql_safety::the_committed"
        );
    }
    let value: Value = serde_json::from_str(bff_web::graphql::persisted::MANIFEST).unwrap();
    assert!(value["operations"].as_array().is_some_and(|o| o.len() >= 2));
}
