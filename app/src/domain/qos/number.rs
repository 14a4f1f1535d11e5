//! Lenient reading of numeric RTCP JSON fields.
//!
//! Producers disagree on value types for the same key: JSON integers, floats, negative numbers,
//! numeric strings and nulls all occur (docs/hep-and-live-stream.md §2.3). These helpers normalise
//! them once, at the edge. Pure: no I/O.

use serde_json::{Map, Value};

/// Largest float magnitude converted to an integer; beyond 2^53 a float no longer holds an exact
/// integer, so such values are rejected rather than guessed.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Reads `value` as an integer: a JSON integer, a float (truncated toward zero) or a numeric
/// string. `None` for null, booleans, arrays, objects, non-numeric text and non-finite floats.
pub(crate) fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(low_32_bits_of_u64))
            .or_else(|| n.as_f64().and_then(float_to_int)),
        Value::String(s) => {
            let text = s.trim();
            text.parse::<i64>()
                .ok()
                .or_else(|| text.parse::<u64>().ok().map(low_32_bits_of_u64))
                .or_else(|| text.parse::<f64>().ok().and_then(float_to_int))
        }
        _ => None,
    }
}

/// Reads `value` as a finite float, from a JSON number or a numeric string.
pub(crate) fn float(value: &Value) -> Option<f64> {
    let f = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    f.is_finite().then_some(f)
}

/// Masks an integer to the unsigned 32-bit RTCP field it came from, so that a C `int` printed
/// negative (Asterisk SSRCs ≥ 2^31, negative `lsr` in some fixtures) reads as the wire value.
pub(crate) fn to_u32_field(value: i64) -> u32 {
    u32::try_from(value & 0xFFFF_FFFF).unwrap_or(0)
}

/// Sign-extends the 24-bit cumulative-lost field (RFC 3550 §6.4.1). Accepts either the raw
/// unsigned wire value (`0xFFFFFB`) or an already sign-extended one (`-5`).
pub(crate) fn cumulative_lost_24(value: i64) -> i32 {
    let raw = i32::try_from(value & 0x00FF_FFFF).unwrap_or(0);
    if raw & 0x0080_0000 != 0 {
        raw - 0x0100_0000
    } else {
        raw
    }
}

/// `obj[key]` read with [`int`].
pub(crate) fn int_field(obj: &Map<String, Value>, key: &str) -> Option<i64> {
    obj.get(key).and_then(int)
}

/// `obj[key]` read with [`int`] and masked with [`to_u32_field`].
pub(crate) fn u32_field(obj: &Map<String, Value>, key: &str) -> Option<u32> {
    int_field(obj, key).map(to_u32_field)
}

/// `obj[key]` read with [`float`].
pub(crate) fn float_field(obj: &Map<String, Value>, key: &str) -> Option<f64> {
    obj.get(key).and_then(float)
}

fn low_32_bits_of_u64(value: u64) -> i64 {
    i64::try_from(value & 0xFFFF_FFFF).unwrap_or(0)
}

fn float_to_int(value: f64) -> Option<i64> {
    // The range check makes the cast exact: truncation toward zero is the intended rounding.
    (value.is_finite() && value.abs() < MAX_EXACT_FLOAT).then(|| value.trunc() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn int_accepts_numbers_strings_and_floats() {
        let cases = [
            (json!(12), Some(12)),
            (json!(-7), Some(-7)),
            (json!("1250"), Some(1250)),
            (json!(" 42 "), Some(42)),
            (json!(12.9), Some(12)),
            (json!("3.5"), Some(3)),
            (json!("-3"), Some(-3)),
            (json!(null), None),
            (json!(true), None),
            (json!("abc"), None),
            (json!({}), None),
            (json!(1e300), None),
        ];
        for (value, expected) in cases {
            assert_eq!(int(&value), expected, "{value}");
        }
    }

    #[test]
    fn int_keeps_low_32_bits_of_huge_unsigned() {
        assert_eq!(int(&json!(u64::MAX)), Some(0xFFFF_FFFF));
        assert_eq!(int(&json!("18446744073709551615")), Some(0xFFFF_FFFF));
    }

    #[test]
    fn float_rejects_non_finite_text() {
        assert_eq!(float(&json!("NaN")), None);
        assert_eq!(float(&json!("inf")), None);
        assert_eq!(float(&json!("2.5")), Some(2.5));
        assert_eq!(float(&json!(7)), Some(7.0));
    }

    #[test]
    fn u32_field_masks_negative_c_int() {
        // An SSRC of 0x87654321 printed as a signed C int.
        assert_eq!(to_u32_field(-2_023_406_815), 0x8765_4321);
        assert_eq!(to_u32_field(0x1_0000_0005), 5);
    }

    #[test]
    fn cumulative_lost_sign_extends_24_bits() {
        let cases = [
            (5, 5),
            (-5, -5),
            (0x00FF_FFFB, -5),
            (0x007F_FFFF, 0x007F_FFFF),
            (0x0080_0000, -0x0080_0000),
            (0x0100_0003, 3),
        ];
        for (raw, expected) in cases {
            assert_eq!(cumulative_lost_24(raw), expected, "{raw:#x}");
        }
    }
}
