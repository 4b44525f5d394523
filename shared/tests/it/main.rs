//! shared's integration tests, one test binary: each module is one area of the library, tested
//! through its public API against real local servers (upstreams, an identity provider, Redis).
//!
//! The session tests also run against a `redis-server` started per test (it must be on the
//! PATH: `apt-get install -y redis-server`).
//!
//! The support modules live beside this directory, in `tests/`, because other test binaries
//! include them too (the auth kit also bff-mobile's attack suite).
//!
//! Four files in `tests/` stay their own binaries because they change or read the whole
//! process: `idle_memory.rs` replaces the global allocator, `client_address.rs` installs a global
//! log subscriber and reads every thread's log lines, `otlp.rs` starts the process-wide trace
//! exporter, and `connections.rs` reads process-wide connection counters that the other servers'
//! idle connections would move.

mod auth_backchannel;
mod auth_oidc;
mod auth_sessions;
#[path = "../auth_support/mod.rs"]
mod auth_support;
mod auth_tokens;
mod cache;
mod config;
mod readiness;
mod resilience;
mod server;
#[path = "../server_support/mod.rs"]
mod server_support;
mod tls;
mod token_exchange;
mod upstream_client;
#[path = "../upstream_support/mod.rs"]
mod upstream_support;
