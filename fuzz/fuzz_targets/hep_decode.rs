//! The HEP decoder (v1, v2 and HEP3, compressed payloads included) on arbitrary bytes: it must never
//! panic, and a packet it accepts must encode again.

#![no_main]

use hepscope_fuzz::hep::{decode, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = decode(data) {
        let _ = encode(&packet, false);
    }
});
