//! Load without loss: 200 devices sync at once over loopback for a bounded time. Every push is
//! either acknowledged or retried, nothing is lost, and the server's memory stays flat.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use baraza_schema::wire;
use serde_json::{Value, json};

use crate::support::Server;

const DEVICES: usize = 200;
/// How long the devices keep producing new interviews.
const PRODUCING: Duration = Duration::from_secs(12);
const BATCH: u64 = 5;

/// A short finalized interview (a household that declined): the whole sync path, cheaply.
fn item(device: usize, seq: u64) -> Value {
    let payload = format!(
        r#"{{"settlement":"s{s:02}","hh_id":"S{s:02}-{:04}","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E{device:03}","consent":"no"}}"#,
        seq % 10_000,
        s = device % 20 + 1
    );
    let (f, v) = ("baraza_f1_household", "2026120301");
    json!({"device_seq": seq, "response_id": format!("load-{device}-{seq}"), "rev": wire::rev(None, f, v, payload.as_bytes()),
           "parent_rev": null, "form_id": f, "form_version": v, "content_hash": wire::content_hash(payload.as_bytes()), "payload": payload})
}

/// The server's resident memory now and at its peak, in MiB.
/// (resident, peak resident) memory of a process in MiB. Fails when it cannot be read: a
/// harness that measured nothing must not pass as if memory stayed flat.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_else(|e| {
        panic!("the server's memory cannot be measured (/proc/{pid}/status): {e}")
    });
    let field = |name: &str| {
        let kib = status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"));
        assert!(kib > 0, "{name} reads 0: memory was not measured");
        kib / 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn two_hundred_devices_syncing_at_once_lose_nothing_and_memory_stays_flat() {
    let s = Server::start();
    let admin = s.admin();
    let (_, enumerator) = s.user(&admin, "crowd", "enumerator");
    let devices: Vec<(String, String)> = (0..DEVICES)
        .map(|_| {
            let v: Value = s
                .http
                .post(s.url("/devices"))
                .bearer_auth(&enumerator)
                .send()
                .expect("enroll")
                .json()
                .expect("JSON");
            (
                v["device_id"].as_str().expect("id").to_owned(),
                v["device_token"].as_str().expect("token").to_owned(),
            )
        })
        .collect();

    let (retries, batches) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (rss_before, _) = memory(s.pid());
    let produce_until = Instant::now() + PRODUCING;
    let url = s.url("/sync/push");
    let workers: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, (id, token))| {
            let (url, retries, batches) = (url.clone(), retries.clone(), batches.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(crate::support::deadline(Duration::from_secs(60)))
                    .build()
                    .expect("client");
                // The outbox: everything finalized and not yet acknowledged.
                let (mut finalized, mut acked) = (0u64, 0u64);
                let give_up = Instant::now() + crate::support::deadline(Duration::from_secs(240));
                loop {
                    if Instant::now() < produce_until {
                        finalized += 1 + (i as u64 + finalized) % 3;
                    }
                    if acked == finalized {
                        if Instant::now() >= produce_until {
                            return (finalized, acked);
                        }
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                    assert!(
                        Instant::now() < give_up,
                        "device {i} never got its acknowledgements"
                    );
                    let items: Vec<Value> = (acked + 1..=finalized.min(acked + BATCH))
                        .map(|seq| item(i, seq))
                        .collect();
                    let reply = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"device_id": id, "items": items}))
                        .send();
                    match reply {
                        Ok(res) if res.status() == 200 => {
                            let v: Value = res.json().expect("a push reply is JSON");
                            for r in v["results"].as_array().into_iter().flatten() {
                                assert!(
                                    matches!(r["status"].as_str(), Some("stored" | "retry")),
                                    "device {i}: {r}"
                                );
                            }
                            let a = v["acked_through_seq"].as_u64().expect("acked_through_seq");
                            assert!(a >= acked, "acknowledgements never go backwards");
                            acked = a;
                            batches.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(res) => {
                            // 429/503 say when to come back; anything else is a fault.
                            let status = res.status().as_u16();
                            assert!(
                                matches!(status, 429 | 503),
                                "device {i}: push answered {status}"
                            );
                            retries.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(200));
                        }
                        Err(_) => {
                            retries.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(200));
                        }
                    }
                }
            })
        })
        .collect();
    // Sample the server's memory while the load runs; half-way, take a backup.
    let backup_dir = crate::support::TempDir::new("load-backup");
    let backup = backup_dir.0.join("backup.sqlite3");
    let mut samples = vec![];
    while Instant::now() < produce_until {
        std::thread::sleep(Duration::from_secs(1));
        samples.push(memory(s.pid()).0);
        if samples.len() == 6 {
            let out =
                crate::support::baraza_command(&["backup", "--data", &s.data.0.to_string_lossy()])
                    .arg("--to")
                    .arg(&backup)
                    .output()
                    .expect("backup runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let per_device: Vec<(u64, u64)> = workers
        .into_iter()
        .map(|w| w.join().expect("device thread"))
        .collect();
    let (finalized, acked) = per_device
        .iter()
        .fold((0, 0), |(f, a), (df, da)| (f + df, a + da));
    let (rss_after, peak) = memory(s.pid());
    assert_eq!(
        finalized, acked,
        "every finalized interview was acknowledged"
    );

    // Every acknowledged interview is held, once: page through all responses.
    let (mut held, mut after) = (0u64, String::new());
    loop {
        let page: Value = s
            .http
            .get(s.url(&format!("/responses?limit=1000&after={after}")))
            .bearer_auth(&admin)
            .send()
            .expect("list")
            .json()
            .expect("JSON");
        let rows = page["responses"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"));
        let Some(last) = rows.last() else { break };
        held += rows.len() as u64;
        after = last["response_id"].as_str().expect("id").to_owned();
    }
    assert_eq!(
        held, acked,
        "each acknowledged interview is held exactly once"
    );
    // Exactly once by id and content: the revisions held are exactly the interviews each device
    // finalized (`load-<device>-<seq>`, seq 1..=finalized), each once, each the bytes and rev
    // the device sent.
    let mut held_revisions = std::collections::BTreeMap::new();
    for row in crate::support::sql_rows(&s.data, "SELECT response_id, rev, payload FROM revisions")
    {
        let [id, rev, payload] = <[String; 3]>::try_from(row).expect("three columns");
        let again = held_revisions.insert(id.clone(), (rev, payload));
        assert!(again.is_none(), "{id} is held more than once");
    }
    let expected: usize = per_device.iter().map(|(f, _)| *f as usize).sum();
    assert_eq!(
        held_revisions.len(),
        expected,
        "no interview missing, none extra"
    );
    for (device, (finalized, _)) in per_device.iter().enumerate() {
        for seq in 1..=*finalized {
            let sent = item(device, seq);
            let id = format!("load-{device}-{seq}");
            let (rev, payload) = held_revisions
                .get(&id)
                .unwrap_or_else(|| panic!("{id} was acknowledged and is not held"));
            assert_eq!(
                Some(payload.as_str()),
                sent["payload"].as_str(),
                "{id}: the bytes sent"
            );
            assert_eq!(
                Some(rev.as_str()),
                sent["rev"].as_str(),
                "{id}: the rev sent"
            );
        }
    }

    // The backup taken under load is sound and holds, for every device, everything up to the
    // watermark it recorded, so a device that deletes up to there loses nothing.
    baraza_server::storage::check_integrity(&backup).expect("the backup is whole");
    let held_items = crate::support::backup_table(&backup, "device_items");
    let marks = crate::support::sql_rows(
        &s.data,
        "SELECT id, CAST(backed_up_through_seq AS TEXT) FROM devices",
    );
    let mut covered = 0;
    for row in &marks {
        let (device, mark): (&str, i64) = (&row[0], row[1].parse().expect("a number"));
        let held = held_items
            .iter()
            .filter(|i| {
                i["device_id"] == device && i["device_seq"].parse::<i64>().is_ok_and(|s| s <= mark)
            })
            .count() as i64;
        assert_eq!(
            held, mark,
            "the backup holds device {device} up to its watermark"
        );
        covered += mark;
    }
    assert!(covered > 0, "the backup covered some of the load");

    // Flat: the second half of the run holds no more than the first half's peak plus slack
    // for allocator arenas; a leak per batch would grow with the ~thousands of batches.
    let half = samples.len() / 2;
    let (first, second) = samples.split_at(half.max(1));
    let first_peak = first.iter().copied().max().unwrap_or(0);
    let second_peak = second.iter().copied().max().unwrap_or(0);
    eprintln!(
        "load: {DEVICES} devices, {acked} interviews in {} batches, {} retries, 0 lost; \
         server RSS {rss_before} MiB before, peaks {first_peak}/{second_peak} MiB (first/second half), \
         {rss_after} MiB after, high-water {peak} MiB; a backup taken under load holds \
         {covered} of them up to the devices' watermarks",
        batches.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed)
    );
    assert!(
        second_peak <= first_peak + 64,
        "memory grew under steady load: {first_peak} MiB then {second_peak} MiB"
    );
}

/// mimalloc asks for transparent huge pages; a 2 MiB page counts whole in the resident set
/// however little of it is used (`baraza_server::small_pages`). The server turns them off for
/// itself first thing, and Linux reports it.
#[test]
fn the_server_keeps_its_memory_in_small_pages() {
    let server = Server::start();
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("the server's /proc status");
    let thp = status
        .lines()
        .find_map(|l| l.strip_prefix("THP_enabled:"))
        .map(str::trim);
    assert_eq!(
        thp,
        Some("0"),
        "transparent huge pages should be off for the server; its status:\n{status}"
    );
}
