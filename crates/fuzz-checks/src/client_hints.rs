//! Client hints: any query and hint headers give a 400 problem (for a malformed query value)
//! or a device whose target width lies in what width × DPR can be once clamped; the rendition
//! picked is always one of the image's, and for the catalog's rendition set it is in that set.

use bff_mobile::device::Device;
use bff_mobile::images::{self, WIDTH_RANGE};
use bff_mobile::settings::ImageSettings;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use shared::upstream::catalog::{Image, Rendition};

/// The widths the catalog serves.
const CATALOG_WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

/// The input as text, so seeds read like requests: the first line is the query string, then
/// `name: value` header lines; `x-renditions: 160,320` sets an extra rendition set and
/// `x-defaults: 390 2.0` the configured defaults.
struct Input<'a> {
    query: &'a [u8],
    headers: Vec<(&'a [u8], &'a [u8])>,
    widths: Vec<u32>,
    defaults: ImageSettings,
}

fn parse(data: &[u8]) -> Input<'_> {
    let mut lines = data.split(|b| *b == b'\n');
    let query = lines.next().unwrap_or_default();
    let mut input = Input {
        query,
        headers: Vec::new(),
        widths: Vec::new(),
        defaults: ImageSettings {
            default_viewport_width: 390,
            default_dpr: 2.0,
        },
    };
    for line in lines.take(16) {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        let text = String::from_utf8_lossy(value);
        match name {
            b"x-renditions" => {
                input.widths = text
                    .split(',')
                    .filter_map(|w| w.trim().parse().ok())
                    .take(16)
                    .collect();
            }
            b"x-defaults" => {
                let mut parts = text.split(' ');
                if let Some(width) = parts.next().and_then(|w| w.parse().ok()) {
                    input.defaults.default_viewport_width = width;
                }
                if let Some(dpr) = parts.next().and_then(|d| d.parse().ok()) {
                    input.defaults.default_dpr = dpr;
                }
            }
            _ => input.headers.push((name, value)),
        }
    }
    input
}

fn renditions(widths: &[u32]) -> Vec<Rendition> {
    widths
        .iter()
        .map(|&width| Rendition {
            width,
            height: width / 4 * 3,
            url: format!("https://img.example/{width}.svg"),
        })
        .collect()
}

/// One fuzz input; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    // The parsers alone, on any text.
    let text = String::from_utf8_lossy(data);
    if let Some(width) = images::parse_width(&text) {
        assert!(width <= 999_999_999);
    }
    if let Some(milli) = images::parse_milli_dpr(&text) {
        assert!(milli <= 1_000_000, "{milli}");
    }

    let input = parse(data);
    let Ok(uri) = format!("/v1/home?{}", String::from_utf8_lossy(input.query)).parse::<Uri>()
    else {
        return;
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &input.headers {
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    let device = match Device::from_request(&uri, &headers, &input.defaults) {
        Ok(device) => device,
        Err(problem) => {
            assert_eq!(problem.status_code(), 400);
            return;
        }
    };
    let (min, max) = (*WIDTH_RANGE.start(), WIDTH_RANGE.end() * 4);
    assert!(
        (min..=max).contains(&device.target_width_px),
        "target {} outside {min}..={max}",
        device.target_width_px
    );

    for widths in [
        &CATALOG_WIDTHS[..],
        &input.widths[..input.widths.len().min(16)],
    ] {
        let image = Image {
            alt: String::new(),
            renditions: renditions(widths),
        };
        match device.image_url(&image) {
            Some(url) => {
                let picked = image
                    .renditions
                    .iter()
                    .find(|r| r.url == url)
                    .expect("picked a rendition the image does not have");
                assert!(widths.contains(&picked.width));
                let covering = widths
                    .iter()
                    .filter(|&&w| w >= device.target_width_px)
                    .min();
                let expected = if device.save_data {
                    widths.iter().min()
                } else {
                    covering.or(widths.iter().max())
                };
                assert_eq!(Some(&picked.width), expected, "{device:?} {widths:?}");
            }
            None => assert!(widths.is_empty(), "no image picked from {widths:?}"),
        }
    }
}
