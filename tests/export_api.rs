//! The raw export over real HTTP: a zip of CSV files per form level with join keys, columns
//! by role, supervisors limited to their settlements, planners and enumerators refused.

use std::io::Read;

use serde_json::{Value, json};

use crate::reports_api::{household, push, push_households, push_item};
use crate::support::Server;

/// The files of a zip, by name.
pub(crate) fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("an entry");
            let mut text = String::new();
            f.read_to_string(&mut text).expect("utf-8 CSV");
            (f.name().expect("a file name").to_string(), text)
        })
        .collect()
}

fn export(s: &Server, token: &str, path: &str) -> reqwest::blocking::Response {
    s.http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .expect("export")
}

fn column<'a>(csv: &'a str, name: &str) -> Vec<&'a str> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let i = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    lines.map(|l| l.split(',').nth(i).unwrap_or("")).collect()
}

#[test]
fn a_raw_export_is_a_zip_of_csv_files_joined_by_response_and_row() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 3);

    let res = export(&s, &admin, "/exports/baraza_f1_household.zip");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    let files = unzip(&res.bytes().expect("body"));
    let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "baraza_f1_household.csv",
            "baraza_f1_household-member.csv",
            "baraza_f1_household-svc.csv"
        ]
    );
    let (main, members, services) = (&files[0].1, &files[1].1, &files[2].1);
    assert_eq!(main.lines().count(), 4, "a header and three households");
    assert!(
        main.starts_with("_response_id,_rev,_form_version,_settlement,_review_state,_received_at,")
    );
    assert_eq!(column(main, "_response_id"), ["h-0", "h-1", "h-2"]);
    assert_eq!(column(main, "hh_id"), ["S03-0000", "S03-0001", "S03-0002"]);
    assert_eq!(
        column(main, "assets")[0],
        "mobile_phone radio",
        "select_multiple as space-separated codes"
    );
    assert_eq!(
        column(main, "concern_rank")[0],
        "lack_of_choice affordability accessibility exploitation tenure_security employment"
    );
    assert_eq!(
        column(main, "gps")[0],
        "-1.2921 36.8219 0 8.5",
        "admins get the location"
    );
    assert!(
        !members.lines().next().unwrap_or("").contains("m_label"),
        "first names are never exported"
    );
    assert_eq!(members.lines().count(), 1 + 3 * 3, "three members each");
    assert_eq!(column(members, "_index")[..3], ["1", "2", "3"]);
    assert_eq!(column(members, "_response_id")[3], "h-1");
    assert_eq!(services.lines().count(), 1 + 3 * 6);
    assert_eq!(column(services, "sv_code")[..2], ["water", "sanitation"]);

    // Supervisors: their settlements, no coordinates or names.
    let (id, supervisor) = s.user(&admin, "sup", "supervisor");
    let res = export(&s, &supervisor, "/exports/baraza_f1_household.zip");
    let files = unzip(&res.bytes().expect("body"));
    assert_eq!(
        files[0].1.lines().count(),
        1,
        "no settlement assigned yet: nothing"
    );
    let res = s
        .http
        .put(s.url(&format!("/users/{id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s03"]}))
        .send()
        .expect("assign");
    assert!(res.status().is_success());
    let files = unzip(
        &export(&s, &supervisor, "/exports/baraza_f1_household.zip")
            .bytes()
            .expect("body"),
    );
    assert_eq!(files[0].1.lines().count(), 4);
    let header = files[0].1.lines().next().unwrap_or("");
    assert!(!header.split(',').any(|h| h == "gps"), "{header}");
    let files = unzip(
        &export(
            &s,
            &supervisor,
            "/exports/baraza_f1_household.zip?settlement=s04",
        )
        .bytes()
        .expect("body"),
    );
    assert_eq!(
        files[0].1.lines().count(),
        1,
        "filtered to another settlement"
    );

    // Who may not, and what does not exist.
    let (_, planner) = s.user(&admin, "plan", "planner");
    assert_eq!(
        export(&s, &planner, "/exports/baraza_f1_household.zip").status(),
        403
    );
    assert_eq!(
        export(&s, &token, "/exports/baraza_f1_household.zip").status(),
        401
    );
    assert_eq!(
        export(&s, &admin, "/exports/no_such_form.zip").status(),
        404
    );
    assert_eq!(
        export(&s, &admin, "/exports/baraza_f1_household.tar").status(),
        404
    );
    let log: Value = s
        .http
        .get(s.url("/audit"))
        .bearer_auth(&admin)
        .send()
        .expect("audit")
        .json()
        .expect("json");
    let exports = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "export.raw")
        .count();
    assert_eq!(exports, 4, "every export is audited: {log}");
}

#[test]
fn text_a_spreadsheet_would_run_as_a_formula_is_exported_after_an_apostrophe() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    let answers = [
        ("=1+2", "@SUM(A1)"),
        ("+41 room", "-5 litres"),
        ("plain words", "2 = two"),
    ];
    let items = answers
        .iter()
        .enumerate()
        .map(|(i, (objective, why))| {
            let a = crate::builtin_forms::with(
                &household(i),
                &[
                    ("/hh_objective", json!(objective)),
                    ("/concern_top_why", json!(why)),
                ],
            );
            push_item(i as u64 + 1, &format!("h-{i}"), None, &a)
        })
        .collect();
    let pushed = push(&s, &device_id, &token, items);
    assert!(
        pushed["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["status"] == "stored"),
        "{pushed}"
    );

    let files = unzip(
        &export(&s, &admin, "/exports/baraza_f1_household.zip")
            .bytes()
            .expect("body"),
    );
    let main = &files[0].1;
    assert_eq!(
        column(main, "hh_objective"),
        ["'=1+2", "'+41 room", "plain words"]
    );
    assert_eq!(
        column(main, "concern_top_why"),
        ["'@SUM(A1)", "'-5 litres", "2 = two"]
    );
    assert_eq!(
        column(main, "w_time_min")[..1],
        ["45"],
        "numbers are written as they are"
    );
}
