//! bff-web's black-box suite: the real demo upstreams and the real app, each on 127.0.0.1 port 0,
//! called over HTTP.

mod errors;
mod helpers;
mod home;
mod product;
mod reviews;
mod search;
