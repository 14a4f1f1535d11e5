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
}

impl Drop for Hepscope {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Hepscope {
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
        Hepscope {
            child,
            http: http.unwrap(),
            hep,
            hep_tls,
            scheme,
            stderr,
            stdout,
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

    /// The value of the first `/metrics` sample line starting with `series` (name and labels as
    /// rendered), 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
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
        sample(&text, series)
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
