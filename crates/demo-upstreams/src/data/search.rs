//! The inverted index over names, brands and descriptions, built on the first search.

use std::collections::HashMap;

use super::Product;

/// Inverted index over names, brands and descriptions, built on the first search.
pub(super) struct SearchIndex {
    pub(super) postings: HashMap<String, Vec<(u32, u32)>>,
}

impl SearchIndex {
    pub(super) fn build(products: &[Product]) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        for (i, product) in products.iter().enumerate() {
            let name = product.name.to_lowercase();
            let brand = product.brand.to_lowercase();
            let description = product.description.to_lowercase();
            let mut scores: HashMap<&str, u32> = HashMap::with_capacity(256);
            for token in tokens(&description) {
                let score = scores.entry(token).or_insert(0);
                *score = (*score + 1).min(5);
            }
            for token in tokens(&brand) {
                *scores.entry(token).or_insert(0) += 6;
            }
            for token in tokens(&name) {
                *scores.entry(token).or_insert(0) += 10;
            }
            for (token, score) in scores.drain() {
                match postings.get_mut(token) {
                    Some(list) => list.push((i as u32, score)),
                    None => {
                        postings.insert(token.to_owned(), vec![(i as u32, score)]);
                    }
                }
            }
        }
        Self { postings }
    }
}

/// Lower-cased words of `text` (which must already be lower case).
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
}

/// Intersects two posting lists sorted by product, adding scores.
pub(super) fn intersect(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push((a[i].0, a[i].1 + b[j].1));
                i += 1;
                j += 1;
            }
        }
    }
    out
}
