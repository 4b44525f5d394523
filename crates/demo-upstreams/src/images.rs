//! Placeholder product images as SVG.
//!
//! Each rendition is drawn at its own size in the product's colour and labelled with its width
//! (`480w`), so whoever looks at a page sees which rendition the client picked.

use std::fmt::Write as _;

use crate::data::Product;

/// The SVG of image `index` of `product` at `width` (height = width × 3/4).
pub(crate) fn svg(product: &Product, index: usize, width: u32) -> String {
    let height = width * 3 / 4;
    let ink = if is_light(product.color) {
        "#1d1f24"
    } else {
        "#ffffff"
    };
    let big = (width / 6).max(12);
    let small = (width / 24).max(8);
    let mut out = String::with_capacity(640);
    let _ = write!(
        out,
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#,
            r#"<rect width="{w}" height="{h}" fill="{color}"/>"#,
            r#"<rect x="{inset}" y="{inset}" width="{iw}" height="{ih}" fill="none" stroke="{ink}" stroke-opacity="0.35" stroke-width="{stroke}"/>"#,
            r#"<text x="50%" y="48%" fill="{ink}" font-family="sans-serif" font-weight="bold" font-size="{big}" text-anchor="middle" dominant-baseline="middle">{w}w</text>"#,
            r#"<text x="50%" y="80%" fill="{ink}" font-family="sans-serif" font-size="{small}" text-anchor="middle">{id} · image {n}</text>"#,
            "</svg>\n"
        ),
        w = width,
        h = height,
        color = product.color,
        inset = width / 40,
        iw = width - 2 * (width / 40),
        ih = height - 2 * (width / 40),
        stroke = (width / 160).max(1),
        ink = ink,
        big = big,
        small = small,
        id = product.id,
        n = index + 1,
    );
    out
}

/// Whether dark text reads better on `#rrggbb` (relative luminance above one half).
fn is_light(hex: &str) -> bool {
    let channel = |range: std::ops::Range<usize>| {
        hex.get(range)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .map_or(0.0, |v| f64::from(v) / 255.0)
    };
    let luminance = 0.2126 * channel(1..3) + 0.7152 * channel(3..5) + 0.0722 * channel(5..7);
    luminance > 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_backgrounds_get_dark_text() {
        assert!(is_light("#e9e9ec"));
        assert!(!is_light("#23395d"));
    }
}
