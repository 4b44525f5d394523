//! Kept-alive HTTP/1.1 connections to one plain-HTTP upstream: the last one put back is the next
//! one taken, a connection goes back only once its answer was read to the end, and at most
//! `pool_max_idle` wait, each for at most the idle timeout.
//!
//! Why not hyper-util's pooled client here: per call it hashes the `(scheme, host)` key a few
//! times with SipHash, checks out and puts back through a shared map, and spawns a task that
//! waits for the connection to be ready again; the cold mobile product profile put hyper-util's
//! own frames at 11% of the BFF's instructions (bench/RESULTS.md, 2026-12-07). One upstream has
//! one host, so its pool is a list. `https` upstreams keep hyper-util's client (TLS, HTTP/2 by
//! ALPN).

use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::transport::{Failure, Opened};

type Sender = SendRequest<Full<Bytes>>;

/// The pool of one plain-HTTP upstream.
#[derive(Debug, Clone)]
pub(crate) struct Http1Pool {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `host:port` as connected to (resolved at each connect, as hyper-util's connector does).
    address: String,
    connect_timeout: Duration,
    max_idle: usize,
    idle_timeout: Duration,
    /// Oldest first: taken from the end, expired from the start.
    idle: Mutex<Vec<Idle>>,
    opened: Opened,
}

#[derive(Debug)]
struct Idle {
    sender: Sender,
    since: Instant,
}

/// A connection lent to one call: given back with [`Lease::release`] once the answer was read to
/// the end, or closed when dropped.
pub(crate) struct Lease {
    sender: Sender,
    pool: Weak<Inner>,
}

impl Http1Pool {
    /// A pool for `host:port`; `opened` counts the connections it opens.
    pub(crate) fn new(
        address: String,
        connect_timeout: Duration,
        max_idle: usize,
        idle_timeout: Duration,
        opened: Opened,
    ) -> Self {
        let inner = Arc::new(Inner {
            address,
            connect_timeout,
            max_idle,
            idle_timeout,
            idle: Mutex::new(Vec::new()),
            opened,
        });
        // Idle connections past their time are closed even when no call comes to notice them.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(expire_idle(Arc::downgrade(&inner), idle_timeout));
        }
        Self { inner }
    }

    /// Sends `request` (its URI the path and query, its `Host` set) on a kept connection, or a
    /// new one. A request that a kept connection closed under before it was written goes on the
    /// next kept one, or a new one.
    pub(crate) async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
    ) -> Result<(Response<Incoming>, Lease), Failure> {
        while let Some(mut sender) = self.take_idle() {
            // It went back as soon as its answer was read: hyper may still be finishing with it.
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok((response, self.lease(sender))),
                Err(mut failed) => match failed.take_message() {
                    Some(unsent) => request = unsent,
                    None => return Err(Failure::Interrupted),
                },
            }
        }
        let mut sender = self.connect().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|_| Failure::Interrupted)?;
        Ok((response, self.lease(sender)))
    }

    fn lease(&self, sender: Sender) -> Lease {
        Lease {
            sender,
            pool: Arc::downgrade(&self.inner),
        }
    }

    /// The most recently used idle connection that is not known to be closed.
    fn take_idle(&self) -> Option<Sender> {
        let mut idle = lock(&self.inner.idle);
        while let Some(Idle { sender, since }) = idle.pop() {
            if since.elapsed() >= self.inner.idle_timeout {
                // Every older one has waited longer still.
                idle.clear();
                return None;
            }
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    async fn connect(&self) -> Result<Sender, Failure> {
        let inner = &self.inner;
        let stream = tokio::time::timeout(
            inner.connect_timeout,
            TcpStream::connect(inner.address.as_str()),
        )
        .await
        .map_err(|_| Failure::Timeout)?
        .map_err(|error| {
            if error.kind() == std::io::ErrorKind::TimedOut {
                Failure::Timeout
            } else {
                Failure::Unreachable
            }
        })?;
        stream.set_nodelay(true).map_err(|_| Failure::Unreachable)?;
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|_| Failure::Unreachable)?;
        tokio::spawn(async move {
            // A connection's own failure shows in the call it fails; nothing to add here.
            let _closed = connection.await;
        });
        inner.opened.record();
        Ok(sender)
    }

    /// Connections waiting for a call (for tests).
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        lock(&self.inner.idle).len()
    }
}

impl Lease {
    /// Gives the connection back for the next call: only after its answer was read to the end
    /// (else the connection is closed with the lease).
    pub(crate) fn release(self) {
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        if self.sender.is_closed() {
            return;
        }
        let mut idle = lock(&pool.idle);
        if idle.len() >= pool.max_idle {
            idle.remove(0);
        }
        idle.push(Idle {
            sender: self.sender,
            since: Instant::now(),
        });
    }
}

/// Every `idle_timeout`, closes the idle connections that have waited that long; ends with the
/// pool.
async fn expire_idle(pool: Weak<Inner>, idle_timeout: Duration) {
    let mut tick = tokio::time::interval(idle_timeout.max(Duration::from_millis(100)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        lock(&pool.idle)
            .retain(|idle| idle.since.elapsed() < idle_timeout && !idle.sender.is_closed());
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use http_body_util::BodyExt as _;

    use super::*;

    /// A real server on a random port: `/` answers `ok`, `/close` answers and closes.
    async fn upstream() -> String {
        let app = Router::new().route("/", get(|| async { "ok" })).route(
            "/close",
            get(|| async { ([(http::header::CONNECTION, "close")], "bye") }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        address
    }

    fn pool(address: &str, max_idle: usize, idle_timeout: Duration) -> Http1Pool {
        Http1Pool::new(
            address.to_owned(),
            Duration::from_secs(1),
            max_idle,
            idle_timeout,
            Opened::unregistered(),
        )
    }

    fn opened(pool: &Http1Pool) -> u64 {
        pool.inner.opened.total()
    }

    /// One call: its answer read to the end, then its connection given back (or not).
    async fn call(pool: &Http1Pool, address: &str, path: &str, give_back: bool) -> String {
        let request = Request::get(path)
            .header(http::header::HOST, address)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (response, lease) = pool.send(request).await.unwrap();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if give_back {
            lease.release();
        }
        String::from_utf8(body.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn calls_one_after_another_share_one_connection() {
        let address = upstream().await;
        let pool = pool(&address, 8, Duration::from_secs(60));
        for _ in 0..5 {
            assert_eq!(call(&pool, &address, "/", true).await, "ok");
        }
        assert_eq!(opened(&pool), 1);
        assert_eq!(pool.idle_count(), 1);
    }

    #[tokio::test]
    async fn calls_at_once_open_one_each_then_reuse_them() {
        let address = upstream().await;
        let pool = pool(&address, 8, Duration::from_secs(60));
        let at_once = (0..4).map(|_| call(&pool, &address, "/", true));
        assert!(
            futures::future::join_all(at_once)
                .await
                .iter()
                .all(|b| b == "ok")
        );
        assert_eq!(opened(&pool), 4);
        for _ in 0..8 {
            call(&pool, &address, "/", true).await;
        }
        assert_eq!(opened(&pool), 4);
    }

    #[tokio::test]
    async fn a_connection_not_given_back_or_closed_by_the_upstream_is_not_reused() {
        let address = upstream().await;
        let pool = pool(&address, 8, Duration::from_secs(60));
        call(&pool, &address, "/", false).await;
        call(&pool, &address, "/", true).await;
        assert_eq!(opened(&pool), 2);
        assert_eq!(call(&pool, &address, "/close", true).await, "bye");
        assert_eq!(call(&pool, &address, "/", true).await, "ok");
        assert_eq!(opened(&pool), 3);
    }

    #[tokio::test]
    async fn at_most_max_idle_wait_and_none_past_the_idle_timeout() {
        let address = upstream().await;
        let pool = pool(&address, 2, Duration::from_millis(150));
        let at_once = (0..3).map(|_| call(&pool, &address, "/", true));
        futures::future::join_all(at_once).await;
        assert_eq!(pool.idle_count(), 2);
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(pool.idle_count(), 0);
        call(&pool, &address, "/", true).await;
        assert_eq!(opened(&pool), 4);
    }

    #[tokio::test]
    async fn an_upstream_that_closes_after_each_answer_costs_a_connection_not_a_call() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        // Answers one request per connection, then closes it without saying so.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0; 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await;
            }
        });
        let pool = pool(&address, 8, Duration::from_secs(60));
        for _ in 0..5 {
            assert_eq!(call(&pool, &address, "/", true).await, "ok");
        }
        assert_eq!(opened(&pool), 5);
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let pool = pool(&address, 2, Duration::from_secs(60));
        let request = Request::get("/").body(Full::new(Bytes::new())).unwrap();
        assert!(matches!(
            pool.send(request).await.err(),
            Some(Failure::Unreachable)
        ));
        assert_eq!(opened(&pool), 0);
    }
}
