//! `/readyz`: on the admin listener only, and one probe round per second however often it is
//! polled (issue 12, class 4: the public port listed every upstream, and each call fanned out to
//! five uncached probes).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use shared::server::{ServeOptions, ServerSettings};
use shared::upstream::{UpstreamSettings, Upstreams, UpstreamsSettings};

use crate::server_support;

/// A real upstream on 127.0.0.1 whose `/healthz` counts its calls and takes 100 ms, so that
/// concurrent readiness calls overlap with one probe round.
struct CountingUpstream {
    url: String,
    probes: Arc<AtomicUsize>,
}

impl CountingUpstream {
    async fn spawn() -> Self {
        let probes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&probes);
        let app = Router::new().route(
            "/healthz",
            get(move || {
                let counter = Arc::clone(&counter);
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, probes }
    }

    fn probes(&self) -> usize {
        self.probes.load(Ordering::SeqCst)
    }
}

fn upstream(url: &str) -> UpstreamSettings {
    UpstreamSettings {
        url: url.parse().unwrap(),
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(1),
        max_body_bytes: 1024,
        pool_max_idle: 8,
        required_for_readiness: true,
        resilience: Default::default(),
        cache: Default::default(),
        audience: None,
    }
}

fn server_settings() -> ServerSettings {
    server_support::local_settings()
}

/// Five counting upstreams, and a server whose public port serves `/healthz` and whose admin
/// port serves `/readyz` over them, as the BFFs wire it. Returns (public, admin) base URLs.
async fn serve(upstreams: &[CountingUpstream]) -> (String, String) {
    let settings = UpstreamsSettings {
        catalog: upstream(&upstreams[0].url),
        offers: upstream(&upstreams[1].url),
        reviews: upstream(&upstreams[2].url),
        recommendations: upstream(&upstreams[3].url),
        accounts: upstream(&upstreams[4].url),
    };
    let readiness =
        shared::health::Readiness::new(Arc::new(Upstreams::new(&settings).unwrap())).routes();
    let server = server_settings();
    let public = shared::server::stack(shared::health::liveness(), &server);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let admin = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bases = (
        format!("http://{}", listener.local_addr().unwrap()),
        format!("http://{}", admin.local_addr().unwrap()),
    );
    let options = ServeOptions::from(&server);
    tokio::spawn(async move {
        shared::server::serve_with_admin(
            listener,
            public,
            Some(admin),
            readiness,
            &options,
            std::future::pending(),
        )
        .await
    });
    bases
}

async fn five_upstreams() -> Vec<CountingUpstream> {
    let mut upstreams = Vec::new();
    for _ in 0..5 {
        upstreams.push(CountingUpstream::spawn().await);
    }
    upstreams
}

#[tokio::test]
async fn readiness_is_served_on_the_admin_port_and_is_a_404_problem_on_the_public_one() {
    let upstreams = five_upstreams().await;
    let (public, admin) = serve(&upstreams).await;

    let response = reqwest::get(format!("{public}/readyz")).await.unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = response.text().await.unwrap();
    assert!(
        !body.contains("catalog") && !body.contains("127.0.0.1"),
        "{body}"
    );
    assert_eq!(
        upstreams
            .iter()
            .map(CountingUpstream::probes)
            .sum::<usize>(),
        0,
        "the public call probed nothing"
    );
    let live = reqwest::get(format!("{public}/healthz")).await.unwrap();
    assert_eq!(live.status(), 200, "the public port keeps /healthz");

    let response = reqwest::get(format!("{admin}/readyz")).await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["upstreams"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn twenty_concurrent_readiness_calls_probe_each_upstream_once_and_the_round_expires() {
    let upstreams = five_upstreams().await;
    let (_, admin) = serve(&upstreams).await;
    let client = reqwest::Client::new();

    let calls = (0..20).map(|_| {
        let request = client.get(format!("{admin}/readyz"));
        async move { request.send().await.unwrap() }
    });
    let answers = futures::future::join_all(calls).await;
    for answer in answers {
        assert_eq!(answer.status(), 200);
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["status"], "ready", "{body}");
    }
    let probes: Vec<usize> = upstreams.iter().map(CountingUpstream::probes).collect();
    assert_eq!(probes, [1; 5], "one probe per upstream for 20 calls");

    // Within the second: the same round answers.
    let again = client.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(upstreams.iter().all(|u| u.probes() == 1));

    // After it, a new round: the answer is never older than about a second.
    tokio::time::sleep(shared::health::PROBES_FRESH_FOR + Duration::from_millis(100)).await;
    let later = client.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(later.status(), 200);
    let probes: Vec<usize> = upstreams.iter().map(CountingUpstream::probes).collect();
    assert_eq!(probes, [2; 5]);
}
