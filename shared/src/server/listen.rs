//! The listener loop: the connection cap, the per-connection deadlines, the protocols served, and
//! graceful shutdown.
//!
//! `axum::serve` installs no timer and no deadline before the first request, so a client could
//! hold connections forever; [`serve_with`] drives hyper directly: every connection is supervised
//! (see [`super::activity`]) and counted against `max_connections`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::http::StatusCode;
use futures::FutureExt;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tower::ServiceExt;

use super::ServerSettings;
use super::activity::{Activity, Timeouts, TrackedBody, supervise};
use super::idle::{self, Served};
use super::limit::{ThrottledWarning, default_max_connections};
use super::socket::{WatchedSocket, problem_response};

/// How often hyper pings an HTTP/2 client, and how long it waits for the answer before closing.
const HTTP2_PING_INTERVAL: Duration = Duration::from_secs(20);
const HTTP2_PING_TIMEOUT: Duration = Duration::from_secs(10);

/// Connection-level limits of [`serve_with`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Longest a client may take to send a request head; the first one counts from the accept.
    pub header_read_timeout: Duration,
    /// Longest an idle connection waits for the next request.
    pub keep_alive_timeout: Duration,
    /// How long an idle HTTP/1 connection keeps hyper's buffers before it is parked (zero:
    /// never; see `idle`).
    pub park_idle_after: Duration,
    /// Largest request head accepted.
    pub max_header_bytes: usize,
    /// Connections held at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Serve HTTP/2 without TLS (prior knowledge) besides HTTP/1.1.
    pub http2_cleartext: bool,
    /// Streams one HTTP/2 connection may have open at once.
    pub http2_max_concurrent_streams: u32,
    /// How long in-flight requests get to finish after shutdown starts.
    pub shutdown_grace: Duration,
    /// How long new requests are still served, with `/readyz` answering 503, before the
    /// listener closes.
    pub drain_delay: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(5),
            keep_alive_timeout: Duration::from_secs(75),
            park_idle_after: Duration::from_secs(1),
            max_header_bytes: 16 * 1024,
            max_connections: default_max_connections(),
            http2_cleartext: false,
            http2_max_concurrent_streams: 100,
            shutdown_grace: Duration::from_secs(10),
            drain_delay: Duration::ZERO,
        }
    }
}

impl From<&ServerSettings> for ServeOptions {
    fn from(settings: &ServerSettings) -> Self {
        Self {
            header_read_timeout: settings.header_read_timeout,
            keep_alive_timeout: settings.keep_alive_timeout,
            park_idle_after: settings.park_idle_after,
            max_header_bytes: settings.max_header_bytes,
            max_connections: settings
                .max_connections
                .unwrap_or_else(default_max_connections),
            http2_cleartext: settings.http2_cleartext,
            http2_max_concurrent_streams: settings.http2_max_concurrent_streams,
            shutdown_grace: settings.shutdown_grace,
            drain_delay: settings.drain_delay,
        }
    }
}

/// [`serve_with`] the default options.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, app, &ServeOptions::default(), shutdown).await
}

/// The protocol machinery for one accepted socket.
enum Protocols {
    /// HTTP/1.1 only: an HTTP/2 preface is refused like any malformed head.
    Http1(Arc<hyper::server::conn::http1::Builder>),
    /// HTTP/1.1 and cleartext HTTP/2, told apart by the first bytes.
    Auto(Box<auto::Builder<TokioExecutor>>),
}

impl Protocols {
    fn new(options: &ServeOptions) -> Self {
        // The first request's deadline and the keep-alive deadline are the supervisor's; hyper's
        // own header-read timer (which would also end idle keep-alive) is off.
        let max_buf = options.max_header_bytes.max(8192);
        if !options.http2_cleartext {
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1.header_read_timeout(None).max_buf_size(max_buf);
            return Self::Http1(Arc::new(http1));
        }
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .header_read_timeout(None)
            .max_buf_size(max_buf);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(HTTP2_PING_INTERVAL)
            .keep_alive_timeout(HTTP2_PING_TIMEOUT)
            .max_concurrent_streams(options.http2_max_concurrent_streams)
            .max_header_list_size(u32::try_from(options.max_header_bytes).unwrap_or(u32::MAX));
        Self::Auto(Box::new(builder))
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; then, for `options.drain_delay`, keeps
/// serving with `/readyz` answering 503; then closes the listener and lets in-flight requests
/// finish for up to `options.shutdown_grace`. Each request carries the peer's [`ConnectInfo`].
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let protocols = Protocols::new(options);
    let timeouts = Timeouts {
        header_read: options.header_read_timeout,
        keep_alive: options.keep_alive_timeout,
        park_idle_after: options.park_idle_after,
    };
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let mut refusals = ThrottledWarning::default();
    let mut accept_errors = ThrottledWarning::default();
    // Every connection holds a receiver: a send starts their graceful shutdown, and the channel
    // closes when the last one has ended.
    let (graceful, _) = watch::channel(());
    let draining = Draining::default();
    let drain_delay = options.drain_delay;
    let stop = {
        let draining = draining.clone();
        async move {
            shutdown.await;
            if !drain_delay.is_zero() {
                draining.start();
                tracing::info!(
                    ?drain_delay,
                    "draining: /readyz answers 503, requests still served"
                );
                tokio::time::sleep(drain_delay).await;
            }
        }
    };
    tokio::pin!(stop);
    let mut admit = |stream: TcpStream, peer: SocketAddr| {
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refuse(stream, options.max_connections, &mut refusals);
            return;
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            peer,
            draining: draining.clone(),
            activity: Activity::new(),
            _slot: slot,
        };
        let socket = connection.socket(stream);
        let service = connection.service(app.clone());
        let shutdown = graceful.subscribe();
        match &protocols {
            Protocols::Http1(http1) => {
                let activity = connection.activity.clone();
                let served = idle::Http1::new(http1.clone(), socket, service, activity);
                tokio::spawn(connection.run(served, timeouts, shutdown));
            }
            Protocols::Auto(auto) => {
                let served: idle::Auto<_> = Box::pin(
                    auto.serve_connection(TokioIo::new(socket), service)
                        .into_owned(),
                );
                tokio::spawn(connection.run(served, timeouts, shutdown));
            }
        }
    };
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    // Usually EMFILE: back off instead of spinning, and keep serving.
                    metrics::counter!("http_accept_errors_total").increment(1);
                    accept_errors.note(|count| {
                        tracing::warn!(%error, count, "accept failed; backing off");
                    });
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        admit(stream, peer);
    }
    // Connections the kernel completed before the listener closes were told "come in": serve
    // them, rather than reset them when the listener is dropped.
    while let Some(Ok((stream, peer))) = listener.accept().now_or_never() {
        admit(stream, peer);
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = graceful.send(());
    if tokio::time::timeout(options.shutdown_grace, graceful.closed())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace period over; dropping remaining connections");
    }
    Ok(())
}

/// Answers a connection over the cap 503 (if the socket takes it at once) and closes it.
fn refuse(stream: TcpStream, max_connections: usize, warning: &mut ThrottledWarning) {
    metrics::counter!("http_connections_refused_total", "reason" => "max_connections").increment(1);
    warning.note(|count| {
        tracing::warn!(
            count,
            max_connections,
            "server.max_connections reached: connections refused"
        );
    });
    let answer = problem_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "The server holds as many connections as it may; retry shortly.",
        Some(1),
    );
    let _ = stream.try_write(&answer);
}

/// One accepted connection: what its requests carry, and its slot under the cap.
struct Connection {
    peer: SocketAddr,
    draining: Draining,
    activity: Arc<Activity>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    fn socket(&self, stream: TcpStream) -> WatchedSocket {
        WatchedSocket::new(stream, self.activity.clone())
    }

    /// `app`, with the peer and the drain flag in every request, and the request's life
    /// reported to the connection's activity.
    fn service(
        &self,
        app: Router,
    ) -> hyper_util::service::TowerToHyperService<
        impl tower::Service<
            Request<hyper::body::Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
            Future: Send,
        > + Clone
        + Send
        + 'static,
    > {
        let peer = self.peer;
        let draining = self.draining.clone();
        let activity = self.activity.clone();
        let service = tower::service_fn(move |mut request: Request<hyper::body::Incoming>| {
            let in_flight = activity.request_started(request.version());
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(draining.clone());
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(axum::body::Body::new)).await?;
                Ok::<_, Infallible>(response.map(|body| TrackedBody::wrap(body, in_flight)))
            }
        });
        hyper_util::service::TowerToHyperService::new(service)
    }

    /// Drives the connection under its deadlines and `shutdown`; logs how it ended.
    async fn run(self, served: impl Served, timeouts: Timeouts, shutdown: watch::Receiver<()>) {
        let peer = self.peer;
        match supervise(served, &self.activity, timeouts, shutdown).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::debug!(%error, %peer, "connection ended with an error"),
            Err(expired) => {
                metrics::counter!("http_connections_timed_out_total", "phase" => expired.label())
                    .increment(1);
                tracing::debug!(%peer, phase = expired.label(), "connection deadline passed; closed");
            }
        }
    }
}

/// Whether the server is draining before shutdown; in every request's extensions, so that
/// readiness fails first and balancers stop sending while everything else is still served.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// True from the shutdown signal until the listener closes.
    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// From now on, readiness answers `draining`.
    pub(crate) fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
