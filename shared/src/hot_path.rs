//! The client of each BFF's hot-path budget test (feature `test-helpers`).
//!
//! A timed test on a shared machine measures the neighbours; the number of heap allocations a
//! screen request makes does not depend on them, and it moves with almost every cost the hot
//! path has (copies of upstream answers, per-request strings, boxed futures, header maps). The
//! test binary counts allocations per thread (`allocation-counter`), runs the app and this
//! client on one current-thread runtime (the upstreams on another runtime's threads,
//! uncounted), and divides by the requests made.

use std::future::Future;

use axum::Router;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::screen_cache::ScreenCacheSettings;
use crate::upstream::UpstreamsSettings;

/// A keep-alive HTTP/1.1 client on one connection: the least a client can allocate, so the
/// count is the server's.
pub struct Probe {
    stream: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
}

impl Probe {
    /// Connects to `address` (`http://host:port` or `host:port`).
    pub async fn connect(address: &str) -> std::io::Result<Self> {
        let stream = TcpStream::connect(address.trim_start_matches("http://")).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            line: String::with_capacity(256),
            body: Vec::with_capacity(64 * 1024),
        })
    }

    /// GETs `path`, or POSTs `json` to it, with `headers` (`Name: value` lines); reads the whole
    /// answer and returns its status and body length.
    pub async fn send(
        &mut self,
        path: &str,
        json: Option<&str>,
        headers: &str,
    ) -> std::io::Result<(u16, usize)> {
        let request = match json {
            None => format!("GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n"),
            Some(body) => format!(
                "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\n{headers}\r\n{body}",
                body.len()
            ),
        };
        self.stream.get_mut().write_all(request.as_bytes()).await?;
        let mut status = 0;
        let mut length = 0;
        loop {
            self.line.clear();
            if self.stream.read_line(&mut self.line).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(code) = line.strip_prefix("HTTP/1.1 ") {
                status = code.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            } else if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        self.body.resize(length, 0);
        self.stream.read_exact(&mut self.body).await?;
        Ok((status, length))
    }

    /// Sends each of `requests` in turn; panics unless each answers 200.
    pub async fn send_all(&mut self, requests: &[ScreenRequest], headers: &str) {
        for (path, json) in requests {
            let answer = self.send(path, json.as_deref(), headers).await;
            assert!(matches!(answer, Ok((200, _))), "{path} answered {answer:?}");
        }
    }
}

/// One screen's budget: its path for the `n`th resource, the upstream calls a cold request
/// needs, and the most heap allocations per request, cold and cached. Cold, the screen is
/// requested for [`REQUESTS`] different resources (`path(1)`, `path(2)`, ...); cached, for
/// `path(1)` again and again.
pub struct ScreenBudget {
    /// E.g. `product`.
    pub name: &'static str,
    /// The path of the screen for resource `n`; the same path whatever `n` for a screen of one
    /// resource (home).
    pub path: fn(u32) -> String,
    /// For a screen asked for by POST (a GraphQL query): the JSON body for resource `n`.
    pub json: Option<fn(u32) -> String>,
    /// Upstream calls per cold request (a cached one makes none).
    pub cold_calls: f64,
    /// Most allocations per cold request.
    pub cold_allocations: f64,
    /// Most allocations per cached request.
    pub cached_allocations: f64,
}

/// A request of a screen: its path, and the JSON body it is POSTed with, if any.
pub type ScreenRequest = (String, Option<String>);

/// Requests per screen and state (cold, cached).
pub const REQUESTS: u32 = 20;

impl ScreenBudget {
    /// Requested with every cache off: a different resource each time.
    fn cold_requests(&self) -> Vec<ScreenRequest> {
        (1..=REQUESTS).map(|n| self.request(n)).collect()
    }

    fn request(&self, n: u32) -> ScreenRequest {
        ((self.path)(n), self.json.map(|json| json(n)))
    }

    /// Requested with every cache on, after warm-up: one resource again and again.
    fn cached_requests(&self) -> Vec<ScreenRequest> {
        vec![self.request(1); REQUESTS as usize]
    }
}

/// Turns every cache of a BFF on or off: each upstream's answer cache and the screen cache.
pub fn set_caches(
    upstreams: &mut UpstreamsSettings,
    screen_cache: &mut ScreenCacheSettings,
    enabled: bool,
) {
    for upstream in upstreams.all_mut() {
        upstream.cache.enabled = enabled;
    }
    screen_cache.enabled = enabled;
}

/// The `serve` of [`check_budgets`]: the app `build` makes from `settings`, served on the
/// current runtime; its address.
pub fn serve<S, F>(build: fn(S) -> F, settings: S) -> BoxFuture<'static, String>
where
    F: Future<Output = anyhow::Result<Router>> + Send + 'static,
{
    let app = build(settings);
    async move { crate::test_server::serve(app.await.expect("the app builds")).await }.boxed()
}

/// Serves the app cold and then cached (`serve(cached)` starts it on the current runtime and
/// returns its address, e.g. with [`serve`]), requests with `headers` (`Name: value` lines),
/// measures every screen of `budgets` on one current-thread runtime and panics, naming each
/// screen over its budget, when one is. `count_allocations` runs its argument and returns the
/// allocations it made on this thread (the test binary's counting allocator:
/// `allocation_counter::measure`); `take_calls` returns the upstream calls made since it was last
/// called (the upstreams run on another runtime, their allocations uncounted).
pub fn check_budgets(
    budgets: &[ScreenBudget],
    headers: &str,
    serve: impl Fn(bool) -> futures::future::BoxFuture<'static, String>,
    count_allocations: fn(&mut dyn FnMut()) -> u64,
    mut take_calls: impl FnMut() -> usize,
) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut over = Vec::new();
    for cached in [false, true] {
        let mut probe = runtime.block_on(async {
            let address = serve(cached).await;
            Probe::connect(&address).await.expect("the app listens")
        });
        for budget in budgets {
            let (requests, most, calls_needed) = if cached {
                (budget.cached_requests(), budget.cached_allocations, 0.0)
            } else {
                (
                    budget.cold_requests(),
                    budget.cold_allocations,
                    budget.cold_calls,
                )
            };
            // Warm-up: pools, caches, lazily built statics.
            runtime.block_on(probe.send_all(&requests[..requests.len().min(3)], headers));
            take_calls();
            let allocations =
                count_allocations(&mut || runtime.block_on(probe.send_all(&requests, headers)));
            let per_request = |n: f64| n / requests.len() as f64;
            let (allocations, calls) = (
                per_request(allocations as f64),
                per_request(take_calls() as f64),
            );
            let state = if cached { "cached" } else { "cold" };
            eprintln!(
                "{} {state}: {allocations:.1} allocations (budget {most}), {calls} upstream calls per request",
                budget.name
            );
            if allocations > most || calls != calls_needed {
                over.push(format!(
                    "{} {state}: {allocations:.1} allocations (budget {most}), {calls} upstream \
                     calls (needed {calls_needed})",
                    budget.name
                ));
            }
        }
    }
    assert!(over.is_empty(), "over budget: {over:#?}");
}
