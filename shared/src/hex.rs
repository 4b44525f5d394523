//! Lowercase hex: how digests are written in trace headers, persisted-query hashes and asset
//! versions.

/// `bytes` as lowercase hex, two digits a byte.
pub fn lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_lower(&mut out, bytes);
    out
}

/// Appends `bytes` as lowercase hex to `out`: a header built in one buffer (a `traceparent` per
/// upstream call) needs no string per part.
pub fn push_lower(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // Digits are written as bytes and appended 64 at a time: pushed as `char`s one by one, each
    // paid for a capacity check and a UTF-8 encoding.
    out.reserve(bytes.len() * 2);
    for chunk in bytes.chunks(32) {
        let mut digits = [0u8; 64];
        for (pair, byte) in digits.chunks_exact_mut(2).zip(chunk) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        let digits = &digits[..chunk.len() * 2];
        out.push_str(std::str::from_utf8(digits).expect("hex digits are ASCII"));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_byte_is_two_lowercase_digits() {
        assert_eq!(super::lower(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(super::lower(&[]), "");
    }

    #[test]
    fn long_inputs_are_written_whole_and_in_order() {
        let bytes: Vec<u8> = (0..=255).collect();
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        for len in [31, 32, 33, 64, 65, 256] {
            assert_eq!(
                super::lower(&bytes[..len]),
                expected[..len * 2],
                "{len} bytes"
            );
        }
    }
}
