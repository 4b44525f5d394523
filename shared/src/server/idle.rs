//! Idle HTTP/1 connections give their memory back.
//!
//! hyper keeps a connection's buffers (8 KiB to read, 8 KiB for response heads) and its
//! dispatcher for as long as the connection lives, also while a keep-alive client sends nothing.
//! Browsers and apps keep connections open for minutes, so with thousands of them that is most of
//! a BFF's memory. A connection idle for `park_idle_after` is *parked*: hyper is told to finish
//! (an idle connection finishes at once), the socket is taken back from it unclosed, and only
//! the socket waits for the next request's first byte; then a new hyper connection serves it.
//! nginx frees an idle keep-alive connection's buffers the same way.
//!
//! The supervisor ([`super::activity::supervise`]) decides when, from the connection's
//! [`Activity`]; the deadlines (keep-alive, request head) hold across parking.

use std::error::Error as StdError;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::body::Body;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::{self, HttpServerConnExec};

use super::activity::Activity;
use super::socket::WatchedSocket;

/// Why a connection ended badly (logged at debug).
pub(super) type ConnectionError = Box<dyn StdError + Send + Sync>;

/// A served connection as its supervisor drives it.
pub(super) trait Served: Future<Output = Result<(), ConnectionError>> + Unpin {
    /// Finish the request in flight, then close (server shutdown).
    fn graceful_shutdown(&mut self);

    /// The connection has been idle for `park_idle_after`: give back what waiting does not need.
    fn park(&mut self) {}
}

/// An HTTP/1.1 connection that can be parked between requests.
pub(super) struct Http1<S: HttpService<Incoming>> {
    builder: Arc<http1::Builder>,
    activity: Arc<Activity>,
    state: State<S>,
    /// Shutdown started: a parked connection closes, a parking one ends instead of parking.
    stopping: bool,
}

/// hyper's connection, boxed: the connection's task then keeps only a pointer to it while parked.
type Hyper<S> = Box<http1::Connection<TokioIo<WatchedSocket>, S>>;

enum State<S: HttpService<Incoming>> {
    /// hyper serves the connection.
    Serving(Hyper<S>),
    /// hyper was told to finish; once it has, the socket is parked.
    Parking(Hyper<S>),
    /// Only the socket, waiting to be readable.
    Parked { socket: WatchedSocket, service: S },
    /// Between states (never observed outside `poll`), or ended.
    Ended,
}

impl<S> Http1<S>
where
    S: HttpService<Incoming, ResBody = Body> + Unpin,
    S::Error: Into<ConnectionError>,
{
    pub(super) fn new(
        builder: Arc<http1::Builder>,
        socket: WatchedSocket,
        service: S,
        activity: Arc<Activity>,
    ) -> Self {
        let served = Box::new(builder.serve_connection(TokioIo::new(socket), service));
        Self {
            builder,
            activity,
            state: State::Serving(served),
            stopping: false,
        }
    }

    /// hyper has finished without closing the socket: keep the socket, and what hyper had read
    /// ahead (a pipelined request's first bytes) for the next hyper connection.
    fn parked(&mut self, connection: http1::Connection<TokioIo<WatchedSocket>, S>) -> State<S> {
        let parts = connection.into_parts();
        let mut socket = parts.io.into_inner();
        self.activity.keep_socket_open(false);
        if !parts.read_buf.is_empty() {
            // A copy: the bytes hyper hands back keep its whole read buffer alive.
            socket.replay(Bytes::copy_from_slice(&parts.read_buf));
        }
        metrics::counter!("http_connections_parked_total").increment(1);
        State::Parked {
            socket,
            service: parts.service,
        }
    }
}

impl<S> Future for Http1<S>
where
    S: HttpService<Incoming, ResBody = Body> + Unpin,
    S::Error: Into<ConnectionError>,
{
    type Output = Result<(), ConnectionError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                State::Serving(connection) => {
                    return Pin::new(&mut **connection).poll(cx).map_err(Into::into);
                }
                State::Parking(connection) => {
                    if let Err(error) = ready!(Pin::new(&mut **connection).poll(cx)) {
                        this.state = State::Ended;
                        return Poll::Ready(Err(error.into()));
                    }
                    let State::Parking(connection) =
                        std::mem::replace(&mut this.state, State::Ended)
                    else {
                        unreachable!("matched above")
                    };
                    if this.stopping {
                        return Poll::Ready(Ok(()));
                    }
                    this.state = this.parked(*connection);
                }
                State::Parked { socket, .. } => {
                    // Readable also means closed by the peer: hyper then sees the end and finishes.
                    if let Err(error) = ready!(socket.poll_read_ready(cx)) {
                        this.state = State::Ended;
                        return Poll::Ready(Err(error.into()));
                    }
                    let State::Parked { socket, service } =
                        std::mem::replace(&mut this.state, State::Ended)
                    else {
                        unreachable!("matched above")
                    };
                    let served = this.builder.serve_connection(TokioIo::new(socket), service);
                    this.state = State::Serving(Box::new(served));
                }
                State::Ended => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl<S> Served for Http1<S>
where
    S: HttpService<Incoming, ResBody = Body> + Unpin,
    S::Error: Into<ConnectionError>,
{
    fn graceful_shutdown(&mut self) {
        self.stopping = true;
        match &mut self.state {
            State::Serving(connection) => Pin::new(&mut **connection).graceful_shutdown(),
            // Closing an idle keep-alive connection is what shutdown does to it anyway.
            State::Parked { .. } => self.state = State::Ended,
            State::Parking(_) | State::Ended => {}
        }
    }

    fn park(&mut self) {
        if self.stopping {
            return;
        }
        if let State::Serving(_) = self.state {
            let State::Serving(mut connection) = std::mem::replace(&mut self.state, State::Ended)
            else {
                unreachable!("matched above")
            };
            // hyper closes an idle connection it is told to finish, and a busy one after its
            // response; either way the socket stays open for the next request.
            self.activity.keep_socket_open(true);
            Pin::new(&mut *connection).graceful_shutdown();
            self.state = State::Parking(connection);
        }
    }
}

/// HTTP/1.1 and HTTP/2 told apart by their first bytes (`http2_cleartext`): never parked.
pub(super) type Auto<S> =
    Pin<Box<auto::Connection<'static, TokioIo<WatchedSocket>, S, TokioExecutor>>>;

impl<S> Served for Auto<S>
where
    S: hyper::service::Service<
            axum::http::Request<Incoming>,
            Response = axum::http::Response<Body>,
        >,
    S::Error: Into<ConnectionError>,
    S::Future: 'static,
    TokioExecutor: HttpServerConnExec<S::Future, Body>,
{
    fn graceful_shutdown(&mut self) {
        self.as_mut().graceful_shutdown();
    }
}
