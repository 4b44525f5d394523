//! Serving an app in a test (feature `test-helpers`): on 127.0.0.1 port 0, until the test's
//! runtime ends, with the shared server loop the binaries use; and reading what it answered.

use axum::Router;
use tokio::net::TcpListener;

/// Serves `app` ([`crate::server::serve`]) on a new port; returns its base URL.
pub async fn serve(app: Router) -> String {
    let (listener, address) = bind().await;
    tokio::spawn(crate::server::serve(listener, app, std::future::pending()));
    address
}

/// Serves the admin listener ([`crate::server::serve_admin`]: `routes` and `/metrics`) on a new
/// port; returns its base URL.
pub async fn serve_admin(routes: Router) -> String {
    let (listener, address) = bind().await;
    tokio::spawn(crate::server::serve_admin(
        listener,
        routes,
        std::future::pending(),
    ));
    address
}

/// The `Cache-Control` of a response ("" when absent).
pub fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CACHE_CONTROL)
        .map(|v| {
            v.to_str()
                .expect("a visible-ASCII Cache-Control")
                .to_owned()
        })
        .unwrap_or_default()
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("a bound address"));
    (listener, address)
}
