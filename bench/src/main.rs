//! `baraza-bench`: measures Baraza against the targets in DESIGN.md, each figure beside a
//! baseline measured in the same run on the same machine where one exists (machines here are
//! shared and noisy). Prints a table and writes `bench.json`. Timings are reported, never
//! asserted.
//!
//! The server under test is the real `baraza serve` binary in a child process (its memory is
//! its own); the load comes from the demo city's generator (DOMAIN.md §5), so the answers
//! vary as field data does.

mod child;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baraza_schema::wire::{PushItem, PushRequest};
use baraza_server::storage::prelude::*;
use baraza_server::storage::{Caller, Db, ReportQuery, Role};
use baraza_server::{admin, demo};
use clap::Parser;
use serde::Serialize;
use serde_json::{Value, json};

use child::Server;

/// The server's allocator (`server/src/main.rs`), so that what this process measures in
/// process — the projector, reports, the raw baselines — runs as it does in `baraza serve`
/// (under glibc's malloc the projector's fold spent a quarter of its time allocating).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "baraza-bench",
    about = "Measure Baraza against its performance targets"
)]
struct Args {
    /// A short run (under two minutes) for routine use and CI.
    #[arg(long)]
    quick: bool,
    /// Only the enumerator client's figures (its download and timings), for work on the client.
    #[arg(long, conflicts_with = "server")]
    client: bool,
    /// Only the server's figures (ingest, reports, export), for work on the server.
    #[arg(long)]
    server: bool,
    /// Only the ingest and its fold on SQLite (no reports, export or PostgreSQL), for work on
    /// the push path.
    #[arg(long, conflicts_with = "client")]
    ingest: bool,
    /// With `--ingest`: on PostgreSQL instead of SQLite.
    #[arg(long, requires = "ingest")]
    postgres: bool,
    /// Only the reports (after the ingest that fills them), on both backends, for work on
    /// the reports.
    #[arg(long, conflicts_with_all = ["client", "ingest"])]
    reports: bool,
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
    /// `None` when not measured or when there is no target (the note says why).
    pass: Option<bool>,
    note: String,
}

impl Figure {
    fn new(name: impl Into<String>, value: Option<f64>, unit: &'static str) -> Figure {
        Figure {
            name: name.into(),
            value,
            unit,
            baseline: None,
            ratio: None,
            target: "—".into(),
            pass: None,
            note: String::new(),
        }
    }

    fn baseline(mut self, baseline: f64) -> Figure {
        self.baseline = Some(baseline);
        self.ratio = self.value.map(|v| v / baseline);
        self
    }

    fn target(mut self, target: &str, pass: impl FnOnce(f64) -> bool) -> Figure {
        self.target = target.into();
        self.pass = self.value.map(pass);
        self
    }

    fn note(mut self, note: impl Into<String>) -> Figure {
        self.note = note.into();
        self
    }
}

/// How much work a run does.
struct Sizes {
    /// F1 households pushed over HTTP.
    ingest: usize,
    devices: usize,
    batch: usize,
    /// Responses the raw export reads.
    export: u64,
    /// Responses the report aggregates count.
    reports: &'static [u64],
}

const QUICK: Sizes = Sizes {
    ingest: 1_000,
    devices: 4,
    batch: 50,
    export: 20_000,
    reports: &[100_000],
};

const FULL: Sizes = Sizes {
    ingest: 20_000,
    devices: 8,
    batch: 50,
    export: 1_000_000,
    reports: &[100_000, 1_000_000],
};

const F1: &str = "baraza_f1_household";

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// `n` F1 household interviews from demo cities with seeds 1, 2, …, each with its own id.
fn households(forms: &[baraza_schema::Form; 4], n: usize) -> demo::Responses {
    let today = baraza_server::storage::today();
    let mut out = Vec::with_capacity(n);
    for seed in 1.. {
        for (id, answers) in demo::city(seed, forms, today).households {
            if out.len() == n {
                return out;
            }
            out.push((format!("b{seed}-{id}"), answers));
        }
    }
    out
}

/// The baseline: the same revision rows inserted straight into SQLite in-process, in the
/// same batch size, with the same durability (WAL, synchronous=FULL). Rows per second.
fn baseline_insert(dir: &Path, items: &[PushItem], batch: usize) -> Result<f64, String> {
    let err = |e: rusqlite::Error| e.to_string();
    let mut c = rusqlite::Connection::open(dir.join("baseline.sqlite3")).map_err(err)?;
    c.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
    c.pragma_update(None, "synchronous", "FULL").map_err(err)?;
    c.execute_batch(
        "CREATE TABLE revisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, response_id TEXT NOT NULL, rev TEXT NOT NULL, form_id TEXT NOT NULL,
         form_version TEXT NOT NULL, content_hash TEXT NOT NULL, payload TEXT NOT NULL, device_seq INTEGER, UNIQUE (response_id, rev))",
    )
    .map_err(err)?;
    let start = Instant::now();
    for chunk in items.chunks(batch) {
        let tx = c.transaction().map_err(err)?;
        {
            let mut st = tx
                .prepare_cached("INSERT INTO revisions (response_id, rev, form_id, form_version, content_hash, payload, device_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .map_err(err)?;
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
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
    }
    Ok(items.len() as f64 / start.elapsed().as_secs_f64())
}

/// The same baseline on PostgreSQL: the rows inserted one statement each in transactions of
/// `batch`, committed with PostgreSQL's default durability (`synchronous_commit = on`, as the
/// server runs), into a table of their own beside the server's. Rows per second.
fn baseline_insert_pg(url: &str, items: &[PushItem], batch: usize) -> Result<f64, String> {
    let err = |e: postgres::Error| e.to_string();
    let mut c = postgres::Client::connect(url, postgres::NoTls).map_err(err)?;
    c.batch_execute(
        "DROP TABLE IF EXISTS bench_baseline;
         CREATE TABLE bench_baseline (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, response_id TEXT NOT NULL,
             rev TEXT NOT NULL, form_id TEXT NOT NULL, form_version TEXT NOT NULL, content_hash TEXT NOT NULL,
             payload TEXT NOT NULL, device_seq BIGINT, UNIQUE (response_id, rev))",
    )
    .map_err(err)?;
    let insert = c
        .prepare("INSERT INTO bench_baseline (response_id, rev, form_id, form_version, content_hash, payload, device_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .map_err(err)?;
    let start = Instant::now();
    for chunk in items.chunks(batch) {
        let mut tx = c.transaction().map_err(err)?;
        for i in chunk {
            tx.execute(
                &insert,
                &[
                    &i.response_id,
                    &i.rev,
                    &i.form_id,
                    &i.form_version,
                    &i.content_hash,
                    &i.payload,
                    &(i.device_seq as i64),
                ],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
    }
    let rate = items.len() as f64 / start.elapsed().as_secs_f64();
    c.batch_execute("DROP TABLE bench_baseline").map_err(err)?;
    Ok(rate)
}

/// The export's baseline: reading the same payloads straight from the database (SQLite, or
/// PostgreSQL at `database`), rows per second.
fn baseline_read(data: &Path, database: Option<&str>) -> Result<f64, String> {
    if let Some(url) = database {
        use postgres::fallible_iterator::FallibleIterator as _;
        let err = |e: postgres::Error| e.to_string();
        let mut c = postgres::Client::connect(url, postgres::NoTls).map_err(err)?;
        let start = Instant::now();
        let (mut n, mut bytes) = (0u64, 0usize);
        let params: [&(dyn postgres::types::ToSql + Sync); 1] = [&F1];
        let mut rows = c
            .query_raw(
                "SELECT v.payload FROM responses r JOIN revisions v ON v.seq = r.head_seq WHERE r.form_id = $1",
                params,
            )
            .map_err(err)?;
        while let Some(r) = rows.next().map_err(err)? {
            bytes += r.get::<_, &str>(0).len();
            n += 1;
        }
        std::hint::black_box(bytes);
        return Ok(n as f64 / start.elapsed().as_secs_f64());
    }
    let err = |e: rusqlite::Error| e.to_string();
    let c = rusqlite::Connection::open(admin::database_path(data)).map_err(err)?;
    let start = Instant::now();
    let mut st = c
        .prepare("SELECT v.payload FROM responses r JOIN revisions v ON v.seq = r.head_seq WHERE r.form_id = ?1")
        .map_err(err)?;
    let mut rows = st.query([F1]).map_err(err)?;
    let (mut n, mut bytes) = (0u64, 0usize);
    while let Some(r) = rows.next().map_err(err)? {
        bytes += r.get_ref(0).map_err(err)?.as_str().map_or(0, str::len);
        n += 1;
    }
    std::hint::black_box(bytes);
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

/// A report's time over repeated runs of the storage call, in ms: the first run (after new
/// data: it builds the report's protected lattice) and the median.
fn report_ms(db: &Db, id: &str, by: &str, runs: usize) -> Result<(f64, f64), String> {
    let q = ReportQuery {
        by: Some(by.into()),
        ..Default::default()
    };
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        db.report(id, &q)
            .map_err(|e| format!("{id} by {by}: {e}"))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times[0];
    times.sort_by(f64::total_cmp);
    Ok((first, percentile(&times, 0.5)))
}

/// The JSON a request is answered with; any other status than success is an error naming
/// `what` was asked.
fn answer(req: reqwest::blocking::RequestBuilder, what: &str) -> Result<Value, String> {
    let res = req.send().map_err(|e| e.to_string())?;
    let status = res.status();
    let v: Value = res.json().map_err(|e| e.to_string())?;
    if status.is_success() {
        Ok(v)
    } else {
        Err(format!("{what}: {status}: {v}"))
    }
}

/// A blocking HTTP client for the server under test.
struct Http {
    http: reqwest::blocking::Client,
    base: String,
}

impl Http {
    fn new(base: &str) -> Result<Http, String> {
        Ok(Http {
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(600))
                .build()
                .map_err(|e| e.to_string())?,
            base: format!("{base}/api/v1"),
        })
    }

    fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> Result<Value, String> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req, &format!("POST {path}"))
    }

    fn get(&self, path: &str, token: &str) -> Result<Value, String> {
        let req = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        answer(req, &format!("GET {path}"))
    }

    fn login(&self, username: &str, password: &str) -> Result<String, String> {
        let v = self.post(
            "/auth/login",
            None,
            &json!({"username": username, "password": password}),
        )?;
        Ok(v["token"].as_str().unwrap_or_default().to_owned())
    }

    /// A new enumerator with an enrolled device: (device_id, device_token).
    fn device(&self, admin: &str, name: &str) -> Result<(String, String), String> {
        let password = "bench-password";
        self.post(
            "/users",
            Some(admin),
            &json!({"username": name, "role": "enumerator", "password": password}),
        )?;
        let token = self.login(name, password)?;
        let d = self.post("/devices", Some(&token), &json!({}))?;
        Ok((
            d["device_id"].as_str().unwrap_or_default().into(),
            d["device_token"].as_str().unwrap_or_default().into(),
        ))
    }
}

/// Ingest: devices push their settlements' interviews concurrently over HTTP.
fn ingest(
    sizes: &Sizes,
    dir: &Path,
    data: &Path,
    database: Option<&str>,
    forms: &[baraza_schema::Form; 4],
) -> Result<Vec<Figure>, String> {
    let all = households(forms, sizes.ingest);
    let server = Server::start(data, database)?;
    let http = Http::new(&server.base)?;
    let admin_token = http.login("admin", child::ADMIN_PASSWORD)?;
    // Each device works its own settlements, as enumerators do; everything it would have
    // prepared offline is prepared before the clock starts.
    let mut devices = Vec::new();
    for d in 0..sizes.devices {
        let (id, token) = http.device(&admin_token, &format!("bench{d}"))?;
        let mine: demo::Responses = all
            .iter()
            .filter(|(_, a)| {
                let s = a["settlement"].as_str().unwrap_or_default();
                s.trim_start_matches('s').parse::<usize>().unwrap_or(0) % sizes.devices == d
            })
            .cloned()
            .collect();
        let mut seq = 0;
        devices.push((id, token, demo::push_items(&forms[0], &mine, &mut seq)));
    }
    let all_items: Vec<PushItem> = devices.iter().flat_map(|d| d.2.clone()).collect();
    let setup_rss = server.peak_rss_mb();
    let reset = server.reset_peak();
    let start = Instant::now();
    let results: Vec<Result<(Vec<f64>, usize), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .iter()
            .map(|(id, token, items)| {
                let http = &http;
                scope.spawn(move || {
                    let mut latencies = Vec::new();
                    let mut stored = 0;
                    for chunk in items.chunks(sizes.batch) {
                        let req = PushRequest {
                            device_id: id.clone(),
                            items: chunk.to_vec(),
                            username: None,
                            held_from: None,
                        };
                        let t = Instant::now();
                        let v = http.post("/sync/push", Some(token), &req)?;
                        latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                        stored += v["results"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|r| r["status"] == "stored")
                            .count();
                    }
                    Ok((latencies, stored))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a device thread panicked".into()))
            })
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    // A report folds whatever the background projector has not yet: the time from the last
    // acknowledgement until the reports hold every interview.
    let caught = Instant::now();
    let report = http.get("/reports/R1", &admin_token)?;
    let catch_up = caught.elapsed().as_secs_f64();
    if report["cells"].as_array().is_none_or(|c| c.is_empty()) {
        return Err(format!("R1 after the ingest has no cells: {report}"));
    }
    let mut latencies = Vec::new();
    let mut stored = 0;
    for r in results {
        let (l, s) = r?;
        latencies.extend(l);
        stored += s;
    }
    if stored != all_items.len() {
        return Err(format!(
            "only {stored} of {} responses were stored",
            all_items.len()
        ));
    }
    let rss = server.peak_rss_mb().filter(|_| reset);
    drop(server);
    latencies.sort_by(f64::total_cmp);
    let rate = stored as f64 / elapsed;
    let (baseline, on, engine) = match database {
        None => (baseline_insert(dir, &all_items, sizes.batch)?, "", "SQLite"),
        Some(url) => (
            baseline_insert_pg(url, &all_items, sizes.batch)?,
            " on PostgreSQL",
            "PostgreSQL",
        ),
    };
    let target = match database {
        None => "≥ 5000 responses/s and ≥ 0.50 of the raw SQLite insert",
        Some(_) => "≥ 0.50 of the raw PostgreSQL insert",
    };
    Ok(vec![
        Figure::new(
            format!(
                "ingest{on}: F1 households over HTTP, {} devices, batches of {}",
                sizes.devices, sizes.batch
            ),
            Some(rate),
            "responses/s",
        )
        .baseline(baseline)
        .target(target, |r| {
            (database.is_some() || r >= 5000.0) && r / baseline >= 0.50
        })
        .note(format!(
            "{stored} demo-city interviews through validation and storage, acknowledged; the projector folds them into the reports meanwhile; baseline = the same rows inserted straight into {engine} from this process, same batch size and durability"
        )),
        Figure::new(
            format!("ingest{on}: until the reports hold every interview"),
            Some(stored as f64 / (elapsed + catch_up)),
            "responses/s",
        )
        .note(format!(
            "the same run to the end of a report asked for after the last acknowledgement (it folds what the background projector had not: {:.0} ms)",
            catch_up * 1000.0
        )),
        Figure::new(format!("ingest{on}: batch latency p50"), Some(percentile(&latencies, 0.5)), "ms"),
        Figure::new(format!("ingest{on}: batch latency p99"), Some(percentile(&latencies, 0.99)), "ms"),
        Figure::new(format!("memory: peak server RSS during ingest{on}"), rss, "MB")
            .target("≤ 100 MB", |r| r <= 100.0)
            .note(format!(
                "VmHWM of the baraza serve process, reset when the load starts; {} MB before it (logins: Argon2 takes 7 MiB each)",
                setup_rss.map_or("?".into(), |m| format!("{m:.0}"))
            )),
    ])
}

/// Recomputing the reference values rebuilds every aggregate from the stored heads (what an
/// admin does once the fieldwork is in, and what a migration does on start-up).
fn rebuild(db: &Db, responses: usize) -> Result<Figure, String> {
    let t = Instant::now();
    db.refresh_reference_values(None)
        .map_err(|e| e.to_string())?;
    let rate = responses as f64 / t.elapsed().as_secs_f64();
    Ok(Figure::new(
        "aggregates: rebuild from the stored heads",
        Some(rate),
        "responses/s",
    )
    .note(format!(
        "{responses} responses; POST /settings/reports/reference-values"
    )))
}

/// The projector folding pushed interviews into the aggregates (`ReportStore::project`): every
/// response marked not yet counted and the aggregates emptied, then folded.
fn fold(data: &Path, database: Option<&str>, db: &Db, responses: usize) -> Result<Figure, String> {
    let reset = "UPDATE responses SET projected_seq = NULL, projected_state = NULL;
                 DELETE FROM aggregates; DELETE FROM strata;";
    match database {
        None => rusqlite::Connection::open(admin::database_path(data))
            .and_then(|c| c.execute_batch(reset))
            .map_err(|e| e.to_string())?,
        Some(url) => postgres::Client::connect(url, postgres::NoTls)
            .and_then(|mut c| c.batch_execute(reset))
            .map_err(|e| e.to_string())?,
    }
    let t = Instant::now();
    let folded = db.project().map_err(|e| e.to_string())?;
    let rate = folded as f64 / t.elapsed().as_secs_f64();
    if folded != responses {
        return Err(format!(
            "the projector folded {folded} of {responses} responses"
        ));
    }
    let on = if database.is_some() {
        " on PostgreSQL"
    } else {
        ""
    };
    Ok(Figure::new(
        format!("aggregates{on}: the projector folds pushed interviews"),
        Some(rate),
        "responses/s",
    )
    .target("≥ 10,000 responses/s", |r| r >= 10_000.0)
    .note(format!(
        "{responses} responses, none counted yet, folded in rounds (ReportStore::project, in process); {}",
        // The income quintiles, once set, disaggregate every household figure once more.
        match db.reference_values().map_err(|e| e.to_string())?.quintile_cuts {
            Some(_) => "with the income quintiles set (after the rebuild)",
            None => "without income quintiles (none set yet)",
        }
    )))
}

/// Every report with a disaggregation at each size. The aggregates for the larger sizes are
/// built by `Db::bulk_aggregate`: a sample of demo interviews, each counted many times
/// through the same contribution code as ingest.
fn reports(
    sizes: &Sizes,
    db: &Db,
    forms: &[baraza_schema::Form; 4],
    counted: usize,
    on: &str,
) -> Result<Vec<Figure>, String> {
    let city = demo::city(1, forms, baraza_server::storage::today());
    let sample: Vec<&Value> = city.households.iter().step_by(10).map(|(_, a)| a).collect();
    let mut figures = Vec::new();
    let mut counted = counted as u64;
    for &size in sizes.reports {
        let per = (size - counted) / sample.len() as u64;
        for h in &sample {
            let settlement = h["settlement"].as_str().unwrap_or("s01");
            db.bulk_aggregate(&forms[0], h, settlement, per)
                .map_err(|e| e.to_string())?;
        }
        counted += per * sample.len() as u64;
        // Focus groups in the city's proportion to households: each group once per city.
        let per_group = (per * sample.len() as u64 / city.households.len() as u64).max(1);
        for (_, g) in &city.focus_groups {
            let settlement = g["settlement"].as_str().unwrap_or("s01");
            db.bulk_aggregate(&forms[1], g, settlement, per_group)
                .map_err(|e| e.to_string())?;
        }
        for r in baraza_schema::reports::REPORTS {
            let by = if r.by.contains(&"s") { "s" } else { r.by[1] };
            let (first, ms) = report_ms(db, r.id, by, 11)?;
            figures.push(
                Figure::new(
                    format!("report {} by {by} at {counted} households{on}", r.id),
                    Some(ms),
                    "ms",
                )
                .target("≤ 50 ms server time", |ms| ms <= 50.0)
                .note("median of 11 runs of the storage call (no HTTP)"),
            );
            figures.push(
                Figure::new(
                    format!("report {} by {by} at {counted} households{on}, first after new data", r.id),
                    Some(first),
                    "ms",
                )
                .target("≤ 1,000 ms server time", |ms| ms <= 1000.0)
                .note("the first run, which estimates and protects every table of the report's lattice (then cached until the data change)"),
            );
        }
    }
    Ok(figures)
}

/// The raw export of `total` responses over HTTP from the server process, with its memory.
fn export(
    data: &Path,
    database: Option<&str>,
    form: &baraza_schema::Form,
    stored: u64,
    total: u64,
) -> Result<Vec<Figure>, String> {
    let (on, engine) = match database {
        Some(_) => (" on PostgreSQL", "PostgreSQL"),
        None => ("", "SQLite"),
    };
    let copies = total.div_ceil(stored).saturating_sub(1);
    let (responses, rows) = {
        let db = admin::open(data, database)?;
        // CSV rows (main and repeat tables) of the stored interviews; each copy repeats them.
        let admin = Caller {
            user_id: 1,
            username: "admin".into(),
            role: Role::Admin,
            must_change_password: false,
        };
        let once =
            baraza_server::export::write_zip(&db, &admin, form, None, false, std::io::sink())
                .map_err(|e| e.to_string())?;
        db.copy_heads_for_benchmark(F1, copies)
            .map_err(|e| e.to_string())?;
        (once.responses * (copies + 1), once.rows * (copies + 1))
    };
    let baseline = baseline_read(data, database)?;
    let server = Server::start(data, database)?;
    let http = Http::new(&server.base)?;
    let token = http.login("admin", child::ADMIN_PASSWORD)?;
    let idle = server.peak_rss_mb();
    let reset = server.reset_peak();
    let start = Instant::now();
    let mut res = http
        .http
        .get(format!("{}/exports/{F1}.zip", http.base))
        .bearer_auth(&token)
        .send()
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() {
        return Err(format!("export: {}", res.status()));
    }
    let bytes = std::io::copy(&mut res, &mut std::io::sink()).map_err(|e| e.to_string())?;
    let secs = start.elapsed().as_secs_f64();
    let peak = server.peak_rss_mb();
    Ok(vec![
        Figure::new(
            format!("raw export{on}: F1 zip over HTTP, {responses} responses"),
            Some(rows as f64 / secs),
            "CSV rows/s",
        )
        .target("≥ 100,000 rows/s", |r| r >= 100_000.0)
        .note(format!(
            "{rows} CSV rows (the main table and one per repeat), {:.0} MB zipped",
            bytes as f64 / 1e6
        )),
        Figure::new(
            format!("raw export{on}: responses per second"),
            Some(responses as f64 / secs),
            "responses/s",
        )
        .baseline(baseline)
        .note(format!("baseline = reading the same payloads straight from {engine}; ODK Briefcase's anchor is 50,000 in 23 s (2,174/s)")),
        Figure::new(format!("memory: peak server RSS during the export{on}"), peak.filter(|_| reset), "MB")
            .target("≤ 100 MB, flat", |r| r <= 100.0)
            .note(format!(
                "VmHWM reset before the export; {} MB before it",
                idle.map_or("?".into(), |m| format!("{m:.0}"))
            )),
    ])
}

/// The enumerator client's download as the last build measured it (`target/client/size.json`).
fn client_size() -> Figure {
    let size = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("client/size.json")))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|s| serde_json::from_str::<Value>(&s).ok())
        .and_then(|v| v["gzip_bytes"]["total"].as_f64());
    let figure = Figure::new(
        "client download (wasm + js + css, gzipped)",
        size.map(|b| b / 1024.0),
        "KiB",
    )
    .target("≤ 300 KiB", |k| k <= 300.0);
    match size {
        Some(_) => figure.note("target/client/size.json, written by the client build"),
        None => figure.note("not measured: build the client first (./dev bench does)"),
    }
}

/// The client's timings in headless Chromium (`tests/browser/client_timings.mjs`, driven by
/// playwright-core), against a server of its own. Long because it is one script: start,
/// measure, read each figure into the report, in the order the README lists them.
fn client_timings(
    dir: &Path,
    runs: usize,
    forms: &[baraza_schema::Form; 4],
) -> Result<Vec<Figure>, String> {
    let browser = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/browser"));
    let names = [
        ("open_f1_ms", "client: open F1", "≤ 100 ms", 100.0),
        (
            "relevance_ms",
            "client: re-evaluate relevance after an answer",
            "≤ 5 ms",
            5.0,
        ),
        (
            "row_100_ms",
            "client: add the 100th repeat row",
            "≤ 16 ms",
            16.0,
        ),
        (
            "relevance_100_rows_ms",
            "client: re-evaluate relevance, 100 roster rows on screen",
            "≤ 5 ms",
            5.0,
        ),
    ];
    const DEVICE: &str = "client: all reports on the device, 1,000 local responses";
    let unmeasured = |why: &str| {
        let mut figures: Vec<Figure> = names
            .iter()
            .map(|(_, name, target, _)| {
                Figure::new(*name, None, "ms")
                    .target(target, |_| false)
                    .note(format!("not measured: {why}"))
            })
            .collect();
        figures.push(Figure::new(DEVICE, None, "ms").note(format!("not measured: {why}")));
        figures
    };
    if !browser.join("node_modules/playwright-core").is_dir()
        || !Path::new("/usr/bin/chromium").is_file()
    {
        return Ok(unmeasured(
            "needs Chromium and playwright-core (./dev test installs them)",
        ));
    }
    let server = Server::start(&dir.join("client-data"), None)?;
    let http = Http::new(&server.base)?;
    let admin = http.login("admin", child::ADMIN_PASSWORD)?;
    let password = "bench-password";
    http.post(
        "/users",
        Some(&admin),
        &json!({"username": "timer", "role": "enumerator", "password": password}),
    )?;
    // The phone's interviews for its figures page, and the same computation natively, as
    // the baseline: parsing each stored payload and `local_reports`, median of three.
    let device = households(forms, 1_000);
    let held: Vec<Value> = device
        .iter()
        .map(|(id, a)| json!({"response_id": id, "payload": a.to_string()}))
        .collect();
    let held_file = dir.join("device-households.json");
    std::fs::write(&held_file, Value::Array(held).to_string()).map_err(|e| e.to_string())?;
    // The household a cheap phone types: six members who consented (its location left out:
    // the headless browser has no position to give).
    let mut typed = device
        .iter()
        .map(|(_, a)| a.clone())
        .find(|a| a["hh_size"] == 6 && a["consent"] == "yes")
        .ok_or("no six-member household in the demo city")?;
    if let Some(a) = typed.as_object_mut() {
        a.remove("gps");
    }
    let household_file = dir.join("phone-household.json");
    std::fs::write(&household_file, typed.to_string()).map_err(|e| e.to_string())?;
    let form_file = dir.join("f1.json");
    std::fs::write(&form_file, forms[0].canonical_json()).map_err(|e| e.to_string())?;
    let payloads: Vec<String> = device.iter().map(|(_, a)| a.to_string()).collect();
    let mut native: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            let answers: Vec<Value> = payloads
                .iter()
                .filter_map(|p| serde_json::from_str(p).ok())
                .collect();
            let refs: Vec<(&baraza_schema::Form, &Value)> =
                answers.iter().map(|a| (&forms[0], a)).collect();
            let figures = baraza_schema::reports::local_reports(&refs, &Default::default());
            std::hint::black_box(figures);
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    native.sort_by(f64::total_cmp);
    let out = std::process::Command::new("node")
        .arg("client_timings.mjs")
        .env("HOUSEHOLDS", &held_file)
        .env("HOUSEHOLD", &household_file)
        .env("FORM_F1", &form_file)
        .env("F1_VERSION", &forms[0].settings.version)
        .current_dir(browser)
        .env("BASE", &server.base)
        .env("USERNAME", "timer")
        .env("PASSWORD", password)
        .env("ARTIFACTS", dir)
        .env("RUNS", runs.to_string())
        .output()
        .map_err(|e| format!("cannot run node: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let Some(result) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|r| serde_json::from_str::<Value>(r).ok())
    else {
        return Err(format!(
            "the client timings failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let mut figures: Vec<Figure> = names
        .iter()
        .map(|(key, name, target, limit)| {
            Figure::new(*name, result[*key].as_f64(), "ms")
                .target(target, |ms| ms <= *limit)
                .note(format!(
                    "headless Chromium, 360 px; from the input event to the DOM showing its effect; median of {runs}"
                ))
        })
        .collect();
    // A cheap phone: the same typing under CPU throttling ×4, each against itself unthrottled
    // in this run (the baseline).
    let (phone, desktop) = (&result["phone"], &result["desktop"]);
    for (key, name, target, limit) in [
        (
            "open_ms",
            "phone (CPU ×4, 360 px): open F1",
            "≤ 300 ms",
            300.0,
        ),
        (
            "answer_p95_ms",
            "phone: screen updated after an answer (p95)",
            "≤ 50 ms",
            50.0,
        ),
        (
            "row_11_ms",
            "phone: add a roster row, 10 rows present",
            "≤ 50 ms",
            50.0,
        ),
        (
            "row_101_ms",
            "phone: add a roster row, 100 rows present",
            "≤ 100 ms",
            100.0,
        ),
    ] {
        let mut figure = Figure::new(name, phone[key].as_f64(), "ms")
            .target(target, |ms| ms <= limit)
            .note(format!(
                "a six-member F1 household typed by keyboard, keys 120 ms apart ({} keystrokes and taps timed to the next frame); baseline: unthrottled, same run",
                phone["answers"]
            ));
        if let Some(b) = desktop[key].as_f64() {
            figure = figure.baseline(b);
        }
        figures.push(figure);
    }
    figures.push(
        Figure::new(DEVICE, result["device_ms"].as_f64(), "ms")
            .baseline(native[1])
            .note(format!(
                "{} responses read from IndexedDB in {:.0} ms, every report's default table computed in {:.0} ms (wasm, headless Chromium; median of {runs}); baseline: the same computation natively in this process",
                result["device_responses"], result["device_load_ms"].as_f64().unwrap_or(f64::NAN),
                result["device_compute_ms"].as_f64().unwrap_or(f64::NAN)
            )),
    );
    Ok(figures)
}

/// Ingest, the projector and the reports again on a throwaway PostgreSQL cluster of this machine's
/// PostgreSQL (`./dev` installs it); without one, the figures say why they are missing.
fn on_postgres(
    sizes: &Sizes,
    dir: &Path,
    forms: &[baraza_schema::Form; 4],
    part: Part,
) -> Result<Vec<Figure>, String> {
    let pg = match baraza_server::pg_cluster::PgCluster::start() {
        Ok(pg) => pg,
        Err(e) => {
            return Ok(vec![
                Figure::new("ingest on PostgreSQL", None, "responses/s").note(format!(
                    "not measured: no PostgreSQL cluster could start: {e}"
                )),
            ]);
        }
    };
    let data = dir.join("pg-data");
    let mut figures = ingest(sizes, dir, &data, Some(&pg.url), forms)?;
    let db = admin::open(&data, Some(&pg.url))?;
    if part != Part::Reports {
        figures.push(fold(&data, Some(&pg.url), &db, sizes.ingest)?);
    }
    if part == Part::Ingest {
        return Ok(figures);
    }
    figures.extend(reports(sizes, &db, forms, sizes.ingest, " on PostgreSQL")?);
    drop(db);
    if part == Part::Reports {
        return Ok(figures);
    }
    figures.extend(export(
        &data,
        Some(&pg.url),
        &forms[0],
        sizes.ingest as u64,
        sizes.export,
    )?);
    Ok(figures)
}

/// What `on_postgres` measures: everything, or what `--ingest` or `--reports` ask for.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    All,
    Ingest,
    Reports,
}

fn run(args: &Args) -> Result<Vec<Figure>, String> {
    let sizes = if args.quick { &QUICK } else { &FULL };
    let dir = std::env::temp_dir().join(format!("baraza-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let data = dir.join("data");
    let forms = demo::forms()?;
    let result = (|| {
        let mut figures = Vec::new();
        if args.postgres {
            return on_postgres(sizes, &dir, &forms, Part::Ingest);
        }
        if !args.client {
            figures.extend(ingest(sizes, &dir, &data, None, &forms)?);
            let db = admin::open(&data, None)?;
            if args.ingest {
                figures.push(fold(&data, None, &db, sizes.ingest)?);
                return Ok(figures);
            }
            if args.reports {
                figures.extend(reports(sizes, &db, &forms, sizes.ingest, "")?);
                drop(db);
                figures.extend(on_postgres(sizes, &dir, &forms, Part::Reports)?);
                return Ok(figures);
            }
            figures.push(rebuild(&db, sizes.ingest)?);
            figures.push(fold(&data, None, &db, sizes.ingest)?);
            figures.extend(reports(sizes, &db, &forms, sizes.ingest, "")?);
            drop(db);
            figures.extend(export(
                &data,
                None,
                &forms[0],
                sizes.ingest as u64,
                sizes.export,
            )?);
            figures.extend(on_postgres(sizes, &dir, &forms, Part::All)?);
        }
        if !args.server {
            figures.push(client_size());
            figures.extend(client_timings(
                &dir,
                if args.quick { 1 } else { 5 },
                &forms,
            )?);
        }
        Ok(figures)
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn print(figures: &[Figure]) {
    println!(
        "{:<60} {:>12} {:<12} {:>12} {:>7}  {:<5} target",
        "figure", "value", "unit", "baseline", "ratio", "pass"
    );
    let num = |v: Option<f64>| v.map_or("—".to_owned(), |x| format!("{x:.1}"));
    for f in figures {
        let pass = match f.pass {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "—",
        };
        println!(
            "{:<60} {:>12} {:<12} {:>12} {:>7}  {:<5} {}",
            f.name,
            num(f.value),
            f.unit,
            num(f.baseline),
            f.ratio.map_or("—".into(), |r| format!("{r:.2}")),
            pass,
            f.target
        );
    }
}

fn main() -> std::process::ExitCode {
    // As `baraza serve` does: what this process measures in process runs as it would there.
    baraza_server::small_pages();
    let args = Args::parse();
    let figures = match run(&args) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    print(&figures);
    let mode = match (args.client, args.quick) {
        (true, _) => "client",
        (false, true) if args.reports => "quick, reports only",
        (false, false) if args.reports => "full, reports only",
        (false, true) if args.postgres => "quick, ingest only, on PostgreSQL",
        (false, false) if args.postgres => "full, ingest only, on PostgreSQL",
        (false, true) if args.ingest => "quick, ingest only",
        (false, false) if args.ingest => "full, ingest only",
        (false, true) if args.server => "quick, server only",
        (false, false) if args.server => "full, server only",
        (false, true) => "quick",
        (false, false) => "full",
    };
    let doc = json!({"mode": mode, "figures": figures});
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
