//! A throwaway PostgreSQL server for the tests and the benchmark (`test-hooks` only): initdb
//! into a temporary folder, listening on 127.0.0.1 on a free port, removed when dropped.

use std::path::PathBuf;
use std::process::Command;

/// Runs a PostgreSQL program; its output is the error when it fails.
fn run(c: &mut Command, what: &str) -> Result<(), String> {
    let out = c.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A PostgreSQL server of its own (initdb into a temporary folder, listening on 127.0.0.1 on
/// a free port), with one database `baraza`; stopped (immediate shutdown) and removed when
/// dropped.
pub struct PgCluster {
    dir: PathBuf,
    options: String,
    pub url: String,
}

/// The newest PostgreSQL server programs installed (`./dev` installs Debian's `postgresql`).
fn pg_bin(name: &str) -> Result<PathBuf, String> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL is not installed (./dev installs it): {e}"))?
        .flatten()
        .map(|e| e.path().join("bin").join(name))
        .filter(|p| p.exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| format!("no PostgreSQL server program {name}"))
}

/// A PostgreSQL program, run as the `postgres` account when the tests run as root (initdb and
/// postgres refuse root).
pub fn pg_command(name: &str) -> Result<Command, String> {
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let root = *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
    });
    let program = pg_bin(name)?;
    Ok(if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    })
}

impl PgCluster {
    /// A new cluster, started, with its database created.
    pub fn start() -> Result<PgCluster, String> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("baraza-pg-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("a folder for the cluster: {e}"))?;
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status();
        run(
            pg_command("initdb")?
                .args([
                    "--auth=trust",
                    "--no-locale",
                    "-E",
                    "UTF8",
                    "-U",
                    "baraza",
                    "-D",
                ])
                .arg(dir.join("data")),
            "initdb",
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("a free port: {e}"))?
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            dir.display()
        );
        let cluster = PgCluster {
            url: format!("postgres://baraza@127.0.0.1:{port}/baraza"),
            dir,
            options,
        };
        cluster.restart()?;
        run(
            pg_command("createdb")?.args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "baraza",
                "baraza",
            ]),
            "createdb",
        )?;
        Ok(cluster)
    }

    /// Stops the server at once, as a crash would (`pg_ctl stop -m immediate`).
    pub fn kill(&self) -> Result<(), String> {
        run(
            pg_command("pg_ctl")?
                .args(["-w", "-m", "immediate", "-D"])
                .arg(self.dir.join("data"))
                .arg("stop"),
            "pg_ctl stop",
        )
    }

    /// Restarts the server taking TCP connections over TLS only (`hostnossl` rejected),
    /// with this certificate and key (PEM).
    pub fn tls_only(&self, cert: &str, key: &str) -> Result<(), String> {
        use std::io::Write as _;
        use std::os::unix::fs::PermissionsExt as _;
        let data = self.dir.join("data");
        let write = |name: &str, text: &str| {
            std::fs::write(data.join(name), text).map_err(|e| format!("{name}: {e}"))
        };
        write("server.crt", cert)?;
        write("server.key", key)?;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .map_err(|e| format!("server.key: {e}"))?;
        write(
            "pg_hba.conf",
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )?;
        std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(b"\nssl = on\n"))
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        let _ = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(data.join("server.crt"))
            .arg(data.join("server.key"))
            .arg(data.join("pg_hba.conf"))
            .status();
        self.kill()?;
        self.restart()
    }

    /// Starts the server (again, after `kill`) on its port.
    pub fn restart(&self) -> Result<(), String> {
        run(
            pg_command("pg_ctl")?
                .args(["-w", "-D"])
                .arg(self.dir.join("data"))
                .arg("-l")
                .arg(self.dir.join("log"))
                .args(["-o", &self.options, "start"]),
            "pg_ctl start",
        )
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if let Ok(mut stop) = pg_command("pg_ctl") {
            let _ = stop
                .args(["-m", "immediate", "-D"])
                .arg(self.dir.join("data"))
                .arg("stop")
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
