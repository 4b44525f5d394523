//! The floor of the benchmark: a screen's upstream calls issued directly against the upstreams,
//! with the same concurrency and dependencies as the BFF screen (independent calls at once; the
//! calls that need the ids of another call after it), by a minimal client: keep-alive HTTP/1.1
//! (hyper), bodies read in full and thrown away (no JSON decoding, no response to build).
//! The ids the dependent calls need are looked up once before the run, so the run decodes nothing.
//!
//! ```text
//! floor-client --screen mobile-product|web-product|mobile-home|web-home
//!              [--ids p00042 | --ids rotate:2000]   product screens: one id, or p00001..pNNNNN in turn
//!              [--connections 64] [--duration 10] [--warmup 2]
//!              [--mode screen|calls]                 calls: one at a time, latency per call (1 connection)
//!              [--measure-pid PID]                   CPU time of this process (the upstreams) per screen
//!              [--catalog URL --offers URL --reviews URL --recommendations URL]
//! floor-client --mode serve --listen PORT [--decode same|least] [--catalog URL ...]
//!                                                    the minimal BFF (see `serve`): GET
//!                                                    /v1/products/{id}, /v1/home,
//!                                                    /api/products/{id}, /api/home
//! ```
//! Prints one JSON object: screens, screens/s, screen latency percentiles (µs), the upstream
//! calls made, per-call p50s (`--mode calls`), the measured process's CPU µs per screen and this
//! client's own. `--mode serve` runs the minimal BFF instead (module `serve`) until killed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::future::{join_all, try_join_all};
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

mod serve;

/// The BFFs' allocator (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Http = Client<HttpConnector, Empty<Bytes>>;
type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct Call {
    name: &'static str,
    uri: Uri,
}

/// One screen's upstream calls: `independent` at once, and concurrently with them `heads`, then
/// (once every head is back) `tails`.
#[derive(Clone)]
struct Plan {
    independent: Vec<Call>,
    heads: Vec<Call>,
    tails: Vec<Call>,
}

impl Plan {
    fn calls(&self) -> usize {
        self.independent.len() + self.heads.len() + self.tails.len()
    }
}

struct Options {
    screen: String,
    ids: String,
    connections: usize,
    duration: f64,
    warmup: f64,
    mode: String,
    measure_pid: Option<u32>,
    listen: Option<u16>,
    decode: serve::Decode,
    catalog: String,
    offers: String,
    reviews: String,
    recommendations: String,
}

fn options() -> Options {
    let mut o = Options {
        screen: "mobile-product".into(),
        ids: "p00042".into(),
        connections: 64,
        duration: 10.0,
        warmup: 2.0,
        mode: "screen".into(),
        measure_pid: None,
        listen: None,
        decode: serve::Decode::Same,
        catalog: "http://127.0.0.1:7001".into(),
        offers: "http://127.0.0.1:7002".into(),
        reviews: "http://127.0.0.1:7003".into(),
        recommendations: "http://127.0.0.1:7004".into(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--screen" => o.screen = value,
            "--ids" => o.ids = value,
            "--connections" => o.connections = value.parse().expect("--connections"),
            "--duration" => o.duration = value.parse().expect("--duration"),
            "--warmup" => o.warmup = value.parse().expect("--warmup"),
            "--mode" => o.mode = value,
            "--measure-pid" => o.measure_pid = Some(value.parse().expect("--measure-pid")),
            "--listen" => o.listen = Some(value.parse().expect("--listen")),
            "--decode" => {
                o.decode = match value.as_str() {
                    "same" => serve::Decode::Same,
                    "least" => serve::Decode::Least,
                    other => panic!("--decode same|least, not {other}"),
                }
            }
            "--catalog" => o.catalog = value,
            "--offers" => o.offers = value,
            "--reviews" => o.reviews = value,
            "--recommendations" => o.recommendations = value,
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

fn uri(base: &str, path_and_query: &str) -> Uri {
    format!("{}{}", base.trim_end_matches('/'), path_and_query)
        .parse()
        .expect("valid URL")
}

/// Ids joined as the BFFs send them (`url`'s form encoding: the comma is `%2C`).
fn id_list<S: std::borrow::Borrow<str>>(ids: &[S]) -> String {
    ids.join("%2C")
}

async fn get(http: &Http, uri: Uri) -> Result<Bytes, Error> {
    let response = http.get(uri.clone()).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if status != 200 {
        return Err(format!("{uri}: {status}").into());
    }
    Ok(body)
}

async fn get_json(http: &Http, uri: Uri) -> Result<serde_json::Value, Error> {
    Ok(serde_json::from_slice(&get(http, uri).await?)?)
}

fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the plans (one per product id, or one for a home screen), looking up related, featured
/// and popular ids first.
async fn plans(http: &Http, o: &Options) -> Result<Vec<Plan>, Error> {
    let ids: Vec<String> = match o.ids.strip_prefix("rotate:") {
        Some(n) => (1..=n.parse::<u32>()?)
            .map(|i| format!("p{i:05}"))
            .collect(),
        None => vec![o.ids.clone()],
    };
    let (c, of, rv, rc) = (&o.catalog, &o.offers, &o.reviews, &o.recommendations);
    let extras = |ids: &[String]| {
        vec![
            Call {
                name: "offers /offers?ids=(shelf)",
                uri: uri(of, &format!("/offers?ids={}", id_list(ids))),
            },
            Call {
                name: "reviews /ratings?ids=(shelf)",
                uri: uri(rv, &format!("/ratings?ids={}", id_list(ids))),
            },
        ]
    };
    let cards = |ids: &[String]| Call {
        name: "catalog /products?ids=(shelf)&view=card",
        uri: uri(c, &format!("/products?ids={}&view=card", id_list(ids))),
    };
    let mut out = Vec::new();
    match o.screen.as_str() {
        "mobile-product" | "web-product" => {
            let web = o.screen == "web-product";
            let (reviews, related) = if web { (10, 12) } else { (3, 6) };
            for id in &ids {
                let related_uri = uri(rc, &format!("/products/{id}/related?limit={related}"));
                let related_ids =
                    strings(&get_json(http, related_uri.clone()).await?["product_ids"]);
                let mut independent = vec![
                    Call {
                        name: "catalog /products/{id}",
                        uri: uri(c, &format!("/products/{id}")),
                    },
                    Call {
                        name: "offers /offers?ids={id}",
                        uri: uri(of, &format!("/offers?ids={id}")),
                    },
                    Call {
                        name: "reviews /products/{id}/rating",
                        uri: uri(rv, &format!("/products/{id}/rating")),
                    },
                    Call {
                        name: "reviews /products/{id}/reviews",
                        uri: uri(
                            rv,
                            &format!("/products/{id}/reviews?offset=0&limit={reviews}"),
                        ),
                    },
                ];
                if web {
                    independent.push(Call {
                        name: "catalog /categories",
                        uri: uri(c, "/categories"),
                    });
                }
                let mut tails = vec![cards(&related_ids)];
                tails.extend(extras(&related_ids));
                out.push(Plan {
                    independent,
                    heads: vec![Call {
                        name: "recommendations /products/{id}/related",
                        uri: related_uri,
                    }],
                    tails,
                });
            }
        }
        "mobile-home" | "web-home" => {
            let web = o.screen == "web-home";
            let (featured, popular) = if web { (24, 12) } else { (10, 6) };
            let featured_uri = uri(c, &format!("/featured?limit={featured}"));
            let popular_uri = uri(rc, &format!("/popular?limit={popular}"));
            let featured_body = get_json(http, featured_uri.clone()).await?;
            let popular_ids = strings(&get_json(http, popular_uri.clone()).await?["product_ids"]);
            let featured_ids = featured_body["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|item| item["id"].as_str());
            let shelf: Vec<String> =
                serve::union_ids(featured_ids, popular_ids.iter().map(String::as_str))
                    .into_iter()
                    .map(String::from)
                    .collect();
            let mut tails = vec![cards(&popular_ids)];
            tails.extend(extras(&shelf));
            out.push(Plan {
                independent: if web {
                    vec![Call {
                        name: "catalog /categories",
                        uri: uri(c, "/categories"),
                    }]
                } else {
                    vec![]
                },
                heads: vec![
                    Call {
                        name: "catalog /featured",
                        uri: featured_uri,
                    },
                    Call {
                        name: "recommendations /popular",
                        uri: popular_uri,
                    },
                ],
                tails,
            });
        }
        other => return Err(format!("unknown screen {other}").into()),
    }
    Ok(out)
}

async fn run_screen(http: &Http, plan: &Plan) -> Result<(), Error> {
    let independent = join_all(
        plan.independent
            .iter()
            .map(|call| get(http, call.uri.clone())),
    );
    let chained = async {
        try_join_all(plan.heads.iter().map(|call| get(http, call.uri.clone()))).await?;
        try_join_all(plan.tails.iter().map(|call| get(http, call.uri.clone()))).await?;
        Ok::<_, Error>(())
    };
    let (independent, chained) = tokio::join!(independent, chained);
    for result in independent {
        result?;
    }
    chained
}

/// utime + stime of a process, in microseconds.
fn cpu_us(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().ok()? + fields[12].parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks * 10_000.0)
}

#[derive(Default)]
struct Stats {
    screens: u64,
    errors: u64,
    calls: u64,
    latencies: Vec<u32>,
    per_call: BTreeMap<&'static str, Vec<u32>>,
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn drive(
    http: Http,
    plans: Arc<Vec<Plan>>,
    next: Arc<AtomicUsize>,
    until: Instant,
    mode: String,
) -> Stats {
    let mut stats = Stats::default();
    while Instant::now() < until {
        let plan = &plans[next.fetch_add(1, Ordering::Relaxed) % plans.len()];
        if mode == "calls" {
            for call in plan
                .independent
                .iter()
                .chain(&plan.heads)
                .chain(&plan.tails)
            {
                let started = Instant::now();
                let ok = get(&http, call.uri.clone()).await.is_ok();
                let us = started.elapsed().as_micros() as u32;
                stats.calls += 1;
                if ok {
                    stats.per_call.entry(call.name).or_default().push(us);
                } else {
                    stats.errors += 1;
                }
            }
            stats.screens += 1;
        } else {
            let started = Instant::now();
            let ok = run_screen(&http, plan).await.is_ok();
            stats.calls += plan.calls() as u64;
            if ok {
                stats.screens += 1;
                stats.latencies.push(started.elapsed().as_micros() as u32);
            } else {
                stats.errors += 1;
            }
        }
    }
    stats
}

async fn phase(http: &Http, plans: &Arc<Vec<Plan>>, o: &Options, seconds: f64) -> Stats {
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let connections = if o.mode == "calls" { 1 } else { o.connections };
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(drive(
                http.clone(),
                plans.clone(),
                next.clone(),
                until,
                o.mode.clone(),
            ))
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        let stats = task.await.expect("driver task");
        total.screens += stats.screens;
        total.errors += stats.errors;
        total.calls += stats.calls;
        total.latencies.extend(stats.latencies);
        for (name, mut values) in stats.per_call {
            total.per_call.entry(name).or_default().append(&mut values);
        }
    }
    total
}

fn main() -> Result<(), Error> {
    let o = options();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let http: Http = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        if o.mode == "serve" {
            let upstreams = serve::Upstreams {
                catalog: o.catalog.trim_end_matches('/').into(),
                offers: o.offers.trim_end_matches('/').into(),
                reviews: o.reviews.trim_end_matches('/').into(),
                recommendations: o.recommendations.trim_end_matches('/').into(),
            };
            return serve::serve(http, upstreams, o.listen.expect("--listen PORT"), o.decode).await;
        }
        let plans = Arc::new(plans(&http, &o).await?);
        if o.warmup > 0.0 {
            phase(&http, &plans, &o, o.warmup).await;
        }
        let cpu_before = o.measure_pid.and_then(cpu_us);
        let own_before = cpu_us(std::process::id());
        let started = Instant::now();
        let mut stats = phase(&http, &plans, &o, o.duration).await;
        let seconds = started.elapsed().as_secs_f64();
        let cpu_after = o.measure_pid.and_then(cpu_us);
        let own_after = cpu_us(std::process::id());
        stats.latencies.sort_unstable();
        let per_call: serde_json::Map<String, serde_json::Value> = stats
            .per_call
            .iter_mut()
            .map(|(name, values)| {
                values.sort_unstable();
                (
                    name.to_string(),
                    serde_json::json!(percentile(values, 50.0)),
                )
            })
            .collect();
        let cpu_per_screen = match (cpu_before, cpu_after) {
            (Some(before), Some(after)) if stats.screens > 0 => {
                serde_json::json!((after - before) / stats.screens as f64)
            }
            _ => serde_json::Value::Null,
        };
        let own_per_screen = match (own_before, own_after) {
            (Some(before), Some(after)) if stats.screens > 0 => {
                serde_json::json!((after - before) / stats.screens as f64)
            }
            _ => serde_json::Value::Null,
        };
        let report = serde_json::json!({
            "screen": o.screen,
            "mode": o.mode,
            "ids": o.ids,
            "connections": if o.mode == "calls" { 1 } else { o.connections },
            "calls_per_screen": plans[0].calls(),
            "seconds": seconds,
            "screens": stats.screens,
            "errors": stats.errors,
            "calls": stats.calls,
            "screens_per_s": stats.screens as f64 / seconds,
            "calls_per_s": stats.calls as f64 / seconds,
            "p50_us": percentile(&stats.latencies, 50.0),
            "p90_us": percentile(&stats.latencies, 90.0),
            "p99_us": percentile(&stats.latencies, 99.0),
            "call_p50_us": per_call,
            "measured_cpu_us_per_screen": cpu_per_screen,
            "client_cpu_us_per_screen": own_per_screen,
        });
        println!("{report}");
        Ok(())
    })
}
