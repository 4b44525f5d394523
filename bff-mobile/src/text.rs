//! Short texts for small screens: summaries and review excerpts, cut at word boundaries.
//!
//! Lengths are counted in characters (Unicode scalar values), not bytes, so a limit means the
//! same for "Größe" as for "Size"; a cut never splits a character.

use std::borrow::Cow;

/// Appended to a text that was cut.
pub const ELLIPSIS: char = '…';

/// `text` if it has at most `max_chars` characters; else its longest prefix that ends at a word
/// boundary and fits with "…" appended (a single overlong word is cut where it must be).
pub fn truncate_words(text: &str, max_chars: usize) -> Cow<'_, str> {
    let max_chars = max_chars.max(1);
    if char_offset(text, max_chars).is_none() {
        return Cow::Borrowed(text);
    }
    // Room for the ellipsis: keep at most `max_chars - 1` characters.
    let cut = char_offset(text, max_chars - 1).unwrap_or(text.len());
    let hard = &text[..cut];
    let at_boundary = text[cut..].starts_with(char::is_whitespace);
    let head = if at_boundary {
        hard
    } else {
        hard.rfind(char::is_whitespace).map_or(hard, |i| &hard[..i])
    };
    let head = head.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '–' | '—' | '(')
    });
    let head = if head.is_empty() { hard } else { head };
    let mut out = String::with_capacity(head.len() + ELLIPSIS.len_utf8());
    out.push_str(head);
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// Where the character after the first `n` starts, if `text` has more than `n`. A prefix of
/// ASCII (most text) is answered without decoding it character by character.
fn char_offset(text: &str, n: usize) -> Option<usize> {
    match text.as_bytes().get(..=n) {
        // At most `n` bytes: at most `n` characters.
        None => None,
        Some(head) if head.is_ascii() => Some(n),
        Some(_) => text.char_indices().nth(n).map(|(i, _)| i),
    }
}

/// The first paragraph(s) of a description in at most `max_chars` characters: the whole text if
/// it fits, else the leading whole paragraphs if they fill at least half the room, else the text
/// cut at a word boundary with "…".
pub fn summary(description: &str, max_chars: usize) -> Cow<'_, str> {
    let text = description.trim();
    // The byte offset where the first `max_chars` characters end; none: the text is short.
    let Some(limit) = char_offset(text, max_chars) else {
        return Cow::Borrowed(text);
    };
    let mut paragraphs_end = None;
    for (end, _) in text.match_indices("\n\n") {
        if end > limit {
            break;
        }
        paragraphs_end = Some(end);
    }
    match paragraphs_end.map(|end| text[..end].trim_end()) {
        Some(paragraphs) if paragraphs.chars().count() >= max_chars / 2 => {
            Cow::Borrowed(paragraphs)
        }
        _ => truncate_words(text, max_chars),
    }
}

/// A review as one short text: its title as a sentence, then its body, in at most `max_chars`.
pub fn review_excerpt(title: &str, body: &str, max_chars: usize) -> String {
    let title = title.trim();
    let body = body.trim();
    let mut text = String::with_capacity(title.len() + body.len() + 2);
    text.push_str(title);
    if !title.is_empty() && !body.is_empty() {
        if !title.ends_with(['.', '!', '?', '…']) {
            text.push('.');
        }
        text.push(' ');
    }
    text.push_str(body);
    match truncate_words(&text, max_chars) {
        Cow::Borrowed(_) => text,
        Cow::Owned(cut) => cut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_cut_at_word_boundaries_with_an_ellipsis() {
        for (text, max, expected) in [
            ("one two three", 12, "one two…"),
            ("one two three", 9, "one two…"),
            ("one two three", 8, "one two…"),
            ("one two three", 7, "one…"),
            ("one two, three", 10, "one two…"),
            ("supercalifragilistic", 8, "superca…"),
            ("a b", 1, "…"),
            ("Größe ändert sich", 10, "Größe…"),
            ("日本語のテキストです", 5, "日本語の…"),
            ("first paragraph\n\nsecond one", 20, "first paragraph…"),
        ] {
            let cut = truncate_words(text, max);
            assert_eq!(cut, expected, "{text:?} at {max}");
            assert!(cut.chars().count() <= max, "{cut:?}");
        }
    }

    #[test]
    fn offsets_are_those_of_the_characters() {
        for text in [
            "",
            "a",
            "plain ascii text",
            "Größe ändert",
            "日本語のテキスト",
            "ab€",
            "€ab",
        ] {
            for n in 0..=text.len() + 1 {
                let decoded = text.char_indices().nth(n).map(|(i, _)| i);
                assert_eq!(char_offset(text, n), decoded, "{text:?} {n}");
            }
        }
    }

    #[test]
    fn texts_that_fit_are_borrowed_as_they_are() {
        for (text, max) in [("short", 10), ("exactly ten", 11), ("", 5)] {
            let cut = truncate_words(text, max);
            assert!(matches!(cut, Cow::Borrowed(_)), "{text:?} at {max}");
            assert_eq!(cut, text);
            assert!(cut.chars().count() <= max, "{cut:?}");
        }
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let text = "é".repeat(300);
        assert_eq!(truncate_words(&text, 300), text);
        let longer = "é".repeat(301);
        let cut = truncate_words(&longer, 300);
        assert_eq!(cut.chars().count(), 300);
        assert!(cut.ends_with(ELLIPSIS));
    }

    #[test]
    fn a_summary_prefers_whole_leading_paragraphs() {
        let first = "A ".repeat(100); // 200 chars
        let second = "B ".repeat(100);
        let description = format!("{first}\n\n{second}");
        assert_eq!(summary(&description, 300), first.trim_end());

        let tagline = "Short tagline.";
        let long = "word ".repeat(100);
        let description = format!("{tagline}\n\n{long}");
        let cut = summary(&description, 300);
        assert!(cut.starts_with("Short tagline.\n\nword"), "{cut:?}");
        assert!(cut.ends_with("word…"), "{cut:?}");
        assert!(cut.chars().count() <= 300);

        assert_eq!(
            summary("  fits.\n\nAll of it.  ", 300),
            "fits.\n\nAll of it."
        );
        let one_paragraph = "lorem ipsum ".repeat(40);
        let cut = summary(&one_paragraph, 300);
        assert!(cut.chars().count() <= 300 && cut.ends_with("…"), "{cut:?}");
    }

    #[test]
    fn a_review_excerpt_joins_title_and_body() {
        assert_eq!(
            review_excerpt("Great", "Works well.", 200),
            "Great. Works well."
        );
        assert_eq!(
            review_excerpt("Great!", "Works well.", 200),
            "Great! Works well."
        );
        assert_eq!(review_excerpt("", "Works well.", 200), "Works well.");
        assert_eq!(review_excerpt("Great", "", 200), "Great");
        let excerpt = review_excerpt("Great", &"very good ".repeat(50), 200);
        assert!(
            excerpt.chars().count() <= 200 && excerpt.ends_with("good…"),
            "{excerpt}"
        );
    }
}
