//! A minimal HTTP/1.1 exchange over a raw socket: the attacks send what no client library would,
//! and the idle check must keep each connection in its own hands.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use tokio::io::{AsyncRead, AsyncReadExt};
use url::Url;

/// Longest response head read before giving up on the response.
const MAX_HEAD: usize = 64 * 1024;

/// Where a target URL points, and the `Host` header for it.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
}

impl Target {
    pub async fn parse(url: &str) -> anyhow::Result<Self> {
        let url = Url::parse(url).with_context(|| format!("bad target URL {url}"))?;
        let host = url
            .host_str()
            .context("the target URL has no host")?
            .to_owned();
        let port = url
            .port_or_known_default()
            .context("the target URL has no port")?;
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await?
            .next()
            .with_context(|| format!("{host} does not resolve"))?;
        Ok(Self {
            addr,
            host: format!("{host}:{port}"),
        })
    }
}

/// A response read off a socket.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_problem(&self) -> bool {
        self.header("content-type")
            .is_some_and(|v| v.starts_with("application/problem+json"))
            && serde_json::from_slice::<serde_json::Value>(&self.body)
                .is_ok_and(|body| body["status"].as_u64() == Some(u64::from(self.status)))
    }
}

/// Reads one response: the head, then a `Content-Length` body, a chunked body, or (when neither)
/// everything up to the end of the stream. `Ok(None)` when the stream ends before any byte.
pub async fn read_response<R: AsyncRead + Unpin>(
    stream: &mut R,
) -> anyhow::Result<Option<Response>> {
    let mut buffer = Vec::with_capacity(1024);
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > MAX_HEAD {
            bail!("response head longer than {MAX_HEAD} bytes");
        }
        let mut chunk = [0u8; 4096];
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            if buffer.is_empty() {
                return Ok(None);
            }
            bail!("the stream ended inside the response head");
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buffer[head_end + 4..].to_vec();
    let mut response = Response {
        status,
        headers,
        body: Vec::new(),
    };
    let length = response
        .header("content-length")
        .and_then(|v| v.parse::<usize>().ok());
    let chunked = response
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    if let Some(length) = length {
        while body.len() < length {
            let mut chunk = vec![0u8; (length - body.len()).min(64 * 1024)];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                bail!("the stream ended inside the body");
            }
            body.extend_from_slice(&chunk[..read]);
        }
    } else if chunked {
        // Enough for the small bodies checked here: read until the last chunk, keep it raw.
        while !body.ends_with(b"0\r\n\r\n") {
            let mut chunk = [0u8; 4096];
            let read = stream.read(&mut chunk).await?;
            if read == 0 {
                bail!("the stream ended inside a chunked body");
            }
            body.extend_from_slice(&chunk[..read]);
        }
    } else if status != 204 && status != 304 {
        stream.read_to_end(&mut body).await?;
    }
    response.body = body;
    Ok(Some(response))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
