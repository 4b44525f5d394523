//! Cross-site request defence for every `/api/*` route and `POST /auth/logout`.
//!
//! - A static custom header, `X-CSRF: 1`, on every request, whatever the method (GET
//!   included): a cross-site page can send a form or an image request with the user's cookies,
//!   but not a custom header without a CORS preflight, and bff-web answers no preflight (it has
//!   no CORS layer; its pages are served from its own origin).
//! - `Sec-Fetch-Site: cross-site` (and `same-site`: a sibling subdomain is another origin too) is
//!   refused; browsers set that header themselves and pages cannot forge it.
//!
//! Both checks run before any extractor or upstream call: a refused request costs nothing.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::problem::Problem;

/// The header every API request must carry, with the value [`VALUE`].
pub static HEADER: HeaderName = HeaderName::from_static("x-csrf");
/// The only accepted value of [`HEADER`].
pub const VALUE: &str = "1";

/// Middleware: refuses requests that fail [`check`] with a 403 problem.
pub async fn require(request: Request, next: Next) -> Response {
    match check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(problem) => problem.into_response(),
    }
}

/// `Ok` when the request is same-origin by the browser's word (`Sec-Fetch-Site`, if sent) and
/// carries exactly one `X-CSRF: 1`.
pub fn check(headers: &HeaderMap) -> Result<(), Problem> {
    let cross_site = headers
        .get_all("sec-fetch-site")
        .iter()
        .any(|site| site == "cross-site" || site == "same-site");
    if cross_site {
        tracing::info!("cross-site API request refused");
        return Err(Problem::new(StatusCode::FORBIDDEN)
            .with_detail("Cross-site requests are not accepted."));
    }
    let mut values = headers.get_all(&HEADER).iter();
    let valid = values.next().is_some_and(|value| value == VALUE) && values.next().is_none();
    if !valid {
        tracing::info!("API request without the CSRF header refused");
        return Err(Problem::new(StatusCode::FORBIDDEN)
            .with_detail("This request needs the header X-CSRF: 1."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn exactly_one_x_csrf_1_passes() {
        assert!(check(&headers(&[("x-csrf", "1")])).is_ok());
        assert!(
            check(&headers(&[
                ("x-csrf", "1"),
                ("sec-fetch-site", "same-origin")
            ]))
            .is_ok()
        );
        assert!(check(&headers(&[("x-csrf", "1"), ("sec-fetch-site", "none")])).is_ok());
        for bad in [
            headers(&[]),
            headers(&[("x-csrf", "0")]),
            headers(&[("x-csrf", "true")]),
            headers(&[("x-csrf", "")]),
            headers(&[("x-csrf", "1"), ("x-csrf", "1")]),
            headers(&[("x-csrf", "1"), ("sec-fetch-site", "cross-site")]),
            headers(&[("x-csrf", "1"), ("sec-fetch-site", "same-site")]),
        ] {
            let problem = check(&bad).unwrap_err();
            assert_eq!(problem.status_code(), StatusCode::FORBIDDEN, "{bad:?}");
        }
    }
}
