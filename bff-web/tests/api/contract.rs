//! The contract: the committed `openapi.json` is what the code generates, `/openapi.json`
//! serves it, and every endpoint's real responses validate against it.

use crate::helpers::spawn_app;

/// Where the document is committed.
const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

#[test]
fn the_committed_openapi_document_is_what_the_code_generates() {
    let generated = bff_web::openapi::json();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "bff-web/openapi.json is not what the code generates; review the change and refresh it \
         with: UPDATE_OPENAPI=1 cargo test -p bff-web --test api contract"
    );
}

#[tokio::test]
async fn openapi_json_is_served_without_csrf_and_cacheable() {
    let app = spawn_app().await;
    let reply = app
        .browser
        .send(
            app.browser
                .request_without_csrf(reqwest::Method::GET, "/openapi.json"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert!(
        reply.cache_control().starts_with("public"),
        "{}",
        reply.cache_control()
    );
    assert_eq!(reply.body, bff_web::openapi::json());
    assert_eq!(reply.json()["openapi"], "3.1.0");
}
