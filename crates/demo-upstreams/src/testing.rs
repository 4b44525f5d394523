//! The five services in-process, for black-box tests of this crate and of the BFFs.
//!
//! ```no_run
//! # async fn example() {
//! use demo_upstreams::fault::Fault;
//! use demo_upstreams::testing::TestUpstreams;
//!
//! let upstreams = TestUpstreams::spawn().await;
//! upstreams.offers.set_fault(Fault::Status(500));
//! // ... point the BFF at upstreams.catalog.url(), upstreams.offers.url(), ...
//! assert_eq!(upstreams.offers.hits(), 0);
//! # }
//! ```
//!
//! Each service listens on `127.0.0.1` on a port of its own, keeps a log of the requests it
//! received (path, query and headers as they arrived), and has a fault switch. Dropping a
//! [`RunningService`] stops it: hung requests and endless bodies are released, idle connections
//! closed, and the server task aborted.
//!
//! Compiled only for tests (feature `test-helpers`): accounts and recommendations started here
//! trust bearer tokens as user handles ([`OpaqueHandles`]) unless a test asks for real
//! verification ([`TestUpstreams::spawn_verifying`]); the binary has no setting that does this.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use futures::future::BoxFuture;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::accounts::{InvalidToken, TokenVerifier};
use crate::config::DemoConfig;
pub use crate::fault::RecordedRequest;
use crate::fault::{Fault, FaultHandle, RequestLog};
use crate::{Service, ServiceContext};

/// How many requests a test service remembers (older ones are dropped; `hits` keeps counting).
const LOG_CAPACITY: usize = 10_000;

/// Test-only verifier: the token *is* the user handle (`demo-user-1`), accepted when it matches
/// `^[A-Za-z0-9._-]{1,64}$`. Nothing is checked cryptographically.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpaqueHandles;

impl TokenVerifier for OpaqueHandles {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<String, InvalidToken>> {
        let valid = (1..=64).contains(&token.len())
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        Box::pin(std::future::ready(if valid {
            Ok(token.to_owned())
        } else {
            Err(InvalidToken)
        }))
    }
}

/// All five services on `127.0.0.1` with random ports.
pub struct TestUpstreams {
    /// The catalog service.
    pub catalog: RunningService,
    /// The offers service.
    pub offers: RunningService,
    /// The reviews service.
    pub reviews: RunningService,
    /// The recommendations service.
    pub recommendations: RunningService,
    /// The accounts service.
    pub accounts: RunningService,
}

/// The faults each BFF's attack suite sets on its upstreams, each with the statuses the BFF may
/// answer: a broken answer (garbage, a reset, `error_status`) is a 502, a body that never ends a
/// 502 or a 504 (whichever limit comes first), a hang a 504 by the screen's deadline.
pub fn broken_upstream_faults(error_status: u16) -> [(Fault, &'static [u16]); 5] {
    [
        (Fault::Garbage, &[502]),
        (Fault::Reset, &[502]),
        (Fault::Endless, &[502, 504]),
        (Fault::Status(error_status), &[502]),
        (Fault::Hang, &[504]),
    ]
}

impl TestUpstreams {
    /// All five services with the default seed and product count, no injected latency and no
    /// injected errors; bearer tokens are user handles ([`OpaqueHandles`]).
    pub async fn spawn() -> Self {
        Self::spawn_with(DemoConfig::default().without_injection()).await
    }

    /// All five services with `config`'s data, latency, error-rate and control settings; its
    /// ports and bind address are ignored (random ports on `127.0.0.1`). Image URLs keep
    /// `config.catalog.public_base_url`, so product JSON is the same on every run.
    pub async fn spawn_with(config: DemoConfig) -> Self {
        let config = Arc::new(config);
        Self {
            catalog: RunningService::spawn(Service::Catalog, Arc::clone(&config)).await,
            offers: RunningService::spawn(Service::Offers, Arc::clone(&config)).await,
            reviews: RunningService::spawn(Service::Reviews, Arc::clone(&config)).await,
            recommendations: RunningService::spawn(Service::Recommendations, Arc::clone(&config))
                .await,
            accounts: RunningService::spawn(Service::Accounts, config).await,
        }
    }

    /// All five services as [`Self::spawn`], with accounts and recommendations verifying bearer
    /// tokens of `issuer` (an OpenID provider that is already running, e.g. `dev_idp`'s
    /// `TestIdp`) for their own audiences.
    pub async fn spawn_verifying(issuer: &str) -> Self {
        let mut config = DemoConfig::default().without_injection();
        config.auth.issuer = issuer.to_owned();
        let config = Arc::new(config);
        let verifying = async |service| {
            let ctx = ServiceContext::new(Arc::clone(&config))
                .verifying_tokens(service)
                .await
                .expect("the issuer's keys can be discovered");
            RunningService::spawn_context(service, ctx).await
        };
        Self::spawn_with_verifying(&config, verifying).await
    }

    /// Catalog, offers and reviews with `config`; recommendations and accounts, the two that read
    /// bearer tokens, as `verifying` spawns them (a test's own verifier, say).
    pub async fn spawn_with_verifying(
        config: &Arc<DemoConfig>,
        verifying: impl AsyncFn(Service) -> RunningService,
    ) -> Self {
        Self {
            catalog: RunningService::spawn(Service::Catalog, Arc::clone(config)).await,
            offers: RunningService::spawn(Service::Offers, Arc::clone(config)).await,
            reviews: RunningService::spawn(Service::Reviews, Arc::clone(config)).await,
            recommendations: verifying(Service::Recommendations).await,
            accounts: verifying(Service::Accounts).await,
        }
    }

    /// All five services as [`Self::spawn`], served by a runtime of their own (one worker
    /// thread), for a test that measures its own thread: the services' work is not on it. Keep
    /// the runtime as long as the services.
    pub fn spawn_on_own_runtime() -> (tokio::runtime::Runtime, Self) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the upstreams");
        let upstreams = runtime.block_on(Self::spawn());
        (runtime, upstreams)
    }

    /// Requests all five services received since start or the last call ([`RunningService::hits`]
    /// summed), and restarts every count at zero.
    pub fn take_hits(&self) -> usize {
        Service::ALL
            .iter()
            .map(|&service| {
                let running = self.service(service);
                let hits = running.hits();
                running.reset_log();
                hits
            })
            .sum()
    }

    /// Points a BFF's `upstreams` settings at these five services.
    pub fn point(&self, settings: &mut shared::upstream::UpstreamsSettings) {
        for (service, setting) in [
            (&self.catalog, &mut settings.catalog),
            (&self.offers, &mut settings.offers),
            (&self.reviews, &mut settings.reviews),
            (&self.recommendations, &mut settings.recommendations),
            (&self.accounts, &mut settings.accounts),
        ] {
            setting.url = service.url().parse().expect("a service's URL");
        }
    }

    /// The running instance of `service`.
    pub fn service(&self, service: Service) -> &RunningService {
        match service {
            Service::Catalog => &self.catalog,
            Service::Offers => &self.offers,
            Service::Reviews => &self.reviews,
            Service::Recommendations => &self.recommendations,
            Service::Accounts => &self.accounts,
        }
    }
}

/// One service serving on `127.0.0.1`; stops when dropped.
pub struct RunningService {
    service: Service,
    addr: SocketAddr,
    fault: FaultHandle,
    log: RequestLog,
    task: JoinHandle<()>,
}

impl RunningService {
    /// Starts `service` with `config` on a random port of `127.0.0.1`; bearer tokens are user
    /// handles ([`OpaqueHandles`]).
    pub async fn spawn(service: Service, config: Arc<DemoConfig>) -> Self {
        let ctx = ServiceContext::new(config).with_token_verifier(Arc::new(OpaqueHandles));
        Self::spawn_context(service, ctx).await
    }

    /// Starts `service` with a prepared context (e.g. with another token verifier).
    pub async fn spawn_context(service: Service, ctx: ServiceContext) -> Self {
        let ctx = ctx.with_request_log(RequestLog::with_capacity(LOG_CAPACITY));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind a random port on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("a bound listener has an address");
        let app = crate::router(service, &ctx);
        let fault = ctx.fault().clone();
        let released = fault.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move { released.released().await };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!(%error, %service, "test service stopped with an error");
            }
        });
        Self {
            service,
            addr,
            fault,
            log: ctx.request_log().clone(),
            task,
        }
    }

    /// Which service this is.
    pub fn service(&self) -> Service {
        self.service
    }

    /// The address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL, `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets the fault for every route (`Fault::None` clears it).
    pub fn set_fault(&self, fault: Fault) {
        self.fault.set(fault);
    }

    /// Sets the fault for paths starting with one of `routes` only.
    pub fn set_fault_for_routes<R: Into<String>>(
        &self,
        fault: Fault,
        routes: impl IntoIterator<Item = R>,
    ) {
        self.fault.set_for_routes(fault, routes);
    }

    /// The service's fault switch.
    pub fn fault(&self) -> &FaultHandle {
        &self.fault
    }

    /// Requests received since start or the last [`Self::reset_log`], `/healthz` and
    /// `/_control/*` excluded (faulted requests included).
    pub fn hits(&self) -> usize {
        self.log.hits()
    }

    /// The requests received (up to the last 10,000), in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log.requests()
    }

    /// Forgets the recorded requests and restarts [`Self::hits`] at zero.
    pub fn reset_log(&self) {
        self.log.reset();
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        // Ends hung requests and endless bodies, which lets graceful shutdown close every
        // connection; the abort stops accepting right away.
        self.fault.release_all();
        self.task.abort();
    }
}

shared::debug_showing!(RunningService { service, addr });

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opaque_handles_accept_plain_handles_only() {
        let verifier = OpaqueHandles;
        assert_eq!(
            verifier.verify("demo-user-1").await,
            Ok("demo-user-1".to_owned())
        );
        for bad in ["", "a b", "ä", &"x".repeat(65), "a/b"] {
            assert_eq!(verifier.verify(bad).await, Err(InvalidToken), "{bad}");
        }
    }
}
