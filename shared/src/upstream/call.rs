//! How one upstream call is sent: within the screen's remaining budget, through the bulkhead,
//! the route's circuit breaker and the retry policy, with the deadline, request id and trace
//! headers, its status mapped to an [`ErrorKind`] and its body read under the byte cap.

use std::time::Duration;

use axum::http::HeaderValue;
use bytes::Bytes;
use http::header::HeaderMap;

use super::resilience::Verdict;
use super::transport::{BodyError, Failure, Outbound};
use super::{DEADLINE_HEADER, ErrorKind, UpstreamClient, UpstreamError};
use crate::telemetry::ClientSpan;

impl UpstreamClient {
    /// Sends the request within the screen's remaining budget, through the bulkhead, the breaker
    /// of `route` and the retry policy, and reads the body under the cap.
    pub(crate) async fn execute(
        &self,
        route: &'static str,
        call: &CallContext,
        request: Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let started = std::time::Instant::now();
        // Boxed: a call in flight (the transport's future, the retries, the timers) is kilobytes, and
        // a screen holds several at once in a future that every layer moves; one allocation per
        // call keeps the screen's future small.
        let result = Box::pin(self.attempts(route, call, request)).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => error.kind.label(),
        };
        self.series.record(outcome, started.elapsed());
        result
    }

    async fn attempts(
        &self,
        route: &'static str,
        call: &CallContext,
        request: Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let _slot = self.guard.enter().map_err(|kind| self.error(kind))?;
        self.guard.deposit();
        let idempotent = request.method.is_idempotent();
        let mut attempts = 0;
        loop {
            let remaining = call.remaining();
            if remaining.is_zero() {
                return Err(self.error(ErrorKind::Timeout));
            }
            let admission = self.guard.admit(route).map_err(|kind| self.error(kind))?;
            attempts += 1;
            // One timer for the attempt: the upstream's own `timeout` or the screen's deadline,
            // whichever comes first. Only the former says something about the upstream (it
            // counts against the breaker); the latter cancels.
            let own_timeout = self.http.timeout();
            let upstream_first = own_timeout < remaining;
            let attempt = self.send(call, remaining, &request);
            let (result, verdict) =
                match tokio::time::timeout(own_timeout.min(remaining), attempt).await {
                    Ok(result) => {
                        let verdict =
                            Verdict::of(result.as_ref().map(|_| ()).map_err(|error| &error.kind));
                        (result, verdict)
                    }
                    Err(_) if upstream_first => {
                        let error = self.transport_error(Failure::Timeout);
                        let verdict = Verdict::of(Err(&error.kind));
                        (Err(error), verdict)
                    }
                    Err(_) => (Err(self.error(ErrorKind::Timeout)), Verdict::Cancelled),
                };
            self.guard.record(route, admission, verdict);
            let Err(error) = result else {
                return result;
            };
            if !self.guard.may_retry(&error.kind, idempotent, attempts) {
                return Err(error);
            }
            let backoff = self.guard.backoff(attempts);
            if backoff >= call.remaining() {
                return Err(error);
            }
            tracing::debug!(upstream = self.name, %error, attempts, "retrying");
            tokio::time::sleep(backoff).await;
        }
    }

    /// One attempt, traced as a client span when traces are exported.
    async fn send(
        &self,
        call: &CallContext,
        remaining: Duration,
        request: &Outbound,
    ) -> Result<Fetched, UpstreamError> {
        let Some(trace) = &call.trace else {
            return self.send_traced(call, remaining, request, None).await;
        };
        let (span, traceparent) = ClientSpan::start(trace, self.name, request.method.as_str());
        let result = self
            .send_traced(call, remaining, request, Some(traceparent))
            .await;
        span.end(match &result {
            Ok(_) => "ok",
            Err(error) => error.kind.label(),
        });
        result
    }

    async fn send_traced(
        &self,
        call: &CallContext,
        remaining: Duration,
        request: &Outbound,
        traceparent: Option<String>,
    ) -> Result<Fetched, UpstreamError> {
        // The upstream's own `timeout` and the screen's deadline are enforced around the attempt
        // (see `attempts`); the shorter is told to the upstream.
        let budget = remaining.min(self.http.timeout());
        let mut headers = HeaderMap::with_capacity(4);
        let budget_ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX);
        headers.insert(DEADLINE_HEADER.clone(), HeaderValue::from(budget_ms));
        if let Some(value) = &call.request_id_header {
            headers.insert(crate::request_id::HEADER.clone(), value.clone());
        }
        if let Some(traceparent) = traceparent.and_then(|t| HeaderValue::try_from(t).ok()) {
            headers.insert(crate::trace_context::HEADER.clone(), traceparent);
            if let Some(state) = call
                .trace
                .as_ref()
                .and_then(|trace| trace.state.as_deref())
                .and_then(|state| HeaderValue::from_str(state).ok())
            {
                headers.insert(crate::trace_context::STATE_HEADER.clone(), state);
            }
        }
        let answer = self
            .http
            .exchange(request, headers, self.max_body_bytes)
            .await
            .map_err(|failure| self.transport_error(failure))?;
        let status = answer.status;
        let cache_control = answer.headers.get(http::header::CACHE_CONTROL).cloned();
        let etag = answer.headers.get(http::header::ETAG).cloned();
        if status == http::StatusCode::NOT_MODIFIED {
            return Ok(Fetched {
                body: None,
                cache_control,
                etag,
            });
        }
        if !status.is_success() {
            return Err(self.error(match status.as_u16() {
                404 => ErrorKind::NotFound,
                code @ (401 | 403) => ErrorKind::Unauthorized(code),
                504 => ErrorKind::Timeout,
                code @ 400..=499 => ErrorKind::Rejected(code),
                code => ErrorKind::Failed(code),
            }));
        }
        let body = answer.body.map_err(|error| match error {
            BodyError::TooLarge => self.error(ErrorKind::TooLarge),
            BodyError::Failed(failure) => self.transport_error(failure),
        })?;
        Ok(Fetched {
            body: Some(body),
            cache_control,
            etag,
        })
    }

    fn transport_error(&self, failure: Failure) -> UpstreamError {
        tracing::debug!(upstream = self.name, ?failure, "upstream transport error");
        self.error(match failure {
            Failure::Timeout => ErrorKind::Timeout,
            Failure::Unreachable => ErrorKind::Unreachable,
            Failure::Interrupted => ErrorKind::Interrupted,
        })
    }
}

/// What a call needs to know of its screen, owned, so that a call shared by several screens
/// (coalescing) can outlive the one that started it.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// When the screen's deadline passes.
    pub deadline: tokio::time::Instant,
    /// The inbound request's id, forwarded (as the header value: made once per screen).
    pub request_id_header: Option<HeaderValue>,
    /// The inbound request's trace; each call carries a child `traceparent`.
    pub trace: Option<crate::trace_context::TraceContext>,
}

impl CallContext {
    fn remaining(&self) -> Duration {
        self.deadline
            .saturating_duration_since(tokio::time::Instant::now())
    }
}

/// One upstream answer: its body (`None` for `304 Not Modified`) and the headers that govern
/// caching.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) body: Option<Bytes>,
    pub(crate) cache_control: Option<HeaderValue>,
    pub(crate) etag: Option<HeaderValue>,
}

impl Fetched {
    pub(super) fn body(&self) -> &[u8] {
        self.body.as_deref().unwrap_or_default()
    }
}
