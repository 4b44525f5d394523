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

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("connect to the server")
}
