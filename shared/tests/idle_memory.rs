//! What an idle keep-alive connection holds on the heap, parked and not: counted by the
//! allocator, so the figure does not depend on the machine's load (the RSS of 10,000 idle
//! connections is measured in `bench/`).
//!
//! Its own test binary: `allocation-counter` replaces the binary's global allocator. The server
//! and the clients run on one current-thread runtime on the test's thread, where the counter
//! counts.

mod server_support;

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use shared::server::{ServeOptions, ServerSettings, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Connections held in each measurement.
const CONNECTIONS: usize = 200;
/// The answer's body size: a compact screen's.
const BODY_BYTES: usize = 4000;

/// Heap bytes held per idle connection (server and client side), `park_idle_after` as given.
fn held_per_connection(park_idle_after: Duration) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut settings = ServerSettings {
        park_idle_after,
        ..server_support::local_settings()
    };
    settings.rate_limit.enabled = false;
    let address = runtime.block_on(spawn(settings));
    // Once unmeasured, so that what is allocated once (the runtime's slabs, lazy statics,
    // metric handles) is not counted.
    drop(runtime.block_on(open_idle(&address)));
    // The server ends those connections (and frees what they held) before the count starts.
    runtime.block_on(async { tokio::time::sleep(Duration::from_millis(300)).await });
    let mut held = Vec::new();
    let info = allocation_counter::measure(|| {
        held = runtime.block_on(open_idle(&address));
    });
    assert_eq!(held.len(), CONNECTIONS);
    info.bytes_current as f64 / CONNECTIONS as f64
}

async fn spawn(settings: ServerSettings) -> String {
    let routes = Router::new().route("/screen", get(|| async { "a".repeat(BODY_BYTES) }));
    let app = shared::server::stack(routes, &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let options = ServeOptions::from(&settings);
    tokio::spawn(async move { serve_with(listener, app, &options, std::future::pending()).await });
    address
}

/// [`CONNECTIONS`] connections, each after one request and its whole answer, idle for a while
/// (longer than the parking delay used here).
async fn open_idle(address: &str) -> Vec<TcpStream> {
    let mut streams = Vec::with_capacity(CONNECTIONS);
    let mut answer = vec![0u8; 64 * 1024];
    for _ in 0..CONNECTIONS {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream
            .write_all(b"GET /screen HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut read = 0;
        // The whole answer: its head and a body of the known length (a 200: anything else is
        // shorter and the test ends at the keep-alive timeout).
        while !is_complete(&answer[..read]) {
            let n = stream.read(&mut answer[read..]).await.unwrap();
            assert!(n > 0, "closed before the whole answer");
            read += n;
        }
        streams.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    streams
}

/// Whether `received` is a whole answer: its head and a body of [`BODY_BYTES`].
fn is_complete(received: &[u8]) -> bool {
    let head = received.windows(4).position(|w| w == b"\r\n\r\n");
    head.is_some_and(|head| received.len() == head + 4 + BODY_BYTES)
}

#[test]
fn a_parked_idle_connection_holds_a_fraction_of_what_a_waiting_hyper_connection_holds() {
    let waiting = held_per_connection(Duration::ZERO);
    let parked = held_per_connection(Duration::from_millis(50));
    eprintln!("heap held per idle connection: {waiting:.0} B not parked, {parked:.0} B parked");
    // hyper's two 8 KiB buffers, at least: the measurement sees them.
    assert!(waiting > 16_384.0, "{waiting:.0} B per waiting connection");
    // Measured when set: 20,984 B waiting, 2,224 B parked (the task, the socket's registration
    // and the client's stream). The budget leaves room for library updates.
    assert!(parked < 4_096.0, "{parked:.0} B per parked connection");
}
