//! An arbitrary `Authorization` header value, through the bearer parser and the token validator
//! exactly as the extractors use them. No panic; a refused header never reaches the validator;
//! a token is accepted only with claims that hold.

use crate::{KIT, assert_accepted_claims_hold, validate};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use shared::auth::bearer::{bearer_token, parse_bearer};

/// One fuzz input; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    let max = KIT.validator.max_token_bytes();
    // As a header that arrived (hyper refuses control bytes before any parser sees them).
    if let Ok(value) = HeaderValue::from_bytes(data) {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value);
        if let Ok(Some(token)) = bearer_token(&headers, max) {
            assert!(token.len() <= max, "a token over the cap was let through");
            assert!(
                data.len() > 7 && data[..7].eq_ignore_ascii_case(b"bearer "),
                "a token without the Bearer scheme"
            );
            assert_eq!(token.as_bytes(), &data[7..]);
            if let Ok(claims) = validate(token) {
                assert_accepted_claims_hold(&claims);
            }
        }
    }
    // The parser alone, on any bytes, and the validator on any text (its own shape checks).
    let _ = parse_bearer(data, max);
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(claims) = validate(text)
    {
        assert_accepted_claims_hold(&claims);
    }
}
