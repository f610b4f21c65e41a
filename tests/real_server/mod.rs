//! The real `backroom serve` binary over a fresh database in a temp dir, optionally under
//! an open-file limit (`prlimit`); killed when dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub struct RealServer {
    pub base: String,
    pub addr: std::net::SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl RealServer {
    /// Starts the binary (`binary` is `env!("CARGO_BIN_EXE_backroom")`), with the demo
    /// users, under `nofile` open files if given. `None` if `prlimit` is missing.
    pub fn start(binary: &str, nofile: Option<u64>) -> Option<RealServer> {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("shop.db");
        let seeded = backroom::store::Store::open(&db)
            .and_then(|s| s.seed_sample_data(jiff::Timestamp::now()));
        seeded.expect("seeded database");
        let mut command = match nofile {
            Some(n) => {
                if Command::new("prlimit").arg("--version").output().is_err() {
                    eprintln!("skipped: prlimit (util-linux) is not installed");
                    return None;
                }
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}")).arg("--").arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start backroom serve");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            let n = out.read_line(&mut line).expect("read stdout");
            assert!(n > 0, "backroom serve ended before serving");
            if line.starts_with("backroom serving") {
                break;
            }
        }
        let base = line.trim().rsplit(' ').next().expect("url").to_string();
        let addr = base.trim_start_matches("http://").parse().expect("address");
        Some(RealServer {
            base,
            addr,
            child,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory of the server process, in bytes (from /proc).
    pub fn rss_bytes(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .expect("VmRSS")
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Raises this process's open-file limit to its hard limit (to hold many connections).
pub fn raise_open_file_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    limit.current = limit.maximum;
    let _ = setrlimit(Resource::Nofile, limit);
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}
