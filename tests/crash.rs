//! The server is killed (SIGKILL) at random moments while devices push; every acknowledged
//! revision must survive exactly once and the database must stay sound.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baraza_schema::wire;
use serde_json::{Value, json};

use crate::support::Server;

const DEVICES: usize = 3;
/// Each device pushes at least this many, and goes on until the last kill is done.
const ITEMS_PER_DEVICE: u64 = 40;
const KILLS: usize = 4;

/// A small deterministic generator, seeded from the clock and printed so a failure can be
/// replayed.
struct Lcg(u64);

impl Lcg {
    /// Seeded from the clock, or from `BARAZA_CRASH_SEED` to replay a printed seed.
    fn from_clock(test: &str) -> Lcg {
        let seed = std::env::var("BARAZA_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(7)
            });
        eprintln!("{test} seed {seed} (replay with BARAZA_CRASH_SEED={seed})");
        Lcg(seed)
    }

    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn item(seq: u64, device: usize) -> Value {
    let payload = format!(
        r#"{{"settlement":"s01","hh_id":"S01-{:04}","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E0{device}","consent":"no"}}"#,
        seq
    );
    let (f, v) = ("baraza_f1_household", "2026120301");
    json!({"device_seq": seq, "response_id": format!("crash-{device}-{seq}"), "rev": wire::rev(None, f, v, payload.as_bytes()), "parent_rev": null,
           "form_id": f, "form_version": v, "content_hash": wire::content_hash(payload.as_bytes()), "payload": payload})
}

#[test]
fn acknowledged_revisions_survive_repeated_sigkills_exactly_once() {
    let mut rng = Lcg::from_clock("crash test");
    let server = Server::start();
    let admin = server.admin();
    let devices: Vec<(String, String)> = (0..DEVICES)
        .map(|i| server.device(&admin, &format!("crash{i}")))
        .collect();
    let base = Arc::new(Mutex::new(server.base.clone()));
    // Pushes sent and not yet answered: a kill must land while some are.
    let in_flight = Arc::new(AtomicUsize::new(0));
    // Set once the last kill is done: the devices then finish what they have sent.
    let stop = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = devices
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, (id, token))| {
            let (base, in_flight, stop) = (base.clone(), in_flight.clone(), stop.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(crate::support::deadline(Duration::from_secs(10)))
                    .build()
                    .expect("client");
                let deadline = Instant::now() + crate::support::deadline(Duration::from_secs(120));
                let (mut acked, mut sent_max, mut batches) = (0u64, 0u64, 0u32);
                loop {
                    // Keep pushing new interviews while the kills go on; then resend until
                    // everything ever sent is acknowledged.
                    let stopping = stop.load(Ordering::SeqCst);
                    let last = if stopping {
                        sent_max.max(ITEMS_PER_DEVICE)
                    } else {
                        acked + 5
                    };
                    if acked >= last {
                        break;
                    }
                    assert!(Instant::now() < deadline, "device {i} did not finish");
                    let items: Vec<Value> = (acked + 1..=(acked + 5).min(last))
                        .map(|s| item(s, i))
                        .collect();
                    sent_max = sent_max.max((acked + 5).min(last));
                    let url = format!(
                        "{}/api/v1/sync/push",
                        base.lock().map(|b| b.clone()).unwrap_or_default()
                    );
                    in_flight.fetch_add(1, Ordering::SeqCst);
                    let sent = http
                        .post(url)
                        .bearer_auth(&token)
                        .json(&json!({"device_id": id, "items": items}))
                        .send();
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    match sent {
                        Ok(res) if res.status() == 200 => {
                            let v: Value = res.json().unwrap_or(Value::Null);
                            // A reply that is not a valid acknowledgement counts as unknown.
                            if let Some(a) = v["acked_through_seq"].as_u64() {
                                assert!(a >= acked, "acknowledgements never go backwards");
                                acked = a;
                            }
                            batches += 1;
                            // A field worker's pace, not a tight loop: the count stays small.
                            std::thread::sleep(Duration::from_millis(20));
                        }
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
                (batches, acked)
            })
        })
        .collect();

    let mut server = server;
    let mut outstanding_at_kills = Vec::new();
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(30 + rng.next(250)));
        // A kill between pushes proves nothing: draw again until one is outstanding.
        let mut outstanding = in_flight.load(Ordering::SeqCst);
        for _ in 0..500 {
            if outstanding > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1 + rng.next(5)));
            outstanding = in_flight.load(Ordering::SeqCst);
        }
        outstanding_at_kills.push(outstanding);
        let data = server.kill();
        server = Server::start_in(data, &[]);
        if let Ok(mut b) = base.lock() {
            *b = server.base.clone();
        }
    }
    stop.store(true, Ordering::SeqCst);
    let done: Vec<(u32, u64)> = workers
        .into_iter()
        .map(|w| w.join().expect("device thread"))
        .collect();
    let batches: u32 = done.iter().map(|d| d.0).sum();
    let acked: Vec<u64> = done.iter().map(|d| d.1).collect();
    assert!(
        outstanding_at_kills.iter().all(|n| *n > 0),
        "every kill interrupted pushes in flight: {outstanding_at_kills:?}"
    );

    let admin = server.admin();
    let mut ids: Vec<String> = Vec::new();
    for (device, acked) in acked.iter().enumerate() {
        let listed: Value = server
            .http
            .get(server.url(&format!("/responses?enumerator=crash{device}&limit=1000")))
            .bearer_auth(&admin)
            .send()
            .expect("list")
            .json()
            .expect("json");
        let mine: Vec<String> = listed["responses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["response_id"].as_str().map(str::to_owned))
            .collect();
        assert!(*acked < 1000, "one page lists them all: {acked}");
        assert_eq!(
            mine.len() as u64,
            *acked,
            "device {device}: every acknowledged response is present, nothing more"
        );
        ids.extend(mine);
    }
    let expected = ids.len();
    for id in &ids {
        let detail: Value = server
            .http
            .get(server.url(&format!("/responses/{id}")))
            .bearer_auth(&admin)
            .send()
            .expect("get")
            .json()
            .expect("json");
        assert_eq!(
            detail["revisions"].as_array().map(Vec::len),
            Some(1),
            "{id} is held exactly once"
        );
        // And it holds exactly what the device sent, byte for byte.
        let (device, seq) = id
            .strip_prefix("crash-")
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(d, s)| Some((d.parse::<usize>().ok()?, s.parse::<u64>().ok()?)))
            .expect("an id this test made");
        let sent = item(seq, device);
        assert_eq!(
            detail["revisions"][0]["payload"], sent["payload"],
            "{id} holds the bytes the device sent"
        );
        assert_eq!(detail["revisions"][0]["rev"], sent["rev"], "{id}");
    }
    let db = baraza_server::storage::Db::open(&baraza_server::admin::database_path(&server.data.0))
        .expect("open");
    assert_eq!(db.integrity_check().expect("integrity_check"), "ok");
    eprintln!(
        "crash test: {KILLS} kills with {outstanding_at_kills:?} pushes in flight, {batches} acknowledged batches, {expected} revisions checked byte for byte, 0 lost"
    );
}

#[test]
fn a_server_killed_again_and_again_while_migrating_at_start_up_comes_up_whole() {
    use crate::reports_api::{get_json, household, push, push_item};
    let mut rng = Lcg::from_clock("migration crash test");
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    const HOUSEHOLDS: u64 = 600;
    for batch in 0..HOUSEHOLDS / 100 {
        let items = (batch * 100 + 1..=(batch + 1) * 100)
            .map(|seq| push_item(seq, &format!("m-{seq}"), None, &household(seq as usize)))
            .collect();
        push(&s, &device_id, &token, items);
    }
    let reports = ["/reports/R1", "/reports/R4?by=s", "/reports/R5?by=s"];
    let before: Vec<Value> = reports.iter().map(|r| get_json(&s, &admin, r)).collect();
    let data = s.kill();
    let path = baraza_server::admin::database_path(&data.0);
    let serve = || {
        std::process::Command::new(crate::support::baraza_bin())
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(&data.0)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("baraza serve starts")
    };
    // How long an uninterrupted start-up takes to migrate and listen: the window to kill in.
    // (Twice: a kill before the migration commits leaves a database already downgraded.)
    downgrade(&path);
    downgrade(&path);
    let started = Instant::now();
    let mut child = serve();
    let stdout = child.stdout.take().expect("stdout");
    use std::io::BufRead;
    let listening = std::io::BufReader::new(stdout)
        .lines()
        .any(|l| l.is_ok_and(|l| l.starts_with("listening on")));
    assert!(listening, "the server comes up after migrating");
    let window = started.elapsed().as_millis() as u64;
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    // Each time back to schema version 1, then killed at a random moment of start-up; note
    // where each kill left the database. A kill that landed after start-up interrupted nothing:
    // it is drawn again, until six kills interrupted the migration or the rebuild and at least
    // one of them the rebuild (the phase where a half-done job would show in the reports).
    const KILLS: usize = 6;
    let (mut unmigrated, mut rebuilding, mut up) = (0, 0, 0);
    while unmigrated + rebuilding < KILLS || rebuilding == 0 {
        assert!(
            unmigrated + rebuilding + up < 40,
            "40 kills and still not {KILLS} during start-up with one in the rebuild: \
             {unmigrated} before the migration committed, {rebuilding} in the rebuild, {up} after"
        );
        downgrade(&path);
        let mut child = serve();
        std::thread::sleep(Duration::from_millis(rng.next(window + 1)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        let db = rusqlite::Connection::open(&path).expect("open after a kill");
        let version: i64 = db
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        let stale: bool = db
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM meta WHERE key = 'aggregates_stale')",
                [],
                |r| r.get(0),
            )
            .expect("meta");
        match (version, stale) {
            (1, _) => unmigrated += 1,
            (_, true) => rebuilding += 1,
            _ => up += 1,
        }
    }
    let s = Server::start_in(data, &[]);
    let admin = s.admin();
    for (report, before) in reports.iter().zip(&before) {
        assert_eq!(
            get_json(&s, &admin, report)["cells"],
            before["cells"],
            "{report} is rebuilt whole"
        );
    }
    let listed = get_json(&s, &admin, "/responses?limit=1000");
    assert_eq!(
        listed["responses"].as_array().map(Vec::len),
        Some(HOUSEHOLDS as usize),
        "every response is still held"
    );
    let db = baraza_server::storage::Db::open(&baraza_server::admin::database_path(&s.data.0))
        .expect("open");
    assert_eq!(db.integrity_check().expect("integrity_check"), "ok");
    eprintln!(
        "migration crash test: {} kills during start-up ({unmigrated} before the schema \
         migration committed, {rebuilding} during the aggregate rebuild; {up} more landed after \
         start-up and were drawn again; an uninterrupted start-up took {window} ms), \
         {HOUSEHOLDS} responses and 3 reports checked, 0 lost",
        unmigrated + rebuilding
    );
}

/// Puts the aggregate tables back as schema version 1 had them, with nothing in them, so the
/// next start-up migrates and rebuilds every aggregate from the stored revisions. Idempotent:
/// a start-up killed before its migration committed leaves a database already at version 1.
pub fn downgrade(path: &std::path::Path) {
    let db = rusqlite::Connection::open(path).expect("open");
    // What later migrations add (0004–0015) goes, so that it can be added again.
    db.execute_batch(
        "DROP TABLE IF EXISTS enrollment_codes; DROP INDEX IF EXISTS review_events_by_response;
         DROP TABLE IF EXISTS openrosa_instances; DROP INDEX IF EXISTS responses_unprojected;
         DROP TABLE IF EXISTS revision_attachments; DROP TABLE IF EXISTS attachment_parts;
         DROP TABLE IF EXISTS attachments; DROP TABLE IF EXISTS openrosa_files;
         DROP TABLE IF EXISTS form_files",
    )
    .expect("drop the enrollment codes and the review index");
    // 0009 keyed failed logins by (username, address): back to the first shape.
    db.execute_batch(
        "DROP TABLE login_failures;
         CREATE TABLE login_failures (username TEXT PRIMARY KEY, failures INTEGER NOT NULL,
             first_at TEXT NOT NULL, locked_until TEXT) STRICT;",
    )
    .expect("the first login_failures");
    for (table, column) in [
        ("devices", "backed_up_through_seq"),
        ("users", "must_change_password"),
        ("users", "digest_ha1"),
        ("settlements", "target"),
        ("quarantine", "dismissed"),
        ("quarantine", "released_rev"),
        ("forms", "xform"),
        ("devices", "openrosa"),
        ("responses", "projected_seq"),
        ("responses", "projected_state"),
    ] {
        let migrated: bool = db
            .query_row(
                &format!("SELECT EXISTS (SELECT 1 FROM pragma_table_info('{table}') WHERE name = '{column}')"),
                [],
                |r| r.get(0),
            )
            .expect("columns");
        if migrated {
            db.execute_batch(&format!("ALTER TABLE {table} DROP COLUMN {column}"))
                .expect("drop a later column");
        }
    }
    db.execute_batch(
            "DROP TABLE aggregates; DROP TABLE strata; DELETE FROM meta WHERE key = 'aggregates_stale';
             CREATE TABLE aggregates (report TEXT NOT NULL, form_id TEXT NOT NULL, settlement TEXT NOT NULL,
                 cell TEXT NOT NULL, s0 REAL NOT NULL, s1 REAL NOT NULL, s2 REAL NOT NULL, s3 REAL NOT NULL,
                 PRIMARY KEY (report, form_id, settlement, cell)) STRICT, WITHOUT ROWID;
             CREATE TABLE strata (form_id TEXT NOT NULL, settlement TEXT NOT NULL, n INTEGER NOT NULL,
                 PRIMARY KEY (form_id, settlement)) STRICT, WITHOUT ROWID;
             PRAGMA user_version = 1;",
        )
        .expect("downgrade");
}

#[test]
fn a_server_killed_after_committing_a_batch_but_before_replying_stores_the_resent_batch_once() {
    let batch = |from: u64| {
        (from..from + 5)
            .map(|seq| item(seq, 9))
            .collect::<Vec<Value>>()
    };
    // The server aborts right after the second batch commits.
    let s = Server::start_with_env(
        crate::support::TempDir::new("commit-crash"),
        &["--demo-frame"],
        &[("BARAZA_CRASH_AFTER_COMMIT", "2")],
    );
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let push = |s: &Server, items: Vec<Value>| {
        s.http
            .post(s.url("/sync/push"))
            .bearer_auth(&token)
            .json(&json!({"device_id": device_id, "items": items}))
            .send()
    };
    let first: Value = push(&s, batch(1)).expect("reply").json().expect("JSON");
    assert_eq!(first["acked_through_seq"], 5);
    assert!(
        push(&s, batch(6)).is_err(),
        "the second batch committed, then the process died before replying"
    );
    let s = Server::start_in(s.kill(), &[]);
    // The device never saw an acknowledgement, so it sends the same batch again.
    let again: Value = push(&s, batch(6)).expect("reply").json().expect("JSON");
    assert_eq!(again["acked_through_seq"], 10);
    assert!(
        again["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["status"] == "duplicate"),
        "the resent items were already held: {again}"
    );
    let admin = s.admin();
    let listed: Value = s
        .http
        .get(s.url("/responses?limit=1000"))
        .bearer_auth(&admin)
        .send()
        .expect("list")
        .json()
        .expect("JSON");
    let held = listed["responses"].as_array().expect("responses");
    assert_eq!(held.len(), 10, "ten interviews, each once");
    assert!(
        held.iter().all(|r| r["conflict"] == false),
        "a resend is never a conflict"
    );
    let db = baraza_server::storage::Db::open(&baraza_server::admin::database_path(&s.data.0))
        .expect("open");
    assert_eq!(db.integrity_check().expect("integrity_check"), "ok");
}
