//! The audit writer thread: stores records, copies them to syslog and the JSONL file, prunes.

use std::io::Write;
use std::net::UdpSocket;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};

use super::{unix_millis, AuditConfig, Record};

/// How often old records are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub(super) enum Message {
    Record(Box<Record>),
    /// Answered once everything before it is stored.
    Flush(mpsc::Sender<()>),
    Prune,
}

/// Starts the writer on `connection`; it ends when every sender is gone.
pub(super) fn start(connection: Connection, config: AuditConfig) -> mpsc::Sender<Message> {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("audit-writer".into())
        .spawn(move || run(&connection, &config, &receiver));
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the audit writer");
    }
    sender
}

fn run(connection: &Connection, config: &AuditConfig, receiver: &mpsc::Receiver<Message>) {
    let syslog = config.syslog.and_then(|_| {
        UdpSocket::bind(("0.0.0.0", 0))
            .or_else(|_| UdpSocket::bind(("::", 0)))
            .map_err(|e| tracing::error!(error = %e, "audit: no UDP socket for syslog"))
            .ok()
    });
    let hostname = hostname();
    prune(connection, config);
    let mut pruned = Instant::now();
    while let Ok(message) = receiver.recv() {
        match message {
            Message::Record(record) => {
                store(connection, &record);
                if let (Some(socket), Some(addr)) = (&syslog, config.syslog) {
                    let line = syslog_line(&record, &hostname);
                    if let Err(e) = socket.send_to(line.as_bytes(), addr) {
                        tracing::warn!(error = %e, "audit: syslog send failed");
                    }
                }
                if let Some(path) = &config.jsonl {
                    append_jsonl(path, &record);
                }
            }
            Message::Flush(done) => {
                let _ = done.send(());
            }
            Message::Prune => {
                prune(connection, config);
                pruned = Instant::now();
            }
        }
        if pruned.elapsed() >= PRUNE_EVERY {
            prune(connection, config);
            pruned = Instant::now();
        }
    }
}

fn store(connection: &Connection, r: &Record) {
    let stored = connection.execute(
        "INSERT INTO audit (time, user, client, action, object, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![r.time, r.user, r.client, r.action, r.object, r.outcome],
    );
    if let Err(e) = stored {
        tracing::error!(error = %e, action = %r.action, "audit: cannot store a record");
    }
}

fn prune(connection: &Connection, config: &AuditConfig) {
    let keep_ms = i64::try_from(config.retention.as_millis()).unwrap_or(i64::MAX);
    let cutoff = unix_millis().saturating_sub(keep_ms);
    match connection.execute("DELETE FROM audit WHERE time < ?1", params![cutoff]) {
        Ok(0) => {}
        Ok(n) => tracing::info!(records = n, "audit: pruned records past retention"),
        Err(e) => tracing::error!(error = %e, "audit: pruning failed"),
    }
}

fn append_jsonl(path: &std::path::Path, record: &Record) {
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut file| {
            let mut line = serde_json::to_vec(record).unwrap_or_default();
            line.push(b'\n');
            file.write_all(&line)
        });
    if let Err(e) = written {
        tracing::warn!(error = %e, path = %path.display(), "audit: cannot append to the JSONL file");
    }
}

/// An RFC 5424 message: facility log audit (13), severity informational (6), MSGID `audit`,
/// structured data with the record's fields, and the record as JSON for the message.
pub(super) fn syslog_line(record: &Record, hostname: &str) -> String {
    let time = jiff::Timestamp::from_millisecond(record.time)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "-".into());
    let sd = format!(
        "[audit@32473 user=\"{}\" client=\"{}\" action=\"{}\" outcome=\"{}\"]",
        sd_escape(&record.user),
        sd_escape(&record.client),
        sd_escape(&record.action),
        sd_escape(&record.outcome)
    );
    let json = serde_json::to_string(record).unwrap_or_default();
    format!(
        "<{}>1 {time} {hostname} hepscope {} audit {sd} {json}",
        13 * 8 + 6,
        std::process::id()
    )
}

/// RFC 5424 §6.3.3: `"`, `\` and `]` are escaped in parameter values.
fn sd_escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty() && h.is_ascii() && !h.contains(' '))
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::super::Action;
    use super::*;

    #[test]
    fn syslog_lines_follow_rfc_5424() {
        let mut record = crate::audit::entry(
            "a\"b",
            None,
            Action::Export,
            "pcap",
            super::super::Outcome::Success,
        );
        record.time = 1_000;
        let line = syslog_line(&record, "host");
        assert!(
            line.starts_with("<110>1 1970-01-01T00:00:01Z host hepscope "),
            "{line}"
        );
        assert!(
            line.contains(" audit [audit@32473 user=\"a\\\"b\""),
            "{line}"
        );
        assert!(line.ends_with(&serde_json::to_string(&record).unwrap()));
    }
}
