//! Holds thousands of idle keep-alive connections: each sends one request, reads the answer and
//! stays open. Reports how many the server still holds after the hold time, what they cost it in
//! memory, and how fast it still answers a normal client meanwhile.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::raw::{self, Target};
use crate::row;
use crate::stats::{self, Latencies, mib, ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    conns: usize,
    /// The BFF's base URL.
    #[arg(long)]
    target: String,
    /// The BFF's process id, for its memory (from /proc).
    #[arg(long)]
    pid: Option<u32>,
    /// The path each connection requests once.
    #[arg(long, default_value = "/healthz")]
    path: String,
    /// How long to hold the connections once all are open.
    #[arg(long, default_value = "10s", value_parser = crate::parse_duration)]
    hold: Duration,
    /// Connections being opened at once.
    #[arg(long, default_value_t = 256)]
    parallel: usize,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target::parse(&args.target).await?;
    let before = args.pid.and_then(stats::memory);
    let started = Instant::now();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\n\r\n",
        args.path, target.host
    );
    let opened: Vec<anyhow::Result<TcpStream>> = futures::stream::iter(0..args.conns)
        .map(|_| open(&target, &request))
        .buffer_unordered(args.parallel.max(1))
        .collect()
        .await;
    let open_time = started.elapsed();
    let mut streams = Vec::with_capacity(args.conns);
    let mut first_error = None;
    for outcome in opened {
        match outcome {
            Ok(stream) => streams.push(stream),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    eprintln!(
        "idle: {} of {} connections open after {}",
        streams.len(),
        args.conns,
        ms(open_time)
    );
    if let Some(error) = &first_error {
        eprintln!("idle: first failure: {error:#}");
    }
    let opened_count = streams.len();
    let while_held = args.pid.and_then(stats::memory);

    // A normal client keeps being served while the connections are held.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let mut latencies = Latencies::default();
    let mut normal_failures = 0usize;
    let hold_until = Instant::now() + args.hold;
    while Instant::now() < hold_until {
        let sent = Instant::now();
        match client
            .get(format!("{}{}", args.target, args.path))
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => latencies.push(sent.elapsed()),
            _ => normal_failures += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = streams.iter().filter(|s| is_open(s)).count();
    let after = args.pid.and_then(stats::memory);
    drop(streams);

    row("idle", "connections requested", args.conns);
    row(
        "idle",
        "connections opened (one request each)",
        opened_count,
    );
    row("idle", "time to open them all", ms(open_time));
    row(
        "idle",
        &format!("connections still held after {}s idle", args.hold.as_secs()),
        held,
    );
    row(
        "idle",
        "normal requests meanwhile: ok / failed",
        format!("{} / {normal_failures}", latencies.len()),
    );
    row(
        "idle",
        "normal request p50 / p99 meanwhile",
        latencies.pair_ms(0.5, 0.99),
    );
    if let (Some(before), Some(while_held), Some(after)) = (before, while_held, after) {
        row("idle", "BFF RSS before", mib(before.rss_kib));
        row(
            "idle",
            "BFF RSS holding the connections",
            mib(while_held.rss_kib),
        );
        row("idle", "BFF peak RSS (VmHWM)", mib(after.peak_kib));
        if opened_count > 0 {
            let per = while_held.rss_kib.saturating_sub(before.rss_kib) * 1024
                / u64::try_from(opened_count).unwrap_or(u64::MAX);
            row("idle", "BFF RSS per held connection", format!("{per} B"));
        }
    }
    ensure!(
        opened_count == args.conns,
        "only {opened_count} of {} connections could be opened",
        args.conns
    );
    ensure!(
        held == args.conns,
        "the BFF closed {} of the {} idle connections within {}s",
        args.conns - held,
        args.conns,
        args.hold.as_secs()
    );
    ensure!(
        normal_failures == 0 && latencies.len() > 0,
        "{normal_failures} normal requests failed while the connections were held"
    );
    Ok(())
}

/// Connects, sends one request, reads its 200 answer, and hands back the open connection.
async fn open(target: &Target, request: &str) -> anyhow::Result<TcpStream> {
    let attempt = async {
        let mut stream = TcpStream::connect(target.addr).await.context("connect")?;
        stream
            .write_all(request.as_bytes())
            .await
            .context("write")?;
        let response = raw::read_response(&mut stream)
            .await?
            .context("closed without an answer")?;
        ensure!(response.status == 200, "answered {}", response.status);
        Ok(stream)
    };
    tokio::time::timeout(Duration::from_secs(30), attempt)
        .await
        .context("no answer within 30 s")?
}

/// Whether the peer has not closed the connection (nothing to read, no end of stream).
fn is_open(stream: &TcpStream) -> bool {
    let mut probe = [0u8; 1];
    matches!(stream.try_read(&mut probe), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}
