//! `load-check`: load and resource-limit checks against a running BFF, through its port only.
//!
//! Each subcommand attacks or loads the BFF the way the hardening list says, prints its
//! figures as Markdown table rows (`| check | figure | value |`) on stdout so that
//! `scripts/hardening.sh` can collect them, prints progress on stderr, and exits non-zero when
//! one of its assertions fails.
//!
//! # Layout
//! - [`idle`]: thousands of keep-alive connections held open, and what they cost the server.
//! - [`slowloris`]: connections trickling header bytes while a normal client measures latency.
//! - [`oversize`]: oversized heads, headers, bodies and query strings.
//! - [`silent`]: connections that never send a complete request, and a flood of them.
//! - [`chaos`]: steady screen traffic while the demo upstreams' faults switch at random.
//! - [`stream`]: steady traffic until told to stop, counting every lost request.
//! - [`raw`], [`stats`]: a minimal HTTP/1.1 exchange over a socket; percentiles and `/proc`.

// A command-line report: printing its figures is its job.
#![allow(clippy::print_stdout)]

mod chaos;
mod idle;
mod oversize;
mod raw;
mod silent;
mod slowloris;
mod stats;
mod stream;

use std::sync::OnceLock;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about)]
struct Cli {
    /// The name in the report's first column (default: the subcommand's), e.g. `chaos (web)`.
    #[arg(long, global = true)]
    label: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open and hold N keep-alive connections (one request each, then idle).
    Idle(idle::Args),
    /// Many connections trickling header bytes while a normal client measures latency.
    Slowloris(slowloris::Args),
    /// Oversized header block, header, bodies and query string.
    Oversize(oversize::Args),
    /// Silent connections (nothing, half an HTTP/2 preface, ...) closed; /healthz under a flood.
    Silent(silent::Args),
    /// Steady screen traffic while upstream faults switch at random.
    Chaos(chaos::Args),
    /// A steady stream of requests until a stop file appears (for rolling restarts).
    Stream(stream::Args),
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Some(label) = cli.label {
        let _ = LABEL.set(label);
    }
    let outcome = match cli.command {
        Command::Idle(args) => idle::run(args).await,
        Command::Slowloris(args) => slowloris::run(args).await,
        Command::Oversize(args) => oversize::run(args).await,
        Command::Silent(args) => silent::run(args).await,
        Command::Chaos(args) => chaos::run(args).await,
        Command::Stream(args) => stream::run(args).await,
    };
    if let Err(error) = outcome {
        eprintln!("load-check: FAILED: {error:#}");
        std::process::exit(1);
    }
}

/// `--label`, when given.
static LABEL: OnceLock<String> = OnceLock::new();

/// Prints one figure as a Markdown table row.
fn row(check: &str, figure: &str, value: impl std::fmt::Display) {
    let check = LABEL.get().map_or(check, String::as_str);
    println!("| {check} | {figure} | {value} |");
}

/// Parses `500ms`, `30s`, `2m` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, "s"), |at| text.split_at(at));
    let number: u64 = number.parse().map_err(|_| format!("bad duration {text}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(number)),
        "s" => Ok(Duration::from_secs(number)),
        "m" => Ok(Duration::from_secs(number * 60)),
        _ => Err(format!("bad duration unit in {text} (ms, s or m)")),
    }
}
