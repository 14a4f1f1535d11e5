//! Store benchmark (`cargo bench -p server --bench store`), printing:
//!
//! 1. ingest over loopback into the store through the real HEP receiver: TCP at full speed, TCP
//!    paced at `HEPSCOPE_BENCH_RATE` packets/s (default 100,000), and UDP paced at the same rate;
//!    each with stored, dropped (writer queue full) and lost (never reached the store) counts;
//! 2. a load of `HEPSCOPE_BENCH_ROWS` messages (default 10,000,000) spread in time order over the
//!    last 23 hours, written through the store's own writer (`Store::ingest_batch`, the PCAP import
//!    path: the same rows as live ingest), stopping early after `HEPSCOPE_BENCH_LOAD_SECS`
//!    (default 3600);
//! 3. in a fresh process holding only the store (as a server would after a restart): the row count,
//!    Call-ID lookups and number searches over 24 h, then that process's RSS, and the file size.
//!
//! `HEPSCOPE_BENCH_PACKETS` sets the packets per ingest run (default 500,000),
//! `HEPSCOPE_BENCH_CONNECTIONS` the TCP connections they are spread over (default 1);
//! `HEPSCOPE_BENCH_ROWS=0` stops after the ingest runs. Each ingest run also prints the CPU each
//! thread group spent per packet (from `/proc`), so a figure can be told apart from the machine's load.
//! `HEPSCOPE_BENCH_DB=/path/store.sqlite` keeps the loaded store there and reuses it on the next
//! run when it already holds the rows (a 10M-row load takes minutes); without it the store lives in
//! a temporary directory that is removed at the end.
//!
//! Plain `main` (`harness = false`): no benchmark framework, figures printed once.

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use app::domain::fixture::{single_call, Outcome, Packet, PacketKind};
use rusqlite::types::Value;
use server::config::StoreConfig;
use server::hep::{encode, HepPacket, ProtoType};
use server::ingest::{HepReceiver, Intake};
use server::store::index::Profile;
use server::store::postings;
use server::store::read::{self, Condition, Window};
use server::store::terms::{Field, Term};
use server::store::{schema, Store, StoreError};

/// Set in the child process: the store to run the lookups on.
const LOOKUP_ENV: &str = "HEPSCOPE_BENCH_LOOKUP_DB";
const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
/// Calls per load chunk (one write transaction of about 25,000 rows).
const CHUNK_CALLS: u64 = 4000;
/// Rows per write transaction in the ingest runs (`[store] batch_size`; the 100 ms flush bounds
/// it at lower rates).
const INGEST_BATCH: usize = 10_000;
/// One Call-ID in this many is kept for the lookups.
const SAMPLE_EVERY: u64 = 500;

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
    h.capture_id = p.capture_id;
    h.node_name = Some(p.node.clone());
    h
}

fn p95(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    let at = (samples.len() * 95 / 100).min(samples.len().saturating_sub(1));
    samples.get(at).copied().unwrap_or_default()
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

/// CPU ticks (user + system, 100 per second) in a `/proc/.../stat` line.
fn stat_ticks(stat: &str) -> u64 {
    stat.rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0)
}

/// CPU ticks so far of each live thread of this process: tid -> (name, ticks).
fn thread_ticks() -> HashMap<u64, (String, u64)> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return HashMap::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| {
            let tid = t.file_name().to_str()?.parse::<u64>().ok()?;
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
            Some((tid, (comm.trim().to_owned(), stat_ticks(&stat))))
        })
        .collect()
}

/// CPU seconds per thread group between two [`thread_ticks`] snapshots.
fn cpu_between(
    before: &HashMap<u64, (String, u64)>,
    after: &HashMap<u64, (String, u64)>,
) -> HashMap<&'static str, f64> {
    let mut out = HashMap::new();
    for (tid, (comm, ticks)) in after {
        let was = before.get(tid).map_or(0, |(_, t)| *t);
        let group = match comm.as_str() {
            "store-writer" => "writer",
            "store-postings" => "postings",
            "store-checkpoin" => "checkpoint",
            "tokio-rt-worker" => "receiver",
            _ => continue,
        };
        *out.entry(group).or_insert(0.0) += ticks.saturating_sub(was) as f64 / 100.0;
    }
    out
}

/// The store file, the postings file and their WALs, MiB.
fn file_mib(path: &Path) -> u64 {
    let index = postings::index_path(path);
    let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let with_wal = |p: &Path| size(p) + size(&PathBuf::from(format!("{}-wal", p.display())));
    (with_wal(path) + with_wal(&index)) / (1024 * 1024)
}

fn main() -> anyhow::Result<()> {
    if let Ok(db) = std::env::var(LOOKUP_ENV) {
        return lookups(Path::new(&db));
    }
    let dir = std::env::temp_dir().join(format!("hepscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;

    // 1. Ingest over loopback.
    let count = env_num("HEPSCOPE_BENCH_PACKETS", 500_000) as usize;
    let rate = env_num("HEPSCOPE_BENCH_RATE", 100_000);
    let datagrams = sip_datagrams(count)?;
    for (label, udp, pace) in [
        ("TCP, full speed", false, None),
        ("TCP, paced", false, Some(rate)),
        ("UDP, paced", true, Some(rate)),
    ] {
        let path = dir.join(format!("ingest-{}.sqlite", label.replace([',', ' '], "")));
        runtime.block_on(ingest_run(label, &path, &datagrams, udp, pace))?;
    }
    drop(datagrams);

    // 2. Load (`HEPSCOPE_BENCH_ROWS=0`: ingest figures only).
    if env_num("HEPSCOPE_BENCH_ROWS", 10_000_000) == 0 {
        std::fs::remove_dir_all(&dir)?;
        return Ok(());
    }
    let kept = std::env::var("HEPSCOPE_BENCH_DB").ok().map(PathBuf::from);
    let db = kept.clone().unwrap_or_else(|| dir.join("store.sqlite"));
    let target = env_num("HEPSCOPE_BENCH_ROWS", 10_000_000);
    let stored = stored_rows(&db);
    if stored >= target {
        println!("load: reusing {} with {stored} rows", db.display());
    } else {
        load(&db, target, stored)?;
    }

    // 3. Lookups and RSS in a fresh process.
    let status = std::process::Command::new(std::env::current_exe()?)
        .env(LOOKUP_ENV, &db)
        .status()?;
    println!(
        "store and postings files with their WALs: {} MiB (lookup process exit: {status})",
        file_mib(&db)
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Encoded HEP datagrams of `count` SIP packets, call after call, with capture times in send
/// order ending now, 10 µs apart: live capture, where a packet's capture time is about when it
/// reaches the store (so the time index and the postings grow at their ends, as they do live).
fn sip_datagrams(count: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let start = now_us() - count as i64 * 10;
    let mut out = Vec::with_capacity(count);
    let mut seed = 1;
    while out.len() < count {
        for p in single_call(seed, start, Outcome::ALL[(seed % 5) as usize]) {
            if p.kind == PacketKind::Sip && out.len() < count {
                let mut p = p;
                p.ts_us = start + out.len() as i64 * 10;
                out.push(encode(&hep(&p), false)?);
            }
        }
        seed += 1;
    }
    Ok(out)
}

/// Sends `datagrams` to a fresh store's HEP receiver, at `pace` packets/s or as fast as possible.
async fn ingest_run(
    label: &str,
    path: &Path,
    datagrams: &[Vec<u8>],
    udp: bool,
    pace: Option<u64>,
) -> anyhow::Result<()> {
    let mut config = StoreConfig::at(path.to_path_buf());
    config.batch_size = INGEST_BATCH;
    let store = Store::open(config, Vec::new())?;
    let intake = Arc::new(Intake::new(Arc::new(store.clone()), None));
    let receiver = HepReceiver::start("127.0.0.1:0".parse()?, intake).await?;
    let to = if udp {
        receiver.udp_addr()
    } else {
        receiver.tcp_addr()
    };
    let n = datagrams.len() as u64;
    let ticks_before = thread_ticks();
    let t = Instant::now();
    let sent = std::thread::scope(|s| s.spawn(|| send(to, datagrams, udp, pace)).join());
    let (sent, sender_cpu) = sent.map_err(|_| anyhow::anyhow!("sender panicked"))??;
    let send_secs = t.elapsed().as_secs_f64();
    // Wait until every packet is accounted for, or nothing moved for a second.
    let (mut last, mut last_change) = (0, Instant::now());
    loop {
        let s = store.stats();
        let seen = s.stored + s.dropped + s.rejected;
        if seen != last {
            (last, last_change) = (seen, Instant::now());
        }
        if seen >= n || last_change.elapsed() > Duration::from_secs(1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = last_change.duration_since(t).as_secs_f64().max(send_secs);
    store.flush()?;
    let cpu = cpu_between(&ticks_before, &thread_ticks());
    let s = store.stats();
    let lost = sent.saturating_sub(s.stored + s.dropped + s.rejected);
    let per_packet = |secs: f64| secs * 1e6 / sent.max(1) as f64;
    let part = |group: &str| per_packet(cpu.get(group).copied().unwrap_or(0.0));
    println!(
        "ingest {label}: {sent} SIP packets sent in {send_secs:.2} s, {} stored in {done:.2} s = \
         {:.0} packets/s; dropped (queue full) {}, rejected {}, lost before the store {lost}",
        s.stored,
        s.stored as f64 / done,
        s.dropped,
        s.rejected,
    );
    let groups = ["writer", "postings", "receiver", "checkpoint"];
    println!(
        "  CPU per packet sent: writer {:.1} µs, postings {:.1} µs, receiver (decode, SIP scan, \
         row) {:.1} µs, checkpoint {:.1} µs, sender {:.1} µs; {:.1} µs in all (2 cores give \
         20 µs at 100k/s)",
        part("writer"),
        part("postings"),
        part("receiver"),
        part("checkpoint"),
        per_packet(sender_cpu),
        groups.iter().map(|g| part(g)).sum::<f64>() + per_packet(sender_cpu),
    );
    receiver.stop().await;
    Ok(())
}

/// Sends every datagram (TCP: one stream, HEP's own length framing); returns how many were sent
/// and the sending thread's CPU seconds.
fn send(
    to: SocketAddr,
    datagrams: &[Vec<u8>],
    udp: bool,
    pace: Option<u64>,
) -> anyhow::Result<(u64, f64)> {
    let start = Instant::now();
    let connections = env_num("HEPSCOPE_BENCH_CONNECTIONS", 1).max(1) as usize;
    let mut streams: Vec<TcpStream> = Vec::new();
    if !udp {
        for _ in 0..connections {
            streams.push(TcpStream::connect(to)?);
        }
    }
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    let mut buf = Vec::with_capacity(256 * 1024);
    let mut sent = 0u64;
    for (n, slice) in datagrams.chunks(500).enumerate() {
        if let Some(rate) = pace {
            let due = Duration::from_secs_f64(sent as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let count = streams.len();
        match streams.get_mut(n % count.max(1)) {
            Some(stream) => {
                buf.clear();
                slice.iter().for_each(|d| buf.extend_from_slice(d));
                stream.write_all(&buf)?;
            }
            None => {
                for d in slice {
                    socket.send_to(d, to)?;
                }
            }
        }
        sent += slice.len() as u64;
    }
    let ticks = std::fs::read_to_string("/proc/thread-self/stat")
        .map(|stat| stat_ticks(&stat))
        .unwrap_or(0);
    Ok((sent, ticks as f64 / 100.0))
}

/// Rows in the store at `path` (0 when there is none).
fn stored_rows(path: &Path) -> u64 {
    if !path.exists() {
        return 0;
    }
    let count = || -> Result<u64, StoreError> {
        let conn = rusqlite::Connection::open(path)?;
        let mut total = 0u64;
        for (suffix, _) in schema::list_partitions(&conn)? {
            for profile in Profile::ALL {
                let sql = format!(
                    "SELECT count(*) FROM {}",
                    schema::table_name(profile, &suffix)
                );
                total += conn.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64;
            }
        }
        Ok(total)
    };
    count().unwrap_or(0)
}

fn ids_file(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.ids", db.display()))
}

/// Loads calls in time order over the last 23 hours until the store holds `target` rows: two
/// threads build and scan chunks while the writer commits the other one's.
fn load(db: &Path, target: u64, already: u64) -> anyhow::Result<()> {
    let _ = std::fs::remove_file(db);
    let _ = std::fs::remove_file(ids_file(db));
    let mut config = StoreConfig::at(db.to_path_buf());
    config.queue = 16;
    let store = Store::open(config, Vec::new())?;
    let per_call = (0..1000)
        .map(|i| single_call(i, 0, Outcome::ALL[(i % 5) as usize]).len())
        .sum::<usize>() as f64
        / 1000.0;
    let calls = (target as f64 / per_call).ceil() as u64;
    let start = now_us() - 23 * HOUR_US;
    let gap = (22 * HOUR_US) / calls.max(1) as i64;
    let budget = Duration::from_secs(env_num("HEPSCOPE_BENCH_LOAD_SECS", 3600));
    let next_chunk = AtomicU64::new(0);
    let loaded = AtomicU64::new(0);
    let samples = Mutex::new(Vec::new());
    println!(
        "load: {already} rows found; loading {target} ({calls} calls of {per_call:.1} messages)"
    );
    let load_ticks = thread_ticks();
    let t = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| -> Result<(), StoreError> {
                    loop {
                        let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
                        let first = chunk * CHUNK_CALLS;
                        if first >= calls
                            || loaded.load(Ordering::Relaxed) >= target
                            || t.elapsed() > budget
                        {
                            return Ok(());
                        }
                        let mut batch = Vec::new();
                        let mut ids = Vec::new();
                        for call in first..(first + CHUNK_CALLS).min(calls) {
                            let ts = start + gap * call as i64;
                            let packets =
                                single_call(call + 1, ts, Outcome::ALL[(call % 5) as usize]);
                            if call % SAMPLE_EVERY == 0 {
                                ids.extend(packets.first().map(|p| p.call_id.clone()));
                            }
                            batch.extend(packets.iter().map(|p| (hep(p), 0)));
                        }
                        let stored = store.ingest_batch(batch)?;
                        loaded.fetch_add(stored as u64, Ordering::Relaxed);
                        if let Ok(mut all) = samples.lock() {
                            all.extend(ids);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker
                .join()
                .map_err(|_| anyhow::anyhow!("loader panicked"))??;
        }
        anyhow::Ok(())
    })?;
    let secs = t.elapsed().as_secs_f64();
    let loaded = loaded.load(Ordering::Relaxed);
    let cpu = cpu_between(&load_ticks, &thread_ticks());
    let per_row = |group: &str| cpu.get(group).copied().unwrap_or(0.0) * 1e6 / loaded.max(1) as f64;
    println!(
        "load: {loaded} messages in {secs:.1} s ({:.0} rows/s through the writer; CPU per row: \
         writer {:.1} µs, postings {:.1} µs)",
        loaded as f64 / secs,
        per_row("writer"),
        per_row("postings"),
    );
    let ids = samples.into_inner().unwrap_or_default();
    std::fs::write(ids_file(db), ids.join("\n"))?;
    Ok(())
}

/// The child process: the store alone, as a server holds it.
fn lookups(db: &Path) -> anyhow::Result<()> {
    let ids: Vec<String> = std::fs::read_to_string(ids_file(db))?
        .lines()
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        anyhow::bail!("no Call-IDs sampled in {}", ids_file(db).display());
    }
    println!("rows in the store: {}", stored_rows(db));
    let store = Store::open(StoreConfig::at(db.to_path_buf()), Vec::new())?;
    let window = Window {
        from_us: now_us() - DAY_US,
        to_us: now_us(),
    };
    let sip = [Profile::Call, Profile::Registration, Profile::SipDefault];

    // A call flow's lookups: its correlation links, then its rows in the three SIP tables.
    let mut samples = Vec::new();
    let mut found = 0;
    for i in 0..200 {
        let id = ids.get((i * 7919) % ids.len()).cloned().unwrap_or_default();
        let t = Instant::now();
        let rows = store.read_blocking(|c| {
            let mut keys = vec![id];
            keys.extend(read::linked_keys(c, window, &keys)?);
            read::rows_by_sid(c, &sip, window, &keys, usize::MAX)
        })?;
        samples.push(t.elapsed());
        found += rows.len();
    }
    println!(
        "Call-ID lookup over 24 h (links + 3 SIP tables): p95 {:?} ({found} rows for 200 calls)",
        p95(samples)
    );

    // Number searches as the API compiles `from_user` OR `to_user` filters, newest 200.
    let firsts: Vec<(String, String)> = ids
        .iter()
        .take(50)
        .filter_map(|id| {
            store
                .read_blocking(|c| {
                    read::rows_by_sid(
                        c,
                        &[Profile::Call],
                        window,
                        std::slice::from_ref(id),
                        usize::MAX,
                    )
                })
                .ok()
                .and_then(|rows| {
                    rows.first()
                        .map(|r| (r.row.from_user.clone(), r.row.to_user.clone()))
                })
        })
        .collect();
    for (label, pick) in [
        ("caller number", 0usize),
        ("company number (1 in 100 calls)", 1),
    ] {
        let conditions: Vec<Condition> = firsts
            .iter()
            .map(|(from, to)| {
                let user = if pick == 0 { from } else { to };
                Condition {
                    sql: "from_user = ? OR to_user = ?".into(),
                    params: vec![Value::Text(user.clone()), Value::Text(user.clone())],
                    terms: Some(vec![
                        Term {
                            field: Field::FromUser,
                            value: user.clone(),
                        },
                        Term {
                            field: Field::ToUser,
                            value: user.clone(),
                        },
                    ]),
                }
            })
            .collect();
        let (p95, found) = time_searches(&store, window, &conditions)?;
        println!(
            "number search over 24 h, {label}, newest 200: p95 {p95:?} ({found} rows for {} \
             searches)",
            conditions.len()
        );
    }
    // A wildcard cannot use the postings: it reads the time index, newest first, until it has
    // the limit (at worst the whole window). The number with its last two digits as `%`.
    for (label, hours) in [("1 h", 1), ("24 h", 24)] {
        let window = Window {
            from_us: now_us() - hours * HOUR_US,
            to_us: now_us(),
        };
        let conditions: Vec<Condition> = firsts
            .iter()
            .take(10)
            .map(|(from, _)| {
                let prefix = from.get(..from.len().saturating_sub(2)).unwrap_or(from);
                Condition {
                    sql: "from_user LIKE ?".into(),
                    params: vec![Value::Text(format!("{prefix}%"))],
                    terms: None,
                }
            })
            .collect();
        let (p95, found) = time_searches(&store, window, &conditions)?;
        println!(
            "wildcard number search (`<number minus 2 digits>%`) over {label}, newest 200: p95 \
             {p95:?} ({found} rows for {} searches)",
            conditions.len()
        );
    }
    println!(
        "VmRSS of the process holding the store after the lookups: {} MiB",
        rss_kib() / 1024
    );
    Ok(())
}

/// Runs each search for the newest 200 rows of the call table in `window`; returns the p95 time
/// and the rows found.
fn time_searches(
    store: &Store,
    window: Window,
    conditions: &[Condition],
) -> anyhow::Result<(Duration, usize)> {
    let mut samples = Vec::new();
    let mut found = 0;
    for condition in conditions {
        let t = Instant::now();
        let rows =
            store.read_blocking(|c| read::search(c, Profile::Call, window, condition, 200))?;
        samples.push(t.elapsed());
        found += rows.len();
    }
    Ok((p95(samples), found))
}
