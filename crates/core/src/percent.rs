//! The one percent-encoder of URL components, used by the domain's URL builders (search, call,
//! analyze, QoS and live views) and by the UI's links and API paths alike, so a value is escaped the
//! same way wherever it goes into a URL.

/// Percent-encodes a query component: everything but RFC 3986 unreserved characters.
pub fn percent_encode(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes a query component: `%XX` escapes. A `+` stays a `+` (not a space as in HTML forms):
/// support staff paste numbers like `number=+4922112345` into links, and our own encoder writes
/// spaces as `%20`. Malformed escapes stay as written; invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|c| char::from(*c).to_digit(16));
                let lo = bytes.get(i + 2).and_then(|c| char::from(*c).to_digit(16));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => {
                        // Two hex digits are at most 0xFF, so the cast cannot truncate.
                        out.push((hi * 16 + lo) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encode_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(
            percent_encode("+49 30/x?y&z=1"),
            "%2B49%2030%2Fx%3Fy%26z%3D1"
        );
        assert_eq!(percent_encode("/call?id=a@b;c"), "%2Fcall%3Fid%3Da%40b%3Bc");
        assert_eq!(percent_encode("€"), "%E2%82%AC");
    }

    #[test]
    fn decode_accepts_plus_and_lowercase_hex_and_keeps_bad_escapes() {
        assert_eq!(percent_decode("a+b%2bc%e2%82%ac"), "a+b+c€");
        assert_eq!(percent_decode("%2B4922%20x"), "+4922 x");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }

    proptest! {
    #[test]
    fn percent_round_trips_any_text(text in any::<String>()) {
        prop_assert_eq!(percent_decode(&percent_encode(&text)), text);
    }
    }
}
