//! The accepted socket as hyper sees it: reads feed the connection's [`Activity`], and hyper's own
//! HTTP/1 refusals get a problem body.
//!
//! hyper answers a head it cannot parse (400), one over `max_header_bytes` (431) or a URI too long
//! (414) itself, with an empty body and no hook to change it. Such an answer is the only response
//! hyper writes while no request is in the service, so the socket recognises it there (status 400,
//! 414 or 431 with `content-length: 0`) and writes an `application/problem+json` answer of the same
//! status in its place. HTTP/2 refusals are stream resets or GOAWAY frames: no body to give.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::activity::Activity;

/// A TCP stream watched for its connection's deadlines.
pub(super) struct WatchedSocket {
    inner: TcpStream,
    activity: Arc<Activity>,
    /// A problem answer still to write in place of hyper's bare refusal.
    replacement: Vec<u8>,
    written: usize,
    /// Bytes a parked connection's hyper had read ahead, given to the next one first.
    replay: Bytes,
}

impl WatchedSocket {
    pub(super) fn new(inner: TcpStream, activity: Arc<Activity>) -> Self {
        Self {
            inner,
            activity,
            replacement: Vec::new(),
            written: 0,
            replay: Bytes::new(),
        }
    }

    /// Reads start with `bytes` (see [`super::idle`]).
    pub(super) fn replay(&mut self, bytes: Bytes) {
        self.replay = bytes;
    }

    /// Ready when a read would not wait: bytes to replay, bytes in, or the peer gone.
    pub(super) fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.replay.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.inner.poll_read_ready(cx)
    }

    /// Writes what is left of the replacement answer.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.replacement.len() {
            let n = ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.replacement[self.written..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes `buf` in place of hyper's refusal when it is one: the replacement is queued (and
    /// written as far as the socket takes it now), and hyper is told its bytes were written.
    fn replace_refusal(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Option<io::Result<usize>> {
        if !self.replacement.is_empty() || self.activity.is_busy() {
            return None;
        }
        let status = hyper_refusal(buf)?;
        tracing::debug!(status = status.as_u16(), "malformed request head refused");
        self.replacement = problem_response(status, refusal_detail(status), None);
        match self.poll_replacement(cx) {
            Poll::Ready(Err(error)) => Some(Err(error)),
            _ => Some(Ok(buf.len())),
        }
    }
}

/// The status of an automatic refusal hyper is writing, if `buf` is one.
fn hyper_refusal(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status = match rest.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let empty_body = buf[..head_end]
        .split(|&b| b == b'\n')
        .any(|line| line.eq_ignore_ascii_case(b"content-length: 0\r"));
    (empty_body && head_end + 4 == buf.len()).then_some(status)
}

fn refusal_detail(status: StatusCode) -> &'static str {
    match status {
        StatusCode::URI_TOO_LONG => "The request target is too long.",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "The request head is too large.",
        _ => "The request head is malformed.",
    }
}

/// A complete HTTP/1.1 problem answer that closes the connection, for the places where the
/// service is not there to answer (hyper's refusals, the connection cap).
pub(super) fn problem_response(
    status: StatusCode,
    detail: &str,
    retry_after: Option<u64>,
) -> Vec<u8> {
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    })
    .to_string();
    let retry_after = retry_after.map_or_else(String::new, |s| format!("retry-after: {s}\r\n"));
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: {}\r\ncontent-length: {}\r\n\
         x-content-type-options: nosniff\r\ncache-control: no-store\r\n{retry_after}\
         connection: close\r\n\r\n{body}",
        crate::problem::CONTENT_TYPE,
        body.len(),
    )
    .into_bytes()
}

impl AsyncRead for WatchedSocket {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.replay.is_empty() {
            let n = this.replay.len().min(buf.remaining());
            buf.put_slice(&this.replay.split_to(n));
            this.activity.bytes_read();
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for WatchedSocket {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(replaced) = this.replace_refusal(cx, buf) {
            return Poll::Ready(replaced);
        }
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(first) = bufs.iter().find(|b| !b.is_empty())
            && let Some(replaced) = this.replace_refusal(cx, first)
        {
            return Poll::Ready(replaced);
        }
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replacement(cx))?;
        if this.activity.keeps_socket_open() {
            // hyper is finishing so that the connection can be parked, not closed.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_bare_refusals_are_recognised() {
        let bare = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(
            hyper_refusal(bare),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(hyper_refusal(with_body), None);
        let other = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(hyper_refusal(other), None);
    }
}
