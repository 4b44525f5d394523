//! A raw TCP client for the attack suites (feature `test-helpers`): bytes no HTTP client would
//! send, and what the server did with the connection, so each BFF's suite probes the shared
//! connection handling without its own copy of the socket code.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Sends `bytes` on a new connection to `address` (`http://host:port`) and returns how long the
/// server took to close it; panics when it is still open after `limit`.
pub async fn closed_after_sending(address: &str, bytes: &[u8], limit: Duration) -> Duration {
    let mut stream = connect(address).await;
    stream.write_all(bytes).await.expect("write to the server");
    let started = Instant::now();
    let closed = tokio::time::timeout(limit, async {
        let mut buffer = [0_u8; 1024];
        while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
    })
    .await;
    assert!(
        closed.is_ok(),
        "still open after {limit:?} having sent {bytes:?}"
    );
    started.elapsed()
}

/// Sends `request` on a new connection to `address` and returns what came back until the server
/// closed the connection or `wait` passed (the server may close before reading it all).
pub async fn exchange(address: &str, request: &[u8], wait: Duration) -> String {
    let mut stream = connect(address).await;
    let _ = stream.write_all(request).await;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(wait, stream.read_to_end(&mut received)).await;
    String::from_utf8_lossy(&received).into_owned()
}

/// Sends `head` (the request line and headers, each line ending in CRLF; `Host` and
/// `Connection: close` are added) and then `body`, as given, on a new connection to `address`,
/// and reads until the server closes it; panics when it has not after 10 s. The server may close
/// early (a refusal), so write errors are ignored. Returns the answer's status and whole text.
pub async fn request(address: &str, head: &str, body: &[u8]) -> (u16, String) {
    let host = address.trim_start_matches("http://");
    let mut stream = connect(address).await;
    let request = format!("{head}Host: {host}\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(request.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buffer = [0_u8; 8192];
        while let Ok(n) = stream.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 10 s to {head}");
    let text = String::from_utf8_lossy(&received).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    (status, text)
}

/// What each BFF's attack suite asserts of the shared listener at `address`, served with the
/// default 5 s header-read timeout: a connection that sends nothing, or half an HTTP/2 preface,
/// is closed after that timeout (not before 4 s, by 7 s), and a head hyper refuses (a 40 KB
/// header) is answered with a 431 problem.
pub async fn assert_idle_connections_close_and_an_oversized_head_is_a_problem(address: &str) {
    let limit = Duration::from_secs(7);
    let (silent, half_preface) = tokio::join!(
        closed_after_sending(address, b"", limit),
        closed_after_sending(address, b"PRI * HTTP/2.0\r\n", limit),
    );
    assert!(silent >= Duration::from_secs(4), "closed after {silent:?}");
    assert!(half_preface <= limit, "closed after {half_preface:?}");

    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40_000)
    );
    let answer = exchange(address, head.as_bytes(), Duration::from_secs(5)).await;
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert!(
        answer.contains("content-type: application/problem+json"),
        "{answer}"
    );
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body)
        .unwrap_or_default();
    let problem: serde_json::Value = serde_json::from_str(body).expect("a JSON problem");
    assert_eq!(problem["status"], 431, "{answer}");
}

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect to the server")
}
