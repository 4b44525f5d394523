//! Logs (`tracing`, human-readable or JSON) and, when an OTLP endpoint is configured, traces
//! exported to an OpenTelemetry collector.
//!
//! Traces: each inbound request is a server span that continues the caller's `traceparent`;
//! each upstream attempt is a client span whose id is the `traceparent` the upstream receives,
//! so the collector joins the BFF's calls to the screen that made them and to the upstreams'
//! own spans. Without an endpoint (the default) nothing is exported and the cost is one check.

use std::borrow::Cow;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags, TraceId,
    TraceState, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use url::Url;

use crate::trace_context::TraceContext;

/// How a binary logs and traces.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `pretty` for a terminal, `json` for a log pipeline. Default `pretty`; env `…__TELEMETRY__FORMAT`.
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info,shared=debug`. Default `info`; env `…__TELEMETRY__FILTER`.
    pub filter: String,
    /// Trace export; off unless an endpoint is set.
    #[serde(default)]
    pub otlp: OtlpSettings,
}

/// OpenTelemetry trace export over OTLP/HTTP (protobuf). Env `…__TELEMETRY__OTLP__<KEY>`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct OtlpSettings {
    /// The collector's traces URL, e.g. `http://otel-collector:4318/v1/traces`. Default none
    /// (no export).
    #[serde(serialize_with = "crate::config::masked::optional_url")]
    pub endpoint: Option<Url>,
    /// `service.name` of the exported spans. Default: the executable's name.
    pub service_name: Option<String>,
    /// How long one export may take. Default `5s`.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        Self {
            endpoint: None,
            service_name: None,
            timeout: Duration::from_secs(5),
        }
    }
}

/// The log line format.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            filter: "info".to_owned(),
            otlp: OtlpSettings::default(),
        }
    }
}

/// The trace exporter, when configured.
static EXPORT: OnceLock<(SdkTracerProvider, SdkTracer)> = OnceLock::new();

/// Installs the global log subscriber and, when `otlp.endpoint` is set, the trace exporter.
/// Call once, first thing in `main`, inside the Tokio runtime (the exporter runs on it). A
/// second call is a no-op.
pub fn init(settings: &TelemetrySettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    if let Some(endpoint) = &settings.otlp.endpoint {
        match start_export(endpoint, &settings.otlp) {
            Ok(()) => tracing::info!(%endpoint, "exporting traces over OTLP"),
            Err(error) => tracing::error!(%endpoint, %error, "trace export not started"),
        }
    }
}

/// Sends the spans not yet exported and stops the exporter; await before the process exits.
pub async fn shutdown() {
    let Some((provider, _)) = EXPORT.get() else {
        return;
    };
    let provider = provider.clone();
    // The SDK's shutdown blocks until the export task has flushed.
    match tokio::task::spawn_blocking(move || provider.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "trace export did not shut down cleanly"),
        Err(error) => tracing::warn!(%error, "trace export did not shut down cleanly"),
    }
}

fn start_export(endpoint: &Url, settings: &OtlpSettings) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpHttp(http))
        .with_endpoint(endpoint.as_str())
        .with_timeout(settings.timeout)
        .build()?;
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let service = settings
        .service_name
        .clone()
        .unwrap_or_else(executable_name);
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service)
                .build(),
        )
        .build();
    let tracer = provider.tracer("bff");
    EXPORT
        .set((provider, tracer))
        .map_err(|_| anyhow::anyhow!("the trace exporter is already installed"))
}

fn executable_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "bff".to_owned())
}

/// The exporter's HTTP client: the workspace's reqwest, so there is one HTTP stack.
#[derive(Debug)]
struct OtlpHttp(reqwest::Client);

#[async_trait::async_trait]
impl opentelemetry_http::HttpClient for OtlpHttp {
    async fn send_bytes(
        &self,
        request: http::Request<bytes::Bytes>,
    ) -> Result<http::Response<bytes::Bytes>, opentelemetry_http::HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let response = self.0.execute(request).await?;
        let mut answer = http::Response::builder().status(response.status());
        if let Some(headers) = answer.headers_mut() {
            *headers = response.headers().clone();
        }
        Ok(answer.body(response.bytes().await?)?)
    }
}

fn remote_parent(trace_id: [u8; 16], span_id: [u8; 8], sampled: bool) -> Context {
    let flags = if sampled {
        TraceFlags::SAMPLED
    } else {
        TraceFlags::default()
    };
    Context::new().with_remote_span_context(SpanContext::new(
        TraceId::from_bytes(trace_id),
        SpanId::from_bytes(span_id),
        flags,
        true,
        TraceState::default(),
    ))
}

/// The exported span of one inbound request (a no-op when export is off).
/// Boxed: the SDK span is large and lives across the request's await points.
pub(crate) struct ServerSpan(Option<Box<opentelemetry_sdk::trace::Span>>);

impl ServerSpan {
    /// Starts the span as a child of the caller's `traceparent`, and makes `trace` carry its
    /// ids so that upstream calls become its children.
    /// `name` (the method: the route is known at [`Self::end`]) is only called when spans are
    /// exported: no formatting on the hot path otherwise.
    pub(crate) fn start(trace: &mut TraceContext, name: impl FnOnce() -> String) -> Self {
        let Some((_, tracer)) = EXPORT.get() else {
            return Self(None);
        };
        let parent = if trace.parent_id == [0; 8] {
            Context::new()
        } else {
            remote_parent(trace.trace_id, trace.parent_id, trace.sampled)
        };
        let span = tracer
            .span_builder(name())
            .with_kind(SpanKind::Server)
            .start_with_context(tracer, &parent);
        let context = span.span_context();
        trace.trace_id = context.trace_id().to_bytes();
        trace.span_id = context.span_id().to_bytes();
        Self(Some(Box::new(span)))
    }

    /// Ends the span with the response status, named by `name` (called only when exported).
    pub(crate) fn end(self, status: u16, name: impl FnOnce() -> String) {
        if let Some(mut span) = self.0 {
            span.update_name(name());
            span.set_attribute(KeyValue::new(
                "http.response.status_code",
                i64::from(status),
            ));
            if status >= 500 {
                span.set_status(Status::error(Cow::Borrowed("server error")));
            }
            span.end();
        }
    }
}

/// The exported span of one upstream attempt (a no-op when export is off).
/// Boxed, like [`ServerSpan`].
pub(crate) struct ClientSpan(Option<Box<opentelemetry_sdk::trace::Span>>);

impl ClientSpan {
    /// Starts the span under the request's server span and returns it with the `traceparent`
    /// to send upstream.
    pub(crate) fn start(
        trace: &TraceContext,
        upstream: &'static str,
        method: &str,
    ) -> (Self, String) {
        let Some((_, tracer)) = EXPORT.get().filter(|_| trace.span_id != [0; 8]) else {
            return (Self(None), trace.child_header());
        };
        let parent = remote_parent(trace.trace_id, trace.span_id, trace.sampled);
        let span = tracer
            .span_builder(format!("{method} {upstream}"))
            .with_kind(SpanKind::Client)
            .with_start_time(SystemTime::now())
            .with_attributes([KeyValue::new("upstream", upstream)])
            .start_with_context(tracer, &parent);
        let header = TraceContext {
            trace_id: trace.trace_id,
            parent_id: trace.span_id,
            span_id: span.span_context().span_id().to_bytes(),
            sampled: trace.sampled,
            state: None,
        }
        .own_header();
        (Self(Some(Box::new(span))), header)
    }

    /// Ends the span with the attempt's outcome (`ok` or an error label).
    pub(crate) fn end(self, outcome: &str) {
        if let Some(mut span) = self.0 {
            if outcome != "ok" {
                span.set_status(Status::error(Cow::Owned(outcome.to_owned())));
            }
            span.set_attribute(KeyValue::new("outcome", outcome.to_owned()));
            span.end();
        }
    }
}
