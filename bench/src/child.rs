//! The server under test: the real `baraza serve` binary as a child process, so that its
//! memory is measured apart from the load generator's.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const ADMIN_PASSWORD: &str = "bench-admin-password";

/// The `baraza` binary beside this one (`target/<profile>/`).
pub fn baraza_bin() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("baraza");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: build it first (`cargo build --release -p baraza-server`; `./dev bench` does)",
            bin.display()
        ))
    }
}

pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    /// `baraza serve` on `data` (or on the PostgreSQL `database`) with the demo settlement
    /// frame, on a free loopback port.
    pub fn start(data: &Path, database: Option<&str>) -> Result<Server, String> {
        let mut child = Command::new(baraza_bin()?)
            .args(["serve", "--demo-frame", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("BARAZA_DATABASE_URL", database.unwrap_or_default())
            .env("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start baraza serve: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    return Err("baraza serve stopped before listening".into());
                }
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Server { child, base })
    }

    /// The server's peak resident set since start or the last `reset_peak`, in MB.
    pub fn peak_rss_mb(&self) -> Option<f64> {
        peak_rss_mb(&format!("/proc/{}/status", self.child.id()))
    }

    /// Starts a new peak measurement (Linux: writing 5 to clear_refs resets VmHWM).
    pub fn reset_peak(&self) -> bool {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").is_ok()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmHWM from a `/proc/<pid>/status` file, in MB.
pub fn peak_rss_mb(status: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}
