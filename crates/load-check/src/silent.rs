//! Connections that never send a complete request: nothing at all, half an HTTP/2 preface, a
//! preface and SETTINGS then silence, an HTTP/2 HEADERS frame never finished. Each kind must be
//! closed by the server within the header-read timeout (plus slack); then a flood of silent
//! connections is held (run the BFF with a low `ulimit -n` for the descriptor-exhaustion form)
//! while a fresh client asks for `/healthz`, which must be answered within the timeout + 2 s.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::raw::{self, Target};
use crate::row;
use crate::stats::ms;

/// The HTTP/2 connection preface.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// An empty SETTINGS frame.
const SETTINGS: &[u8] = &[0, 0, 0, 4, 0, 0, 0, 0, 0];
/// A HEADERS frame on stream 1 (GET http /) without END_HEADERS.
const UNFINISHED_HEADERS: &[u8] = &[0, 0, 3, 1, 0x1, 0, 0, 0, 1, 0x82, 0x86, 0x84];

/// How much later than the timeout a connection may be closed (scheduling, a loaded machine).
const SLACK: Duration = Duration::from_secs(1);

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BFF's base URL.
    #[arg(long)]
    target: String,
    /// The BFF's `server.header_read_timeout`.
    #[arg(long, default_value = "5s", value_parser = crate::parse_duration)]
    header_read_timeout: Duration,
    /// Silent connections held at once while `/healthz` is probed.
    #[arg(long, default_value_t = 220)]
    conns: usize,
    /// The probe's path.
    #[arg(long, default_value = "/healthz")]
    path: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target::parse(&args.target).await?;
    let limit = args.header_read_timeout + SLACK;
    let kinds: [(&str, Vec<u8>); 4] = [
        ("nothing sent", Vec::new()),
        ("half an HTTP/2 preface", PREFACE[..16].to_vec()),
        ("HTTP/2 preface + SETTINGS", [PREFACE, SETTINGS].concat()),
        (
            "HTTP/2 HEADERS without END_HEADERS",
            [PREFACE, SETTINGS, UNFINISHED_HEADERS].concat(),
        ),
    ];
    let closes = futures::future::join_all(
        kinds
            .iter()
            .map(|(_, bytes)| closed_after(&target, bytes, limit)),
    )
    .await;
    let mut failures = Vec::new();
    for ((kind, _), closed) in kinds.iter().zip(closes) {
        match closed {
            Ok(Some(after)) => row("silent", &format!("{kind}: closed after"), ms(after)),
            Ok(None) => {
                row("silent", &format!("{kind}: closed after"), "never");
                failures.push(format!("{kind}: still open after {}", ms(limit)));
            }
            Err(error) => failures.push(format!("{kind}: {error:#}")),
        }
    }

    // The flood: hold many silent connections, then ask for /healthz from a fresh one.
    let started = Instant::now();
    let held: Vec<TcpStream> = futures::stream::iter(0..args.conns)
        .map(|_| TcpStream::connect(target.addr))
        .buffer_unordered(64)
        .filter_map(|c| async { c.ok() })
        .collect()
        .await;
    row(
        "silent",
        "silent connections opened (held by one client)",
        format!("{} of {}", held.len(), args.conns),
    );
    let budget = args.header_read_timeout + Duration::from_secs(2);
    let probed = Instant::now();
    let answered = probe_until_ok(&target, &args.path, budget).await;
    let waited = probed.elapsed();
    row(
        "silent",
        &format!("{} from another connection answered after", args.path),
        answered
            .as_ref()
            .map_or("never".to_owned(), |()| ms(waited)),
    );
    if let Err(error) = answered {
        failures.push(format!(
            "{} not answered 200 within {} while {} silent connections were held: {error:#}",
            args.path,
            ms(budget),
            held.len()
        ));
    }
    let settle = (started + limit).saturating_duration_since(Instant::now());
    tokio::time::sleep(settle).await;
    let still_open = held.iter().filter(|s| is_open(s)).count();
    row(
        "silent",
        &format!(
            "silent connections still open after {}",
            ms(started.elapsed())
        ),
        still_open,
    );
    if still_open > 0 {
        failures.push(format!(
            "{still_open} silent connections still open after {}",
            ms(started.elapsed())
        ));
    }
    ensure!(failures.is_empty(), "{}", failures.join("; "));
    Ok(())
}

/// Sends `bytes` on a new connection and waits for the server to close it: how long that took,
/// or `None` when it was still open after `limit`.
async fn closed_after(
    target: &Target,
    bytes: &[u8],
    limit: Duration,
) -> anyhow::Result<Option<Duration>> {
    let mut stream = TcpStream::connect(target.addr).await.context("connect")?;
    let started = Instant::now();
    stream.write_all(bytes).await.context("write")?;
    let closed = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        while matches!(stream.read(&mut chunk).await, Ok(n) if n > 0) {}
    })
    .await;
    Ok(closed.ok().map(|()| started.elapsed()))
}

/// Asks for `path` on fresh connections until one answers 200, within `budget`; a refusal (503
/// at the connection cap, a reset) is retried after 100 ms.
async fn probe_until_ok(target: &Target, path: &str, budget: Duration) -> anyhow::Result<()> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        target.host
    );
    let attempts = async {
        let mut last = String::from("no attempt");
        loop {
            let attempt = async {
                let mut stream = TcpStream::connect(target.addr).await?;
                stream.write_all(request.as_bytes()).await?;
                raw::read_response(&mut stream).await
            };
            match attempt.await {
                Ok(Some(response)) if response.status == 200 => return last,
                Ok(Some(response)) => last = format!("answered {}", response.status),
                Ok(None) => last = "closed without an answer".to_owned(),
                Err(error) => last = format!("{error:#}"),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    match tokio::time::timeout(budget, attempts).await {
        Ok(_) => Ok(()),
        Err(_) => anyhow::bail!("no 200 within {}", ms(budget)),
    }
}

/// Whether the peer has not closed the connection (nothing to read, no end of stream).
fn is_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
