//! Path parameters and cursors: product and category ids are accepted exactly when they are
//! `[A-Za-z0-9_-]{1,32}`; a cursor decodes only when it is the one `encode` gives for its offset
//! (so every accepted cursor round-trips byte for byte), and every page offset round-trips.

use bff_mobile::cursor::{self, MAX_OFFSET, PAGE_SIZE};
use shared::ids;

fn is_slug(value: &str) -> bool {
    (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// One fuzz input; panics when an invariant does not hold.
pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let slug = is_slug(&text);
    assert_eq!(ids::product_id(&text).is_ok(), slug, "product id {text:?}");
    assert_eq!(
        ids::category_id(&text).is_ok(),
        slug,
        "category id {text:?}"
    );
    if let Ok(id) = ids::product_id(&text) {
        assert_eq!(id, text);
        // The web BFF builds links only from accepted ids.
        assert_eq!(
            bff_web::views::card::product_href(id),
            Some(format!("/products/{id}"))
        );
    }
    if let Err(problem) = ids::product_id(&text) {
        assert_eq!(problem.status_code(), 400);
    }

    if let Ok(offset) = cursor::decode(&text) {
        assert!(offset <= MAX_OFFSET && offset % PAGE_SIZE == 0, "{offset}");
        assert_eq!(
            cursor::encode(offset),
            text,
            "a second spelling of a cursor"
        );
    }
    // Every servable offset round-trips.
    if data.len() >= 4 {
        let raw = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
        let offset = (raw % (MAX_OFFSET / PAGE_SIZE + 1)) * PAGE_SIZE;
        assert_eq!(cursor::decode(&cursor::encode(offset)), Ok(offset));
        // And `next` only ever hands out cursors that decode.
        let total = u32::from_le_bytes([data[3], data[2], data[1], data[0]]);
        if let Some(next) = cursor::next(offset, PAGE_SIZE as usize, total) {
            let decoded = cursor::decode(&next).expect("next gave a cursor that does not decode");
            assert!(decoded < total && decoded <= MAX_OFFSET);
        }
    }
}
