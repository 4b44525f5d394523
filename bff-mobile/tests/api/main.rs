//! Black-box tests of bff-mobile: the real app on a random port, against the real demo upstreams
//! in-process, over HTTP.

mod attacks;
mod auth;
mod budgets;
mod cart;
mod contract;
mod defaults;
mod helpers;
mod home;
mod images;
mod product;
mod readiness;
mod search;
mod token_exchange;
mod version_gate;
