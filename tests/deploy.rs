//! Deploying (issue 23 and the deployment half of issue 22): the release binary copied alone
//! serves the web apps it embeds byte for byte; HTTPS with a certificate made here; the
//! systemd unit shipped in `deploy/`; backups the server takes by itself; `baraza backup` on a
//! live database. The browser flow against the lone binary over HTTPS is
//! `browser::an_interview_filled_offline_reaches_the_server_by_itself`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{ADMIN_PASSWORD, Server, TempDir, baraza_bin, repo};
use crate::sync_api::{item, payload, push};

/// The release binary `./dev release` writes (`./dev test` builds it before the tests).
pub fn release_bin() -> PathBuf {
    let bin = repo().join("dist/baraza");
    assert!(
        bin.is_file(),
        "{} is missing: `./dev release` builds it (`./dev test` does too)",
        bin.display()
    );
    bin
}

/// The release binary copied alone into an empty folder: nothing else of the repository is
/// reachable from where it runs. Returns the folder and the copy.
pub fn lone_binary() -> (TempDir, PathBuf) {
    let dir = TempDir::new("lone");
    let copy = dir.0.join("baraza");
    std::fs::copy(release_bin(), &copy).expect("copy the release binary");
    (dir, copy)
}

/// The build hash of the web apps `./dev` built into `target/client`.
pub fn client_build() -> String {
    let size = std::fs::read(repo().join("target/client/size.json"))
        .expect("target/client/size.json: `./dev test` builds the web apps first");
    let size: Value = serde_json::from_slice(&size).expect("size.json");
    size["build"].as_str().expect("build hash").to_owned()
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, written as PEM into `dir`:
/// (certificate file, key file, certificate PEM).
pub fn certificate(dir: &Path) -> (PathBuf, PathBuf, String) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("a certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let pem = made.cert.pem();
    std::fs::write(&cert, &pem).expect("write the certificate");
    std::fs::write(&key, made.signing_key.serialize_pem()).expect("write the key");
    (cert, key, pem)
}

/// An HTTP client that trusts `pem` and nothing else.
pub fn trusting(pem: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM"))
        .timeout(crate::support::deadline(Duration::from_secs(60)))
        .build()
        .expect("https client")
}

fn plain_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(crate::support::deadline(Duration::from_secs(60)))
        .build()
        .expect("http client")
}

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path, under: &str, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("read the folder").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if under.is_empty() {
            name
        } else {
            format!("{under}/{name}")
        };
        if entry.path().is_dir() {
            files(&entry.path(), &rel, out);
        } else {
            out.push(rel);
        }
    }
}

fn get(s: &Server, path: &str, encoding: &str) -> reqwest::blocking::Response {
    s.http
        .get(format!("{}{path}", s.base))
        .header("accept-encoding", encoding)
        .send()
        .expect("GET")
}

#[test]
fn the_release_binary_alone_serves_every_web_app_file_byte_for_byte_and_names_its_build() {
    let build = client_build();
    let (dir, bin) = lone_binary();
    let version = Command::new(&bin)
        .arg("--version")
        .current_dir(&dir.0)
        .output()
        .expect("--version");
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.contains(&format!("web apps {build}")),
        "`baraza --version` names the embedded build {build}: {version}"
    );
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")) && !version.contains("commit unknown"),
        "the version and the commit: {version}"
    );
    let bytes = std::fs::read(&bin).expect("read the binary");
    assert!(
        !bytes
            .windows(b"BARAZA_CRASH_AFTER_COMMIT".len())
            .any(|w| w == b"BARAZA_CRASH_AFTER_COMMIT"),
        "the crash harness's fault injection is not in a release build"
    );

    let s = Server::spawn_from(
        &bin,
        Some(&dir.0),
        "serve",
        TempDir::new("lone-data"),
        &[],
        &[],
        plain_client(),
    );
    let built = repo().join("target/client");
    let mut all = Vec::new();
    files(&built, "", &mut all);
    let plain: Vec<&String> = all.iter().filter(|f| !f.ends_with(".gz")).collect();
    assert!(plain.len() >= 20, "the apps' files: {all:?}");
    for file in plain {
        let want = std::fs::read(built.join(file)).expect("read the built file");
        let res = get(&s, &format!("/{file}"), "identity");
        assert_eq!(res.status(), 200, "/{file}");
        assert_eq!(
            res.bytes().expect("body").as_ref(),
            want.as_slice(),
            "/{file} as built"
        );
        let gz = built.join(format!("{file}.gz"));
        if gz.is_file() {
            let res = get(&s, &format!("/{file}"), "gzip, deflate, br");
            assert_eq!(res.headers()["content-encoding"], "gzip", "/{file}");
            assert_eq!(
                res.bytes().expect("body").as_ref(),
                std::fs::read(&gz).expect("gz").as_slice(),
                "/{file}: the gzipped bytes the size budget measures"
            );
        }
    }
    // The pages, by the addresses people open.
    for (path, app) in [
        ("/", "index.html"),
        ("/dashboard/", "dashboard/index.html"),
        ("/console/", "console/index.html"),
        ("/community.html", "community.html"),
        ("/account.html", "account.html"),
    ] {
        let res = get(&s, path, "identity");
        assert_eq!(res.status(), 200, "{path}");
        let want = std::fs::read(built.join(app)).expect("page");
        assert_eq!(
            res.bytes().expect("body").as_ref(),
            want.as_slice(),
            "{path}"
        );
    }
    let index = get(&s, "/", "identity").text().expect("index");
    assert!(
        index.contains(&format!("data-build=\"{build}\"")),
        "the client's page names its build"
    );
    let worker = get(&s, "/sw.js", "identity").text().expect("sw.js");
    assert!(
        worker.contains(&format!("baraza-{build}")),
        "the service worker's cache is the build's"
    );
    let missing = get(&s, "/no-such-file.js", "gzip");
    assert_eq!(missing.status(), 404);
}

#[test]
fn https_is_served_with_hsts_and_a_device_syncs_over_it() {
    let certs = TempDir::new("certs");
    let (cert, key, pem) = certificate(&certs.0);
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    let s = Server::spawn_from(
        &baraza_bin(),
        None,
        "serve",
        TempDir::new("tls"),
        &["--demo-frame", "--tls-cert", &cert, "--tls-key", &key],
        &[],
        trusting(&pem),
    );
    assert!(s.base.starts_with("https://"), "{}", s.base);
    let health = s.health();
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.headers()["strict-transport-security"],
        "max-age=31536000",
        "browsers are told to keep to HTTPS"
    );
    // The whole sync path works over TLS.
    let admin = s.admin();
    let device = s.device(&admin, "amina");
    let (status, reply) = push(&s, &device, vec![item(1, "tls-1", None, &payload(1))]);
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["acked_through_seq"], 1, "{reply}");
    // Plain HTTP to the TLS port gets no answer, and a plain server sends no HSTS.
    let plain = plain_client();
    assert!(
        plain
            .get(s.base.replacen("https://", "http://", 1) + "/healthz")
            .send()
            .is_err()
    );
    let http = Server::start();
    let res = http.health();
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[test]
fn a_certificate_that_cannot_be_used_stops_the_start_with_a_sentence_and_touches_no_data() {
    let certs = TempDir::new("bad-certs");
    let (cert, key, _) = certificate(&certs.0);
    let other = TempDir::new("other-certs");
    let (_, other_key, _) = certificate(&other.0);
    let missing = certs.0.join("missing.pem");
    for (cert, key, says) in [
        (&key, &cert, "holds no certificate"),
        (&missing, &key, "cannot read the certificate"),
        (&cert, &cert, "cannot read the private key"),
        (&cert, &other_key, "does not go with the certificate"),
    ] {
        let data = certs.0.join("data");
        let out = Command::new(baraza_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data)
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .env("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .expect("baraza serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(says), "`{says}` in: {stderr}");
        assert!(
            !data.exists(),
            "nothing is created before the certificate is good"
        );
    }
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let unit = std::fs::read_to_string(repo().join("deploy/baraza.service")).expect("the unit");
    for needed in [
        "Restart=on-failure",
        "User=baraza",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/baraza",
        "LimitNOFILE=",
    ] {
        assert!(unit.contains(needed), "the unit sets {needed}");
    }
    // `verify` checks that the command exists: point it at the release binary.
    let dir = TempDir::new("unit");
    let path = dir.0.join("baraza.service");
    let bin = release_bin();
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/baraza", &bin.to_string_lossy()),
    )
    .expect("write the unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian's systemd package; `./dev test` installs it)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.trim().is_empty(),
        "systemd-analyze has nothing to say: {stderr}"
    );
}

/// Polls `what` every 200 ms until it gives a value (at most 120 s: not a timing assertion,
/// a bound on a hang).
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + crate::support::deadline(Duration::from_secs(120));
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub(crate) fn sync_status(s: &Server, device: &(String, String)) -> Value {
    s.http
        .get(s.url("/sync/status"))
        .bearer_auth(&device.1)
        .send()
        .expect("status")
        .json()
        .expect("status JSON")
}

fn backups(s: &Server, admin: &str) -> Value {
    s.http
        .get(s.url("/backups"))
        .bearer_auth(admin)
        .send()
        .expect("backups")
        .json()
        .expect("backups JSON")
}

/// The `baraza-*.db` files in `dir`, sorted.
fn backup_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the backup folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_server_backs_itself_up_on_a_schedule_keeps_the_newest_in_both_folders_and_devices_may_release()
 {
    let copies = TempDir::new("backup-copies");
    let s = Server::start_in(
        TempDir::new("scheduled"),
        &[
            "--demo-frame",
            "--backup-every",
            "1s",
            "--backup-keep",
            "2",
            "--backup-copy",
            &copies.0.to_string_lossy(),
        ],
    );
    let admin = s.admin();
    let device = s.device(&admin, "amina");
    let (status, _) = push(&s, &device, vec![item(1, "sched-1", None, &payload(1))]);
    assert_eq!(status, 200);
    assert_eq!(sync_status(&s, &device)["acked_through_seq"], 1);
    // No one runs `baraza backup`; the device may still release its copy.
    eventually("the watermark rises to the acknowledged item", || {
        (sync_status(&s, &device)["backed_up_through_seq"] == 1).then_some(())
    });
    eventually("three scheduled backups", || {
        let audit: Value = s
            .http
            .get(s.url("/audit?action=server.backup&limit=10"))
            .bearer_auth(&admin)
            .send()
            .ok()?
            .json()
            .ok()?;
        (audit["entries"].as_array()?.len() >= 3).then_some(())
    });
    let listed = backups(&s, &admin);
    assert!(listed["last"].is_object(), "{listed}");
    assert!(listed["last_failure"].is_null(), "{listed}");
    let data = s.stop();
    let primary = backup_names(&data.0.join("backups"));
    assert_eq!(primary.len(), 2, "the newest two are kept: {primary:?}");
    assert_eq!(
        backup_names(&copies.0),
        primary,
        "the second folder holds the same backups, no half-written copy"
    );
    for dir in [data.0.join("backups"), copies.0.clone()] {
        for name in &primary {
            baraza_server::storage::check_integrity(&dir.join(name)).expect(name);
            let held = crate::support::backup_response_ids(&dir.join(name))
                .iter()
                .filter(|id| *id == "sched-1")
                .count();
            assert_eq!(
                held,
                1,
                "{} holds the acknowledged interview",
                dir.join(name).display()
            );
        }
    }
}

#[test]
fn a_scheduled_backup_that_fails_is_shown_and_moves_no_watermark() {
    let data = TempDir::new("failing-backups");
    // The backup folder's name is taken by a file: every backup fails.
    std::fs::create_dir_all(&data.0).expect("data");
    std::fs::write(data.0.join("backups"), b"not a folder").expect("blocker");
    let s = Server::start_in(data, &["--demo-frame", "--backup-every", "1s"]);
    let admin = s.admin();
    let device = s.device(&admin, "amina");
    let (status, _) = push(&s, &device, vec![item(1, "fail-1", None, &payload(1))]);
    assert_eq!(status, 200);
    let failure = eventually("the failure is shown", || {
        let listed = backups(&s, &admin);
        listed["last_failure"].is_object().then_some(listed)
    });
    assert!(failure["last"].is_null(), "{failure}");
    assert_eq!(failure["last_failure"]["action"], "server.failed_backup");
    assert_eq!(
        sync_status(&s, &device)["backed_up_through_seq"],
        0,
        "nothing was backed up: the device keeps its copy"
    );
}

#[test]
fn baraza_backup_neither_migrates_nor_rebuilds_a_live_database() {
    let data = Server::start().stop();
    let db_path = data.0.join("baraza.sqlite3");
    let version: i64 = {
        let db = rusqlite::Connection::open(&db_path).expect("open");
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('aggregates_stale', '1')",
            [],
        )
        .expect("mark the aggregates stale");
        db.query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version")
    };
    let backup = |to: &str| {
        Command::new(baraza_bin())
            .args(["backup", "--data"])
            .arg(&data.0)
            .arg("--to")
            .arg(data.0.join(to))
            .output()
            .expect("baraza backup")
    };
    let out = backup("one.db");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = rusqlite::Connection::open(&db_path).expect("open");
    let stale: Option<String> = db
        .query_row(
            "SELECT value FROM meta WHERE key = 'aggregates_stale'",
            [],
            |r| r.get(0),
        )
        .ok();
    assert_eq!(
        stale.as_deref(),
        Some("1"),
        "the serving process rebuilds, not the backup"
    );
    // A database at another schema version is left as it is, with a sentence.
    db.pragma_update(None, "user_version", version - 1)
        .expect("an older schema version");
    let out = backup("two.db");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("schema version"), "{stderr}");
    let after: i64 = db
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(after, version - 1, "no migration ran");
    assert!(!data.0.join("two.db").exists());
}
