//! The device profile of a request: how wide its images should be, and whether it saves data.
//!
//! Read from, in order of precedence: the query (`?w=`, `?dpr=`: the app knows its screen and
//! a malformed value there is a bug worth a 400), the standard client hints (`Sec-CH-Viewport-Width`,
//! `Sec-CH-DPR`), their legacy names (`Viewport-Width`, `DPR`), then the configured defaults.
//! Malformed hint headers are ignored: intermediaries and browsers send odd values and the screen
//! must still work. `Save-Data: on` asks for the smallest renditions.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use axum::response::Response;
use serde::Deserialize;
use shared::problem::Problem;
use shared::upstream::catalog::Image;
use utoipa::IntoParams;

use crate::AppState;
use crate::images;
use crate::settings::ImageSettings;

/// `Vary` of every response whose image URLs depend on the device.
pub const VARY: &str = "Viewport-Width, Sec-CH-Viewport-Width, DPR, Sec-CH-DPR, Save-Data";
/// `Accept-CH`: asks browsers (and web views) to send the hints on later requests.
pub const ACCEPT_CH: &str = "Sec-CH-Viewport-Width, Sec-CH-DPR, Save-Data";

static SEC_CH_VIEWPORT_WIDTH: HeaderName = HeaderName::from_static("sec-ch-viewport-width");
static VIEWPORT_WIDTH: HeaderName = HeaderName::from_static("viewport-width");
static SEC_CH_DPR: HeaderName = HeaderName::from_static("sec-ch-dpr");
static DPR: HeaderName = HeaderName::from_static("dpr");
static SAVE_DATA: HeaderName = HeaderName::from_static("save-data");
static ACCEPT_CH_HEADER: HeaderName = HeaderName::from_static("accept-ch");

/// What image choice needs to know about the requesting device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    /// Width in device pixels an image spanning the screen needs (width × DPR, clamped).
    pub target_width_px: u32,
    /// Whether the client asked for less data (`Save-Data: on`).
    pub save_data: bool,
}

/// The query's device hints (they win over the headers); malformed ones are a 400.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HintQuery {
    /// Viewport width in CSS pixels.
    #[param(value_type = Option<u32>, minimum = 1, example = 390)]
    w: Option<String>,
    /// Device pixel ratio.
    #[param(value_type = Option<f64>, minimum = 0, example = 3)]
    dpr: Option<String>,
}

/// The device hint headers, as documented (read by [`Device::from_request`]; malformed values
/// are ignored).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(
    dead_code,
    reason = "documents the headers; the extractor reads them itself"
)]
pub struct HintHeaders {
    /// Viewport width in CSS pixels (client hint).
    #[param(rename = "Sec-CH-Viewport-Width", value_type = Option<u32>, example = 390)]
    sec_ch_viewport_width: Option<String>,
    /// Legacy name of `Sec-CH-Viewport-Width`.
    #[param(rename = "Viewport-Width", value_type = Option<u32>, example = 390)]
    viewport_width: Option<String>,
    /// Device pixel ratio (client hint).
    #[param(rename = "Sec-CH-DPR", value_type = Option<f64>, example = 3)]
    sec_ch_dpr: Option<String>,
    /// Legacy name of `Sec-CH-DPR`.
    #[param(rename = "DPR", value_type = Option<f64>, example = 3)]
    dpr: Option<String>,
    /// `on` asks for the smallest renditions.
    #[param(rename = "Save-Data", example = "on")]
    save_data: Option<String>,
}

impl Device {
    /// Reads the device profile from a request's URI and headers; a malformed `?w=` or `?dpr=`
    /// is a 400 problem (that does not echo the value).
    pub fn from_request(
        uri: &Uri,
        headers: &HeaderMap,
        defaults: &ImageSettings,
    ) -> Result<Self, Problem> {
        let query = Query::<HintQuery>::try_from_uri(uri)
            .map_err(|_| Problem::bad_request("The query string is malformed."))?
            .0;
        let width = match query.w.as_deref() {
            Some(value) => images::parse_width(value)
                .ok_or_else(|| Problem::bad_request("The w parameter must be a whole number."))?,
            None => header_hint(
                headers,
                &[&SEC_CH_VIEWPORT_WIDTH, &VIEWPORT_WIDTH],
                images::parse_width,
            )
            .unwrap_or(defaults.default_viewport_width),
        };
        let milli_dpr = match query.dpr.as_deref() {
            Some(value) => images::parse_milli_dpr(value).ok_or_else(|| {
                Problem::bad_request("The dpr parameter must be a decimal number.")
            })?,
            None => header_hint(headers, &[&SEC_CH_DPR, &DPR], images::parse_milli_dpr)
                .or_else(|| images::milli_dpr(defaults.default_dpr))
                .unwrap_or(2000),
        };
        let save_data = headers
            .get(&SAVE_DATA)
            .and_then(|v| v.to_str().ok())
            .is_some_and(images::is_save_data);
        Ok(Self {
            target_width_px: images::target_width(width, milli_dpr),
            save_data,
        })
    }

    /// Everything of the device a screen's answer depends on, as part of a
    /// [`shared::screen_cache`] key: two devices with the same key get the same bytes.
    pub fn cache_key(&self) -> String {
        format!(
            "{}{}",
            self.target_width_px,
            if self.save_data { "s" } else { "" }
        )
    }

    /// The URL of the rendition of `image` this device should load, if it has any.
    pub fn image_url<'a>(&self, image: &'a Image) -> Option<&'a str> {
        images::pick(&image.renditions, self.target_width_px, self.save_data)
            .map(|rendition| rendition.url.as_str())
    }
}

/// The first of `names` whose value parses; malformed values are skipped.
fn header_hint<T>(
    headers: &HeaderMap,
    names: &[&HeaderName],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    names.iter().find_map(|name| {
        headers
            .get(*name)
            .and_then(|value| value.to_str().ok())
            .and_then(parse)
    })
}

/// Marks a response as depending on the device hints, so caches keep one copy per device
/// profile, and asks browsers to send the hints.
pub fn mark_device_dependent(response: &mut Response) {
    crate::add_vary(response, VARY);
    response.headers_mut().insert(
        ACCEPT_CH_HEADER.clone(),
        HeaderValue::from_static(ACCEPT_CH),
    );
}

impl FromRequestParts<AppState> for Device {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Self::from_request(&parts.uri, &parts.headers, &state.settings.images)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> ImageSettings {
        ImageSettings {
            default_viewport_width: 390,
            default_dpr: 2.0,
        }
    }

    fn device(uri: &str, headers: &[(&str, &str)]) -> Result<Device, Problem> {
        let uri: Uri = uri.parse().unwrap();
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Device::from_request(&uri, &map, &defaults())
    }

    #[test]
    fn hints_resolve_with_query_over_standard_over_legacy_over_defaults() {
        for (uri, headers, target, save_data) in [
            ("/v1/home", &[][..], 780, false),
            (
                "/v1/home",
                &[("Viewport-Width", "320"), ("DPR", "1")][..],
                320,
                false,
            ),
            ("/v1/home?w=400&dpr=3", &[][..], 1200, false),
            (
                "/v1/home?w=400&dpr=3",
                &[("Sec-CH-Viewport-Width", "800"), ("Sec-CH-DPR", "1")][..],
                1200,
                false,
            ),
            (
                "/v1/home",
                &[("Sec-CH-Viewport-Width", "5000")][..],
                8192,
                false,
            ),
            (
                "/v1/home",
                &[("Sec-CH-Viewport-Width", "360"), ("Viewport-Width", "1000")][..],
                720,
                false,
            ),
            (
                "/v1/home",
                &[("Sec-CH-DPR", "3"), ("DPR", "1")][..],
                1170,
                false,
            ),
            (
                "/v1/home",
                &[("Sec-CH-DPR", "abc"), ("DPR", "1")][..],
                390,
                false,
            ),
            ("/v1/home", &[("DPR", "abc")][..], 780, false),
            (
                "/v1/home",
                &[("Viewport-Width", "-3"), ("DPR", "1e9")][..],
                780,
                false,
            ),
            ("/v1/home", &[("Save-Data", "on")][..], 780, true),
            ("/v1/home", &[("Save-Data", "off")][..], 780, false),
            ("/v1/home?w=10&dpr=0", &[][..], 100, false),
            (
                "/v1/search?q=lamp&w=412&dpr=2.625&cursor=abc",
                &[][..],
                1082,
                false,
            ),
        ] {
            let device = device(uri, headers).unwrap();
            assert_eq!(device.target_width_px, target, "{uri} {headers:?}");
            assert_eq!(device.save_data, save_data, "{uri} {headers:?}");
        }
    }

    #[test]
    fn malformed_query_hints_are_refused_without_echoing_them() {
        for uri in [
            "/v1/home?w=abc",
            "/v1/home?w=",
            "/v1/home?w=-1",
            "/v1/home?dpr=abc",
            "/v1/home?dpr=NaN",
            "/v1/home?dpr=1e3",
            "/v1/home?w=1&w=2",
        ] {
            let problem = device(uri, &[]).unwrap_err();
            assert_eq!(problem.status_code(), 400, "{uri}");
            let detail = problem.detail().unwrap_or_default();
            assert!(
                !detail.contains("abc") && !detail.contains("NaN"),
                "{detail}"
            );
        }
    }
}
