//! The real `hepscope` binary as a child process: started in a directory of its own on
//! `127.0.0.1:0`, its addresses read from what it prints, stopped with SIGTERM or killed on drop.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `hepscope serve`.
pub struct Hepscope {
    pub child: Child,
    pub http: SocketAddr,
    /// The HEP receiver's address, when it runs.
    pub hep: Option<SocketAddr>,
    /// The HEP-over-TLS listener's address, when configured.
    pub hep_tls: Option<SocketAddr>,
    /// `https` when the web listener serves TLS.
    pub scheme: String,
    /// Everything it wrote to stderr (the logs) so far.
    pub stderr: Arc<Mutex<String>>,
    /// Everything it wrote to stdout so far.
    pub stdout: Arc<Mutex<String>>,
    /// The data directory (`data/` in its working directory unless `--data-dir` said otherwise; the
    /// store is under `store/`).
    pub data: PathBuf,
}

impl Drop for Hepscope {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hepscope {
    /// Starts `hepscope serve` in a fresh directory named after `name`, with `config` as its config
    /// file and quiet logs.
    pub fn with_config(name: &str, config: &str) -> Hepscope {
        let dir = empty_dir(name);
        std::fs::write(dir.join("hepscope.toml"), config).unwrap();
        Self::start_with_env(
            &dir,
            &["--config", "hepscope.toml"],
            &[("RUST_LOG", "error")],
        )
    }

    /// The HEP receiver's address (it runs unless the test turned it off).
    pub fn hep_addr(&self) -> SocketAddr {
        self.hep.expect("the HEP receiver runs")
    }

    /// Starts `hepscope serve` in `dir` (its working directory) with `args` after `serve`; listens
    /// on `127.0.0.1:0` for HTTP and HEP unless `args` say otherwise.
    pub fn start(dir: &Path, args: &[&str]) -> Hepscope {
        Self::start_with_env(dir, args, &[])
    }

    /// [`Hepscope::start`] with extra environment variables.
    pub fn start_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Hepscope {
        let mut command = Command::new(env!("CARGO_BIN_EXE_hepscope"));
        command
            .current_dir(dir)
            .arg("serve")
            .args(["--listen", "127.0.0.1:0", "--hep-listen", "127.0.0.1:0"])
            .args(["--stream-listen", "127.0.0.1:0"])
            .args(args)
            .env("HEPSCOPE_ADMIN_PASSWORD", super::app::ADMIN_PASSWORD)
            .env_remove("HEPSCOPE_CONFIG")
            .env_remove("HEPSCOPE_DIST_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if !env.iter().any(|(k, _)| *k == "RUST_LOG") {
            command.env("RUST_LOG", "info");
        }
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let mut text = sink.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
            }
        });
        let stdout = Arc::new(Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut http, mut hep, mut hep_tls, mut scheme) = (None, None, None, String::new());
        while http.is_none() {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                panic!(
                    "hepscope stopped before listening: {}",
                    stderr.lock().unwrap()
                );
            };
            stdout.lock().unwrap().push_str(&format!("{line}\n"));
            if let Some(rest) = line.strip_prefix("HEP receiver on udp/tcp ") {
                hep = Some(rest.trim().parse().unwrap());
            } else if let Some(rest) = line.strip_prefix("HEP over TLS on tcp ") {
                hep_tls = Some(rest.trim().parse().unwrap());
            } else if let Some(rest) = line.strip_prefix("hepscope is listening on ") {
                let (s, addr) = rest.split_once("://").unwrap();
                scheme = s.to_string();
                http = Some(addr.trim_end_matches('/').parse().unwrap());
            }
        }
        // Keep draining stdout so the process never blocks on a full pipe.
        let sink = stdout.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let data = args
            .iter()
            .position(|a| *a == "--data-dir")
            .and_then(|i| args.get(i + 1))
            .map_or_else(|| dir.join("data"), |d| dir.join(d));
        Hepscope {
            child,
            http: http.unwrap(),
            hep,
            hep_tls,
            scheme,
            stderr,
            stdout,
            data,
        }
    }

    /// `scheme://addr/path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{}", self.scheme, self.http, path)
    }

    /// The logs written so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Sends `signal` (`TERM`, `HUP`) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Sends SIGTERM and waits at most `limit` for the exit; `None` if it is still running.
    pub fn terminate(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.signal("TERM");
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The value of metric `name` (`hepscope_x_total`, or with labels `hepscope_x_total{a="b"}`);
    /// without labels, the sum over all its series. 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        // The tests of TLS check its certificate themselves; here any certificate will do.
        let client = reqwest::Client::builder()
            .tls_danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let text = client
            .get(self.url("/metrics"))
            .send()
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

/// The value of the first sample line of `text` starting with `series` then a space, or 0.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.trim().parse().unwrap())
}

/// An empty directory to run the binary in.
pub fn empty_dir(name: &str) -> PathBuf {
    super::app::temp_dir(name)
}
