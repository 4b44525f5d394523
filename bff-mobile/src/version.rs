//! The app version gate: builds older than `app.min_version` are told to update.
//!
//! The app sends its version in `X-App-Version: MAJOR.MINOR.PATCH`. A build below the minimum gets
//! `426 Upgrade Required` with a problem type the app recognises and turns into its "please
//! update" screen, before any upstream is called; as RFC 9110 §15.5.22 requires of a 426, an
//! `Upgrade` header names what to upgrade to (`storefront-app/<min_version>`). A malformed
//! version is a 400; no header at all is allowed (other clients, probes, curl). `/healthz` and
//! `/readyz` are not gated.

use std::fmt;
use std::str::FromStr;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::problem::Problem;

/// The request header carrying the app's version.
pub static HEADER: HeaderName = HeaderName::from_static("x-app-version");

/// The protocol name in the `Upgrade` header of a 426: the app, at the minimum version.
pub const UPGRADE_PRODUCT: &str = "storefront-app";

/// The problem type of a refused build; the app matches on it.
pub const UPDATE_REQUIRED_TYPE: &str = "https://bff.example/problems/app-update-required";

/// A version `MAJOR.MINOR.PATCH`, compared numerically part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct AppVersion {
    /// Incompatible releases.
    pub major: u32,
    /// Feature releases.
    pub minor: u32,
    /// Fixes.
    pub patch: u32,
}

/// A version that is not `MAJOR.MINOR.PATCH` with plain decimal parts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected MAJOR.MINOR.PATCH, e.g. 1.4.2")]
pub struct MalformedVersion;

impl FromStr for AppVersion {
    type Err = MalformedVersion;

    /// Strict: three decimal parts of at most 9 digits, no sign, no leading zeros (as in
    /// SemVer), no spaces, no pre-release or build suffix.
    fn from_str(value: &str) -> Result<Self, MalformedVersion> {
        let mut parts = value.split('.');
        let mut next = || parts.next().ok_or(MalformedVersion).and_then(part);
        let version = Self {
            major: next()?,
            minor: next()?,
            patch: next()?,
        };
        if parts.next().is_some() {
            return Err(MalformedVersion);
        }
        Ok(version)
    }
}

fn part(digits: &str) -> Result<u32, MalformedVersion> {
    let plain = (1..=9).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !plain {
        return Err(MalformedVersion);
    }
    digits.parse().map_err(|_| MalformedVersion)
}

impl TryFrom<String> for AppVersion {
    type Error = MalformedVersion;

    fn try_from(value: String) -> Result<Self, MalformedVersion> {
        value.parse()
    }
}

impl From<AppVersion> for String {
    fn from(version: AppVersion) -> Self {
        version.to_string()
    }
}

impl fmt::Display for AppVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Middleware on the `/v1` routes: refuses builds below `min_version` (426) and malformed
/// versions (400) before any handler or upstream call runs. Responses it lets through say
/// `Vary: X-App-Version`, so a shared cache never hands a screen fetched by a current build to
/// a build that must update.
pub async fn gate(State(min_version): State<AppVersion>, request: Request, next: Next) -> Response {
    let mut values = request.headers().get_all(&HEADER).iter();
    let Some(value) = values.next() else {
        return pass(request, next).await;
    };
    let version = if values.next().is_some() {
        Err(MalformedVersion)
    } else {
        value
            .to_str()
            .map_err(|_| MalformedVersion)
            .and_then(str::parse::<AppVersion>)
    };
    match version {
        Err(MalformedVersion) => Problem::bad_request(
            "The X-App-Version header is malformed; send MAJOR.MINOR.PATCH, e.g. 1.4.2.",
        )
        .into_response(),
        Ok(version) if version < min_version => {
            tracing::debug!(%version, %min_version, "app build refused");
            update_required(min_version).into_response()
        }
        Ok(_) => pass(request, next).await,
    }
}

async fn pass(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    crate::add_vary(&mut response, "X-App-Version");
    response
}

/// The 426 problem of a build that is too old, with the `Upgrade` header a 426 must carry.
fn update_required(min_version: AppVersion) -> Problem {
    // Digits and dots after a token: always a valid header value.
    let upgrade = HeaderValue::from_str(&format!("{UPGRADE_PRODUCT}/{min_version}"))
        .unwrap_or_else(|_| HeaderValue::from_static(UPGRADE_PRODUCT));
    Problem::new(StatusCode::UPGRADE_REQUIRED)
        .with_header(header::UPGRADE, upgrade)
        .with_type(UPDATE_REQUIRED_TYPE)
        .with_title("App update required")
        .with_detail(format!(
            "This version of the app is no longer supported. Please update the app to version \
             {min_version} or later."
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, patch: u32) -> AppVersion {
        AppVersion {
            major,
            minor,
            patch,
        }
    }

    #[test]
    fn well_formed_versions_parse() {
        for (text, expected) in [
            ("1.0.0", v(1, 0, 0)),
            ("0.0.0", v(0, 0, 0)),
            ("10.20.30", v(10, 20, 30)),
            ("999999999.0.1", v(999_999_999, 0, 1)),
        ] {
            assert_eq!(text.parse(), Ok(expected), "{text}");
            assert_eq!(expected.to_string(), text);
        }
    }

    #[test]
    fn anything_else_is_malformed() {
        for text in [
            "",
            "1",
            "1.0",
            "1.0.0.0",
            "1..0",
            ".1.0",
            "1.0.",
            "v1.0.0",
            "1.0.0-beta",
            "1.0.0+build",
            " 1.0.0",
            "1.0.0 ",
            "01.0.0",
            "1.00.0",
            "-1.0.0",
            "+1.0.0",
            "1.a.0",
            "1234567890.0.0",
            "١.٠.٠",
        ] {
            assert_eq!(
                text.parse::<AppVersion>(),
                Err(MalformedVersion),
                "{text:?}"
            );
        }
    }

    #[test]
    fn versions_compare_numerically_not_as_text() {
        assert!(v(1, 10, 0) > v(1, 9, 9));
        assert!(v(2, 0, 0) > v(1, 99, 99));
        assert!(v(1, 0, 1) > v(1, 0, 0));
        assert_eq!(v(1, 2, 3), v(1, 2, 3));
    }
}
