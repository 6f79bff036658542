//! The benchmark runs in quick mode and writes well-formed figures. Times are never asserted.

use serde_json::Value;

use crate::support::{TempDir, baraza_bin};

/// Runs `baraza-bench` with `args`: the table it prints and the JSON it writes.
fn bench(args: &[&str]) -> (String, Value) {
    let dir = TempDir::new("bench");
    let out = dir.0.join("bench.json");
    let run = std::process::Command::new(baraza_bin().with_file_name("baraza-bench"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("baraza-bench runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let doc = serde_json::from_str(&std::fs::read_to_string(&out).expect("bench.json"))
        .expect("valid JSON");
    (String::from_utf8_lossy(&run.stdout).into_owned(), doc)
}

#[test]
fn the_quick_benchmark_runs_and_writes_one_object_per_figure() {
    let (table, doc) = bench(&["--quick"]);
    assert!(table.contains("ingest: F1 households over HTTP"), "{table}");
    assert_eq!(doc["mode"], "quick");
    let figures = doc["figures"].as_array().expect("figures");
    assert!(figures.len() >= 6);
    for f in figures {
        for key in ["name", "unit", "target", "note"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        assert!(f["value"].is_number() || f["value"].is_null());
        assert!(f["pass"].is_boolean() || f["pass"].is_null());
        if f["value"].is_null() {
            assert!(
                f["pass"].is_null(),
                "an unmeasured figure cannot pass or fail: {f}"
            );
        }
    }
    let ingest = &figures[0];
    assert!(
        ingest["baseline"].as_f64().is_some_and(|b| b > 0.0),
        "the baseline is measured in the same run"
    );
    assert!(ingest["ratio"].as_f64().is_some_and(|r| r > 0.0));
    // Ingest and the projector on both backends (./dev installs PostgreSQL).
    let figure = |start: &str| {
        figures
            .iter()
            .find(|f| f["name"].as_str().is_some_and(|n| n.starts_with(start)))
            .unwrap_or_else(|| panic!("no figure {start}…"))
    };
    for start in [
        "ingest on PostgreSQL: F1 households over HTTP",
        "raw export on PostgreSQL: responses per second",
    ] {
        let f = figure(start);
        assert!(f["baseline"].as_f64().is_some_and(|b| b > 0.0), "{f}");
    }
    for start in [
        "aggregates: the projector folds",
        "aggregates on PostgreSQL: the projector folds",
    ] {
        let f = figure(start);
        assert!(f["value"].as_f64().is_some_and(|v| v > 0.0), "{f}");
    }
    // A cheap phone's figures (issue 15), each against the same typing unthrottled in the
    // same run (./dev installs Chromium).
    for start in [
        "phone (CPU ×4, 360 px): open F1",
        "phone: screen updated after an answer (p95)",
        "phone: add a roster row, 10 rows present",
        "phone: add a roster row, 100 rows present",
    ] {
        let f = figure(start);
        assert!(f["value"].as_f64().is_some_and(|v| v > 0.0), "{f}");
        assert!(f["baseline"].as_f64().is_some_and(|b| b > 0.0), "{f}");
        assert!(f["pass"].is_boolean(), "{f}");
    }
}

#[test]
fn the_ingest_only_benchmark_measures_the_push_path_and_nothing_else() {
    let (_, doc) = bench(&["--quick", "--ingest"]);
    assert_eq!(doc["mode"], "quick, ingest only");
    let names: Vec<&str> = doc["figures"]
        .as_array()
        .expect("figures")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default())
        .collect();
    assert!(
        names.iter().any(|n| n.starts_with("ingest: F1 households")),
        "{names:?}"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("aggregates: the projector")),
        "{names:?}"
    );
    assert!(
        names.iter().all(|n| !n.contains("PostgreSQL")
            && !n.starts_with("report")
            && !n.starts_with("raw export")),
        "{names:?}"
    );
}

#[test]
fn the_ingest_only_benchmark_on_postgres_measures_the_push_path_there_and_nothing_else() {
    let (_, doc) = bench(&["--quick", "--ingest", "--postgres"]);
    assert_eq!(doc["mode"], "quick, ingest only, on PostgreSQL");
    let figures = doc["figures"].as_array().expect("figures");
    let names: Vec<&str> = figures
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default())
        .collect();
    for wanted in [
        "ingest on PostgreSQL: F1 households",
        "memory: peak server RSS during ingest on PostgreSQL",
        "aggregates on PostgreSQL: the projector",
    ] {
        assert!(
            figures.iter().any(
                |f| f["name"].as_str().is_some_and(|n| n.starts_with(wanted))
                    && f["value"].as_f64().is_some_and(|v| v > 0.0)
            ),
            "{wanted} measured: {names:?}"
        );
    }
    assert!(
        names.iter().all(|n| n.contains("on PostgreSQL")),
        "nothing on SQLite: {names:?}"
    );
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("report") && !n.starts_with("raw export")),
        "{names:?}"
    );
}
