//! Ingest into the embedded store: routing by CSeq method, the live (queued) path, all-or-nothing
//! batches, retention dropping whole partitions, and a writer killed with SIGKILL mid-ingest.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::store::{hep, now_us, open_store};
use app::domain::fixture::{single_call, Outcome, SipBuilder};
use app::domain::sip::Method;
use server::config::{PartitionSpan, StoreConfig};
use server::hep::{HepPacket, ProtoType};
use server::store::index::Profile;
use server::store::read::{self, Window};
use server::store::{schema, Store, StoreError};

/// Rows per profile key, over all partitions.
fn count(store: &Store, profile: Profile) -> i64 {
    store
        .read_blocking(move |conn| {
            let mut total = 0;
            for (suffix, _) in schema::list_partitions(conn)? {
                let sql = format!(
                    "SELECT count(*) FROM {}",
                    schema::table_name(profile, &suffix)
                );
                total += conn.query_row(&sql, [], |r| r.get::<_, i64>(0))?;
            }
            Ok::<_, StoreError>(total)
        })
        .unwrap()
}

fn sip(method: &str, cseq_method: &str, call_id: &str, ts_us: i64) -> HepPacket {
    let payload = SipBuilder::request(&Method::parse(method), "sip:2002@example.com")
        .header("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1")
        .header("From", "<sip:1001@example.com>;tag=a")
        .header("To", "<sip:2002@example.com>")
        .header("Call-ID", call_id)
        .header("CSeq", format!("1 {cseq_method}"))
        .build();
    let mut packet = HepPacket::new(
        "192.0.2.1:5060".parse().unwrap(),
        "192.0.2.2:5060".parse().unwrap(),
        ProtoType::Sip,
        payload,
    );
    packet.ts_us = Some(ts_us);
    packet
}

#[test]
fn packets_are_routed_to_tables_by_cseq_method_and_type() {
    let (store, _) = open_store("routing", Vec::new(), |_| {});
    let t = now_us();
    let mut batch = Vec::new();
    for (i, method) in [
        "INVITE", "ACK", "BYE", "CANCEL", "UPDATE", "PRACK", "REFER", "INFO", "NOTIFY",
    ]
    .iter()
    .enumerate()
    {
        batch.push((sip(method, method, &format!("call-{i}"), t), t));
    }
    batch.push((sip("REGISTER", "REGISTER", "reg", t), t));
    for method in ["OPTIONS", "SUBSCRIBE", "MESSAGE", "PUBLISH"] {
        batch.push((sip(method, method, "other", t), t));
    }
    let mut rtcp = HepPacket::new(
        "192.0.2.1:4001".parse().unwrap(),
        "192.0.2.2:4001".parse().unwrap(),
        ProtoType::Rtcp,
        b"{\"type\":200}".to_vec(),
    );
    rtcp.correlation_id = Some("call-0".into());
    batch.push((rtcp.clone(), t));
    rtcp.proto_type = ProtoType::Log;
    batch.push((rtcp.clone(), t));
    rtcp.proto_type = ProtoType::MosShortReport;
    batch.push((rtcp, t));
    let mut garbage = sip("INVITE", "INVITE", "x", t);
    garbage.payload = b"\x00\x01 not sip".to_vec();
    batch.push((garbage, t));

    assert_eq!(store.ingest_batch(batch).unwrap(), 17);
    assert_eq!(count(&store, Profile::Call), 9);
    assert_eq!(count(&store, Profile::Registration), 1);
    assert_eq!(count(&store, Profile::SipDefault), 4);
    assert_eq!(count(&store, Profile::Rtcp), 1);
    assert_eq!(count(&store, Profile::Log), 1);
    assert_eq!(count(&store, Profile::Report), 1);
    assert_eq!(store.stats().rejected, 1);
}

#[test]
fn live_ingest_is_committed_within_the_flush_interval() {
    let (store, _) = open_store("live", Vec::new(), |c| c.batch_size = 1000);
    let packets = single_call(5, now_us() - 60_000_000, Outcome::Cancelled);
    for packet in &packets {
        store.ingest(hep(packet), packet.ts_us);
    }
    std::thread::sleep(server::store::FLUSH_INTERVAL * 4);
    assert_eq!(count(&store, Profile::Call), packets.len() as i64);
    assert_eq!(store.stats().stored, packets.len() as u64);
    assert_eq!(store.stats().dropped, 0);
}

#[test]
fn full_queue_drops_and_counts_instead_of_blocking() {
    let (store, _) = open_store("full", Vec::new(), |c| c.queue = 1);
    let t = now_us();
    for i in 0..2000 {
        store.ingest(sip("OPTIONS", "OPTIONS", &format!("o-{i}"), t), t);
    }
    store.flush().unwrap();
    let stats = store.stats();
    assert_eq!(stats.stored + stats.dropped, 2000, "{stats:?}");
    assert_eq!(count(&store, Profile::SipDefault) as u64, stats.stored);
}

#[test]
fn the_writer_holds_at_most_queue_bytes_and_is_congested_past_three_quarters() {
    const MIB: usize = 1024 * 1024;
    let (store, path) = open_store("queue-bytes", Vec::new(), |c| c.queue_bytes = MIB);
    // Another connection holds the write lock, so the writer cannot commit and rows pile up.
    let blocker = rusqlite::Connection::open(&path).unwrap();
    blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
    let t = now_us();
    let mut big = sip("OPTIONS", "OPTIONS", "big", t);
    big.payload.extend(std::iter::repeat_n(b' ', 60 * 1024));
    for _ in 0..40 {
        store.ingest(big.clone(), t);
    }
    let stats = store.stats();
    assert!(
        store.congested(),
        "40 rows are far below `queue`, but their bytes are over 3/4 of queue_bytes"
    );
    assert!(
        stats.dropped >= 20,
        "at most 1 MiB of 61 KiB rows is held: {stats:?}"
    );
    blocker.execute_batch("ROLLBACK").unwrap();
    store.flush().unwrap();
    let stats = store.stats();
    assert_eq!(stats.stored + stats.dropped, 40, "{stats:?}");
    assert!(
        !store.congested(),
        "the bytes are given back once committed"
    );
    for _ in 0..3 {
        store.ingest(big.clone(), t);
    }
    store.flush().unwrap();
    assert_eq!(store.stats().stored + store.stats().dropped, 43);
    assert_eq!(store.stats().dropped, stats.dropped, "room again");
}

#[test]
fn retention_drops_whole_old_partitions_and_skips_expired_rows() {
    let hour = 3_600_000_000;
    let (store, path) = open_store("retention", Vec::new(), |c| {
        c.partition = PartitionSpan::Hour;
        c.retention = std::time::Duration::from_secs(2 * 3600);
    });
    let now = now_us();
    store
        .ingest_batch(vec![
            (sip("INVITE", "INVITE", "old", now - hour * 3 / 2), now),
            (sip("INVITE", "INVITE", "new", now), now),
            (sip("INVITE", "INVITE", "too-old", now - hour * 5), now),
        ])
        .unwrap();
    assert_eq!(store.stats().expired, 1);
    assert_eq!(count(&store, Profile::Call), 2);
    let postings_tables = |store: &Store| {
        store
            .read_blocking(|conn| {
                Ok::<_, StoreError>(conn.query_row(
                    "SELECT count(*) FROM idx.sqlite_master WHERE name LIKE 'hep_%'",
                    [],
                    |r| r.get::<_, i64>(0),
                )?)
            })
            .unwrap()
    };
    assert_eq!(
        postings_tables(&store),
        4,
        "postings and segments of two partitions"
    );
    let dropped = store.apply_retention(now + 2 * hour).unwrap();
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(count(&store, Profile::Call), 1);
    store.flush().unwrap();
    assert_eq!(
        postings_tables(&store),
        2,
        "the dropped partition's postings are gone"
    );
    drop(store);
    // Reopening sees the same catalogue, and new rows still get fresh ids.
    let mut config = StoreConfig::at(path);
    config.partition = PartitionSpan::Hour;
    let store = Store::open(config, Vec::new()).unwrap();
    store
        .ingest_batch(vec![(sip("BYE", "BYE", "new", now), now)])
        .unwrap();
    let ids: Vec<i64> = store
        .read_blocking(|conn| {
            let (suffix, _) = schema::list_partitions(conn)?.pop().unwrap();
            let sql = format!(
                "SELECT id FROM {} ORDER BY id",
                schema::table_name(Profile::Call, &suffix)
            );
            let mut stmt = conn.prepare(&sql)?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok::<_, StoreError>(ids)
        })
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1]);
}

const CHILD_ENV: &str = "HEPSCOPE_STORE_CRASH_CHILD";

/// Not a test on its own: when started by `writer_killed_mid_ingest_loses_at_most_one_batch` it
/// ingests calls until killed, printing how many rows are committed.
#[test]
fn crash_child_ingests_until_killed() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut config = StoreConfig::at(path.into());
    config.batch_size = 200;
    let store = Store::open(config, Vec::new()).unwrap();
    let start = now_us() - 600_000_000;
    let mut seed = 0;
    loop {
        for _ in 0..20 {
            seed += 1;
            for packet in single_call(seed, start + seed as i64 * 1000, Outcome::Busy) {
                store.ingest(hep(&packet), packet.ts_us);
            }
        }
        store.flush().unwrap();
        println!("committed {}", store.stats().stored);
    }
}

#[test]
fn writer_killed_mid_ingest_loses_at_most_one_batch() {
    let dir = common::app::temp_dir("crash");
    let path = dir.join("store.sqlite");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "store_ingest::crash_child_ingests_until_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last = 0u64;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            last = n.trim().parse().unwrap();
            if last >= 3000 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(last >= 3000);

    let store = Store::open(StoreConfig::at(path), Vec::new()).unwrap();
    let stored = count(&store, Profile::Call) as u64;
    assert!(
        stored >= last,
        "{stored} rows after the kill, {last} reported committed"
    );
    let integrity: String = store
        .read_blocking(|conn| {
            Ok::<_, StoreError>(conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(
        integrity, "ok",
        "the store file and the attached postings file"
    );
    // Every stored row is found by its Call-ID: rows the postings thread had not committed before
    // the kill were posted again when the store opened.
    let window = Window {
        from_us: 0,
        to_us: i64::MAX / 2,
    };
    let found = store
        .read_blocking(move |conn| {
            let mut sids: Vec<String> = Vec::new();
            for (suffix, _) in schema::list_partitions(conn)? {
                let sql = format!(
                    "SELECT DISTINCT sid FROM {}",
                    schema::table_name(Profile::Call, &suffix)
                );
                let mut stmt = conn.prepare(&sql)?;
                for sid in stmt.query_map([], |r| r.get::<_, String>(0))? {
                    sids.push(sid?);
                }
            }
            read::rows_by_sid(conn, &[Profile::Call], window, &sids, usize::MAX)
        })
        .unwrap();
    assert_eq!(
        found.len() as u64,
        stored,
        "every row is found by its Call-ID"
    );
    let t = now_us();
    assert_eq!(
        store
            .ingest_batch(vec![(sip("INVITE", "INVITE", "after", t), t)])
            .unwrap(),
        1
    );
}
