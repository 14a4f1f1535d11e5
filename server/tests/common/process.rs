//! The real `hepscope` binary as a child process on `127.0.0.1:0` (web and HEP), for tests that
//! measure the process itself: its RSS, `/healthz` and `/metrics`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::app::temp_dir;

/// The `hepscope` process, killed when dropped.
pub struct Hepscope {
    child: Child,
    pub http: SocketAddr,
    pub hep: SocketAddr,
    /// The data directory (the store is under `store/`).
    pub data: std::path::PathBuf,
}

impl Drop for Hepscope {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hepscope {
    /// Starts `hepscope` with `config` as its config file and waits for its addresses.
    pub fn start(name: &str, config: &str) -> Hepscope {
        let dir = temp_dir(name);
        std::fs::write(dir.join("hepscope.toml"), config).unwrap();
        let data = dir.join("data");
        let mut child = Command::new(env!("CARGO_BIN_EXE_hepscope"))
            .arg("--config")
            .arg(dir.join("hepscope.toml"))
            .arg("--data-dir")
            .arg(&data)
            .args(["--listen", "127.0.0.1:0", "--hep-listen", "127.0.0.1:0"])
            .env("HEPSCOPE_ADMIN_PASSWORD", "process-test-password")
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut http, mut hep) = (None, None);
        while http.is_none() || hep.is_none() {
            let line = lines
                .next()
                .expect("hepscope printed its addresses")
                .unwrap();
            if let Some(rest) = line.strip_prefix("HEP receiver on udp/tcp ") {
                hep = Some(rest.trim().parse().unwrap());
            } else if let Some(rest) = line.strip_prefix("hepscope is listening on http://") {
                http = Some(rest.trim_end_matches('/').parse().unwrap());
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Hepscope {
            child,
            http: http.unwrap(),
            hep: hep.unwrap(),
            data,
        }
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A `kB` field of `/proc/<pid>/status`: `VmRSS` (now) or `VmHWM` (the peak).
    fn status_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// The resident set size now, kB.
    pub fn rss_kb(&self) -> u64 {
        self.status_kb("VmRSS")
    }

    /// The largest resident set size so far, kB.
    pub fn peak_rss_kb(&self) -> u64 {
        self.status_kb("VmHWM")
    }

    /// Bytes of the store's files on disk (the data file, the postings file and their WALs).
    pub fn store_bytes(&self) -> u64 {
        std::fs::read_dir(self.data.join("store"))
            .map(|dir| {
                dir.filter_map(Result::ok)
                    .filter_map(|e| e.metadata().ok())
                    .filter(std::fs::Metadata::is_file)
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// `(status, stored, dropped)` from `/healthz`.
    pub async fn health(&self) -> (String, u64, u64) {
        let body: serde_json::Value = reqwest::get(format!("http://{}/healthz", self.http))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (
            body["status"].as_str().unwrap_or_default().to_string(),
            body["store"]["stored"].as_u64().unwrap(),
            body["store"]["dropped"].as_u64().unwrap(),
        )
    }

    /// The value of metric `name` (`hepscope_x_total`, or with labels `hepscope_x_total{a="b"}`);
    /// without labels, the sum over all its series. 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("http://{}/metrics", self.http))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .filter_map(|l| {
                let rest = l.strip_prefix(name)?;
                let value = match rest.strip_prefix(' ') {
                    Some(value) => value,
                    None if !name.contains('{') && rest.starts_with('{') => {
                        rest.split_once("} ")?.1
                    }
                    None => return None,
                };
                Some(value.trim().parse::<f64>().unwrap())
            })
            .sum()
    }

    /// Waits until at least `target` rows are stored (at most 10 s) and returns the count.
    pub async fn stored_at_least(&self, target: u64) -> u64 {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let now = self.health().await.1;
            if now >= target || std::time::Instant::now() >= deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the stored count stops moving (the queue is drained) and returns it.
    pub async fn settled(&self) -> u64 {
        let mut last = self.health().await.1;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = self.health().await.1;
            if now == last {
                return now;
            }
            last = now;
        }
    }
}
