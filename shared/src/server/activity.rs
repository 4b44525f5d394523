//! What a connection is doing, and the deadline that follows from it.
//!
//! hyper's HTTP/1 header-read timer only runs once the protocol is known and the head is being
//! read, so a connection that sends nothing (or a partial HTTP/2 preface, or an HTTP/2 preface and
//! then nothing, or a HEADERS frame never finished) was held for as long as its client liked.
//! [`Activity`] is fed by the socket (bytes read) and the service (requests started and finished),
//! and [`supervise`] drops the connection when its phase's deadline passes:
//!
//! - before the first request is complete: `header_read_timeout` from the accept, whatever the
//!   protocol and whatever bytes arrived;
//! - HTTP/1, idle after a response: `keep_alive_timeout` for the next request's first byte, then
//!   `header_read_timeout` from that byte for the rest of its head;
//! - HTTP/2, no stream open: `keep_alive_timeout` (hyper's pings meanwhile detect dead peers);
//! - a request in flight: no deadline here (`request_timeout` bounds the handler).

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::http::Version;
use bytes::Bytes;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::idle::Served;

/// The connection timers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    pub header_read: Duration,
    pub keep_alive: Duration,
    /// Idle this long (HTTP/1, no byte of a next request yet): park (see [`super::idle`]);
    /// zero: never.
    pub park_idle_after: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Accepted; no complete request yet.
    AwaitingFirst,
    /// This many requests (HTTP/2 streams) being served.
    Busy(usize),
    /// Between requests: since when, and when the next request's first byte came.
    Idle {
        since: Instant,
        first_byte: Option<Instant>,
    },
}

#[derive(Debug)]
struct State {
    phase: Phase,
    http2: bool,
}

/// One connection's activity, shared by its socket, its service and its supervisor.
#[derive(Debug)]
pub(super) struct Activity {
    accepted: Instant,
    state: Mutex<State>,
    changed: Notify,
    /// Set while hyper finishes a connection being parked: its socket must not be shut down.
    keep_socket_open: AtomicBool,
}

/// Why a connection was dropped by its supervisor (the metric's `phase` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// No complete first request within `header_read_timeout`.
    FirstRequest,
    /// A later request's head not complete within `header_read_timeout` of its first byte.
    RequestHead,
    /// Idle longer than `keep_alive_timeout`.
    KeepAlive,
}

impl Expired {
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::FirstRequest => "first_request",
            Self::RequestHead => "request_head",
            Self::KeepAlive => "keep_alive",
        }
    }
}

impl Activity {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            accepted: Instant::now(),
            state: Mutex::new(State {
                phase: Phase::AwaitingFirst,
                http2: false,
            }),
            changed: Notify::new(),
            keep_socket_open: AtomicBool::new(false),
        })
    }

    pub(super) fn keep_socket_open(&self, keep: bool) {
        self.keep_socket_open.store(keep, Ordering::Relaxed);
    }

    pub(super) fn keeps_socket_open(&self) -> bool {
        self.keep_socket_open.load(Ordering::Relaxed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The socket read some bytes.
    pub(super) fn bytes_read(&self) {
        let mut state = self.state();
        if let Phase::Idle {
            first_byte: first_byte @ None,
            ..
        } = &mut state.phase
        {
            *first_byte = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    /// A request reached the service; the guard marks it finished when the response body is done
    /// (or the request is abandoned).
    pub(super) fn request_started(self: &Arc<Self>, version: Version) -> InFlight {
        let mut state = self.state();
        state.http2 |= version == Version::HTTP_2;
        state.phase = match state.phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        };
        drop(state);
        self.changed.notify_one();
        InFlight(self.clone())
    }

    fn request_finished(&self) {
        let mut state = self.state();
        state.phase = match state.phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle {
                since: Instant::now(),
                first_byte: None,
            },
        };
        drop(state);
        self.changed.notify_one();
    }

    /// Whether a request is being served (so a response written now is the service's).
    pub(super) fn is_busy(&self) -> bool {
        matches!(self.state().phase, Phase::Busy(_))
    }

    /// When the connection must be dropped, and why (`None` while a request is in flight); and
    /// since when an HTTP/1 connection has been idle with no byte of a next request (the time it
    /// may be parked from). One look at the state for both.
    fn outlook(&self, timeouts: Timeouts) -> (Option<(Instant, Expired)>, Option<Instant>) {
        let state = self.state();
        let quiet_since = match state.phase {
            Phase::Idle {
                since,
                first_byte: None,
            } if !state.http2 => Some(since),
            _ => None,
        };
        let deadline = match state.phase {
            Phase::AwaitingFirst => {
                Some((self.accepted + timeouts.header_read, Expired::FirstRequest))
            }
            Phase::Busy(_) => None,
            Phase::Idle {
                first_byte: Some(first_byte),
                ..
            } if !state.http2 => Some((first_byte + timeouts.header_read, Expired::RequestHead)),
            Phase::Idle { since, .. } => Some((since + timeouts.keep_alive, Expired::KeepAlive)),
        };
        (deadline, quiet_since)
    }
}

/// A request being served; dropping it marks the request finished.
#[derive(Debug)]
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// A response body that holds its request's [`InFlight`] until the last frame is taken.
pub(super) struct TrackedBody {
    body: Body,
    in_flight: Option<InFlight>,
}

impl TrackedBody {
    pub(super) fn wrap(body: Body, in_flight: InFlight) -> Body {
        Body::new(Self {
            body,
            in_flight: Some(in_flight),
        })
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None | Some(Err(_)))) {
            self.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// Drives `connection` until it ends or its phase's deadline passes; `Err` says which deadline
/// dropped it (dropping the connection closes the socket). `shutdown` changing (or closing)
/// starts the connection's graceful shutdown; the receiver is held until the connection ends,
/// so that the server can wait for every connection to finish.
pub(super) async fn supervise<C: Served>(
    mut connection: C,
    activity: &Activity,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<()>,
) -> Result<C::Output, Expired> {
    // While a request is in flight there is no deadline; look again this often (a finished
    // request also wakes the loop).
    let recheck = timeouts.header_read.min(timeouts.keep_alive);
    let sleep = tokio::time::sleep(recheck);
    tokio::pin!(sleep);
    let mut stopping = false;
    // The idle period already parked (parking is once per idle period).
    let mut parked: Option<Instant> = None;
    loop {
        let now = Instant::now();
        let (deadline, quiet_since) = activity.outlook(timeouts);
        if let Some((at, expired)) = deadline
            && at <= now
        {
            return Err(expired);
        }
        let mut wake_at = deadline.map_or_else(|| now + recheck, |(at, _)| at);
        if !timeouts.park_idle_after.is_zero()
            && let Some(since) = quiet_since
            && parked != Some(since)
        {
            let park_at = since + timeouts.park_idle_after;
            if park_at <= now {
                connection.park();
                parked = Some(since);
            } else {
                wake_at = wake_at.min(park_at);
            }
        }
        sleep.as_mut().reset(wake_at);
        tokio::select! {
            output = &mut connection => return Ok(output),
            () = &mut sleep => {}
            () = activity.changed.notified() => {}
            _ = shutdown.changed(), if !stopping => {
                stopping = true;
                connection.graceful_shutdown();
            }
        }
    }
}
