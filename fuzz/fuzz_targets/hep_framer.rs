//! The HEP3 TCP framer on an arbitrary byte stream cut into arbitrary reads: it must never panic, and
//! every packet it hands out has the length its header declares. The first input byte sets the read
//! size (1..=256 bytes), the rest is the stream.

#![no_main]

use hepscope_fuzz::hep::{decode, HepFramer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let read_size = usize::from(first) + 1;
    let mut framer = HepFramer::new(4096);
    for read in stream.chunks(read_size) {
        framer.push(read);
        loop {
            match framer.next_packet() {
                Ok(Some(packet)) => {
                    let declared = packet
                        .get(4..6)
                        .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])));
                    assert_eq!(declared, Some(packet.len()));
                    let _ = decode(&packet);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
});
