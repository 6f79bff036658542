//! Reports from the incremental aggregates, over real HTTP: they equal a recomputation from
//! the stored payloads, follow rejections and corrections, and apply disclosure control.

use baraza_schema::stats::BordaAcc;
use baraza_schema::wire;
use serde_json::{Value, json};

use crate::builtin_forms::{f1_household, with};
use crate::support::Server;

const F1: (&str, &str) = ("baraza_f1_household", "2026120301");
const CONCERNS: [&str; 6] = [
    "lack_of_choice",
    "affordability",
    "accessibility",
    "exploitation",
    "tenure_security",
    "employment",
];

/// Household i: the fixture with its own id, a rotated concern ranking, and a water
/// collection time that puts every third household above 30 minutes.
pub fn household(i: usize) -> Value {
    let mut ranking: Vec<&str> = CONCERNS.to_vec();
    ranking.rotate_left(i % 6);
    with(
        &f1_household(),
        &[
            ("/hh_id", json!(format!("S03-{i:04}"))),
            ("/concern_rank", json!(ranking)),
            (
                "/w_time_min",
                json!(if i.is_multiple_of(3) { 45 } else { 25 }),
            ),
        ],
    )
}

pub fn push_item(seq: u64, id: &str, parent: Option<&str>, answers: &Value) -> Value {
    let payload = answers.to_string();
    json!({"device_seq": seq, "response_id": id, "rev": wire::rev(parent, F1.0, F1.1, payload.as_bytes()), "parent_rev": parent,
           "form_id": F1.0, "form_version": F1.1, "content_hash": wire::content_hash(payload.as_bytes()), "payload": payload})
}

/// Pushes `items` from the device and checks the batch was answered.
pub fn push(s: &Server, device_id: &str, token: &str, items: Vec<Value>) -> Value {
    let res = s
        .http
        .post(s.url("/sync/push"))
        .bearer_auth(token)
        .json(&json!({"device_id": device_id, "items": items}))
        .send()
        .expect("push");
    assert_eq!(res.status(), 200);
    res.json().expect("json")
}

/// Pushes households `h-0` … `h-{n-1}` (the fixture, see `household`) in one batch.
pub fn push_households(s: &Server, device_id: &str, token: &str, n: usize) -> Value {
    let items = (0..n)
        .map(|i| push_item(i as u64 + 1, &format!("h-{i}"), None, &household(i)))
        .collect();
    push(s, device_id, token, items)
}

pub fn get_json(s: &Server, token: &str, path: &str) -> Value {
    let res = s
        .http
        .get(s.url(path))
        .bearer_auth(token)
        .send()
        .expect("report");
    assert_eq!(res.status(), 200, "{path}");
    res.json().expect("json")
}

/// Normalised Borda per concern, recomputed directly from the answers (one settlement, so the
/// design weight is the same for everyone).
fn expected_borda(answers: &[Value]) -> Vec<f64> {
    let mut acc = BordaAcc::new(6);
    for a in answers {
        let ranking: Vec<&str> = a["concern_rank"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        acc.add(1.0, &ranking, &CONCERNS);
    }
    acc.result()
        .map(|r| {
            r.normalised
                .iter()
                .map(|x| (x * 10.0).round() / 10.0)
                .collect()
        })
        .unwrap_or_default()
}

fn r1_by_item(v: &Value) -> Vec<(String, Option<f64>, u64)> {
    let mut cells: Vec<(String, Option<f64>, u64)> = v["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["item"].as_str().unwrap_or("").to_owned(),
                c["estimate"].as_f64(),
                c["n"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    cells.sort_by_key(|c| CONCERNS.iter().position(|x| *x == c.0));
    cells
}

#[test]
fn reports_come_from_incremental_aggregates_that_equal_a_recomputation() {
    let s = Server::start();
    let admin = s.admin();
    let (_, planner) = s.user(&admin, "plan", "planner");
    let (device_id, token) = s.device(&admin, "ena");
    let mut answers: Vec<Value> = (0..30).map(household).collect();
    let items: Vec<Value> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| push_item(i as u64 + 1, &format!("h-{i}"), None, a))
        .collect();
    let res = push(&s, &device_id, &token, items);
    assert!(
        res["results"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|r| r["status"] == "stored"),
        "{res}"
    );

    let listed = get_json(&s, &planner, "/reports");
    assert_eq!(
        listed["reports"].as_array().map(|r| r
            .iter()
            .filter_map(|x| x["id"].as_str())
            .collect::<Vec<_>>()),
        Some(vec![
            "R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11", "R12", "R13",
            "R14", "R15", "R16", "R17", "R18"
        ])
    );

    let r1 = get_json(&s, &planner, "/reports/R1");
    let got = r1_by_item(&r1);
    let want = expected_borda(&answers);
    assert_eq!(
        got.iter().map(|c| c.1).collect::<Vec<_>>(),
        want.iter().map(|x| Some(*x)).collect::<Vec<_>>()
    );
    assert!(got.iter().all(|c| c.2 == 30));
    assert_eq!(
        r1["cells"][0]["reliability"], "caution",
        "30 households: interpret with caution"
    );
    let total: f64 = got.iter().filter_map(|c| c.1).sum();
    assert!(
        (total - 300.0).abs() < 0.5,
        "normalised Borda sums to 100·15/5, got {total}"
    );

    let r4 = get_json(&s, &planner, "/reports/R4");
    let water: Vec<(&str, Option<f64>)> = r4["cells"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["item"].as_str().is_some_and(|i| i.starts_with("water:")))
        .map(|c| (c["item"].as_str().unwrap_or(""), c["estimate"].as_f64()))
        .collect();
    assert_eq!(
        water,
        [("water:basic", Some(67.0)), ("water:limited", Some(33.0))]
    );

    // A rejected response stops counting at once; approving it again brings it back.
    let review = |id: &str, state: &str| {
        s.http
            .post(s.url(&format!("/responses/{id}/review")))
            .bearer_auth(&admin)
            .json(&json!({"state": state}))
            .send()
            .expect("review")
            .status()
    };
    assert_eq!(review("h-0", "rejected"), 200);
    assert!(
        r1_by_item(&get_json(&s, &planner, "/reports/R1"))
            .iter()
            .all(|c| c.2 == 29)
    );
    assert_eq!(
        r1_by_item(&get_json(&s, &planner, "/reports/R1"))
            .iter()
            .map(|c| c.1)
            .collect::<Vec<_>>(),
        expected_borda(&answers[1..])
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>()
    );
    assert_eq!(review("h-0", "approved"), 200);
    assert!(
        r1_by_item(&get_json(&s, &planner, "/reports/R1"))
            .iter()
            .all(|c| c.2 == 30)
    );

    // A correction replaces the household's contribution, it does not add a second one.
    let corrected = with(
        &answers[1],
        &[("/concern_rank", json!(["employment", "exploitation"]))],
    );
    let base = wire::rev(None, F1.0, F1.1, answers[1].to_string().as_bytes());
    let res = s
        .http
        .post(s.url("/responses/h-1/corrections"))
        .bearer_auth(&admin)
        .json(&json!({"base_rev": base, "answers": corrected}))
        .send()
        .expect("correct");
    assert_eq!(res.status(), 200);
    answers[1] = corrected;
    let got = r1_by_item(&get_json(&s, &planner, "/reports/R1"));
    assert!(got.iter().all(|c| c.2 == 30));
    assert_eq!(
        got.iter().map(|c| c.1).collect::<Vec<_>>(),
        expected_borda(&answers)
            .into_iter()
            .map(Some)
            .collect::<Vec<_>>()
    );

    // Below 25 households everything is suppressed, the base too (it could be subtracted).
    for i in 2..8 {
        review(&format!("h-{i}"), "rejected");
    }
    let small = get_json(&s, &planner, "/reports/R1");
    assert!(
        small["cells"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["suppressed"] == true && c["estimate"].is_null() && c["n"].is_null())
    );
}

#[test]
fn reports_are_disaggregated_filtered_and_downloadable_as_csv() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 26);
    let by_sex = get_json(&s, &admin, "/reports/R1?by=rs");
    assert!(
        by_sex["cells"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["level"] == "female" && c["n"] == 26)
    );
    let elsewhere = get_json(&s, &admin, "/reports/R1?settlement=s01");
    assert_eq!(
        elsewhere["cells"].as_array().map(Vec::len),
        Some(0),
        "no household in s01"
    );
    let type_a = get_json(&s, &admin, "/reports/R1?settlement_type=A");
    assert_eq!(
        type_a["cells"].as_array().map(Vec::len),
        Some(6),
        "s03 is a type A settlement"
    );
    let csv = s
        .http
        .get(s.url("/reports/R1.csv"))
        .bearer_auth(&admin)
        .send()
        .expect("csv");
    assert_eq!(
        csv.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    let text = csv.text().expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "report,by,level,level_label,item,item_label,measure,estimate,low,high,ci_low,ci_high,first_share,top3_share,persons,n,reliability,shown_for"
    );
    assert_eq!(lines.len(), 7);
    assert!(lines[1].starts_with("R1,all,all,"));
    assert!(
        !text.contains("S03-"),
        "no household identifier reaches a report"
    );
    assert_eq!(
        s.http
            .get(s.url("/reports/R1?by=height"))
            .bearer_auth(&admin)
            .send()
            .expect("bad")
            .status(),
        422
    );
    assert_eq!(
        s.http
            .get(s.url("/reports/R99"))
            .bearer_auth(&admin)
            .send()
            .expect("missing")
            .status(),
        404
    );
}

#[test]
fn which_review_states_count_is_a_setting_that_rebuilds_the_reports() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 30);
    let approve = |id: &str| {
        s.http
            .post(s.url(&format!("/responses/{id}/review")))
            .bearer_auth(&admin)
            .json(&json!({"state": "approved"}))
            .send()
            .expect("review")
            .status()
    };
    for i in 0..26 {
        assert_eq!(approve(&format!("h-{i}")), 200);
    }
    let base = |s: &Server| get_json(s, &admin, "/reports/R1")["cells"][0]["n"].clone();
    assert_eq!(base(&s), 30, "by default everything not rejected counts");
    let settings = get_json(&s, &admin, "/settings/reports");
    assert_eq!(
        settings["counted_states"],
        json!(["received", "has_issues", "approved"])
    );

    let set = |states: Value| {
        s.http
            .put(s.url("/settings/reports"))
            .bearer_auth(&admin)
            .json(&json!({"counted_states": states}))
            .send()
            .expect("settings")
    };
    let res = set(json!(["approved"]));
    assert_eq!(res.status(), 200);
    assert_eq!(base(&s), 26, "only the approved count now");
    // A later approval counts at once under the new rule; a later arrival waits for review.
    assert_eq!(approve("h-26"), 200);
    assert_eq!(base(&s), 27);
    let more = vec![push_item(31, "h-30", None, &household(30))];
    push(&s, &device_id, &token, more);
    assert_eq!(base(&s), 27, "received, not yet approved");

    assert_eq!(set(json!([])).status(), 422, "something must count");
    let unknown = set(json!(["approved", "maybe"]));
    assert_eq!(unknown.status(), 400, "not a review state: malformed");
    let said = unknown.text().unwrap_or_default();
    assert!(
        said.contains("maybe") && said.contains("has_issues"),
        "{said}"
    );
    assert_eq!(base(&s), 27, "a refused setting changes nothing");
    assert_eq!(
        set(json!(["received", "has_issues", "approved"])).status(),
        200
    );
    assert_eq!(base(&s), 31, "back to everything not rejected");
}

#[test]
fn reports_filter_by_interview_month_and_form_version() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    // 26 households interviewed in October, 30 in November.
    let items: Vec<Value> = (0..56)
        .map(|i| {
            let date = if i < 26 { "2026-10-05" } else { "2026-11-20" };
            let a = with(&household(i), &[("/interview_date", json!(date))]);
            push_item(i as u64 + 1, &format!("h-{i}"), None, &a)
        })
        .collect();
    push(&s, &device_id, &token, items);
    let n = |path: &str| get_json(&s, &admin, path)["cells"][0]["n"].clone();
    assert_eq!(n("/reports/R1"), 56);
    assert_eq!(n("/reports/R1?from=2026-11"), 30);
    assert_eq!(
        n("/reports/R1?to=2026-10-31"),
        26,
        "a date stands for its month"
    );
    assert_eq!(n("/reports/R1?from=2026-10&to=2026-11"), 56);
    assert_eq!(n(&format!("/reports/R1?form_version={}", F1.1)), 56);
    let none = get_json(&s, &admin, "/reports/R1?form_version=1999");
    assert_eq!(none["cells"].as_array().map(Vec::len), Some(0));
    let bad = s
        .http
        .get(s.url("/reports/R1?from=last-week"))
        .bearer_auth(&admin)
        .send()
        .expect("report");
    assert_eq!(bad.status(), 400, "not a month: malformed");
    let body: Value = bad.json().expect("json");
    assert!(
        body["message"].as_str().unwrap_or("").contains("YYYY-MM"),
        "{body}"
    );
    assert_eq!(
        n("/reports/R1?from=&to="),
        56,
        "an empty month is no filter"
    );
}

#[test]
fn a_database_from_before_aggregate_periods_is_migrated_and_its_reports_rebuilt() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 30);
    let before = get_json(&s, &admin, "/reports/R1");
    let data = s.kill();
    crate::crash::downgrade(&baraza_server::admin::database_path(&data.0));
    let s = Server::start_in(data, &[]);
    let admin = s.admin();
    let after = get_json(&s, &admin, "/reports/R1");
    assert_eq!(
        after["cells"], before["cells"],
        "rebuilt from the stored heads"
    );
}

#[test]
fn aggregates_built_by_other_contribution_code_are_rebuilt_when_the_server_starts() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 30);
    let before = get_json(&s, &admin, "/reports/R7");
    let data = s.kill();
    // What an older server left: sums from other code (here: none) under an older number.
    rusqlite::Connection::open(baraza_server::admin::database_path(&data.0))
        .expect("open")
        .execute_batch(
            "UPDATE aggregates SET s0 = 0, s1 = 0, s2 = 0, s3 = 0;
             UPDATE meta SET value = '1' WHERE key = 'contributions';",
        )
        .expect("age the aggregates");
    let s = Server::start_in(data, &[]);
    let admin = s.admin();
    let after = get_json(&s, &admin, "/reports/R7");
    assert!(
        before["cells"].as_array().is_some_and(|c| !c.is_empty()),
        "{before}"
    );
    assert_eq!(after["cells"], before["cells"], "rebuilt at start");
}

#[test]
fn reference_values_on_fewer_than_twenty_five_are_shown_to_admins_only() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena");
    push_households(&s, &device_id, &token, 12);
    let res = s
        .http
        .post(s.url("/settings/reports/reference-values"))
        .bearer_auth(&admin)
        .send()
        .expect("compute");
    assert_eq!(res.status(), 200);
    let computed: Value = res.json().expect("json");
    assert!(
        computed["income_quintile_cuts"].is_array(),
        "the admin sees what was computed: {computed}"
    );
    assert_eq!(computed["income_quintile_n"], 12);
    let (_, planner) = s.user(&admin, "pat", "planner");
    let published = get_json(&s, &planner, "/settings/reports");
    assert!(
        published["income_quintile_cuts"].is_null(),
        "twelve households' quintiles would give away incomes: {published}"
    );
    assert_eq!(
        published["income_quintile_n"], 12,
        "the base itself is shown"
    );
}

#[test]
fn while_a_device_keeps_pushing_the_background_projector_still_folds_what_came_in_seconds_ago() {
    let s = Server::start();
    let admin = s.admin();
    let (device_id, token) = s.device(&admin, "ena0");
    let folded = || {
        crate::support::sql_count(
            &s.data,
            "SELECT CAST(count(*) AS TEXT) FROM responses WHERE projected_seq IS NOT NULL",
        )
    };
    // A batch every 200 ms, no report asked for: the projector yields to the pushes, but
    // only for a few seconds (projector::YIELD_AT_MOST), so the aggregates keep up.
    let (mut seq, mut batches) = (0, 0);
    let deadline =
        std::time::Instant::now() + crate::support::deadline(std::time::Duration::from_secs(30));
    while folded() == 0 && std::time::Instant::now() < deadline {
        let items = (0..5)
            .map(|k| {
                seq += 1;
                let i = batches * 5 + k;
                push_item(seq, &format!("h-{i}"), None, &household(i))
            })
            .collect();
        push(&s, &device_id, &token, items);
        batches += 1;
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(
        folded() > 0,
        "after {batches} batches pushed without a pause, the background projector folded nothing"
    );
}

#[test]
fn reports_asked_for_while_devices_push_edit_and_supervisors_review_count_each_interview_once() {
    let s = Server::start();
    let admin = s.admin();
    let devices: Vec<(String, String)> = (0..3)
        .map(|d| s.device(&admin, &format!("ena{d}")))
        .collect();
    let reviews: Vec<(usize, &str)> = (1..300)
        .step_by(7)
        .filter(|i| i % 5 != 0)
        .enumerate()
        .map(|(r, i)| (i, if r % 3 == 0 { "rejected" } else { "approved" }))
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let reports_read = std::thread::scope(|scope| {
        // Reports asked for all along fold what is new themselves, racing the background
        // projector and one another.
        let reader = scope.spawn(|| {
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                get_json(&s, &admin, "/reports/R4?by=q");
                get_json(&s, &admin, "/reports/R1");
                n += 1;
            }
            n
        });
        let pushers: Vec<_> = devices
            .iter()
            .enumerate()
            .map(|(d, (device_id, token))| {
                let s = &s;
                scope.spawn(move || {
                    let mut seq = 0;
                    for batch in 0..4 {
                        let items = (0..25)
                            .map(|k| {
                                seq += 1;
                                let i = d * 100 + batch * 25 + k;
                                push_item(seq, &format!("h-{i}"), None, &household(i))
                            })
                            .collect();
                        push(s, device_id, token, items);
                        // Every fifth interview of the batch edited: its head moves.
                        let edits = (0..25).step_by(5).map(|k| {
                            let i = d * 100 + batch * 25 + k;
                            let first = push_item(0, "", None, &household(i));
                            seq += 1;
                            let edited = with(&household(i), &[("/w_time_min", json!(5))]);
                            push_item(seq, &format!("h-{i}"), first["rev"].as_str(), &edited)
                        });
                        push(s, device_id, token, edits.collect());
                    }
                })
            })
            .collect();
        // A supervisor rejects (uncounts) and approves interviews as they arrive (ones no
        // edit sends back to review).
        for (i, state) in &reviews {
            let started = std::time::Instant::now();
            while s
                .http
                .post(s.url(&format!("/responses/h-{i}/review")))
                .bearer_auth(&admin)
                .json(&json!({"state": state}))
                .send()
                .expect("review")
                .status()
                != 200
            {
                assert!(started.elapsed().as_secs() < 60, "h-{i} never arrived");
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        for p in pushers {
            p.join().expect("pusher");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().expect("reader")
    });
    assert!(reports_read > 0, "reports were read during the load");
    let folded = [
        get_json(&s, &admin, "/reports/R1"),
        get_json(&s, &admin, "/reports/R4?by=q"),
    ];
    // A rebuild counts every stored head from nothing.
    let res = s
        .http
        .put(s.url("/settings/reports"))
        .bearer_auth(&admin)
        .json(&json!({"counted_states": ["received", "has_issues", "approved"]}))
        .send()
        .expect("settings");
    assert_eq!(res.status(), 200);
    let rebuilt = [
        get_json(&s, &admin, "/reports/R1"),
        get_json(&s, &admin, "/reports/R4?by=q"),
    ];
    let rejected = reviews.iter().filter(|(_, state)| *state == "rejected");
    assert_eq!(
        rebuilt[0]["cells"][0]["n"],
        json!(300 - rejected.count()),
        "every interview not rejected counts once"
    );
    for (f, r) in folded.iter().zip(&rebuilt) {
        assert_eq!(
            f["cells"], r["cells"],
            "folded as it came equals counted afresh"
        );
    }
}
