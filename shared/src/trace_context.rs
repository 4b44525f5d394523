//! W3C Trace Context: the `traceparent` of an inbound request is continued (same trace id) or
//! started, and every upstream call carries a child `traceparent`, so a tracing backend joins
//! the BFF's calls to the screen request that caused them.
//!
//! An inbound `traceparent` chooses the trace id and whether it is sampled, so by default it is
//! believed only from the trusted proxies (`server.rate_limit.trusted_proxies`); from anyone
//! else the request starts a new trace ([`TraceparentTrust`]). A `traceparent` of a later
//! version is continued as the specification says: its first four fields are read, the rest
//! ignored; version `ff` is invalid.

use std::sync::Arc;

use rand::RngCore;
use serde::Deserialize;

/// The header name.
pub static HEADER: http::HeaderName = http::HeaderName::from_static("traceparent");
/// The header of vendor-specific trace data, passed on with a continued `traceparent`.
pub static STATE_HEADER: http::HeaderName = http::HeaderName::from_static("tracestate");
/// The longest `tracestate` kept (the specification asks for at least 512 characters).
const MAX_STATE_LEN: usize = 512;
/// A version-00 `traceparent`: `00-` + 32 + `-` + 16 + `-` + 2.
const TRACEPARENT_LEN: usize = 55;

/// The trace this request belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// 16 bytes, never all zero.
    pub trace_id: [u8; 16],
    /// The caller's span (the parent of ours); zero when this request starts the trace.
    pub parent_id: [u8; 8],
    /// This service's span for the request, when traces are exported (the parent of the
    /// upstream calls' spans); zero otherwise.
    pub span_id: [u8; 8],
    /// Whether the caller sampled the trace.
    pub sampled: bool,
    /// The caller's `tracestate`, passed on unchanged to upstream calls; only with a continued
    /// `traceparent`.
    pub state: Option<Arc<str>>,
}

/// Whose inbound `traceparent` is continued. Env `…__SERVER__TRUST_INBOUND_TRACEPARENT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TraceparentTrust {
    /// Only a request whose TCP peer is a trusted proxy (the default).
    #[default]
    TrustedProxies,
    /// Every request's: any client chooses its trace id and sampling (a relaxation, logged).
    Always,
    /// Nobody's: every request starts a trace.
    Never,
}

impl TraceContext {
    /// Continues a valid inbound `traceparent`, or starts a new sampled trace.
    pub fn from_header(value: Option<&str>) -> Self {
        value.and_then(Self::parse).unwrap_or_else(Self::start)
    }

    /// Like [`Self::from_header`], keeping `tracestate` (its header lines, joined as one list)
    /// when the `traceparent` is continued and the state is at most 512 visible characters.
    pub fn from_headers<'a>(
        traceparent: Option<&str>,
        tracestate: impl Iterator<Item = &'a str>,
    ) -> Self {
        let Some(mut context) = traceparent.and_then(Self::parse) else {
            return Self::start();
        };
        let state = tracestate
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(",");
        if !state.is_empty()
            && state.len() <= MAX_STATE_LEN
            && state.bytes().all(|b| matches!(b, b' '..=b'~'))
        {
            context.state = Some(Arc::from(state));
        }
        context
    }

    /// A new trace.
    pub fn start() -> Self {
        let mut trace_id = [0u8; 16];
        rand::rng().fill_bytes(&mut trace_id);
        trace_id[0] |= 1;
        Self {
            trace_id,
            parent_id: [0; 8],
            span_id: [0; 8],
            sampled: true,
            state: None,
        }
    }

    fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let mut parts = value.splitn(5, '-');
        let (version, trace, parent, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let version = u8::from_str_radix(version, 16)
            .ok()
            .filter(|_| version.len() == 2 && hex(version).is_some())?;
        // Version 00 has exactly four fields; a later one may add fields after a dash.
        if version == 0xff || flags.len() != 2 || (version == 0 && parts.next().is_some()) {
            return None;
        }
        let trace_id: [u8; 16] = hex(trace)?.try_into().ok()?;
        let parent_id: [u8; 8] = hex(parent)?.try_into().ok()?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        let flags = u8::from_str_radix(flags, 16).ok()?;
        Some(Self {
            trace_id,
            parent_id,
            span_id: [0; 8],
            sampled: flags & 1 == 1,
            state: None,
        })
    }

    /// The trace id as 32 lower-case hex digits (for logs).
    pub fn trace_id_hex(&self) -> String {
        crate::hex::lower(&self.trace_id)
    }

    /// A `traceparent` for an outbound call: this trace, a new span id.
    pub fn child_header(&self) -> String {
        let mut span = [0u8; 8];
        rand::rng().fill_bytes(&mut span);
        span[0] |= 1;
        Self {
            span_id: span,
            state: None,
            ..*self
        }
        .own_header()
    }

    /// The `traceparent` naming `span_id` as the current span.
    pub(crate) fn own_header(&self) -> String {
        // Version 00: `00-` trace id (32 digits) `-` span id (16) `-` flags (2).
        let mut header = String::with_capacity(TRACEPARENT_LEN);
        header.push_str("00-");
        crate::hex::push_lower(&mut header, &self.trace_id);
        header.push('-');
        crate::hex::push_lower(&mut header, &self.span_id);
        header.push_str(if self.sampled { "-01" } else { "-00" });
        header
    }
}

fn hex(value: &str) -> Option<Vec<u8>> {
    if !value.len().is_multiple_of(2)
        || !value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_continued_and_children_keep_the_trace_id() {
        let inbound = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let context = TraceContext::from_header(Some(inbound));
        assert_eq!(context.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(context.sampled);
        let child = context.child_header();
        assert!(
            child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{child}"
        );
        assert!(child.ends_with("-01"));
        assert_eq!(child.len(), TRACEPARENT_LEN);
        assert_ne!(&child[36..52], "00f067aa0ba902b7");
        let unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
        let unsampled = TraceContext::from_header(Some(unsampled)).child_header();
        assert!(unsampled.ends_with("-00"), "{unsampled}");
        assert_eq!(
            TraceContext::parse(&child).map(|c| c.trace_id),
            Some(context.trace_id)
        );
    }

    #[test]
    fn tracestate_is_kept_only_with_a_continued_traceparent() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let lines = ["rojo=00f067aa0ba902b7", " congo=t61rcWkgMzE "];
        let context = TraceContext::from_headers(Some(parent), lines.into_iter());
        assert_eq!(
            context.state.as_deref(),
            Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        );
        let started = TraceContext::from_headers(Some("garbage"), lines.into_iter());
        assert_eq!(started.state, None);
        let long = "a=".to_owned() + &"b".repeat(600);
        for bad in [long.as_str(), "a=b\u{7f}", ""] {
            let context = TraceContext::from_headers(Some(parent), [bad].into_iter());
            assert_eq!(context.state, None, "{bad}");
            assert_eq!(context.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
        }
    }

    #[test]
    fn a_later_version_is_continued_from_its_first_four_fields() {
        for future in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-later",
        ] {
            let context = TraceContext::parse(future).expect(future);
            assert_eq!(context.trace_id_hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
            assert!(context.sampled);
            assert!(context.child_header().starts_with("00-4bf92f"), "{future}");
        }
    }

    #[test]
    fn invalid_traceparents_start_a_new_trace() {
        for bad in [
            "",
            "garbage",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(TraceContext::parse(bad).is_none(), "{bad}");
            assert_ne!(TraceContext::from_header(Some(bad)).trace_id, [0; 16]);
        }
    }
}
