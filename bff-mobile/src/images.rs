//! Image choice: one rendition per image, picked for the device, so the app downloads no more
//! pixels than its screen shows.
//!
//! Pure functions over the catalog's renditions and the client's hints; [`crate::device`] reads
//! the hints from the request. Widths are CSS pixels, densities are kept in thousandths
//! ("milli-DPR", 2.625 → 2625) so the arithmetic is exact.

use std::ops::RangeInclusive;

use shared::upstream::catalog::Rendition;

/// Accepted screen widths in CSS pixels; hints outside are clamped into it.
pub const WIDTH_RANGE: RangeInclusive<u32> = 100..=4096;
/// Lowest accepted pixel density; lower hints are raised to it.
pub const DPR_MIN: f64 = 1.0;
/// Highest accepted pixel density; higher hints are lowered to it.
pub const DPR_MAX: f64 = 4.0;
const MILLI_DPR_RANGE: RangeInclusive<u32> = 1000..=4000;

/// Parses a width hint: plain decimal digits (at most 9), nothing else.
pub fn parse_width(value: &str) -> Option<u32> {
    let value = value.trim_matches([' ', '\t']);
    if !(1..=9).contains(&value.len()) || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// Parses a pixel-density hint (`2`, `2.625`, `1.3312500715255737`) into thousandths.
/// Only plain decimals are accepted: no sign, exponent, `inf` or `NaN`.
pub fn parse_milli_dpr(value: &str) -> Option<u32> {
    let value = value.trim_matches([' ', '\t']);
    let (whole, fraction) = match value.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (value, None),
    };
    let digits =
        |s: &str, max: usize| (1..=max).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole, 3) || !fraction.is_none_or(|f| digits(f, 20)) {
        return None;
    }
    let dpr: f64 = value.parse().ok()?;
    milli_dpr(dpr)
}

/// Converts a density to thousandths; `None` for values that are not finite or negative.
pub fn milli_dpr(dpr: f64) -> Option<u32> {
    if !dpr.is_finite() || dpr < 0.0 {
        return None;
    }
    // At most 999.999… after parsing, so the rounded value fits a u32.
    let milli = (dpr.min(1_000_000.0) * 1000.0).round();
    Some(milli as u32)
}

/// The image width in device pixels a screen needs: width × DPR, both clamped, rounded up.
pub fn target_width(viewport_width: u32, milli_dpr: u32) -> u32 {
    let width = u64::from(viewport_width.clamp(*WIDTH_RANGE.start(), *WIDTH_RANGE.end()));
    let milli = u64::from(milli_dpr.clamp(*MILLI_DPR_RANGE.start(), *MILLI_DPR_RANGE.end()));
    // At most 4096 × 4 = 16384: always fits.
    u32::try_from((width * milli).div_ceil(1000)).unwrap_or(u32::MAX)
}

/// Whether a `Save-Data` header value asks for less data (`on`).
pub fn is_save_data(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("on")
}

/// The rendition to send: the narrowest one at least `target_width` wide, the widest one if none
/// is, the narrowest one when the client saves data. `None` only when there are no renditions.
/// The order of `renditions` does not matter.
pub fn pick(renditions: &[Rendition], target_width: u32, save_data: bool) -> Option<&Rendition> {
    let narrowest = renditions.iter().min_by_key(|r| r.width);
    if save_data {
        return narrowest;
    }
    renditions
        .iter()
        .filter(|r| r.width >= target_width)
        .min_by_key(|r| r.width)
        .or_else(|| renditions.iter().max_by_key(|r| r.width))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WIDTHS: [u32; 8] = [160, 320, 480, 640, 960, 1280, 1600, 2048];

    fn renditions(widths: &[u32]) -> Vec<Rendition> {
        widths
            .iter()
            .map(|&width| Rendition {
                width,
                height: width * 3 / 4,
                url: format!("https://img.example/{width}.svg"),
            })
            .collect()
    }

    #[test]
    fn width_hints_are_plain_digits() {
        for (value, expected) in [
            ("390", 390),
            ("0", 0),
            (" 412 ", 412),
            ("5000", 5000),
            ("999999999", 999_999_999),
        ] {
            assert_eq!(parse_width(value), Some(expected), "{value:?}");
        }
        for value in ["1234567890", "39.5"] {
            assert_eq!(parse_width(value), None, "{value:?}");
        }
    }

    #[test]
    fn dpr_hints_are_plain_decimals_in_thousandths() {
        for (value, expected) in [
            ("1", 1000),
            ("2", 2000),
            ("2.0", 2000),
            ("2.625", 2625),
            ("1.3312500715255737", 1331),
            ("0.5", 500),
            ("0", 0),
            ("10", 10_000),
            ("999.9", 999_900),
        ] {
            assert_eq!(parse_milli_dpr(value), Some(expected), "{value:?}");
        }
        for value in ["1000", "2.", ".5"] {
            assert_eq!(parse_milli_dpr(value), None, "{value:?}");
        }
    }

    #[test]
    fn hints_that_are_not_plain_numbers_are_refused_by_both_parsers() {
        for value in [
            "", "abc", "-1", "+1", "+2", "1e1", "1e3", "0x10", "٣٩٠", "inf", "NaN", "2,5", "1.2.3",
        ] {
            assert_eq!(parse_width(value), None, "{value:?}");
            assert_eq!(parse_milli_dpr(value), None, "{value:?}");
        }
    }

    #[test]
    fn the_target_is_width_times_dpr_clamped_and_rounded_up() {
        for (width, milli, expected) in [
            (390, 2000, 780),
            (320, 1000, 320),
            (400, 3000, 1200),
            (412, 2625, 1082), // 1081.5 rounded up
            (50, 2000, 200),   // width clamped to 100
            (5000, 2000, 8192),
            (4096, 4000, 16_384),
            (390, 500, 390),   // dpr clamped to 1
            (390, 9000, 1560), // dpr clamped to 4
            (0, 0, 100),
            (u32::MAX, u32::MAX, 16_384),
        ] {
            assert_eq!(target_width(width, milli), expected, "{width} × {milli}‰");
        }
    }

    #[test]
    fn the_narrowest_rendition_that_covers_the_target_is_picked() {
        let all = renditions(&WIDTHS);
        for (target, save_data, expected) in [
            (780, false, 960),
            (320, false, 320),
            (321, false, 480),
            (1200, false, 1280),
            (1, false, 160),
            (2048, false, 2048),
            (8192, false, 2048),
            (780, true, 160),
            (8192, true, 160),
        ] {
            let picked = pick(&all, target, save_data).unwrap();
            assert_eq!(
                picked.width, expected,
                "target {target}, save-data {save_data}"
            );
            assert!(picked.url.ends_with(&format!("/{expected}.svg")));
        }
    }

    #[test]
    fn the_order_of_renditions_does_not_matter() {
        let shuffled = renditions(&[1280, 160, 2048, 640, 320]);
        for (target, save_data, expected) in [
            (500, false, 640),
            (3000, false, 2048),
            (10, false, 160),
            (3000, true, 160),
        ] {
            assert_eq!(pick(&shuffled, target, save_data).unwrap().width, expected);
        }
    }

    #[test]
    fn no_renditions_means_no_image() {
        assert!(pick(&[], 780, false).is_none());
        assert!(pick(&[], 780, true).is_none());
    }

    #[test]
    fn save_data_is_on_only_when_it_says_on() {
        for (value, expected) in [
            ("on", true),
            ("On", true),
            (" on ", true),
            ("off", false),
            ("", false),
            ("1", false),
            ("yes", false),
        ] {
            assert_eq!(is_save_data(value), expected, "{value:?}");
        }
    }
}
