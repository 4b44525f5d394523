//! A provider whose issuer URL only browsers can reach (`http://localhost:7000` published by
//! Docker) is reached by the BFF through its backchannel URL (`http://dev-idp:7000`).

use axum::Json;
use axum::Router;
use axum::routing::get;
use shared::auth::provider::ProviderMetadata;
use url::Url;

const ISSUER: &str = "http://idp.browser-only.invalid";

#[tokio::test]
async fn discovery_through_the_backchannel_keeps_the_issuer_and_rewrites_server_endpoints() {
    let document = serde_json::json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/authorize"),
        "token_endpoint": format!("{ISSUER}/token"),
        "jwks_uri": format!("{ISSUER}/jwks"),
        "revocation_endpoint": format!("{ISSUER}/revoke"),
        "end_session_endpoint": format!("{ISSUER}/end_session"),
        "code_challenge_methods_supported": ["S256"],
    });
    let app = Router::new().route(
        "/.well-known/openid-configuration",
        get(move || async move { Json(document.clone()) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let backchannel: Url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));

    let http = reqwest::Client::new();
    let timeout = std::time::Duration::from_secs(2);
    let metadata =
        ProviderMetadata::discover_via(&http, ISSUER, Some(&backchannel), 65536, timeout)
            .await
            .unwrap();
    let base = backchannel.as_str().trim_end_matches('/');
    assert_eq!(metadata.issuer, ISSUER);
    assert_eq!(metadata.jwks_uri.as_str(), format!("{base}/jwks"));
    for (name, endpoint, expected) in [
        ("token", metadata.token_endpoint, format!("{base}/token")),
        (
            "revocation",
            metadata.revocation_endpoint,
            format!("{base}/revoke"),
        ),
        // What the browser is sent to stays on the published issuer.
        (
            "authorization",
            metadata.authorization_endpoint,
            format!("{ISSUER}/authorize"),
        ),
        (
            "end_session",
            metadata.end_session_endpoint,
            format!("{ISSUER}/end_session"),
        ),
    ] {
        assert_eq!(endpoint.expect(name).as_str(), expected, "{name}");
    }

    // Without the backchannel the issuer's host is unreachable from here.
    assert!(
        ProviderMetadata::discover(&http, ISSUER, 65536, timeout)
            .await
            .is_err()
    );
}
