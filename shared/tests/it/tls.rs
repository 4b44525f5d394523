//! `https` upstreams: real rustls servers on 127.0.0.1 with certificates from private CAs.
//! The client trusts roots the standard way, through `SSL_CERT_FILE`: how an operator adds a
//! private CA, and how the `scratch` images point at the bundle they ship. The servers run in
//! this process; the client runs in a child process of this test binary started with that
//! variable set (the environment is not changed inside a running test process).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::upstream_support::local_upstream;
use axum::Router;
use axum::routing::get;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use serde::Deserialize;
use shared::aggregate::Screen;
use shared::upstream::{ErrorKind, UpstreamClient, UpstreamSettings};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

#[derive(Debug, Clone, Deserialize, PartialEq)]
struct Thing {
    name: String,
}

/// A certificate authority that can issue server certificates.
struct Authority {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    fn new() -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A TLS server answering `/thing`, with a certificate for `names`; counts the requests
    /// that got through the handshake.
    async fn serve(&self, names: &[&str]) -> (SocketAddr, Arc<AtomicUsize>) {
        let key = KeyPair::generate().unwrap();
        let names = names
            .iter()
            .map(|name| (*name).to_owned())
            .collect::<Vec<_>>();
        let cert = CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &self.issuer)
            .unwrap();
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let served = Arc::new(AtomicUsize::new(0));
        let counter = served.clone();
        let app = Router::new().route(
            "/thing",
            get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async { axum::Json(serde_json::json!({"name": "over tls"})) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, app) = (acceptor.clone(), app.clone());
                tokio::spawn(async move {
                    // A refused handshake ends here; the client sees the failure.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), TowerToHyperService::new(app))
                        .await;
                });
            }
        });
        (addr, served)
    }
}

fn client(url: &str) -> UpstreamClient {
    let settings = UpstreamSettings {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        ..local_upstream(url)
    };
    UpstreamClient::new("tls", &settings).unwrap()
}

async fn fetch(url: &str) -> Result<Thing, ErrorKind> {
    let screen = Screen::start(Duration::from_secs(5));
    client(url)
        .get_json(&screen, "test", &["thing"], &[])
        .await
        .map_err(|error| error.kind)
}

/// The test harness's name for the client half below: its path in the test binary, which is
/// this module's path without the crate's name.
fn client_test_name() -> String {
    let module = module_path!().split_once("::").map_or("", |(_, path)| path);
    format!("{module}::client_in_a_process_that_trusts_the_test_ca")
}

#[tokio::test]
async fn https_upstreams_are_verified_against_the_trusted_roots() {
    let trusted = Authority::new();
    let dir = std::env::temp_dir().join(format!("bff-tls-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = dir.join("ca.pem");
    std::fs::write(&bundle, &trusted.pem).unwrap();
    let (good, good_served) = trusted.serve(&["localhost"]).await;
    let (stranger, stranger_served) = Authority::new().serve(&["localhost"]).await;

    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", &client_test_name()])
        .args(["--ignored", "--nocapture", "--test-threads=1"])
        .env("SSL_CERT_FILE", &bundle)
        .env("TLS_TEST_GOOD_PORT", good.port().to_string())
        .env("TLS_TEST_STRANGER_PORT", stranger.port().to_string());
    let output = tokio::task::spawn_blocking(move || child.output())
        .await
        .unwrap()
        .unwrap();
    let _ = std::fs::remove_dir_all(dir);
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && printed.contains("1 passed"),
        "the client process failed:\n{printed}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Only the good handshake let a request through; the refused ones reached no handler.
    assert_eq!(good_served.load(Ordering::SeqCst), 1);
    assert_eq!(stranger_served.load(Ordering::SeqCst), 0);
}

#[tokio::test]
#[ignore = "the client half of the test above, run by it with SSL_CERT_FILE set"]
async fn client_in_a_process_that_trusts_the_test_ca() {
    let port = |name| std::env::var(name).expect("run by the test above");
    let (good, stranger) = (port("TLS_TEST_GOOD_PORT"), port("TLS_TEST_STRANGER_PORT"));

    let thing = fetch(&format!("https://localhost:{good}"))
        .await
        .expect("a certificate from the trusted CA is accepted");
    assert_eq!(thing.name, "over tls");

    // The right CA, the wrong name: the certificate is for `localhost`, not the IP.
    let refused = fetch(&format!("https://127.0.0.1:{good}")).await;
    assert_eq!(refused, Err(ErrorKind::Unreachable));

    // A certificate from a CA nobody trusts.
    let refused = fetch(&format!("https://localhost:{stranger}")).await;
    assert_eq!(refused, Err(ErrorKind::Unreachable));
}
