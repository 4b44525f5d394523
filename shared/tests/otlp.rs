//! Trace export: with `telemetry.otlp.endpoint` set, a screen request and its upstream call
//! arrive at a (real, local) OTLP/HTTP collector as a server span that continues the caller's
//! `traceparent` and a client span whose id is the `traceparent` the upstream received.

mod server_support;
mod upstream_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{MethodRouter, get, post};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use serde::Deserialize;
use shared::aggregate::Screen;
use shared::server::ServerSettings;
use shared::telemetry::{OtlpSettings, TelemetrySettings};
use shared::upstream::{UpstreamClient, UpstreamSettings};
use upstream_support::local_upstream;

type Collected = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;
type Seen = Arc<Mutex<Vec<String>>>;

async fn listen(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(shared::server::serve(listener, app, std::future::pending()));
    url
}

/// Serves `route` at `path` with `state`; its URL.
async fn serve_at<S>(path: &str, route: MethodRouter<S>, state: S) -> String
where
    S: Clone + Send + Sync + 'static,
{
    listen(Router::new().route(path, route).with_state(state)).await
}

#[derive(Clone, Deserialize)]
struct Thing {
    n: u32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_and_its_upstream_call_are_exported_as_joined_spans() {
    let collected = Collected::default();
    let collector = serve_at(
        "/v1/traces",
        post(|State(c): State<Collected>, body: Bytes| async move {
            c.lock()
                .unwrap()
                .push(ExportTraceServiceRequest::decode(body).unwrap());
        }),
        collected.clone(),
    )
    .await;
    let seen = Seen::default();
    let origin = serve_at(
        "/thing",
        get(|State(seen): State<Seen>, headers: HeaderMap| async move {
            let parent = headers["traceparent"].to_str().unwrap().to_owned();
            seen.lock().unwrap().push(parent);
            r#"{"n":7}"#
        }),
        seen.clone(),
    )
    .await;
    shared::telemetry::init(&TelemetrySettings {
        otlp: OtlpSettings {
            endpoint: Some(format!("{collector}/v1/traces").parse().unwrap()),
            service_name: Some("otlp-test".to_owned()),
            ..OtlpSettings::default()
        },
        ..TelemetrySettings::default()
    });

    let upstream = UpstreamClient::new(
        "origin",
        &UpstreamSettings {
            connect_timeout: Duration::from_millis(500),
            max_body_bytes: 1024,
            pool_max_idle: 2,
            ..local_upstream(&origin)
        },
    )
    .unwrap();
    let screen = Router::new().route(
        "/screen/{id}",
        get(move || {
            let upstream = upstream.clone();
            async move {
                let screen = Screen::start(Duration::from_secs(2));
                let thing: Thing = upstream
                    .get_json(&screen, "test", &["thing"], &[])
                    .await
                    .unwrap();
                thing.n.to_string()
            }
        }),
    );
    let settings = ServerSettings {
        trust_inbound_traceparent: shared::trace_context::TraceparentTrust::Always,
        ..server_support::local_settings()
    };
    let bff = listen(shared::server::stack(screen, &settings)).await;

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = reqwest::Client::new()
        .get(format!("{bff}/screen/1"))
        .header("traceparent", format!("00-{trace_id}-{caller_span}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "7");
    shared::telemetry::shutdown().await;

    let requests = collected.lock().unwrap().clone();
    let service_names: Vec<String> = requests
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|rs| &rs.resource)
        .flat_map(|res| &res.attributes)
        .filter(|kv| kv.key == "service.name")
        .map(|kv| format!("{:?}", kv.value))
        .collect();
    assert!(
        service_names.iter().all(|v| v.contains("otlp-test")),
        "{service_names:?}"
    );
    let spans: Vec<_> = requests
        .into_iter()
        .flat_map(|r| r.resource_spans)
        .flat_map(|rs| rs.scope_spans)
        .flat_map(|ss| ss.spans)
        .collect();
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let server = spans
        .iter()
        .find(|s| s.kind == SpanKind::Server as i32)
        .expect("a server span");
    let client = spans
        .iter()
        .find(|s| s.kind == SpanKind::Client as i32)
        .expect("a client span");
    assert_eq!(server.name, "GET /screen/{id}");
    assert_eq!(hex(&server.trace_id), trace_id);
    assert_eq!(hex(&server.parent_span_id), caller_span);
    assert_eq!(hex(&client.trace_id), trace_id);
    assert_eq!(client.parent_span_id, server.span_id);
    let received = seen.lock().unwrap()[0].clone();
    assert_eq!(
        received,
        format!("00-{trace_id}-{}-01", hex(&client.span_id)),
        "the upstream's traceparent names the exported client span"
    );
}
