//! Black-box tests of the demo upstreams over real HTTP, one module per service plus faults and
//! injected latency. One test binary, so the generated dataset is shared by every test.

mod accounts;
mod catalog;
mod faults;
mod helpers;
mod latency;
mod offers;
mod recommendations;
mod reviews;
