//! Oversized requests: a header block over the head limit, one huge header, a declared body over
//! the body limit, a chunked body streamed past it, and query strings long and huge. Each must get
//! its 4xx (or a close where HTTP allows no answer) quickly, never echo its input, and leave the
//! BFF healthy.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::raw::{self, Response, Target};
use crate::row;
use crate::stats::ms;

/// Planted in every oversized request: a response that contains it echoed the input.
const MARKER: &str = "OVERSIZEMARKER";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The BFF's base URL.
    #[arg(long)]
    target: String,
    /// The BFF's request head limit (`server.max_header_bytes`).
    #[arg(long, default_value_t = 16 * 1024)]
    max_header_bytes: usize,
    /// The BFF's body limit (`server.max_body_bytes`).
    #[arg(long, default_value_t = 64 * 1024)]
    max_body_bytes: usize,
    /// A route that accepts a POST body.
    #[arg(long, default_value = "/v1/cart/items")]
    post_path: String,
    /// A route that takes a query string.
    #[arg(long, default_value = "/v1/search")]
    search_path: String,
    /// Extra header sent with every request (`Name: value`), e.g. `X-CSRF: 1` for bff-web.
    #[arg(long)]
    header: Vec<String>,
}

/// What came back.
enum Outcome {
    Answered(Response),
    /// The server closed (or reset) the connection without an answer.
    Closed(String),
}

struct Case {
    name: &'static str,
    /// Statuses that pass.
    expect: &'static [u16],
    /// Whether a close without an answer passes (HTTP lets a server drop a request whose head it
    /// refuses to read).
    close_ok: bool,
    head: String,
    /// Body bytes sent after the head, in pieces.
    body: Body,
}

enum Body {
    None,
    Raw(usize),
    Chunked(usize),
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let target = Target::parse(&args.target).await?;
    let extra: String = args.header.iter().map(|h| format!("{h}\r\n")).collect();
    let host = &target.host;
    let filler = |len: usize| MARKER.repeat(len / MARKER.len() + 1)[..len].to_owned();
    let many_headers: String = (0..(args.max_header_bytes * 2 / 1024))
        .map(|i| format!("X-Big-{i}: {}\r\n", filler(1000)))
        .collect();
    // A request head: the request line, `Host`, the extra headers, then `headers` (each with
    // its CRLF) and the blank line.
    let head = |line: &str, headers: &str| {
        format!("{line} HTTP/1.1\r\nHost: {host}\r\n{extra}{headers}\r\n")
    };
    let post = format!("POST {}", args.post_path);
    let json = "Content-Type: application/json\r\n";
    let search = |q_len: usize| format!("GET {}?q={}", args.search_path, filler(q_len));
    let cases = vec![
        Case {
            name: "header block 2x the head limit (1 KiB headers)",
            expect: &[431],
            close_ok: true,
            head: head("GET /healthz", &many_headers),
            body: Body::None,
        },
        Case {
            name: "one header 1.5x the head limit",
            expect: &[431],
            close_ok: true,
            head: head(
                "GET /healthz",
                &format!("X-Huge: {}\r\n", filler(args.max_header_bytes * 3 / 2)),
            ),
            body: Body::None,
        },
        Case {
            name: "Content-Length 100x the body limit",
            expect: &[413],
            close_ok: false,
            head: head(
                &post,
                &format!("{json}Content-Length: {}\r\n", args.max_body_bytes * 100),
            ),
            body: Body::Raw(args.max_body_bytes * 2),
        },
        Case {
            name: "chunked body streamed to 16x the body limit",
            // 413 where the route reads the body; a route that refuses the request first
            // (no credentials) answers its 401 without reading the body at all.
            expect: &[413, 401],
            close_ok: false,
            head: head(&post, &format!("{json}Transfer-Encoding: chunked\r\n")),
            body: Body::Chunked(args.max_body_bytes * 16),
        },
        Case {
            name: "query string 4x the head limit",
            expect: &[414, 431],
            close_ok: true,
            head: head(&search(args.max_header_bytes * 4), ""),
            body: Body::None,
        },
        Case {
            name: "query string within the head limit, q far too long",
            expect: &[400, 414],
            close_ok: false,
            head: head(&search(args.max_header_bytes / 2), ""),
            body: Body::None,
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let started = Instant::now();
        let outcome = tokio::time::timeout(Duration::from_secs(10), exchange(&target, &case))
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 10 s (hang)")));
        let took = ms(started.elapsed());
        let verdict = match &outcome {
            Ok(Outcome::Answered(response)) => judge(&case, response),
            Ok(Outcome::Closed(how)) if case.close_ok => Ok(format!("closed ({how})")),
            Ok(Outcome::Closed(how)) => Err(format!("closed without an answer ({how})")),
            Err(error) => Err(format!("{error:#}")),
        };
        match verdict {
            Ok(what) => row("oversize", case.name, format!("{what} in {took}")),
            Err(why) => {
                row("oversize", case.name, format!("FAIL: {why}"));
                failures.push(format!("{}: {why}", case.name));
            }
        }
    }
    let health = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?
        .get(format!("{}/healthz", args.target))
        .send()
        .await
        .map(|r| r.status().as_u16());
    row(
        "oversize",
        "GET /healthz afterwards",
        match &health {
            Ok(status) => status.to_string(),
            Err(error) => format!("FAIL: {error}"),
        },
    );
    ensure!(
        matches!(health, Ok(200)),
        "the BFF is not healthy afterwards"
    );
    ensure!(failures.is_empty(), "{}", failures.join("; "));
    Ok(())
}

/// A pass says what came back; a failure says why.
fn judge(case: &Case, response: &Response) -> Result<String, String> {
    if !case.expect.contains(&response.status) {
        return Err(format!(
            "answered {} (expected one of {:?})",
            response.status, case.expect
        ));
    }
    if String::from_utf8_lossy(&response.body).contains(MARKER) {
        return Err(format!("{} echoes the request's input", response.status));
    }
    if response.is_problem() {
        Ok(format!("{} problem+json", response.status))
    } else if response.body.is_empty() {
        // hyper answers a head it refused to parse itself, before any middleware: no body.
        Ok(format!(
            "{} (empty body, from the HTTP layer)",
            response.status
        ))
    } else {
        Err(format!(
            "{} with a body that is not a problem ({:?})",
            response.status,
            response.header("content-type")
        ))
    }
}

/// Sends the case while reading: the server may answer (and close) before the request is all
/// sent, and that answer is what counts.
async fn exchange(target: &Target, case: &Case) -> anyhow::Result<Outcome> {
    let stream = TcpStream::connect(target.addr).await.context("connect")?;
    let (mut reader, mut writer) = stream.into_split();
    let head = case.head.clone();
    let body = match case.body {
        Body::None => None,
        Body::Raw(len) => Some((len, false)),
        Body::Chunked(len) => Some((len, true)),
    };
    let sender = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        if let Some((len, chunked)) = body {
            let piece = MARKER.repeat(8192 / MARKER.len());
            let mut sent = 0;
            while sent < len {
                if chunked {
                    let frame = format!("{:x}\r\n{piece}\r\n", piece.len());
                    writer.write_all(frame.as_bytes()).await?;
                } else {
                    writer.write_all(piece.as_bytes()).await?;
                }
                sent += piece.len();
                tokio::task::yield_now().await;
            }
            if chunked {
                writer.write_all(b"0\r\n\r\n").await?;
            }
        }
        // Keep the write half open until the answer is read (the task is aborted then):
        // dropping it would half-close the connection, and a server that, like hyper by
        // default, takes a half-close for a client gone closes without answering.
        std::future::pending::<()>().await;
        Ok::<(), std::io::Error>(())
    });
    let outcome = match raw::read_response(&mut reader).await {
        Ok(Some(response)) => Outcome::Answered(response),
        Ok(None) => Outcome::Closed("end of stream".to_owned()),
        Err(error) => match error.downcast_ref::<std::io::Error>() {
            Some(io) => Outcome::Closed(format!("{:?}", io.kind())),
            None => bail!(error),
        },
    };
    sender.abort();
    Ok(outcome)
}
