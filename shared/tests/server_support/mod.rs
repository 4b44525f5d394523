//! The server settings the shared server tests start from: a random local port, short timeouts
//! and small limits; each test file overrides only what it is about.

use std::time::Duration;

use shared::server::ServerSettings;

/// 127.0.0.1, port 0, 5 s timeouts, 1 KiB bodies, 8 KiB heads, the default rate limit.
pub fn local_settings() -> ServerSettings {
    ServerSettings {
        host: "127.0.0.1".parse().unwrap(),
        port: 0,
        request_timeout: Duration::from_secs(5),
        header_read_timeout: Duration::from_secs(5),
        keep_alive_timeout: Duration::from_secs(75),
        park_idle_after: Duration::from_secs(1),
        max_connections: None,
        http2_cleartext: false,
        http2_max_concurrent_streams: 100,
        shutdown_grace: Duration::from_secs(1),
        drain_delay: Duration::ZERO,
        max_body_bytes: 1024,
        max_header_bytes: 8192,
        compression_min_bytes: 1024,
        max_in_flight: 64,
        rate_limit: Default::default(),
        trust_inbound_traceparent: Default::default(),
        admin_port: None,
        metrics_on_public_port: false,
    }
}
