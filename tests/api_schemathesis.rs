//! API fuzzing against the OpenAPI document with schemathesis (PyPI), once per role with that
//! role's credential: no 5xx, every status and body as documented, and nothing a role must not
//! see (`tests/schemathesis/baraza_checks.py`). `./dev test` installs schemathesis into
//! `target/schemathesis`; this is the bounded pass, README (Reliability) gives longer ones.

use std::path::PathBuf;
use std::process::Command;

use serde_json::json;

use baraza_server::storage::prelude::*;

use crate::reports_api::{household, push, push_item};
use crate::support::{Server, repo};

/// Examples per operation and phase: enough to reach every operation with good and bad input
/// in about a quarter of a minute per role.
const MAX_EXAMPLES: &str = "5";

fn schemathesis() -> PathBuf {
    let bin = repo().join("target/schemathesis/bin/schemathesis");
    assert!(
        bin.exists(),
        "{} is missing: `./dev test` installs it (tests/schemathesis/requirements.txt)",
        bin.display()
    );
    bin
}

/// At least this many test cases per role, or the run did not reach the API as it should
/// (a failed sign-in, an empty document) and proves nothing.
const MIN_CASES_PER_ROLE: u64 = 1_000;

/// Pushes `n` households of settlement `code` from a device; what only some roles may see:
/// their response ids, household ids, members' names, free-text answers and coordinates,
/// each made unique so that any appearance in an answer is a leak.
fn households(s: &Server, device: &(String, String), code: &str, n: usize) -> Vec<String> {
    let mut secrets = vec![];
    let items = (0..n)
        .map(|i| {
            let mut answers = household(i);
            let (id, hh) = (
                format!("st-{code}-{i}"),
                format!("{}-77{i:02}", code.to_uppercase()),
            );
            answers["settlement"] = json!(code);
            answers["hh_id"] = json!(hh);
            let objective = format!("Objective{code}x{i}: a tap for the lane");
            answers["hh_objective"] = json!(objective);
            let mut names = vec![];
            for (k, member) in answers["member"]
                .as_array_mut()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let name = format!("Wanjiru{code}x{i}x{k}");
                member["m_label"] = json!(name);
                names.push(name);
            }
            // Coordinates no report rounds to: eight decimals, one household each.
            let site: usize = code.trim_start_matches('s').parse().unwrap_or(0);
            let (lat, lon) = (
                format!("-1.2{site:02}{i:02}417"),
                format!("36.8{site:02}{i:02}193"),
            );
            answers["gps"]["lat"] = json!(lat.parse::<f64>().expect("latitude"));
            answers["gps"]["lon"] = json!(lon.parse::<f64>().expect("longitude"));
            secrets.extend([id.clone(), hh, objective, lat, lon]);
            secrets.extend(names);
            push_item(i as u64 + 1, &id, None, &answers)
        })
        .collect();
    let reply = push(s, &device.0, &device.1, items);
    assert!(
        reply["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["status"] == "stored"),
        "{reply}"
    );
    secrets
}

/// Runs schemathesis against the server as `role`; the number of test cases it generated,
/// at least `MIN_CASES_PER_ROLE`. A failing run is run once more, new cases generated, and
/// the test fails only if that fails too: CI once failed here (the PostgreSQL pass,
/// 2026-12-04) in a way no local run reproduced, so the first failure's report is printed
/// and kept (`target/schemathesis-<role>-first.log`) for whoever sees it, not swallowed.
fn fuzz_as(s: &Server, role: &str, token: &str, hidden: &[String]) -> u64 {
    let (mut ok, mut stdout, mut stderr) = run_schemathesis(s, role, token, hidden, &[]);
    if !ok {
        let report = report(role, "first", &stdout, &stderr);
        eprintln!("schemathesis as {role} failed once; running it again. {report}");
        (ok, stdout, stderr) = run_schemathesis(s, role, token, hidden, &[]);
    }
    if !ok {
        panic!(
            "schemathesis as {role} failed twice. {}",
            report(role, "second", &stdout, &stderr)
        );
    }
    // "  475 generated, 0 found 0 unique failures, 29 skipped"
    let generated = stdout
        .lines()
        .find_map(|l| l.trim().split_once(" generated,")?.0.parse().ok())
        .unwrap_or_else(|| panic!("no test case count in:\n{stdout}"));
    eprintln!("schemathesis as {role}: {generated} test cases, no failures");
    assert!(
        generated >= MIN_CASES_PER_ROLE,
        "schemathesis as {role} generated only {generated} test cases:\n{stdout}"
    );
    generated
}

/// A failed run's whole report written to `target/schemathesis-<role>-<which>.log`; what to
/// print: where it is and its failures only, short enough for a CI log to show.
fn report(role: &str, which: &str, stdout: &str, stderr: &str) -> String {
    let log = repo().join(format!("target/schemathesis-{role}-{which}.log"));
    std::fs::write(&log, format!("{stdout}\n{stderr}")).expect("write the report");
    let failures: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.contains("FAILURES") && !l.contains("ERRORS"))
        .filter(|l| !l.trim().is_empty())
        .take(60)
        .collect();
    format!(
        "Its whole report: {}\n{}\n{}",
        log.display(),
        failures.join("\n"),
        stderr.lines().take(20).collect::<Vec<_>>().join("\n")
    )
}

/// One schemathesis run: whether it passed, its stdout and stderr.
fn run_schemathesis(
    s: &Server,
    role: &str,
    token: &str,
    hidden: &[String],
    extra: &[&str],
) -> (bool, String, String) {
    let out = Command::new(schemathesis())
        .args(["run", &format!("{}/api/v1/openapi.json", s.base)])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", "all"])
        // Schema-valid input that breaks a rule the schema cannot state (a spreadsheet that
        // is no workbook, settlements for a user who is no supervisor) gets 4xx by design.
        .args(["--exclude-checks", "positive_data_acceptance"])
        // Logging out would end the run's own session half-way.
        .args(["--exclude-path", "/api/v1/auth/logout"])
        .args(["--max-examples", MAX_EXAMPLES, "--no-color"])
        // How fast cases are generated is the test machine's load, not the server's fault.
        .args(["--suppress-health-check", "too_slow"])
        .args(extra)
        // Its cache of found failures goes under target/, not into the repository.
        .current_dir(repo().join("target"))
        .env("SCHEMATHESIS_HOOKS", "baraza_checks")
        .env("PYTHONPATH", repo().join("tests/schemathesis"))
        .env("BARAZA_ROLE", role)
        .env("BARAZA_HIDDEN", hidden.join(","))
        .output()
        .expect("schemathesis runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn schemathesis_finds_no_server_error_undocumented_answer_or_leak_for_any_role() {
    let s = Server::start();
    let admin = s.admin();
    let field_a = s.device(&admin, "field-a");
    let field_b = s.device(&admin, "field-b");
    let in_s01 = households(&s, &field_a, "s01", 8);
    let in_s02 = households(&s, &field_b, "s02", 8);
    let everything: Vec<String> = in_s01.iter().chain(&in_s02).cloned().collect();

    let (sup_id, supervisor) = s.user(&admin, "sup-s01", "supervisor");
    let res = s
        .http
        .put(s.url(&format!("/users/{sup_id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s01"]}))
        .send()
        .expect("assign");
    assert_eq!(res.status(), 204);
    let (_, planner) = s.user(&admin, "plan", "planner");
    let (_, enumerator) = s.user(&admin, "enum-c", "enumerator");

    // The admin goes last: its run changes settings and scopes the others rely on.
    let runs: [(&str, &str, &[String]); 5] = [
        ("planner", &planner, &everything),
        ("enumerator", &enumerator, &everything),
        ("device", &field_a.1, &in_s02),
        ("supervisor", &supervisor, &in_s02),
        ("admin", &admin, &[]),
    ];
    // The leak check's positive control: told that a planner must not see the settlement
    // code `s01`, which the settlement list does show them, the run must fail and say so.
    let (ok, stdout, _) = run_schemathesis(
        &s,
        "planner",
        &planner,
        &["s01".into()],
        &["--include-path", "/api/v1/settlements"],
    );
    assert!(
        !ok && stdout.contains("the planner received 's01'"),
        "the leak check catches a leak:\n{stdout}"
    );
    let cases: u64 = runs
        .iter()
        .map(|(role, token, hidden)| fuzz_as(&s, role, token, hidden))
        .sum();
    eprintln!("schemathesis: {cases} test cases over 5 roles, 0 failures");

    // Nothing was lost on the way. Read through storage, not the API: the admin's run may
    // have reset, disabled or signed out any account, its own included.
    let db = crate::support::open_database(&s.data);
    let everyone = baraza_server::storage::Caller {
        user_id: 1,
        username: "admin".into(),
        role: baraza_server::storage::Role::Admin,
        must_change_password: false,
    };
    let filter = baraza_schema::api::ResponseFilter {
        limit: Some(1000),
        ..Default::default()
    };
    let held = db
        .list_responses(&everyone, &filter)
        .expect("responses")
        .len();
    assert!(
        held >= 16,
        "the 16 pushed responses are all still held: {held}"
    );
}
