//! Black-box tests of dev-idp over real HTTP (redirects are not followed).

mod helpers;

mod authorize;
mod discovery;
mod end_session;
mod keys;
mod revoke;
mod token;
mod token_exchange;
mod userinfo;
