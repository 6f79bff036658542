//! The web client in a real headless Chromium (Debian's, driven by playwright-core) against a
//! real server process: the enumerator flow of issue #4, offline in the middle, against the
//! release binary alone over HTTPS (issues 22 and 23). The driver is
//! `tests/browser/enumerator_flow.mjs`; `./dev test` installs Chromium and the npm package.

use std::process::Command;

use baraza_schema::validate;
use serde_json::{Value, json};

use crate::builtin_forms::{f1_household, form, with};
use crate::support::{ADMIN_PASSWORD, TempDir, baraza_bin, repo, shared};

/// The example household grown to five members (two more children of the head), with the
/// amounts that typing once corrupted (2500 became 2.05, 15000 became 1.05000) and a decimal
/// that the driver types with a French comma.
fn five_person_household() -> Value {
    let base = f1_household();
    let child = |label: &str, age: u32, sex: &str| json!({"m_label": label, "m_age": age, "m_rel": "child", "m_sex": sex});
    let mut members = base["member"].as_array().cloned().unwrap_or_default();
    members.push(child("D", 7, "male"));
    members.push(child("E", 1, "female"));
    with(
        &base,
        &[
            ("/hh_size", json!(5)),
            ("/member", Value::Array(members)),
            ("/exp_month", json!(2500)),
            ("/inc_month", json!(15000)),
            ("/rent_month", json!(1_000_000)),
            ("/women_time", json!(2.5)),
        ],
    )
}

/// Every number in `want` (by JSON pointer), with what `got` holds at the same place.
fn numbers(want: &Value, got: &Value, at: String, out: &mut Vec<(String, Value, Value)>) {
    match want {
        Value::Number(_) => out.push((at.clone(), want.clone(), got.clone())),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, v)| numbers(v, &got[k], format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| numbers(v, &got[i], format!("{at}/{i}"), out)),
        _ => {}
    }
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
    // As deployed: the release binary alone in an empty folder (the web apps inside it),
    // over HTTPS with a certificate made here.
    let (lone, bin) = crate::deploy::lone_binary();
    let (cert, key, _) = crate::deploy::certificate(&dir.0);
    let result = run_driver(
        "enumerator_flow.mjs",
        &[
            ("BARAZA_BIN", bin.as_os_str()),
            ("BIN_DIR", lone.0.as_os_str()),
            ("TLS_CERT", cert.as_os_str()),
            ("TLS_KEY", key.as_os_str()),
            ("NODE_EXTRA_CA_CERTS", cert.as_os_str()),
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("ANSWERS", answers_file.as_os_str()),
            ("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD.as_ref()),
        ],
    );
    assert_eq!(
        result["served"],
        json!({"protocol": "https:", "secure": true}),
        "the app ran over HTTPS, in a secure context (its service worker needs one)"
    );
    assert_eq!(
        result["consoleTitle"], "Baraza · console",
        "on a phone the app's service worker controls, /console/ is still the console"
    );
    let build = crate::deploy::client_build();
    assert!(
        result["build"]
            .as_str()
            .is_some_and(|b| b.ends_with(&build)),
        "the Home screen names the build the binary embeds ({build}): {}",
        result["build"]
    );
    assert_eq!(result["rows"], 5, "one roster row per household member");
    // Numbers: the server holds exactly what was typed, key by key (2500 as 2500, not 2500.0;
    // "034" as 34; "2,5" in French as 2.5).
    let mut typed = Vec::new();
    numbers(&answers, &result["payload"], String::new(), &mut typed);
    assert!(typed.len() >= 20, "{typed:?}");
    for (at, want, got) in &typed {
        assert_eq!(want, got, "{at}: typed {want}, the server holds {got}");
    }
    assert_eq!(
        result["payload"]["concern_rank"], answers["concern_rank"],
        "the ranking, tapped in with two items swapped and put right by a finger dragging one, reaches the server in that order"
    );
    // Metadata: filled by the device, not typed.
    let payload = &result["payload"];
    let start = payload["start"]
        .as_str()
        .and_then(baraza_schema::validate::moment);
    let end = payload["end"]
        .as_str()
        .and_then(baraza_schema::validate::moment);
    assert!(
        start.zip(end).is_some_and(|(s, e)| s <= e),
        "start and end are moments, in order: {payload}"
    );
    assert_eq!(
        payload["enumerator_id"], "amina",
        "the enumerator comes from enrollment"
    );
    assert!(payload["deviceid"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(payload["today"].as_str().is_some_and(|d| d.len() == 10));
    // Label references: the screen shows what the shared engine renders, in every language.
    let f1 = form("f1_household");
    let note = f1.field("wtp_note").expect("wtp_note");
    for lang in &f1.languages {
        let expected = baraza_schema::render(&f1, payload, "wtp_note", &note.label[lang], today);
        assert_eq!(result["wtpNote"][lang], expected.as_str(), "{lang}");
        assert!(
            expected.contains("180") && !expected.contains("${"),
            "{expected}"
        );
    }
    let refusals = result["scenarios"]["refusals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let expected = [
        ("abc", "digits only"),
        ("3o", "digits only"),
        ("2,5", "with a point"),
        ("1e5", "digits only"),
    ];
    assert_eq!(refusals.len(), expected.len(), "{refusals:?}");
    for (r, (typed, says)) in refusals.iter().zip(expected) {
        assert_eq!(r["typed"], typed, "{r}");
        assert_eq!(r["shown"], typed, "the box keeps what was typed: {r}");
        assert!(
            r["message"].as_str().is_some_and(|m| m.contains(says)),
            "{typed:?} is refused with a reason: {r}"
        );
    }
    let roster = &result["scenarios"]["roster"];
    assert_eq!(roster["wholeRefusal"]["shown"], "2.5", "{roster}");
    assert!(
        roster["wholeRefusal"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("whole number")),
        "{roster}"
    );
    assert_eq!(
        roster["rowsAfterLowering"], 6,
        "an empty surplus row goes by itself: {roster}"
    );
    assert_eq!(
        roster["answeredRowKept"], 6,
        "an answered row is never dropped by the engine: {roster}"
    );
    assert!(
        roster["rowsMessage"]
            .as_str()
            .is_some_and(|m| m.contains("5 row(s) expected, 6 entered")),
        "{roster}"
    );
    assert_eq!(
        roster["rowsAfterCancel"], 6,
        "cancel keeps the row: {roster}"
    );
    assert_eq!(roster["rowsAfterConfirm"], 5, "{roster}");
    assert_eq!(
        roster["dialogs"],
        json!([
            "Remove this row and its answers?",
            "Remove this row and its answers?"
        ])
    );
    assert!(
        roster["summaryEntry"]
            .as_str()
            .is_some_and(|e| e
                .starts_with("Household member 2: Age in completed years\nAn answer is required")),
        "the summary speaks in the form's words: {roster}"
    );
    assert_eq!(
        roster["focusedAfterJump"], "f-member[2]/m_age",
        "the summary entry lands on the control of the right row"
    );
    let comma = &result["scenarios"]["comma"];
    assert_eq!(comma["shown"], "2,5", "{comma}");
    assert_eq!(
        comma["messages"], 0,
        "French reads a decimal comma: {comma}"
    );
    assert_eq!(result["progress"], "1", "the progress bar starts at page 1");
    // Words, never program text.
    assert_eq!(result["rawErrors"], json!([]), "{}", result["rawErrors"]);
    assert_eq!(result["wrongPassword"], "Wrong username or password.");
    assert_eq!(
        result["enrollFrench"], "Inscrire cet appareil",
        "the enrollment page in the language chosen there"
    );
    assert_eq!(
        result["wrongCode"],
        "That code is wrong, already used or expired. Ask your supervisor for a new one."
    );
    assert_eq!(
        result["codeEnrolledAs"], "amina",
        "a second phone enrolled with a one-time code typed as read out"
    );
    assert_eq!(result["codeReused"], 401, "the code was used up");
    assert!(
        result["offlineSentence"]
            .as_str()
            .is_some_and(|s| s.starts_with("You are offline.")),
        "{}",
        result["offlineSentence"]
    );
    assert!(
        !result["lastSent"]
            .as_str()
            .unwrap_or("never")
            .contains("never"),
        "{}",
        result["lastSent"]
    );
    assert_eq!(
        result["sentBackNote"],
        "Sent back for correction: Please check the water source with the household.",
        "a supervisor's review reaches the phone with its comment"
    );
    // Ranking says how far it is, and stops saying "not ranked yet" once all are ranked.
    assert_eq!(
        result["scenarios"]["rankBefore"],
        "0 / 6 ranked · Not ranked yet:"
    );
    assert_eq!(result["rankAfter"], "6 / 6 ranked");
    // Finalizing moves the draft to the outbox: no draft is left behind, then or later.
    assert_eq!(result["draftsAfterFinalize"], 0);
    assert_eq!(result["draftsAfterSync"], 0);
    // Records are named by the form's instance_name once it has something to show.
    assert_eq!(result["recordName"], "S03-0042 · s03");
    assert_eq!(result["draftName"], "F1 Household survey");
    // Drafts: deleted only after a confirmation.
    assert_eq!(result["draftsAfterCancel"], 1);
    assert_eq!(result["draftsAfterDelete"], 0);
    assert_eq!(result["draftDialogs"].as_array().map(Vec::len), Some(2));
    // Accessibility: no serious or critical axe-core violation on any screen.
    for (screen, found) in result["axe"].as_object().cloned().unwrap_or_default() {
        assert_eq!(found, json!([]), "axe-core on {screen}: {found}");
    }
    assert_eq!(
        result["scenarios"]["roster"]["axeSummary"],
        json!([]),
        "axe-core on the summary"
    );
    assert_eq!(
        result["axe"].as_object().map(|m| m.len()),
        Some(8),
        "axe ran on enroll, home, a form page, records, this phone's figures, enrollment by code, signing in again and the password page"
    );
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
    assert!(
        figures["nothingShown"]
            .as_str()
            .is_some_and(|t| t.contains("at least 25 households")),
        "the page says why nothing is shown: {figures}"
    );
    assert_eq!(
        figures["needed"], 24,
        "and how many interviews are still needed"
    );
    assert_eq!(
        figures["bySettlement"].as_array().map(Vec::len),
        Some(1),
        "what may be shown: the interviews by settlement: {figures}"
    );
    assert_eq!(figures["byDay"], 1, "and by day");
    assert_eq!(
        figures["reportsFolded"], true,
        "the hidden reports are folded away"
    );
    // A restore from a backup older than both phones: the first signs in again, keeps its id,
    // and its interview is on the server once more, exactly once; nothing else was asked.
    let rejoin = &result["rejoin"];
    let phones = texts(&rejoin["phones"]);
    assert_eq!(
        phones.len(),
        2,
        "two phones enrolled before the restore: {rejoin}"
    );
    assert!(
        rejoin["unknownSentence"]
            .as_str()
            .is_some_and(|t| t.contains("no longer knows this phone")),
        "the phone says why it cannot send: {rejoin}"
    );
    assert_eq!(rejoin["rejoinIntro"], rejoin["unknownSentence"], "{rejoin}");
    // The enumerator's password, reset by an admin meanwhile: a sentence says a new one comes
    // first, and the password page takes it (a mismatch refused first); only the new one
    // signs in afterwards.
    assert!(
        rejoin["mustChange"]
            .as_str()
            .is_some_and(|t| t.contains("choose a new one first")),
        "{rejoin}"
    );
    let account = &rejoin["account"];
    assert_eq!(
        account["usernameShown"], "amina",
        "the page knows whose phone it is: {account}"
    );
    assert!(
        account["mismatch"]
            .as_str()
            .is_some_and(|t| t.contains("differ")),
        "{account}"
    );
    assert!(
        account["done"]
            .as_str()
            .is_some_and(|t| t.contains("is changed")),
        "{account}"
    );
    assert_eq!(
        account["logins"],
        json!({"temporary": 401, "old": 401, "new": 200}),
        "{account}"
    );
    assert_eq!(rejoin["exported"]["device_id"], phones[0], "{rejoin}");
    assert_eq!(rejoin["exported"]["username"], "amina", "{rejoin}");
    assert_eq!(
        texts(&rejoin["exported"]["items"]),
        [held[0]["response_id"].as_str().unwrap_or_default()],
        "the export holds the acknowledged interview no backup covers: {rejoin}"
    );
    assert_eq!(
        texts(&rejoin["restored"]),
        [held[0]["response_id"].as_str().unwrap_or_default()],
        "the restored server has the interview again, once: {rejoin}"
    );
    assert_eq!(
        texts(&rejoin["devicesAfter"]),
        [phones[0]],
        "the phone kept its id; the one that did not sign in again is unknown: {rejoin}"
    );
    assert_eq!(
        (&rejoin["waiting"], &rejoin["sent"]),
        (&json!(0), &json!(1)),
        "{rejoin}"
    );
    // A quarantined interview released by a supervisor is settled on the phone too.
    let released = &result["released"];
    assert!(
        released["note"]
            .as_str()
            .is_some_and(|n| n == "Held by the server for a supervisor"),
        "the phone said it was kept in quarantine, in words, no code: {released}"
    );
    assert_eq!(
        (&released["attention"], &released["sent"]),
        (&json!(0), &json!(1)),
        "released, it leaves 'Needs attention': {released}"
    );
    for screen in [
        "01-enroll",
        "02-home",
        "03-form-first-page",
        "03-form-first-page-1280",
        "04a-summary-midway",
        "04-summary",
        "04-summary-1280",
        "05-records-waiting",
        "06-records-sent",
        "08-figures",
        "10-sign-in-again",
        "10b-rejoin",
        "11-password-changed",
        "11-password-changed-1280",
        "12-released",
    ] {
        assert!(
            artifacts.join(format!("{screen}.png")).is_file(),
            "screenshot {screen} is kept"
        );
    }
}

/// A JSON array of strings, as strings.
fn texts(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
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
    assert_eq!(
        r["passwordsDiffer"], "The two new passwords differ; type the same one twice.",
        "after an admin's reset, the planner chooses a new password first: {r}"
    );
    assert_eq!(r["temporaryRefused"], 401, "the temporary password is gone");
    let axe = r["axe"].as_object().expect("axe results");
    assert_eq!(axe.len(), 7, "axe ran on every screen: {axe:?}");
    for (screen, found) in axe {
        assert_eq!(
            found,
            &json!([]),
            "no serious or critical axe-core violation on {screen}"
        );
    }
    assert_eq!(
        r["ownChange"],
        json!([401, 200]),
        "a planner changed their own password from the header"
    );
    let rho: f64 = r["alignment"]
        .as_str()
        .and_then(|a| a.trim_matches(['(', ')']).parse().ok())
        .unwrap_or_else(|| panic!("R16's first screen shows the alignment: {r}"));
    assert!((-1.0..=1.0).contains(&rho), "{rho}");
    assert_eq!(r["r1Rows"], 6, "one row per concern city-wide: {r}");
    let scores: Vec<f64> = r["r1Scores"]
        .as_array()
        .expect("scores")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    assert!(
        scores.len() == 6 && scores.windows(2).all(|w| w[0] >= w[1]),
        "R1 ranked by its Borda score: {scores:?}"
    );
    let items = texts(&r["r1Items"]);
    assert!(
        items.contains(&"Affordability") && items.iter().all(|i| !i.contains('_')),
        "concerns in words: {items:?}"
    );
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
    assert_eq!(
        r["sheetHeading"], "Settlement 12",
        "the sheet names its settlement"
    );
    let text = r["sheetText"].as_str().unwrap_or("");
    for words in [
        "What matters most",
        "Affordability",
        "At least basic water",
        "Here",
        "City",
        "Source:",
    ] {
        assert!(text.contains(words), "the sheet says {words:?}: {text}");
    }
    let pages: Vec<u64> = r["sheetPages"]
        .as_array()
        .expect("pages")
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    assert!(
        pages.len() == 2 && pages.iter().all(|p| (1..=2).contains(p)),
        "the sheet prints on one or two pages of A4 and of Letter: {pages:?}"
    );
    assert_eq!(
        r["settlementOptionsForA"], r["typeASettlements"],
        "a settlement type narrows the settlement list: {r}"
    );
    assert_eq!(
        r["settlementLetGo"], "",
        "s12 is no type A settlement: it is let go"
    );
    let quarters: Vec<&str> = r["quarterOptions"]
        .as_array()
        .expect("quarter options")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        quarters.len() >= 2
            && quarters[0] == "Whole fieldwork"
            && quarters[1..]
                .iter()
                .all(|q| q.len() == 7 && q.contains("-Q")),
        "the quarter filter offers the whole fieldwork and the quarters with interviews: {quarters:?}"
    );
    assert!(
        r["quarterRows"].as_u64().unwrap_or(0) > 0 && r["quarterError"] == "",
        "a quarter's table has rows: {r}"
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
        r["r4ServiceOptions"],
        json!([
            "Drainage",
            "Electricity",
            "Sanitation",
            "Solid waste",
            "Transport",
            "Water"
        ])
    );
    assert_eq!(
        r["r4TableServices"],
        json!(["Sanitation"]),
        "the service chosen applies to the table as to the chart"
    );
    assert_eq!(r["printHidesNav"], true);
    assert_eq!(r["printKeepsTable"], true);
    assert!(
        r["r8ShowAll"]
            .as_str()
            .unwrap_or("")
            .starts_with("Show all ("),
        "R8 charts its highest twelve first: {r}"
    );
    assert!(
        r["r8ChartedAll"].as_u64() > r["r8Charted"].as_u64(),
        "then all of them"
    );
    assert_eq!(
        r["actorsMatrix"]["rows"], 20,
        "R15's settlements × provider groups as a matrix: {r}"
    );
    assert!(
        texts(&r["actorsMatrix"]["columns"]).contains(&"Informal provider"),
        "its columns are provider groups in words: {r}"
    );
    assert!(
        r["turnbull"].as_f64().unwrap_or(0.0) > 0.0,
        "R18 shows the Turnbull lower bound: {r}"
    );
    let french = texts(&r["frenchItems"]);
    assert!(
        french
            .iter()
            .any(|i| i.contains("Coût") || i.contains("Accessibilité")),
        "the concerns in French: {french:?}"
    );
    assert!(
        r["frenchHeader"]
            .as_str()
            .unwrap_or("")
            .contains("Score de Borda"),
        "the table's headings in French: {r}"
    );
    assert_eq!(
        r["menuFolded"], true,
        "on a phone the report list is a folded menu"
    );
    assert_eq!(
        r["phoneTableScrolls"], true,
        "a wide table scrolls inside its frame"
    );
    assert_eq!(
        r["phonePageWidth"], 360,
        "nothing is wider than the phone's screen"
    );
    for shot in [
        "dashboard-00-new-password",
        "dashboard-00-new-password-360",
        "dashboard-01-r16-alignment",
        "dashboard-02-r1-city",
        "dashboard-03-r1-s12",
        "dashboard-03b-s12-sheet",
        "dashboard-04-r1-s12-disability-collapsed",
        "dashboard-05-r4-sanitation-by-settlement",
        "dashboard-06-r4-print",
        "dashboard-07-r8-top",
        "dashboard-08-r15-actors",
        "dashboard-09-r18-wtp",
        "dashboard-10-r9-french-360",
    ] {
        assert!(
            artifacts.join(format!("{shot}.png")).is_file(),
            "screenshot {shot} is kept"
        );
    }
}

#[test]
fn a_supervisor_and_an_admin_run_fieldwork_in_the_console() {
    assert!(
        repo().join("target/client/console/index.html").is_file(),
        "the console is missing: `./dev test` builds it before the tests"
    );
    let dir = TempDir::new("console");
    let artifacts = repo().join("target/console-artifacts");
    let _ = std::fs::remove_dir_all(&artifacts);
    let bad = shared().join("xlsforms/pyxform_calculate_without_calculation.xls");
    let good = shared().join("xlsforms/pyxform_tutorial.xls");
    let files_form: Vec<String> = [
        ("listed.xlsx", crate::form_files::workbook("1")),
        (
            "households.csv",
            crate::form_files::HOUSEHOLDS.as_bytes().to_vec(),
        ),
        ("wards.xml", crate::form_files::WARDS.as_bytes().to_vec()),
    ]
    .iter()
    .map(|(name, bytes)| {
        let path = dir.0.join(name);
        std::fs::write(&path, bytes).expect("write a form file");
        path.to_string_lossy().into_owned()
    })
    .collect();
    let files_form = files_form.join(",");
    let r = run_driver(
        "console.mjs",
        &[
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("BARAZA_DEMO_PASSWORD", "demo-password-1".as_ref()),
            ("BAD_WORKBOOK", bad.as_os_str()),
            ("GOOD_WORKBOOK", good.as_os_str()),
            ("FILES_FORM", files_form.as_ref()),
        ],
    );
    println!("{r:#}");
    assert_eq!(r["pageErrors"], json!([]), "no program error in the page");
    assert_eq!(r["rawErrors"], json!([]), "no raw program error on screen");
    for (screen, violations) in r["axe"].as_object().expect("axe results") {
        assert_eq!(
            violations,
            &json!([]),
            "axe-core: serious or critical on {screen}"
        );
    }
    assert!(
        r["plannerRefused"]
            .as_str()
            .is_some_and(|s| s.contains("Planners read the reports in the dashboard")),
        "{r}"
    );
    assert_eq!(r["adminSettlements"], 20, "the admin sees every settlement");
    assert_eq!(r["supervisorSettlements"], json!(["s01"]));
    assert_eq!(
        (&r["oldPlannerPassword"], &r["temporaryPlannerPassword"]),
        (&json!(401), &json!(200)),
        "after a reset the old password stops working"
    );
    assert_eq!(
        r["disabledSession"],
        json!([200, 401]),
        "disabling ends the user's session at once"
    );
    assert_eq!(r["codeShown"], true, "the code is shown as text: {r}");
    assert_eq!(r["qrShown"], true, "and as a QR code");
    assert_eq!(r["odkQrShown"], true, "ODK Collect's settings as a QR code");
    assert_eq!(
        r["filesFormPublished"], true,
        "a workbook and its choice files chosen together publish: {r}"
    );
    assert_eq!(
        r["sortedPages"], r["sortedExpected"],
        "sorted newest first across pages, as the API orders the whole list"
    );
    assert_eq!(
        r["answerColumn"], r["answerColumnExpected"],
        "a question chosen as a column shows each interview's answer"
    );
    assert_eq!(
        r["sortedPages"][1].as_array().map(Vec::len),
        Some(50),
        "a full second page"
    );
    assert_eq!(
        r["fieldworkShown"],
        format!(
            "First day: {} · Last day: —",
            r["firstDay"].as_str().expect("the day typed")
        ),
        "the fieldwork dates typed are saved and shown"
    );
    assert!(r["outsideExpected"].as_u64() > Some(0));
    assert_eq!(
        r["outsideFlags"], r["outsideExpected"],
        "every interview of the day before the fieldwork is flagged, no other"
    );
    assert_eq!(
        r["odkFormList"],
        json!([200, 4]),
        "the ODK Collect URL lists the four forms to an OpenRosa client"
    );
    assert_eq!(
        r["enrollmentLink"], true,
        "the QR code's address is shown: {r}"
    );
    assert_eq!(
        r["codeFilled"], true,
        "the app opened from the QR code has the code filled in"
    );
    assert_eq!(
        r["enrolledWithCode"], "amina",
        "the phone opened from the QR code enrolled"
    );
    assert_eq!(
        r["aminaDevicesRevoked"],
        json!([true]),
        "the admin revoked that phone"
    );
    let diagnostics = r["diagnostics"].as_array().expect("diagnostics");
    assert!(
        diagnostics.iter().any(|d| d[0] == "error"
            && d[1] == "survey"
            && d[2] == "34"
            && d[4].as_str().is_some_and(|m| m.contains("calculation"))),
        "the workbook's error is located by sheet and row: {diagnostics:?}"
    );
    assert!(
        r["badFrame"]
            .as_str()
            .is_some_and(|s| s.contains("Nothing was imported") && s.contains("row 3")),
        "a wrong frame row is located: {r}"
    );
    assert_eq!(r["backupFiles"], 1, "the backup is listed");
    assert!(
        r["lastBackup"]
            .as_str()
            .is_some_and(|s| s.ends_with("· admin")),
        "{r}"
    );
    assert_eq!(
        r["previewTitle"], "Preview: form",
        "a good workbook (titled by its file, as pyxform does) is previewed in the form screen"
    );
    assert_eq!(r["previewPublished"], false, "a preview publishes nothing");
    let actions = r["auditActions"].as_array().expect("audit");
    for action in [
        "User created",
        "Password reset",
        "User disabled",
        "Settlements assigned",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in words in {actions:?}"
        );
    }
    assert_eq!(r["conflictPushed"], json!(["stored", "conflict"]));
    assert_eq!(r["brokenPushed"], json!(["quarantined", "quarantined"]));
    assert_eq!(
        r["supervisorProgress"].as_array().map(Vec::len),
        Some(1),
        "the supervisor's progress counts s01 only: {r}"
    );
    assert_eq!(r["supervisorTableSettlements"], json!(["s01"]));
    assert_eq!(
        r["columnsWithoutForm"],
        json!([
            "Submission",
            "Settlement",
            "Enumerator",
            "Review state",
            "Last changed"
        ]),
        "a column can be hidden"
    );
    assert_eq!(r["columnsAll"], 6, "and shown again");
    assert_eq!(
        r["otherSettlementRows"], 0,
        "another settlement's interviews are not found"
    );
    let labels = r["interviewLabels"].as_array().expect("labels");
    assert!(
        labels.iter().any(|l| l == "Household ID from the listing"),
        "the interview reads with the form's labels: {labels:?}"
    );
    assert!(
        !labels.iter().any(|l| l == "deviceid" || l == "start"),
        "metadata is shown apart, in words: {labels:?}"
    );
    assert_eq!(r["reviewed"], json!(["approved", "rejected"]));
    assert!(
        r["rejectWithoutComment"]
            .as_str()
            .is_some_and(|s| s.contains("comment")),
        "a rejection asks for a comment first"
    );
    assert!(
        r["rejectedEvent"]
            .as_str()
            .is_some_and(|s| s.contains("Household not in the listing")),
        "{r}"
    );
    let rows = r["conflictRows"].as_array().expect("conflict rows");
    assert_eq!(rows.len(), 2, "two answers differ: {rows:?}");
    // Rows: [question, kept now, other phone]; the household id was taken from the other.
    let row = |q: &str| {
        rows.iter()
            .find(|r| r[0].as_str().is_some_and(|l| l.starts_with(q)))
            .unwrap_or_else(|| panic!("{q} in {rows:?}"))
            .clone()
    };
    assert_eq!(
        r["resolved"],
        json!({"conflict": false, "hh_id": row("Household ID")[2], "resp_age": row("Age of the respondent")[1]}),
        "the other phone's household id, this side's age"
    );
    assert_eq!(
        r["liveMessage"], "Enter a value from 18 to 110.",
        "the console's editor checks as the phone does, while typing"
    );
    assert_eq!(
        (&r["formStates"], &r["formError"]),
        (&json!(["closed", "open"]), &json!("")),
        "an admin closes a form version and reopens it: {r}"
    );
    assert_eq!(
        r["phoneReceived"], 45,
        "the phone pulls the supervisor's correction"
    );
    // The form screen in the console speaks to a supervisor: its button saves, nothing is
    // said to be kept on a phone, and the dwelling's location is shown but cannot be taken
    // again from where the supervisor sits.
    let editor = &r["editor"];
    assert_eq!(editor["locate"], 0, "{editor}");
    assert!(
        editor["location"].as_str().is_some_and(|l| l.contains("±")),
        "the phone's reading is shown: {editor}"
    );
    assert_eq!(
        editor["kept"], "Nothing is kept in this browser.",
        "{editor}"
    );
    assert!(
        editor["summary"]
            .as_str()
            .is_some_and(|t| t.contains("passes the form's rules") && !t.contains("send")),
        "{editor}"
    );
    assert_eq!(
        r["historyDiff"].as_array().map(Vec::len),
        Some(1),
        "the merge differs from the winning phone's revision in one answer: {r}"
    );
    assert_eq!(r["supervisorQuarantineSettlements"], json!(["s01"]));
    assert_eq!(
        r["dismissed"], true,
        "a quarantined item was dismissed: {r}"
    );
    assert!(
        r["french"].as_str().is_some_and(|s| s.contains("Quartier")),
        "{r}"
    );
    assert_eq!(r["htmlLang"], "fr");
    // The flags' details in the console's language with the server's figures, not the
    // server's English sentences.
    let flags = r["swahiliFlags"].as_array().cloned().unwrap_or_default();
    assert!(!flags.is_empty(), "{r}");
    for f in flags.iter().filter_map(Value::as_str) {
        assert!(
            ["Dakika ", "kaya ", "% ya majibu", "ilifanyika "]
                .iter()
                .any(|w| f.contains(w))
                && ["minutes from", "household ", "of answers", "held on"]
                    .iter()
                    .all(|w| !f.contains(w)),
            "{f}"
        );
    }
    assert_eq!(r["ownPasswordChanged"], 200);
    for screen in [
        "02-progress",
        "08-submissions",
        "10-conflict",
        "12-submissions-fr",
    ] {
        for width in [360, 1280] {
            assert!(
                artifacts.join(format!("{screen}-{width}.png")).is_file(),
                "screenshot {screen} at {width} px is kept"
            );
        }
    }
}

#[test]
fn the_added_question_types_are_answered_with_the_keyboard_and_arrive_as_typed() {
    let dir = TempDir::new("more-types-browser");
    let workbook = dir.0.join("more_types.zip");
    // The types, and a calculation of the trigonometric and power functions the phone
    // computes with the browser's own Math (UCL's slope correction), shown in a note.
    let mut survey: Vec<Vec<&str>> = crate::xlsform_language::TYPES
        .iter()
        .map(|r| r.iter().copied().chain(["", "", ""]).collect())
        .collect();
    survey[0][5] = "calculation";
    survey[0][6] = "image";
    survey[0][7] = "audio";
    survey.push(vec![
        "calculate",
        "slope",
        "",
        "",
        "",
        "round(15 div sqrt(cos(atan(pow(2, 2) div 100))) + log10(1), 2)",
    ]);
    survey.push(vec![
        "note",
        "slope_note",
        "Slope factor: ${slope}",
        "",
        "",
        "",
    ]);
    // What only the device computes: when the interview began, and a draw.
    survey.push(vec!["calculate", "began", "", "", "", "once(now())"]);
    // A code read with the camera (BarcodeDetector's stand-in: Chromium on Linux has none).
    survey.push(vec!["barcode", "seal", "The seal's code", "", "", ""]);
    survey.push(vec!["calculate", "draw", "", "", "", "once(random())"]);
    survey.push(vec![
        "geotrace",
        "drain",
        "The drain's path (lat lon; lat lon)",
        "",
        "",
        "",
    ]);
    // A picture and a spoken question beside a note, and pictures beside choices: files the
    // form carries, which the phone keeps with the form and shows offline.
    survey.push(vec![
        "note",
        "point",
        "Which water point do you use?",
        "",
        "",
        "",
        "point.png",
        "ask.wav",
    ]);
    survey.push(vec!["select_one source", "source", "The water point"]);
    let survey: Vec<&[&str]> = survey.iter().map(Vec::as_slice).collect();
    let choices: &[&[&str]] = &[
        &["list_name", "name", "label", "image"],
        &["source", "tap", "A tap stand", "tap.png"],
        &["source", "well", "A well", "well.png"],
    ];
    let sheets = crate::support::xlsx(&[
        ("survey", &survey),
        ("choices", choices),
        ("settings", crate::xlsform_language::TYPES_SETTINGS),
    ]);
    // A blue sky over a grey pipe; a green tap stand; a brown well.
    let point = crate::support::png(240, 120, |x, y| match y {
        0..80 => [90, 150, 230],
        _ if x % 40 < 30 => [120, 120, 130],
        _ => [200, 200, 200],
    });
    let tap = crate::support::png(96, 96, |x, _| {
        if x % 32 < 12 {
            [30, 140, 60]
        } else {
            [220, 240, 220]
        }
    });
    let well = crate::support::png(96, 96, |_, y| {
        if y % 24 < 10 {
            [120, 80, 40]
        } else {
            [240, 225, 200]
        }
    });
    std::fs::write(
        &workbook,
        crate::support::zipped(&[
            ("more_types.xlsx", &sheets),
            ("point.png", &point),
            ("tap.png", &tap),
            ("well.png", &well),
            ("ask.wav", &crate::support::wav(1)),
        ]),
    )
    .expect("write the workbook");
    let artifacts = repo().join("target/browser-artifacts/more-types");
    let _ = std::fs::remove_dir_all(&artifacts);
    let result = run_driver(
        "more_types.mjs",
        &[
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("WORKBOOK", workbook.as_os_str()),
            ("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD.as_ref()),
        ],
    );
    assert_eq!(result["axe"], json!([]), "axe-core: {}", result["axe"]);
    assert_eq!(result["rawError"], Value::Null);
    // What the boxes show is what was typed, and what the server holds is the same.
    assert_eq!(
        result["shown"],
        json!({"formLanguageList": false, "arrived": "09:30", "cut": "2026-12-02T21:15", "consent": true, "slope": "Slope factor: 15.01", "seal": "SEAL-7731"}),
        "a form in one language offers no choice of language"
    );
    assert_eq!(result["seenAfterTwo"], false, "a second press unticks");
    assert_eq!(
        result["pictures"],
        json!([240, 96, 96]),
        "the note's picture and the two choices' are drawn offline, at their own size"
    );
    assert_eq!(
        result["sound"].as_f64(),
        Some(1.0),
        "the note's one-second sound plays offline: {}",
        result["sound"]
    );
    assert_eq!(result["held"], 1, "the interview arrived once");
    let payload = &result["payload"];
    for (key, want) in [
        ("arrived", json!("09:30")),
        ("cut", json!("2026-12-02T21:15")),
        ("meter", json!("KPLC-0042-17")),
        ("consent", json!("OK")),
        ("seen", json!("OK")),
        ("round", json!("2026-R2")),
        ("level", json!(40)),
        ("drain", json!("-1.2921 36.8219; -1.2925 36.8225")),
        ("seal", json!("SEAL-7731")),
        ("source", json!("well")),
    ] {
        assert_eq!(payload[key], want, "{key} in {payload}");
    }
    assert_eq!(
        payload.get("opened_at"),
        None,
        "the web client does not ask for the location unless a question does"
    );
    // The phone filled `once(now())` and `once(random())`, and the server holds its values.
    let began = payload["began"].as_str().unwrap_or_default();
    assert!(
        began.len() >= 20 && began.as_bytes()[10] == b'T',
        "{payload}"
    );
    let draw = payload["draw"].as_f64().unwrap_or(-1.0);
    assert!((0.0..1.0).contains(&draw), "{payload}");
}

#[test]
fn a_photo_chosen_or_taken_with_the_camera_is_shrunk_on_the_phone_and_follows_its_interview_to_the_server_even_finalized_offline()
 {
    let dir = TempDir::new("files-browser");
    let workbook = dir.0.join("meter_photo.zip");
    // In English and Swahili; the note's picture is one of each (its words are in the
    // picture), so the phone shows the one of the form's language.
    let sheets = crate::support::xlsx(&[
        (
            "survey",
            &[
                &[
                    "type",
                    "name",
                    "label::English (en)",
                    "label::Kiswahili (sw)",
                    "required",
                    "parameters",
                    "image::English (en)",
                    "image::Kiswahili (sw)",
                ],
                &["barcode", "meter", "Meter number", "Nambari ya mita"],
                &[
                    "image",
                    "photo",
                    "Photo of the meter",
                    "Picha ya mita",
                    "yes",
                    "max-pixels=320",
                ],
                &[
                    "note",
                    "where",
                    "Where the meter is",
                    "Mahali mita ilipo",
                    "",
                    "",
                    "where-en.png",
                    "where-sw.png",
                ],
            ],
        ),
        (
            "settings",
            &[
                &["form_id", "version", "form_title", "default_language"],
                &["meter_photo", "1", "Meter check", "English (en)"],
            ],
        ),
    ]);
    let (en, sw) = (
        crate::support::png(150, 90, |x, _| [200, 60, (x % 256) as u8]),
        crate::support::png(210, 90, |_, y| [40, 120, (y * 2 % 256) as u8]),
    );
    std::fs::write(
        &workbook,
        crate::support::zipped(&[
            ("meter_photo.xlsx", &sheets),
            ("where-en.png", &en),
            ("where-sw.png", &sw),
        ]),
    )
    .expect("write the workbook");
    let artifacts = repo().join("target/browser-artifacts/files");
    let _ = std::fs::remove_dir_all(&artifacts);
    let result = run_driver(
        "files.mjs",
        &[
            ("DATA_DIR", dir.0.join("data").as_os_str()),
            ("ARTIFACTS", artifacts.as_os_str()),
            ("WORKBOOK", workbook.as_os_str()),
            ("BARAZA_ADMIN_PASSWORD", ADMIN_PASSWORD.as_ref()),
        ],
    );
    assert_eq!(result["axe"], json!([]), "axe-core: {}", result["axe"]);
    assert_eq!(result["rawError"], Value::Null);
    assert_eq!(
        result["pictures"],
        json!([150, 210, 150]),
        "the note shows the picture of the form's language: English, Swahili, English again"
    );
    // The answer names the kept photo by its content; the screen shows that name.
    let photo = &result["payload"]["photo"];
    let name = photo["name"].as_str().unwrap_or_default();
    assert!(name.ends_with(".jpg") && name.len() == 20, "{photo}");
    assert_eq!(result["shownName"], name);
    assert_eq!(result["payload"]["meter"], "KPLC-0042-17");
    // It reached the server whole, shrunk on the phone to 320 px on its longer side.
    let file = &result["file"];
    assert_eq!(file["received"], true, "{file}");
    assert_eq!(file["content_type"], "image/jpeg");
    assert_eq!(file["sha256"], photo["sha256"]);
    assert_eq!(result["size"], json!([320, 213]), "1200 × 800 at 320 px");
    assert_eq!(result["downloaded"], photo["size"]);
    assert!(
        result["downloaded"].as_u64() < result["picked"].as_u64(),
        "{result}"
    );
    assert!(
        result["disposition"]
            .as_str()
            .unwrap_or_default()
            .starts_with("attachment;")
    );
    // A reviewer sees it in the console and downloads the same bytes.
    let desk = &result["console"];
    assert_eq!(desk["axe"], json!([]), "axe-core: {}", desk["axe"]);
    let listed = desk["listed"].as_str().unwrap_or_default();
    assert!(
        listed.starts_with(name) && listed.contains("image/jpeg"),
        "{listed}"
    );
    assert_eq!(desk["savedAs"], name);
    assert_eq!(desk["same"], true);
    assert_eq!(
        desk["editor"],
        json!({"shows": name, "choosers": 0}),
        "a correction keeps the photo and offers no chooser"
    );
    // The photo taken with the (fake) camera, the interview finalized offline: both reached
    // the server when the connection came back, the photo shrunk to 320 px.
    let camera = &result["camera"];
    assert_eq!(camera["axe"], json!([]), "axe-core: {}", camera["axe"]);
    assert_eq!(camera["waitingOffline"], 1, "{camera}");
    let taken = &camera["taken"];
    assert_eq!(taken["payload"]["meter"], "KPLC-0043-01", "{camera}");
    assert_eq!(taken["payload"]["photo"]["name"], camera["name"]);
    assert_eq!(taken["file"]["received"], true);
    assert_eq!(taken["file"]["content_type"], "image/jpeg");
    assert_eq!(taken["size"], json!([320, 240]), "640 × 480 at 320 px");
    // Exported while offline: a zip of the answers and the photo they name, which an admin
    // imports, and the server holds both before the phone has sent anything.
    let exported = &camera["exported"];
    let exported_name = exported["name"].as_str().unwrap_or_default();
    assert!(
        exported_name.starts_with("baraza-unsent-") && exported_name.ends_with(".zip"),
        "{exported}"
    );
    let photo_entry = format!(
        "files/{}",
        taken["file"]["sha256"].as_str().unwrap_or_default()
    );
    // (The first interview is in it too, with its photo: sent, but no backup holds it yet.)
    let entries = exported["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 3, "{exported}");
    assert_eq!(entries[0], "unsent.json", "{exported}");
    assert!(entries.contains(&json!(photo_entry)), "{exported}");
    assert_eq!(exported["status"], 200, "{exported}");
    assert_eq!(
        exported["results"],
        json!(["duplicate", "stored"]),
        "{exported}"
    );
    assert_eq!(exported["attachments"][0]["received"], true, "{exported}");
    assert_eq!(
        exported["attachments"][0]["sha256"], taken["file"]["sha256"],
        "{exported}"
    );
    // An SVG carrying a script, opened by a reviewer from its address: saved, never run.
    let script = &result["script"];
    assert_eq!(script["posted"], 201, "{script}");
    assert_eq!(script["savedAs"], "evil.svg", "{script}");
    assert_eq!(script["same"], true, "{script}");
    assert_eq!(script["ran"], false, "the script never ran: {script}");
    assert_ne!(script["title"], "ran", "{script}");
    assert!(
        script["disposition"]
            .as_str()
            .unwrap_or_default()
            .starts_with("attachment"),
        "{script}"
    );
    assert!(
        script["csp"]
            .as_str()
            .unwrap_or_default()
            .contains("sandbox"),
        "{script}"
    );
}
