//! Store benchmark (run with `cargo bench -p server --bench store`): live ingest rate, then
//! Call-ID and number lookups over many stored messages, and the process RSS.
//!
//! `HEPSCOPE_BENCH_ROWS` sets how many messages to load (default 2,000,000); loading stops early
//! after `HEPSCOPE_BENCH_LOAD_SECS` (default 240) so the run fits a small machine.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use app::domain::fixture::{single_call, Outcome, Packet, PacketKind};
use rusqlite::types::Value;
use server::config::StoreConfig;
use server::hep::{HepPacket, ProtoType};
use server::store::index::Profile;
use server::store::read::{self, Condition, Window};
use server::store::{Store, StoreError};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

fn hep(p: &Packet) -> HepPacket {
    let proto = if p.kind == PacketKind::Sip {
        ProtoType::Sip
    } else {
        ProtoType::Rtcp
    };
    let mut h = HepPacket::new(p.src, p.dst, proto, p.payload.clone());
    h.ts_us = Some(p.ts_us);
    h.correlation_id = Some(p.call_id.clone());
    h
}

/// Calls spread over the last 23 hours; returns packets and their Call-IDs.
fn calls(first_seed: u64, count: u64, start: i64, span_us: i64) -> (Vec<Packet>, Vec<String>) {
    let mut packets = Vec::new();
    let mut ids = Vec::new();
    for i in 0..count {
        let ts = start + (span_us / count.max(1) as i64) * i as i64;
        let call = single_call(first_seed + i, ts, Outcome::ALL[(i % 5) as usize]);
        if let Some(p) = call.first() {
            ids.push(p.call_id.clone());
        }
        packets.extend(call);
    }
    (packets, ids)
}

fn p95(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 95 / 100).min(samples.len() - 1)]
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn main() -> Result<(), StoreError> {
    let dir = std::env::temp_dir().join(format!("hepscope-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut config = StoreConfig::at(dir.join("store.sqlite"));
    config.batch_size = 5000;
    config.queue = 200_000;
    let store = Store::open(config, Vec::new())?;
    let day = 86_400_000_000i64;
    let start = now_us() - day + 3_600_000_000;

    // 1. Live ingest: scan + queue on this thread, commit on the writer thread.
    let (packets, _) = calls(1, 30_000, start, day - 7_200_000_000);
    let heps: Vec<HepPacket> = packets.iter().map(hep).collect();
    let n = heps.len();
    let t = Instant::now();
    for h in heps {
        store.ingest(h, 0);
    }
    store.flush()?;
    let secs = t.elapsed().as_secs_f64();
    let stats = store.stats();
    println!(
        "live ingest: {n} SIP packets in {secs:.2} s = {:.0} packets/s (stored {}, dropped {})",
        n as f64 / secs,
        stats.stored,
        stats.dropped
    );

    // 2. Load up to HEPSCOPE_BENCH_ROWS with batches.
    let target = env_num("HEPSCOPE_BENCH_ROWS", 2_000_000);
    let budget = Duration::from_secs(env_num("HEPSCOPE_BENCH_LOAD_SECS", 240));
    let t = Instant::now();
    let mut seed = 1_000_000u64;
    let mut all_ids = Vec::new();
    while store.stats().stored < target && t.elapsed() < budget {
        let (packets, ids) = calls(seed, 4000, start, day - 7_200_000_000);
        seed += 4000;
        all_ids.extend(ids);
        store.ingest_batch(packets.iter().map(|p| (hep(p), 0)).collect())?;
    }
    let loaded = store.stats().stored;
    println!(
        "loaded {loaded} messages in {:.1} s ({:.0} rows/s in batches)",
        t.elapsed().as_secs_f64(),
        (loaded as f64 - stats.stored as f64) / t.elapsed().as_secs_f64()
    );

    // 3. Call-ID lookups over 24 h.
    let window = Window {
        from_us: now_us() - day,
        to_us: now_us(),
    };
    let mut samples = Vec::new();
    for i in 0..200 {
        let id = all_ids[(i * 7919) % all_ids.len()].clone();
        let t = Instant::now();
        let rows =
            store.read_blocking(|c| read::rows_by_sid(c, &[Profile::Call], window, &[id]))?;
        samples.push(t.elapsed());
        assert!(!rows.is_empty());
    }
    println!("Call-ID lookup over 24 h: p95 {:?}", p95(samples));

    // 4. Number searches (From or To user) over 24 h, newest 200.
    let users: Vec<String> = all_ids
        .iter()
        .take(50)
        .filter_map(|id| {
            store
                .read_blocking(|c| {
                    read::rows_by_sid(c, &[Profile::Call], window, std::slice::from_ref(id))
                })
                .ok()
                .and_then(|rows| rows.first().map(|r| r.from_user.clone()))
        })
        .collect();
    let mut samples = Vec::new();
    for user in &users {
        let condition = Condition {
            sql: "from_user = ? OR to_user = ?".into(),
            params: vec![Value::Text(user.clone()), Value::Text(user.clone())],
        };
        let t = Instant::now();
        store.read_blocking(|c| read::search(c, Profile::Call, window, &condition, 200))?;
        samples.push(t.elapsed());
    }
    println!(
        "number search over 24 h (newest 200): p95 {:?}",
        p95(samples)
    );
    println!("VmRSS after loading: {} MiB", rss_kib() / 1024);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
