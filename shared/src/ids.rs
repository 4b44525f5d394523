//! Validation of identifiers that arrive in paths and queries, before they reach an upstream URL.

use crate::problem::Problem;

/// Checks a product id against the strict pattern `[A-Za-z0-9_-]{1,32}`; anything else is a 400
/// problem (that does not echo the input).
pub fn product_id(value: &str) -> Result<&str, Problem> {
    if is_slug(value, 32) {
        Ok(value)
    } else {
        Err(Problem::bad_request("The product id is malformed."))
    }
}

/// Checks a category id (`[A-Za-z0-9_-]{1,32}`).
pub fn category_id(value: &str) -> Result<&str, Problem> {
    if is_slug(value, 32) {
        Ok(value)
    } else {
        Err(Problem::bad_request("The category is malformed."))
    }
}

fn is_slug(value: &str, max_len: usize) -> bool {
    (1..=max_len).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_ids_are_strict() {
        for good in ["p00001", "abc-DEF_9", &"a".repeat(32)] {
            assert!(product_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../etc",
            "p 1",
            "p%2F1",
            "p/1",
            "é",
            &"a".repeat(33),
            "p.1",
        ] {
            assert!(product_id(bad).is_err(), "{bad}");
        }
    }
}
