//! Graceful shutdown of the real binary: SIGTERM arrives while slow requests are in flight, an
//! idle keep-alive connection is open, and a client keeps opening new connections.
//!
//! What a rolling restart relies on: every request the BFF accepted completes with its 200, the
//! idle connection is closed at once (so the process need not wait out the grace period), new
//! connections are refused (the load balancer moves on) rather than accepted and dropped, nothing
//! is cut mid-response, and the process exits 0 well within the grace period.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use demo_upstreams::fault::Fault;
use demo_upstreams::testing::TestUpstreams;
use dev_idp::testing::TestIdp;

/// How long each in-flight request is held up at the catalog.
const UPSTREAM_DELAY: Duration = Duration::from_millis(1200);
/// The BFF's shutdown grace period in this test.
const GRACE: Duration = Duration::from_secs(8);

/// How one request over a fresh connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A complete response with this status (the declared body length arrived).
    Complete(u16),
    /// The connection was refused: the listener is closed.
    Refused,
    /// Accepted, then closed before a single response byte (safe for a client to retry).
    ClosedBeforeResponse,
    /// Response bytes arrived, then the connection ended early.
    Cut(String),
    /// No answer in time.
    Hung,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_requests_refuses_new_connections_and_exits_zero() {
    let idp = TestIdp::spawn().await;
    let upstreams = TestUpstreams::spawn().await;
    let addr = free_addr();
    let log = std::env::temp_dir().join(format!("bff-mobile-shutdown-{}.log", addr.port()));
    let mut bff = spawn_bff(addr, &idp, &upstreams, &log);
    wait_healthy(addr, &mut bff, &log).await;
    upstreams.catalog.set_fault(Fault::Delay(UPSTREAM_DELAY));

    // An idle keep-alive connection, served once.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: bff\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut idle), Outcome::Complete(200));

    // Slow requests (each product page waits for the delayed catalog), in flight at SIGTERM.
    let in_flight: Vec<_> = (1..=6)
        .map(|i| {
            let path = format!("/v1/products/p0000{i}");
            tokio::task::spawn_blocking(move || exchange(addr, &path))
        })
        .collect();
    // A client that keeps opening connections across the shutdown.
    let stream = tokio::task::spawn_blocking(move || {
        let mut outcomes = Vec::new();
        let until = Instant::now() + UPSTREAM_DELAY + Duration::from_secs(2);
        while Instant::now() < until {
            outcomes.push((Instant::now(), exchange(addr, "/healthz")));
            std::thread::sleep(Duration::from_millis(10));
        }
        outcomes
    });
    tokio::time::sleep(UPSTREAM_DELAY / 4).await;

    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &bff.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());

    // The idle connection is closed right away, not kept until the grace period ends.
    idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut byte = [0u8; 1];
    let closed = idle.read(&mut byte);
    assert!(
        matches!(closed, Ok(0))
            || matches!(&closed, Err(e) if e.kind() == ErrorKind::ConnectionReset),
        "the idle keep-alive connection was not closed: {closed:?}"
    );
    assert!(
        signalled.elapsed() < UPSTREAM_DELAY,
        "closing the idle connection took too long"
    );

    // New connections are refused.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        exchange(addr, "/healthz"),
        Outcome::Refused,
        "a connection after SIGTERM was not refused\n{}",
        read_log(&log)
    );

    // Every in-flight request completes.
    for request in in_flight {
        assert_eq!(
            request.await.unwrap(),
            Outcome::Complete(200),
            "an in-flight request did not complete\n{}",
            read_log(&log)
        );
    }

    // The process exits 0 once they are done, well within the grace period.
    let status = wait_exit(&mut bff, GRACE + Duration::from_secs(2));
    let took = signalled.elapsed();
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}\n{}",
        read_log(&log)
    );
    assert!(
        took < UPSTREAM_DELAY + Duration::from_secs(2),
        "exiting took {took:?}: the BFF waited for something other than its in-flight requests"
    );

    // The stream saw answers, then refusals, and never a cut or a hang.
    let outcomes = stream.await.unwrap();
    let before: Vec<_> = outcomes.iter().filter(|(at, _)| *at < signalled).collect();
    assert!(
        before.iter().all(|(_, o)| *o == Outcome::Complete(200)),
        "requests before SIGTERM failed: {before:?}"
    );
    assert!(
        outcomes.iter().any(|(_, o)| *o == Outcome::Refused),
        "the stream never saw a refusal: {outcomes:?}"
    );
    let bad: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| {
            !matches!(
                o,
                Outcome::Complete(200) | Outcome::Refused | Outcome::ClosedBeforeResponse
            )
        })
        .collect();
    assert!(bad.is_empty(), "requests cut or hung: {bad:?}");
    let _ = std::fs::remove_file(&log);
}

fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn spawn_bff(addr: SocketAddr, idp: &TestIdp, upstreams: &TestUpstreams, log: &PathBuf) -> Child {
    let log_file = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_bff-mobile"))
        .env("BFF_MOBILE__SERVER__PORT", addr.port().to_string())
        .env(
            "BFF_MOBILE__SERVER__SHUTDOWN_GRACE",
            format!("{}s", GRACE.as_secs()),
        )
        .env("BFF_MOBILE__SERVER__RATE_LIMIT__ENABLED", "false")
        .env("BFF_MOBILE__SCREENS__PRODUCT", "5s")
        .env("BFF_MOBILE__AUTH__ISSUER", idp.url())
        .env(
            "BFF_MOBILE__UPSTREAMS__CATALOG__URL",
            upstreams.catalog.url(),
        )
        .env("BFF_MOBILE__UPSTREAMS__CATALOG__TIMEOUT", "5s")
        .env("BFF_MOBILE__UPSTREAMS__OFFERS__URL", upstreams.offers.url())
        .env(
            "BFF_MOBILE__UPSTREAMS__REVIEWS__URL",
            upstreams.reviews.url(),
        )
        .env(
            "BFF_MOBILE__UPSTREAMS__RECOMMENDATIONS__URL",
            upstreams.recommendations.url(),
        )
        .env(
            "BFF_MOBILE__UPSTREAMS__ACCOUNTS__URL",
            upstreams.accounts.url(),
        )
        .env("BFF_MOBILE__TELEMETRY__FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .spawn()
        .expect("the bff-mobile binary starts")
}

async fn wait_healthy(addr: SocketAddr, bff: &mut Child, log: &PathBuf) {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if let Some(status) = bff.try_wait().unwrap() {
            panic!("bff-mobile exited with {status}\n{}", read_log(log));
        }
        let probe = tokio::task::spawn_blocking(move || exchange(addr, "/healthz"));
        if probe.await.unwrap() == Outcome::Complete(200) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bff-mobile never became healthy\n{}", read_log(log));
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

fn read_log(log: &PathBuf) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// One `GET` over a fresh connection (`Connection: close`).
fn exchange(addr: SocketAddr, path: &str) -> Outcome {
    let mut stream = match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(e) => return Outcome::Cut(format!("connect: {e}")),
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: bff\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return Outcome::ClosedBeforeResponse;
    }
    read_response(&mut stream)
}

/// Reads one response with a `Content-Length` body.
fn read_response(stream: &mut TcpStream) -> Outcome {
    let mut received = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(head_end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            let length: Option<usize> = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok());
            match length {
                Some(length) if received.len() >= head_end + 4 + length => {
                    return Outcome::Complete(status);
                }
                Some(_) => {}
                None => return Outcome::Cut(format!("no content-length in {head:?}")),
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) if received.is_empty() => return Outcome::ClosedBeforeResponse,
            Ok(0) => return Outcome::Cut(format!("ended after {} bytes", received.len())),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Outcome::Hung;
            }
            Err(e) if received.is_empty() => {
                let _ = e;
                return Outcome::ClosedBeforeResponse;
            }
            Err(e) => return Outcome::Cut(format!("{e} after {} bytes", received.len())),
        }
    }
}
