//! Writes the seed corpora for the fuzz targets in `fuzz/` from the project's own fixture traffic
//! (`app::domain::fixture`) and HEP encoder: SIP payloads for `sip_scan`, HEP3 packets (plain and
//! compressed, IPv4 and IPv6) for `hep_decode`, and multi-packet TCP streams for `hep_framer`.
//!
//! `cargo run -p server --example fuzz_seeds -- fuzz/corpus` (the directory defaults to `fuzz/corpus`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use app::domain::fixture::{demo_mix, PacketKind};
use server::demo::to_hep;
use server::hep::encode;

/// Fixed seed and start time: the corpus is the same on every run.
const SEED: u64 = 0x5eed;
const START_US: i64 = 1_700_000_000_000_000;
/// At most this many seeds per target; the fixture repeats itself beyond that.
const MAX_SEEDS: usize = 120;
/// Packets per seed stream of the framer target.
const STREAM_PACKETS: usize = 4;

fn main() -> anyhow::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("fuzz/corpus"), PathBuf::from);
    let packets = demo_mix(SEED, START_US, 12);

    let sip: Vec<Vec<u8>> = packets
        .iter()
        .filter(|p| p.kind == PacketKind::Sip)
        .take(MAX_SEEDS / 2)
        .flat_map(|p| {
            let lf_only = String::from_utf8_lossy(&p.payload)
                .replace("\r\n", "\n")
                .into_bytes();
            [p.payload.clone(), lf_only]
        })
        .collect();
    write_all(&root.join("sip_scan"), &sip)?;

    let mut hep = Vec::new();
    for (i, packet) in packets.iter().take(MAX_SEEDS).enumerate() {
        let compress = i % 4 == 0;
        hep.push(encode(&to_hep(packet, Some("secret")), compress).context("encoding a fixture")?);
    }
    write_all(&root.join("hep_decode"), &hep)?;

    let streams: Vec<Vec<u8>> = hep
        .chunks(STREAM_PACKETS)
        .enumerate()
        .map(|(i, group)| {
            // First byte: the read size the target cuts the stream into (see hep_framer.rs).
            let read_size = u8::try_from(i * 37 % 256).unwrap_or(u8::MAX);
            std::iter::once(read_size)
                .chain(group.iter().flatten().copied())
                .collect()
        })
        .collect();
    write_all(&root.join("hep_framer"), &streams)?;
    println!(
        "wrote {} sip_scan, {} hep_decode and {} hep_framer seeds under {}",
        sip.len(),
        hep.len(),
        streams.len(),
        root.display()
    );
    Ok(())
}

fn write_all(dir: &Path, seeds: &[Vec<u8>]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for (i, seed) in seeds.iter().enumerate() {
        let path = dir.join(format!("seed-{i:03}"));
        std::fs::write(&path, seed).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
