//! bff-web's black-box suite: the real demo upstreams, the real development identity provider
//! and the real app, each on 127.0.0.1 port 0, called over HTTP.
//!
//! The session tests also run against a `redis-server` started per test (it must be on the
//! PATH: `apt-get install -y redis-server`).

mod account;
mod attacks;
mod auth;
mod contract;
mod csrf;
mod defaults;
mod errors;
#[cfg(feature = "graphql")]
mod graphql;
#[cfg(feature = "graphql")]
mod graphql_safety;
mod helpers;
mod home;
mod product;
mod reviews;
mod search;
mod sessions;
mod storefront;
mod token_exchange;
