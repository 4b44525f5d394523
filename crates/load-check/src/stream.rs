//! A steady stream of requests until a stop file appears: what a rolling restart must not
//! disturb. Every answer must be a JSON 200; anything else counts as lost.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::ensure;
use rand::seq::IndexedRandom;
use tokio::sync::Mutex;

use crate::chaos::{classify, client_with_headers, fill};
use crate::row;
use crate::stats::{Latencies, ms};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The base URL (the load balancer).
    #[arg(long)]
    target: String,
    /// Paths to request; `{id}` becomes a random product id, `{q}` a random search word.
    #[arg(long = "path", required = true)]
    paths: Vec<String>,
    /// Extra header on every request (`Name: value`).
    #[arg(long)]
    header: Vec<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Pause between two requests of one client.
    #[arg(long, default_value = "10ms", value_parser = crate::parse_duration)]
    pause: Duration,
    /// The stream stops once this file exists.
    #[arg(long)]
    stop_file: PathBuf,
    /// Stop after this long at the latest.
    #[arg(long, default_value = "10m", value_parser = crate::parse_duration)]
    max_duration: Duration,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = client_with_headers(&args.header, Duration::from_secs(15))?;
    let deadline = Instant::now() + args.max_duration;
    let tally = Arc::new(Mutex::new((
        BTreeMap::<String, u64>::new(),
        Latencies::default(),
    )));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..args.clients.max(1) {
        let (client, tally, paths, target, stop, pause) = (
            client.clone(),
            Arc::clone(&tally),
            args.paths.clone(),
            args.target.clone(),
            args.stop_file.clone(),
            args.pause,
        );
        clients.push(tokio::spawn(async move {
            while Instant::now() < deadline && !stop.exists() {
                let path = fill(paths.choose(&mut rand::rng()).map_or("/", String::as_str));
                let sent = Instant::now();
                let kind = classify(&client, &format!("{target}{path}")).await;
                if kind != "200 json" {
                    eprintln!("stream: {path}: {kind}");
                }
                let mut tally = tally.lock().await;
                tally.1.push(sent.elapsed());
                *tally.0.entry(kind).or_default() += 1;
                drop(tally);
                tokio::time::sleep(pause).await;
            }
        }));
    }
    for task in clients {
        task.await?;
    }
    let mut tally = tally.lock().await;
    let total: u64 = tally.0.values().sum();
    let ok = tally.0.get("200 json").copied().unwrap_or(0);
    row(
        "stream",
        "duration / clients",
        format!("{}s / {}", started.elapsed().as_secs(), args.clients),
    );
    row("stream", "requests sent", total);
    row("stream", "answered 200", ok);
    for (kind, count) in tally.0.iter().filter(|(k, _)| *k != "200 json") {
        row("stream", &format!("lost: {kind}"), count);
    }
    row("stream", "requests failed", total - ok);
    let (p50, p99) = (tally.1.quantile(0.5), tally.1.quantile(0.99));
    row(
        "stream",
        "latency p50 / p99",
        format!("{} / {}", ms(p50), ms(p99)),
    );
    ensure!(total > 0, "no request was sent");
    ensure!(ok == total, "{} of {total} requests failed", total - ok);
    Ok(())
}
