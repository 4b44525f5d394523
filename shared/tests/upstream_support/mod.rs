//! The upstream settings the shared client tests start from: a local URL, short timeouts and a
//! 1 MiB body cap; each test file overrides only what it is about.

use std::time::Duration;

use serde::de::DeserializeOwned;
use shared::aggregate::Screen;
use shared::upstream::{UpstreamClient, UpstreamError, UpstreamSettings};

/// `url`, 200 ms to connect, 2 s per call, 1 MiB bodies, 4 idle connections, the default
/// resilience and cache, no audience.
pub fn local_upstream(url: &str) -> UpstreamSettings {
    UpstreamSettings {
        url: url.parse().unwrap(),
        connect_timeout: Duration::from_millis(200),
        timeout: Duration::from_secs(2),
        max_body_bytes: 1024 * 1024,
        pool_max_idle: 4,
        required_for_readiness: true,
        resilience: Default::default(),
        cache: Default::default(),
        audience: None,
    }
}

/// `method` on `/{path}` (no query, no body) on behalf of the user whose token is `token`, as a
/// call of route class `test` within a 2 s screen.
#[allow(dead_code)] // Not every test file calls on a user's behalf.
pub async fn as_user<T: DeserializeOwned>(
    client: &UpstreamClient,
    method: reqwest::Method,
    path: &str,
    token: &str,
) -> Result<T, UpstreamError> {
    let screen = Screen::start(Duration::from_secs(2));
    client
        .call_as_user::<T, ()>(&screen, "test", method, &[path], &[], token, None)
        .await
}
