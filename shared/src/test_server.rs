//! Serving an app in a test (feature `test-helpers`): on 127.0.0.1 port 0, until the test's
//! runtime ends, with the shared server loop the binaries use; and reading what it answered:
//! headers, problems and JSON lists, checked the same way by every crate's tests.

use axum::Router;
use reqwest::header::CONTENT_TYPE;
use serde_json::Value;
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

/// A stand-in server of a test (a misbehaving upstream, say): `app` served on a new port with
/// plain `axum::serve`, stopped when dropped.
pub struct StandIn {
    /// Its base URL, `http://127.0.0.1:port`.
    pub url: String,
    task: tokio::task::AbortHandle,
}

impl StandIn {
    /// Serves `app` on a new port.
    pub async fn spawn(app: Router) -> Self {
        let (listener, url) = bind().await;
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .await
                .expect("the stand-in serves");
        })
        .abort_handle();
        Self { url, task }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Identity and forwarding headers a client may forge, each with a value that names another
/// user, host, address or path: a BFF neither trusts nor forwards any of them (each BFF's attack
/// suite adds the credential headers of its own kind of client).
pub const SPOOFING_HEADERS: [(&str, &str); 11] = [
    ("x-user-id", "demo-user-2"),
    ("x-forwarded-user", "demo-user-2"),
    ("x-auth-request-user", "demo-user-2"),
    ("x-forwarded-for", "10.0.0.1"),
    ("x-real-ip", "10.0.0.1"),
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "https"),
    ("forwarded", "for=10.0.0.1;host=evil.example;proto=https"),
    ("x-original-url", "/admin"),
    ("x-http-method-override", "PUT"),
    ("proxy-authorization", "Basic YXR0YWNrZXI6eA=="),
];

/// Sends `count` requests at once (`request(i)` sends the `i`th and returns its status) and
/// asserts that each answered `status`.
pub async fn assert_each_answers<F>(count: usize, request: impl Fn(usize) -> F, status: u16)
where
    F: std::future::Future<Output = u16>,
{
    for answered in futures::future::join_all((0..count).map(request)).await {
        assert_eq!(answered, status);
    }
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

/// Asserts an RFC 9457 problem of `status` whose body and `X-Request-Id` carry the same request
/// id, with a detail, and whose body contains none of `never_echoed` (attacker input must not
/// come back); returns the body.
pub async fn assert_problem(
    response: reqwest::Response,
    status: u16,
    never_echoed: &[&str],
) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("a visible-ASCII request id")
        .to_owned();
    assert!(!request_id.is_empty(), "an empty X-Request-Id");
    let text = response.text().await.expect("a readable body");
    // The request id is random hex: leave it out of the search for echoed input.
    let searched = text.replace(&request_id, "");
    for input in never_echoed {
        assert!(
            !searched.contains(input),
            "the problem echoes {input:?}: {text}"
        );
    }
    let body: Value = serde_json::from_str(&text).expect("a JSON problem");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    body
}

/// The `field` of each element of the JSON array `list`, in order (`each_str(&page["items"],
/// "id")`); panics naming what is not there.
pub fn each_str<'a>(list: &'a Value, field: &str) -> Vec<&'a str> {
    elements(list)
        .map(|element| {
            element[field]
                .as_str()
                .unwrap_or_else(|| panic!("no string {field:?} in {element}"))
        })
        .collect()
}

/// The `field` of each element of the JSON array `list` as a whole number, in order.
pub fn each_u64(list: &Value, field: &str) -> Vec<u64> {
    elements(list)
        .map(|element| {
            element[field]
                .as_u64()
                .unwrap_or_else(|| panic!("no whole number {field:?} in {element}"))
        })
        .collect()
}

/// `(product_id, quantity)` of each line of a cart, as the accounts upstream and both BFFs
/// answer it (`{"items": [{"product_id": …, "quantity": …}, …]}`).
pub fn cart_lines(cart: &Value) -> Vec<(String, u64)> {
    let ids = each_str(&cart["items"], "product_id");
    let quantities = each_u64(&cart["items"], "quantity");
    ids.into_iter().map(str::to_owned).zip(quantities).collect()
}

fn elements(list: &Value) -> std::slice::Iter<'_, Value> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = format!("http://{}", listener.local_addr().expect("a bound address"));
    (listener, address)
}
