//! The web client in a real headless Chromium (Debian's, driven by playwright-core) against a
//! real server process: the enumerator flow of issue #4, offline in the middle. The driver is
//! `tests/browser/enumerator_flow.mjs`; `./dev test` installs Chromium and the npm package.

use std::process::Command;

use baraza_schema::validate;
use serde_json::{Value, json};

use crate::builtin_forms::{f1_household, form, with};
use crate::support::{ADMIN_PASSWORD, TempDir, baraza_bin, repo};

/// The example household grown to five members: two more children of the head.
fn five_person_household() -> Value {
    let base = f1_household();
    let child = |label: &str, age: u32, sex: &str| json!({"m_label": label, "m_age": age, "m_rel": "child", "m_sex": sex});
    let mut members = base["member"].as_array().cloned().unwrap_or_default();
    members.push(child("D", 7, "male"));
    members.push(child("E", 1, "female"));
    with(
        &base,
        &[("/hh_size", json!(5)), ("/member", Value::Array(members))],
    )
}

/// Runs a driver in `tests/browser` with `baraza` and `env`, and returns its `RESULT` line.
fn run_driver(script: &str, env: &[(&str, &std::ffi::OsStr)]) -> Value {
    let driver_dir = repo().join("tests/browser");
    assert!(
        driver_dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: `./dev test` runs npm install in tests/browser"
    );
    let out = Command::new("node")
        .arg(script)
        .current_dir(&driver_dir)
        .env("BARAZA_BIN", baraza_bin())
        .envs(env.iter().copied())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no RESULT line:\n{stdout}\n{stderr}"))
}

#[test]
fn an_interview_filled_offline_reaches_the_server_by_itself() {
    let answers = five_person_household();
    let today = baraza_schema::Date::parse("2026-11-28").expect("date");
    assert_eq!(
        validate(&form("f1_household"), &answers, today),
        [],
        "the fixture is a complete interview"
    );
    let client = repo().join("target/client/index.html");
    assert!(
        client.is_file(),
        "{} is missing: `./dev test` builds the web client before the tests",
        client.display()
    );
    let dir = TempDir::new("browser");
    let answers_file = dir.0.join("answers.json");
    std::fs::write(&answers_file, answers.to_string()).expect("write answers");
    let artifacts = repo().join("target/browser-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    let result = run_driver(
        "enumerator_flow.mjs",
        &[
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("ANSWERS", answers_file.as_os_str()),
            ("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD.as_ref()),
        ],
    );
    assert_eq!(result["rows"], 5, "one roster row per household member");
    assert_eq!(
        result["waitingAfterReopen"], 1,
        "the outbox survived closing the browser"
    );
    assert_eq!(
        result["sentShown"], 1,
        "the records screen shows it as sent"
    );
    assert_eq!(result["waitingShown"], 0);
    let held = result["held"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        held.len(),
        1,
        "the server holds the interview exactly once: {held:?}"
    );
    assert!(
        held[0]["head_rev"]
            .as_str()
            .is_some_and(|r| r.starts_with("1-"))
    );
    // This phone's figures: the one interview, every report, and nothing shown — a single
    // household is far below what may be published.
    let figures = &result["figures"];
    assert_eq!(figures["responses"], 1, "{figures}");
    assert!(
        figures["reports"].as_u64().is_some_and(|n| n >= 10),
        "{figures}"
    );
    assert!(
        figures["hidden"].as_u64().is_some_and(|n| n > 50),
        "{figures}"
    );
    assert_eq!(figures["shown"], 0, "{figures}");
    for screen in [
        "01-enroll",
        "02-home",
        "03-form",
        "04-summary",
        "05-records-waiting",
        "06-records-sent",
        "08-figures",
    ] {
        assert!(
            artifacts.join(format!("{screen}.png")).is_file(),
            "screenshot {screen} is kept"
        );
    }
}

#[test]
fn a_planner_reads_reports_on_the_demo_city_in_the_dashboard() {
    assert!(
        repo().join("target/client/dashboard/index.html").is_file(),
        "the dashboard is missing: `./dev test` builds it before the tests"
    );
    let dir = TempDir::new("dashboard");
    let artifacts = repo().join("target/dashboard-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    let r = run_driver(
        "dashboard.mjs",
        &[
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("BARAZA_DEMO_PASSWORD", "demo-password-1".as_ref()),
        ],
    );
    assert_eq!(
        r["enumeratorRefused"], true,
        "enumerators cannot read reports"
    );
    assert_eq!(r["r1Rows"], 6, "one row per concern city-wide: {r}");
    assert!(
        r["chartBars"].as_u64().unwrap_or(0) >= 6,
        "the chart draws the bars"
    );
    assert_eq!(r["settlementN"], 119, "s12's consenting households");
    assert!(
        r["shownFor"]
            .as_str()
            .unwrap_or("")
            .contains("Shown for settlement type C"),
        "one settlement's disabled households are too few: the table is collapsed: {r}"
    );
    assert!(
        r["suppressedRows"].as_u64().unwrap_or(0) >= 1,
        "small rungs of single settlements are suppressed and marked: {r}"
    );
    assert_eq!(r["suppressedText"], "*");
    assert!(
        r["legend"].as_str().unwrap_or("").contains("* suppressed"),
        "the legend explains the marks"
    );
    assert_eq!(r["csvName"], "R1-d.csv");
    assert_eq!(r["csvMatchesApi"], true, "the download is the API's CSV");
    assert_eq!(
        r["r4Settlements"], 20,
        "R4 by settlement has every settlement"
    );
    assert_eq!(
        r["r4Services"],
        json!([
            "drainage",
            "electricity",
            "sanitation",
            "solid waste",
            "transport",
            "water"
        ])
    );
    assert_eq!(r["printHidesNav"], true);
    assert_eq!(r["printKeepsTable"], true);
    for shot in [
        "dashboard-01-r1-city",
        "dashboard-02-r1-s12",
        "dashboard-03-r1-s12-disability-collapsed",
        "dashboard-04-r4-sanitation-by-settlement",
        "dashboard-05-r4-print",
    ] {
        assert!(
            artifacts.join(format!("{shot}.png")).is_file(),
            "screenshot {shot} is kept"
        );
    }
}
