//! Connections that never finish a request: each kind is closed within `header_read_timeout`,
//! idle keep-alive has its own timeout, the connection cap refuses and counts, cleartext HTTP/2 is
//! served only when asked, and hyper's own refusals are problems.

mod server_support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use shared::server::{ServeOptions, ServerSettings, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(300);
/// Idle connections are parked after this (below the header-read timeout, so that the
/// keep-alive tests also cover parked connections).
const PARK_IDLE_AFTER: Duration = Duration::from_millis(150);
/// Scheduling slack on a loaded two-core machine.
const SLACK: Duration = Duration::from_millis(700);

/// The HTTP/2 connection preface, and its first 16 bytes (what looks like an HTTP/1 request line).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame.
const SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];
/// A HEADERS frame on stream 1 (GET http /) without END_HEADERS: CONTINUATION must follow.
const UNFINISHED_HEADERS: &[u8] = &[0, 0, 3, 1, 0x1, 0, 0, 0, 1, 0x82, 0x86, 0x84];

fn settings() -> ServerSettings {
    ServerSettings {
        request_timeout: Duration::from_secs(2),
        header_read_timeout: HEADER_READ_TIMEOUT,
        keep_alive_timeout: Duration::from_secs(2),
        park_idle_after: PARK_IDLE_AFTER,
        ..server_support::local_settings()
    }
}

fn h2c() -> ServerSettings {
    ServerSettings {
        http2_cleartext: true,
        ..settings()
    }
}

/// Serves a small app with `settings`; returns its address (`127.0.0.1:port`).
async fn spawn(settings: ServerSettings) -> String {
    spawn_until(settings, std::future::pending()).await.0
}

/// [`spawn`], shutting down when `shutdown` resolves; also returns the server's task.
async fn spawn_until(
    settings: ServerSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let routes = Router::new().route("/ok", get(|| async { "ok" }));
    let app = shared::server::stack(routes, &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions::from(&settings);
    let server = tokio::spawn(async move { serve_with(listener, app, &options, shutdown).await });
    (addr.to_string(), server)
}

/// Connects and sends `bytes` (possibly none).
async fn connect_sending(addr: &str, bytes: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// A connection that has had one `GET /ok` answered 200, now idle.
async fn after_one_request(addr: &str) -> TcpStream {
    let mut stream = connect_sending(addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut answer = [0u8; 1024];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
    stream
}

/// Reads until the server closes the connection; how long that took from `since` and what it
/// sent. Panics when it is still open after `limit`.
async fn closed_by_server(
    stream: &mut TcpStream,
    since: Instant,
    limit: Duration,
    what: &str,
) -> (Duration, Vec<u8>) {
    let mut received = Vec::new();
    let read = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "{what}: still open after {limit:?}, having sent {:?}",
        String::from_utf8_lossy(&received)
    );
    (since.elapsed(), received)
}

/// Asserts the server closes a connection that sent `sent` after `header_read_timeout` (or, for
/// what the HTTP/1-only port refuses as malformed, sooner), not later.
async fn assert_closed_within_header_read_timeout(settings: ServerSettings, sent: &[&[u8]]) {
    let refused_at_once = !settings.http2_cleartext && !sent.is_empty();
    let addr = spawn(settings).await;
    let started = Instant::now();
    let mut stream = connect_sending(&addr, &sent.concat()).await;
    let what = format!(
        "after sending {:?}",
        String::from_utf8_lossy(&sent.concat())
    );
    let (after, _) =
        closed_by_server(&mut stream, started, HEADER_READ_TIMEOUT + SLACK, &what).await;
    assert!(
        refused_at_once || after >= HEADER_READ_TIMEOUT - Duration::from_millis(50),
        "{what}: closed after {after:?}, before the timeout"
    );
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_read_timeout() {
    assert_closed_within_header_read_timeout(settings(), &[]).await;
    assert_closed_within_header_read_timeout(h2c(), &[]).await;
}

#[tokio::test]
async fn half_an_http2_preface_is_closed_after_the_header_read_timeout() {
    assert_closed_within_header_read_timeout(settings(), &[&PREFACE[..16]]).await;
    assert_closed_within_header_read_timeout(h2c(), &[&PREFACE[..16]]).await;
}

#[tokio::test]
async fn an_http2_preface_and_settings_then_silence_is_closed_after_the_header_read_timeout() {
    assert_closed_within_header_read_timeout(h2c(), &[PREFACE, SETTINGS]).await;
}

#[tokio::test]
async fn http2_headers_never_finished_are_closed_after_the_header_read_timeout() {
    assert_closed_within_header_read_timeout(h2c(), &[PREFACE, SETTINGS, UNFINISHED_HEADERS]).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_has_its_own_timeout_and_a_next_head_the_header_read_one() {
    let addr = spawn(settings()).await;
    let request = b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut stream = after_one_request(&addr).await;
    let mut answer = [0u8; 1024];
    // Idle for longer than the header-read timeout: still open (keep-alive is 2 s).
    tokio::time::sleep(HEADER_READ_TIMEOUT * 3).await;
    stream.write_all(request).await.unwrap();
    let n = stream.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "the idle connection was closed before its keep-alive timeout"
    );
    // Idle past the keep-alive timeout: closed.
    let idle_since = Instant::now();
    let (after, _) =
        closed_by_server(&mut stream, idle_since, Duration::from_secs(4), "idle").await;
    assert!(
        after >= Duration::from_millis(1900),
        "closed after {after:?}"
    );

    // A next head started but never finished is cut after the header-read timeout.
    let mut stream = connect_sending(&addr, request).await;
    let _ = stream.read(&mut answer).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    closed_by_server(
        &mut stream,
        started,
        HEADER_READ_TIMEOUT + SLACK,
        "an unfinished second head",
    )
    .await;
}

#[tokio::test]
async fn a_parked_connection_serves_its_next_request_and_the_bytes_read_ahead() {
    // The bytes read ahead start the header-read timeout when the connection is parked: longer
    // here than the wait.
    let addr = spawn(ServerSettings {
        header_read_timeout: Duration::from_secs(5),
        ..settings()
    })
    .await;
    let parked_before = metric_total("http_connections_parked_total");
    // A request and the start of a pipelined second one: the connection is parked between
    // them, with hyper holding the second's first bytes.
    let mut stream = connect_sending(&addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /ok HT").await;
    let mut answer = [0u8; 1024];
    let n = stream.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
    tokio::time::sleep(PARK_IDLE_AFTER * 4).await;
    assert!(
        metric_total("http_connections_parked_total") > parked_before,
        "no connection was parked"
    );
    stream
        .write_all(b"TP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = stream.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer[..n])
    );
    // Parked again, and a third request on the same connection.
    tokio::time::sleep(PARK_IDLE_AFTER * 4).await;
    stream
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let n = stream.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
}

#[tokio::test]
async fn a_parked_connection_keeps_the_header_read_timeout_for_its_next_head() {
    let addr = spawn(settings()).await;
    let mut stream = after_one_request(&addr).await;
    tokio::time::sleep(PARK_IDLE_AFTER * 3).await;
    stream.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    let started = Instant::now();
    let (after, _) = closed_by_server(
        &mut stream,
        started,
        HEADER_READ_TIMEOUT + SLACK,
        "an unfinished head after parking",
    )
    .await;
    assert!(
        after >= HEADER_READ_TIMEOUT - Duration::from_millis(50),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn shutdown_closes_a_parked_connection_at_once_and_ends_without_waiting_for_it() {
    let settings = ServerSettings {
        shutdown_grace: Duration::from_secs(10),
        ..settings()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (addr, server) = spawn_until(settings, async move {
        let _ = stopped.await;
    })
    .await;
    let mut stream = after_one_request(&addr).await;
    tokio::time::sleep(PARK_IDLE_AFTER * 3).await;

    let signalled = Instant::now();
    stop.send(()).unwrap();
    closed_by_server(
        &mut stream,
        signalled,
        SLACK,
        "a parked connection at shutdown",
    )
    .await;
    tokio::time::timeout(SLACK, server)
        .await
        .expect("the server waited for its parked connection")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn http2_cleartext_is_served_only_when_the_setting_asks() {
    let off = spawn(settings()).await;
    let on = spawn(h2c()).await;
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let response = client.get(format!("http://{on}/ok")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    assert_eq!(response.text().await.unwrap(), "ok");
    assert!(
        client.get(format!("http://{off}/ok")).send().await.is_err(),
        "cleartext HTTP/2 was served with http2_cleartext = false"
    );
    // Off: the preface is refused at once, without a SETTINGS frame.
    let started = Instant::now();
    let mut stream = connect_sending(&off, &[PREFACE, SETTINGS].concat()).await;
    let (after, received) =
        closed_by_server(&mut stream, started, SLACK, "a preface to an HTTP/1 port").await;
    assert!(after < HEADER_READ_TIMEOUT, "closed only after {after:?}");
    assert!(
        received.get(3) != Some(&4),
        "answered with a SETTINGS frame"
    );
}

#[tokio::test]
async fn connections_over_the_cap_are_answered_503_and_counted() {
    let addr = spawn(ServerSettings {
        max_connections: Some(2),
        header_read_timeout: Duration::from_secs(3),
        ..settings()
    })
    .await;
    let refused_before = metric_total("http_connections_refused_total");
    let held = [
        connect_sending(&addr, b"").await,
        connect_sending(&addr, b"").await,
    ];
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = connect_sending(&addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (_, received) = closed_by_server(&mut third, Instant::now(), SLACK, "over the cap").await;
    let answer = String::from_utf8_lossy(&received);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    assert!(answer.contains("retry-after: 1"), "{answer}");
    assert!(answer.contains("\"status\":503"), "{answer}");
    assert!(metric_total("http_connections_refused_total") > refused_before);
    // A slot comes back when a connection closes.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect_sending(&addr, b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let mut answer = [0u8; 64];
    let n = fourth.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200"));
}

/// A counter's total over its labels, from the process's recorder (what `/metrics` renders).
fn metric_total(name: &str) -> u64 {
    shared::metrics::handle()
        .render()
        .lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test]
async fn hyper_s_own_refusals_of_a_head_are_problems() {
    let addr = spawn(settings()).await;
    let huge = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let cases: [(&[u8], &str); 3] = [
        (huge.as_bytes(), "431"),
        (b"GET /ok HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "400"),
        (b"G\x01T / HTTP/1.1\r\nHost: x\r\n\r\n", "400"),
    ];
    for (request, status) in cases {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        let _ = stream.write_all(request).await;
        let (_, received) = closed_by_server(&mut stream, Instant::now(), SLACK, status).await;
        let answer = String::from_utf8_lossy(&received);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{answer}"
        );
        assert!(
            answer.contains("content-type: application/problem+json"),
            "{answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["status"].to_string(), status, "{answer}");
        assert!(problem["detail"].is_string());
    }
}
