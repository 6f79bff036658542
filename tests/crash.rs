//! The server is killed (SIGKILL) at random moments while devices push; every acknowledged
//! revision must survive exactly once and the database must stay sound.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baraza_schema::wire;
use serde_json::{Value, json};

use crate::support::Server;

const DEVICES: usize = 3;
const ITEMS_PER_DEVICE: u64 = 40;
const KILLS: usize = 4;

/// A small deterministic generator, seeded from the clock and printed so a failure can be
/// replayed.
struct Lcg(u64);

impl Lcg {
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
        r#"{{"settlement":"s01","hh_id":"S01-{:04}","interview_date":"2026-11-01","enumerator_id":"E0{device}","consent":"no"}}"#,
        seq
    );
    let (f, v) = ("baraza_f1_household", "2026112801");
    json!({"device_seq": seq, "response_id": format!("crash-{device}-{seq}"), "rev": wire::rev(None, f, v, payload.as_bytes()), "parent_rev": null,
           "form_id": f, "form_version": v, "content_hash": wire::content_hash(payload.as_bytes()), "payload": payload})
}

#[test]
fn acknowledged_revisions_survive_repeated_sigkills_exactly_once() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    eprintln!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let server = Server::start();
    let admin = server.admin();
    let devices: Vec<(String, String)> = (0..DEVICES)
        .map(|i| server.device(&admin, &format!("crash{i}")))
        .collect();
    let base = Arc::new(Mutex::new(server.base.clone()));
    let acked_max = Arc::new(Mutex::new(vec![0u64; DEVICES]));

    let workers: Vec<_> = devices
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, (id, token))| {
            let (base, acked_max) = (base.clone(), acked_max.clone());
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("client");
                let deadline = Instant::now() + Duration::from_secs(120);
                let mut acked = 0u64;
                let mut batches = 0u32;
                while acked < ITEMS_PER_DEVICE {
                    assert!(Instant::now() < deadline, "device {i} did not finish");
                    let items: Vec<Value> = (acked + 1..=(acked + 5).min(ITEMS_PER_DEVICE))
                        .map(|s| item(s, i))
                        .collect();
                    let url = format!(
                        "{}/api/v1/sync/push",
                        base.lock().map(|b| b.clone()).unwrap_or_default()
                    );
                    match http
                        .post(url)
                        .bearer_auth(&token)
                        .json(&json!({"device_id": id, "items": items}))
                        .send()
                    {
                        Ok(res) if res.status() == 200 => {
                            let v: Value = res.json().unwrap_or(Value::Null);
                            // A reply that is not a valid acknowledgement counts as unknown.
                            if let Some(a) = v["acked_through_seq"].as_u64() {
                                assert!(a >= acked, "acknowledgements never go backwards");
                                acked = a;
                                if let Ok(mut m) = acked_max.lock() {
                                    m[i] = acked;
                                }
                            }
                            batches += 1;
                        }
                        _ => std::thread::sleep(Duration::from_millis(20)),
                    }
                }
                batches
            })
        })
        .collect();

    let mut server = server;
    for _ in 0..KILLS {
        std::thread::sleep(Duration::from_millis(30 + rng.next(250)));
        let data = server.kill();
        server = Server::start_in(data, &[]);
        if let Ok(mut b) = base.lock() {
            *b = server.base.clone();
        }
    }
    let batches: u32 = workers
        .into_iter()
        .map(|w| w.join().expect("device thread"))
        .sum();

    let admin = server.admin();
    let listed: Value = server
        .http
        .get(server.url("/responses?limit=1000"))
        .bearer_auth(&admin)
        .send()
        .expect("list")
        .json()
        .expect("json");
    let ids: Vec<String> = listed["responses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["response_id"].as_str().map(str::to_owned))
        .collect();
    let expected = DEVICES * ITEMS_PER_DEVICE as usize;
    assert_eq!(
        ids.len(),
        expected,
        "every acknowledged response is present"
    );
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
    }
    let db = baraza_server::storage::Db::open(&baraza_server::admin::database_path(&server.data.0))
        .expect("open");
    assert_eq!(db.integrity_check().expect("integrity_check"), "ok");
    eprintln!(
        "crash test: {KILLS} kills, {batches} acknowledged batches, {expected} revisions checked, 0 lost"
    );
}
