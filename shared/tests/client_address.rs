//! Who the client is: behind a trusted proxy, the right-most untrusted hop of `Forwarded` (else
//! `X-Forwarded-For`), one address for the rate limit and the access log alike.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::routing::get;
use shared::server::ServerSettings;
use tracing_subscriber::fmt::MakeWriter;

/// Log output, collected.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Logs {
    type Writer = Logs;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The process's log output: a global subscriber, so that every thread's events are seen.
fn logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .init();
        logs
    })
}

/// One request a second, no burst, behind `trusted_proxies`.
fn limited(trusted_proxies: &[&str]) -> ServerSettings {
    serde_json::from_value(serde_json::json!({
        "host": "127.0.0.1", "port": 0, "request_timeout": "2s", "header_read_timeout": "2s",
        "shutdown_grace": "1s", "max_body_bytes": 1024, "max_header_bytes": 8192,
        "compression_min_bytes": 1024,
        "rate_limit": {"per_second": 1, "burst": 1, "trusted_proxies": trusted_proxies}
    }))
    .unwrap()
}

async fn spawn(settings: &ServerSettings) -> String {
    let app = shared::server::stack(Router::new().route("/ok", get(|| async { "ok" })), settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    base
}

/// The status of GET `/ok` with these headers.
async fn status(base: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new().get(format!("{base}/ok"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_forwarded_names_the_client_of_the_rate_limit_and_the_access_log() {
    let logs = logs();
    // The test client plays the load balancer at 127.0.0.1.
    let base = spawn(&limited(&["127.0.0.0/8"])).await;

    let ada = [
        (
            "forwarded",
            "for=198.51.100.1, for=\"203.0.113.7:4711\";proto=https",
        ),
        ("x-forwarded-for", "192.0.2.99"),
    ];
    assert_eq!(status(&base, &ada).await, 200);
    assert_eq!(status(&base, &ada).await, 429, "Forwarded names the client");
    let bob = [("forwarded", "for=\"[2001:db8::b0b]\"")];
    assert_eq!(
        status(&base, &bob).await,
        200,
        "another client has its own share"
    );

    let logs = logs.text();
    assert_eq!(logs.matches("client=203.0.113.7").count(), 2, "{logs}");
    assert_eq!(logs.matches("client=2001:db8::b0b").count(), 1, "{logs}");
    for never in ["198.51.100.1", "192.0.2.99"] {
        assert!(!logs.contains(never), "{never} believed: {logs}");
    }
}

#[tokio::test]
async fn forwarded_from_a_peer_that_is_not_a_trusted_proxy_is_ignored() {
    let base = spawn(&limited(&[])).await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let forwarded = format!("for=203.0.113.{i}");
        statuses.push(status(&base, &[("forwarded", &forwarded)]).await);
    }
    assert_eq!(statuses, [200, 429, 429]);
}
