//! `baraza-bench`: measures Baraza against the targets in DESIGN.md, each figure beside a
//! baseline measured in the same run on the same machine (machines here are shared and
//! noisy). Prints a table and writes `bench.json`. Timings are reported, never asserted.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baraza_schema::wire::{self, PushItem, PushRequest};
use baraza_server::admin;
use baraza_server::http::{self, AppState};
use baraza_server::storage::{Db, ReportQuery};
use clap::Parser;
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "baraza-bench",
    about = "Measure Baraza against its performance targets"
)]
struct Args {
    /// A short run (under two minutes) for routine use and CI.
    #[arg(long)]
    quick: bool,
    /// Where to write the figures.
    #[arg(long, default_value = "bench.json")]
    out: PathBuf,
}

/// One figure.
#[derive(Serialize)]
struct Figure {
    name: String,
    value: Option<f64>,
    unit: &'static str,
    baseline: Option<f64>,
    ratio: Option<f64>,
    target: String,
    /// `None` when not measured (the note says why).
    pass: Option<bool>,
    note: String,
}

const FORM: (&str, &str) = ("baraza_f1_household", "2026112801");
const TEMPLATE: &str = include_str!("../../forms/examples/f1_household.json");
const CONCERNS: [&str; 6] = [
    "lack_of_choice",
    "affordability",
    "accessibility",
    "exploitation",
    "tenure_security",
    "employment",
];

/// Household `i`: the example interview in settlement s01–s20 with its own id, a rotated
/// concern ranking and a varying collection time. Every one is valid.
fn household(i: usize) -> Value {
    let mut v: Value = serde_json::from_str(TEMPLATE).unwrap_or_default();
    let s = i % 20 + 1;
    let mut ranking = CONCERNS.to_vec();
    ranking.rotate_left(i % 6);
    v["settlement"] = json!(format!("s{s:02}"));
    v["hh_id"] = json!(format!("S{s:02}-{:04}", (i / 20) % 10_000));
    v["concern_rank"] = json!(ranking);
    v["w_time_min"] = json!(10 + (i * 7) % 50);
    v
}

fn push_item(seq: u64, i: usize) -> PushItem {
    let payload = household(i).to_string();
    PushItem {
        device_seq: seq,
        response_id: format!("bench-{i:08}"),
        rev: wire::rev(None, FORM.0, FORM.1, payload.as_bytes()),
        parent_rev: None,
        form_id: FORM.0.into(),
        form_version: FORM.1.into(),
        content_hash: wire::content_hash(payload.as_bytes()),
        payload,
        saved_at: None,
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The process's peak resident set (VmHWM), in MB.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// The baseline: the same revision rows inserted straight into SQLite in-process, in the
/// same batch size, with the same durability (WAL, synchronous=FULL). Rows per second.
fn baseline_insert(dir: &std::path::Path, items: &[PushItem], batch: usize) -> Result<f64, String> {
    let mut c =
        rusqlite::Connection::open(dir.join("baseline.sqlite3")).map_err(|e| e.to_string())?;
    c.pragma_update(None, "journal_mode", "WAL")
        .map_err(|e| e.to_string())?;
    c.pragma_update(None, "synchronous", "FULL")
        .map_err(|e| e.to_string())?;
    c.execute_batch(
        "CREATE TABLE revisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, response_id TEXT NOT NULL, rev TEXT NOT NULL, form_id TEXT NOT NULL,
         form_version TEXT NOT NULL, content_hash TEXT NOT NULL, payload TEXT NOT NULL, device_seq INTEGER, UNIQUE (response_id, rev))",
    )
    .map_err(|e| e.to_string())?;
    let start = Instant::now();
    for chunk in items.chunks(batch) {
        let tx = c.transaction().map_err(|e| e.to_string())?;
        {
            let mut st = tx
                .prepare_cached("INSERT INTO revisions (response_id, rev, form_id, form_version, content_hash, payload, device_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .map_err(|e| e.to_string())?;
            for i in chunk {
                st.execute(rusqlite::params![
                    i.response_id,
                    i.rev,
                    i.form_id,
                    i.form_version,
                    i.content_hash,
                    i.payload,
                    i.device_seq as i64
                ])
                .map_err(|e| e.to_string())?;
            }
        }
        tx.commit().map_err(|e| e.to_string())?;
    }
    Ok(items.len() as f64 / start.elapsed().as_secs_f64())
}

/// Median server time of a report over repeated runs, in ms.
fn report_ms(db: &Db, id: &str, by: &str, runs: usize) -> f64 {
    let q = ReportQuery {
        by: Some(by.into()),
        ..Default::default()
    };
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let _ = db.report(id, &q);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    percentile(&times, 0.5)
}

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn json(&self, req: reqwest::RequestBuilder) -> Result<Value, String> {
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status();
        let v: Value = res.json().await.map_err(|e| e.to_string())?;
        if status.is_success() {
            Ok(v)
        } else {
            Err(format!("{status}: {v}"))
        }
    }

    /// A new enumerator with an enrolled device: (device_id, device_token).
    async fn device(&self, admin: &str, name: &str) -> Result<(String, String), String> {
        let password = "bench-password";
        self.json(
            self.http
                .post(format!("{}/api/v1/users", self.base))
                .bearer_auth(admin)
                .json(&json!({"username": name, "role": "enumerator", "password": password})),
        )
        .await?;
        let login = self
            .json(
                self.http
                    .post(format!("{}/api/v1/auth/login", self.base))
                    .json(&json!({"username": name, "password": password})),
            )
            .await?;
        let token = login["token"].as_str().unwrap_or_default();
        let d = self
            .json(
                self.http
                    .post(format!("{}/api/v1/devices", self.base))
                    .bearer_auth(token),
            )
            .await?;
        Ok((
            d["device_id"].as_str().unwrap_or_default().into(),
            d["device_token"].as_str().unwrap_or_default().into(),
        ))
    }
}

async fn run(args: &Args) -> Result<Vec<Figure>, String> {
    let (responses, devices, batch, sizes): (usize, usize, usize, &[u64]) = if args.quick {
        (1_000, 4, 50, &[100_000])
    } else {
        (20_000, 8, 50, &[100_000, 1_000_000])
    };
    let dir = std::env::temp_dir().join(format!("baraza-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = admin::open(&dir.join("data"))?;
    admin::bootstrap(&db, Some("bench-admin-password".into()))?;
    db.import_settlements(&admin::parse_settlements(admin::DEMO_SETTLEMENTS)?, None)
        .map_err(|e| e.to_string())?;
    let db = Arc::new(db);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(http::serve(
        listener,
        Arc::new(AppState {
            db: db.clone(),
            client_dir: None,
        }),
        async {
            let _ = stopped.await;
        },
    ));
    let client = Arc::new(Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| e.to_string())?,
        base,
    });
    let login = client
        .json(
            client
                .http
                .post(format!("{}/api/v1/auth/login", client.base))
                .json(&json!({"username": "admin", "password": "bench-admin-password"})),
        )
        .await?;
    let admin_token = login["token"].as_str().unwrap_or_default().to_owned();

    // Everything a device would have prepared offline, prepared before the clock starts.
    let mut per_device: Vec<(String, String, Vec<PushItem>)> = Vec::new();
    for d in 0..devices {
        let (id, token) = client.device(&admin_token, &format!("bench{d}")).await?;
        let items: Vec<PushItem> = (d..responses)
            .step_by(devices)
            .enumerate()
            .map(|(k, i)| push_item(k as u64 + 1, i))
            .collect();
        per_device.push((id, token, items));
    }
    let all_items: Vec<PushItem> = per_device.iter().flat_map(|d| d.2.clone()).collect();

    let start = Instant::now();
    let tasks: Vec<_> = per_device
        .into_iter()
        .map(|(id, token, items)| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut stored = 0usize;
                for chunk in items.chunks(batch) {
                    let req = PushRequest {
                        device_id: id.clone(),
                        items: chunk.to_vec(),
                    };
                    let t = Instant::now();
                    let v = client
                        .json(
                            client
                                .http
                                .post(format!("{}/api/v1/sync/push", client.base))
                                .bearer_auth(&token)
                                .json(&req),
                        )
                        .await?;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    stored += v["results"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| r["status"] == "stored")
                        .count();
                }
                Ok::<_, String>((latencies, stored))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut stored = 0;
    for t in tasks {
        let (l, s) = t.await.map_err(|e| e.to_string())??;
        latencies.extend(l);
        stored += s;
    }
    let elapsed = start.elapsed().as_secs_f64();
    if stored != responses {
        return Err(format!(
            "only {stored} of {responses} responses were stored"
        ));
    }
    let rss = peak_rss_mb();
    latencies.sort_by(f64::total_cmp);
    let rate = responses as f64 / elapsed;
    let baseline = baseline_insert(&dir, &all_items, batch)?;
    let _ = stop.send(());
    let _ = server.await;

    let mut figures = vec![
        Figure {
            name: format!("ingest: F1 households over HTTP, {devices} devices, batches of {batch}"),
            value: Some(rate),
            unit: "responses/s",
            baseline: Some(baseline),
            ratio: Some(rate / baseline),
            target: "≥ 3000 responses/s and ≥ 0.30 of the raw SQLite insert".into(),
            pass: Some(rate >= 3000.0 && rate / baseline >= 0.30),
            note: format!(
                "{responses} responses; baseline = the same rows inserted straight into SQLite in-process, same batch size and durability"
            ),
        },
        Figure {
            name: "ingest: batch latency p50".into(),
            value: Some(percentile(&latencies, 0.5)),
            unit: "ms",
            baseline: None,
            ratio: None,
            target: "—".into(),
            pass: None,
            note: String::new(),
        },
        Figure {
            name: "ingest: batch latency p99".into(),
            value: Some(percentile(&latencies, 0.99)),
            unit: "ms",
            baseline: None,
            ratio: None,
            target: "—".into(),
            pass: None,
            note: String::new(),
        },
        Figure {
            name: "memory: peak RSS during ingest".into(),
            value: rss,
            unit: "MB",
            baseline: None,
            ratio: None,
            target: "≤ 100 MB".into(),
            pass: rss.map(|r| r <= 100.0),
            note: "one process holding both the server and the load generator, so an upper bound"
                .into(),
        },
    ];

    // Reports at larger sizes, built by the bulk path (same contribution code, multiplied).
    let form = db
        .form_for_validation(FORM.0, FORM.1)
        .map_err(|e| e.to_string())?
        .ok_or("no F1 form")?
        .0;
    let mut counted = responses as u64;
    for &size in sizes {
        let per = (size - counted) / 120;
        for i in 0..120 {
            let h = household(i);
            let settlement = h["settlement"].as_str().unwrap_or("s01").to_owned();
            db.bulk_aggregate(&form, &h, &settlement, per)
                .map_err(|e| e.to_string())?;
        }
        counted += per * 120;
        for (id, by) in [("R1", "rs"), ("R4", "hs")] {
            let ms = report_ms(&db, id, by, 21);
            figures.push(Figure {
                name: format!("report {id} by {by} at {} responses", counted),
                value: Some(ms),
                unit: "ms",
                baseline: None,
                ratio: None,
                target: "≤ 50 ms server time".into(),
                pass: Some(ms <= 50.0),
                note: "median of 21 runs of the storage call (no HTTP)".into(),
            });
        }
    }
    for (name, target) in [
        ("raw CSV export", "≥ 100,000 rows/s, flat memory"),
        ("client download (wasm + js + css, gzipped)", "≤ 300 KB"),
        (
            "client: open F1 / add the 100th repeat row / re-evaluate relevance",
            "≤ 100 ms / 16 ms / 5 ms",
        ),
    ] {
        figures.push(Figure {
            name: name.into(),
            value: None,
            unit: "—",
            baseline: None,
            ratio: None,
            target: target.into(),
            pass: None,
            note: "not measured: not built yet".into(),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(figures)
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(figures) => {
            println!(
                "{:<72} {:>12} {:<12} {:>12} {:>7}  {:<5} target",
                "figure", "value", "unit", "baseline", "ratio", "pass"
            );
            for f in &figures {
                let num = |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{x:.1}"));
                let pass = match f.pass {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "—",
                };
                println!(
                    "{:<72} {:>12} {:<12} {:>12} {:>7}  {:<5} {}",
                    f.name,
                    num(f.value),
                    f.unit,
                    num(f.baseline),
                    f.ratio.map_or("—".into(), |r| format!("{r:.2}")),
                    pass,
                    f.target
                );
            }
            let doc =
                json!({"mode": if args.quick { "quick" } else { "full" }, "figures": figures});
            match std::fs::write(
                &args.out,
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            ) {
                Ok(()) => {
                    println!("\nwrote {}", args.out.display());
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", args.out.display());
                    std::process::ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
