//! Accounts, roles, review and the audit log over real HTTP against a real server process.

use baraza_schema::wire;
use serde_json::{Value, json};

use crate::reports_api::{get_json, push};
use crate::support::{InProcess, Server, repo, shared};

const F1: (&str, &str) = ("baraza_f1_household", "2026120301");

fn refused(settlement: &str, hh: u32) -> String {
    format!(
        r#"{{"settlement":"{settlement}","hh_id":"S01-{hh:04}","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E01","consent":"no"}}"#
    )
}

fn item(seq: u64, response_id: &str, parent: Option<&str>, payload: &str) -> Value {
    json!({"device_seq": seq, "response_id": response_id, "rev": wire::rev(parent, F1.0, F1.1, payload.as_bytes()), "parent_rev": parent,
           "form_id": F1.0, "form_version": F1.1, "content_hash": wire::content_hash(payload.as_bytes()), "payload": payload})
}

/// In process (`InProcess`): the router and the handlers are what is tested, not the socket.
#[test]
fn each_role_reaches_exactly_the_endpoints_it_should() {
    let s = InProcess::start();
    let admin = s.admin();
    let (_, supervisor) = s.user(&admin, "sup", "supervisor");
    let (_, planner) = s.user(&admin, "plan", "planner");
    let (_, enumerator) = s.user(&admin, "enum", "enumerator");
    let form = format!("/forms/{}/{}", F1.0, F1.1);
    // A supervisor's list of users is the enumerators they enroll phones for.
    let (_, team) = s.call("GET", "/users", Some(&supervisor), None);
    let names: Vec<&str> = team["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(names, ["enum"], "{team}");
    // (method, path, body, [admin, supervisor, planner, enumerator, anonymous])
    let table: Vec<(&str, String, Option<Value>, [u16; 5])> = vec![
        ("GET", "/reports".into(), None, [200, 200, 200, 403, 401]),
        ("GET", "/reports/R1".into(), None, [200, 200, 200, 403, 401]),
        ("GET", "/quarantine".into(), None, [200, 200, 403, 403, 401]),
        ("GET", "/progress".into(), None, [200, 200, 403, 403, 401]),
        (
            "GET",
            "/settings/fieldwork".into(),
            None,
            [200, 200, 403, 403, 401],
        ),
        (
            "PUT",
            "/settings/fieldwork".into(),
            Some(json!({"from": "2026-12-01", "to": "2026-11-01"})),
            [422, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/odk-keys".into(),
            Some(json!({"user_id": 999})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/quarantine/999/dismiss".into(),
            Some(json!({"reason": "a test"})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/quarantine/999/release".into(),
            Some(json!({"answers": {}})),
            [404, 404, 403, 403, 401],
        ),
        ("GET", "/backups".into(), None, [200, 403, 403, 403, 401]),
        // In process there is no data folder, so no backup folder: a conflict, said so.
        ("POST", "/backups".into(), None, [409, 403, 403, 403, 401]),
        (
            "POST",
            "/settlements/import".into(),
            Some(json!({"not": "csv"})),
            [422, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/forms/check".into(),
            Some(json!({"not": "a workbook"})),
            [422, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/enrollment-codes".into(),
            Some(json!({"user_id": 999})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/devices/enroll".into(),
            Some(json!({"code": "ABCD-EFGH"})),
            [401, 401, 401, 401, 401],
        ),
        ("GET", "/users".into(), None, [200, 200, 403, 403, 401]),
        (
            "POST",
            "/users".into(),
            Some(json!({"username": "x", "role": "planner", "password": "short"})),
            [422, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/settlements".into(),
            None,
            [200, 200, 200, 200, 401],
        ),
        (
            "POST",
            "/settlements".into(),
            Some(json!([{"code": "s99", "name": "New", "type": "A", "households": 10}])),
            [200, 403, 403, 403, 401],
        ),
        ("GET", "/forms".into(), None, [200, 200, 403, 200, 401]),
        ("GET", form.clone(), None, [200, 200, 403, 200, 401]),
        (
            "POST",
            format!("{form}/state"),
            Some(json!({"state": "open"})),
            [200, 403, 403, 403, 401],
        ),
        ("GET", "/devices".into(), None, [200, 200, 403, 403, 401]),
        (
            "POST",
            "/devices/none/revoke".into(),
            None,
            [404, 404, 403, 403, 401],
        ),
        ("GET", "/responses".into(), None, [200, 200, 403, 403, 401]),
        (
            "GET",
            "/responses/none".into(),
            None,
            [404, 404, 403, 403, 401],
        ),
        ("GET", "/audit".into(), None, [200, 403, 403, 403, 401]),
        (
            "GET",
            "/settings/reports".into(),
            None,
            [200, 200, 200, 403, 401],
        ),
        (
            "POST",
            "/settings/reports/reference-values".into(),
            None,
            [200, 403, 403, 403, 401],
        ),
        (
            "PUT",
            "/settings/reports".into(),
            Some(json!({"counted_states": []})),
            [422, 403, 403, 403, 401],
        ),
        (
            "GET",
            "/exports/baraza_f1_household.zip".into(),
            None,
            [200, 200, 403, 403, 401],
        ),
        (
            "POST",
            "/sync/import".into(),
            Some(json!({"device_id": "none", "items": []})),
            [404, 404, 403, 403, 401],
        ),
        ("POST", "/devices".into(), None, [201, 403, 403, 201, 401]),
        (
            "PUT",
            "/users/999/settlements".into(),
            Some(json!({"settlements": []})),
            [404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/forms".into(),
            Some(json!({"not": "a workbook"})),
            [422, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/responses/none/review".into(),
            Some(json!({"state": "approved"})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/responses/none/corrections".into(),
            Some(json!({"base_rev": "1-x", "answers": {}})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/responses/none/resolve".into(),
            Some(json!({"rev": "1-x"})),
            [404, 404, 403, 403, 401],
        ),
        (
            "POST",
            "/users/999/password".into(),
            Some(json!({"password": "a-long-password"})),
            [404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/users/999/disable".into(),
            None,
            [404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/users/999/enable".into(),
            None,
            [404, 403, 403, 403, 401],
        ),
        (
            "PUT",
            "/users/999/role".into(),
            Some(json!({"role": "planner"})),
            [404, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/users/999/sessions/end".into(),
            None,
            [404, 403, 403, 403, 401],
        ),
        (
            "PUT",
            "/auth/password".into(),
            Some(json!({"current_password": "not it", "new_password": "a-long-password"})),
            [403, 403, 403, 403, 401],
        ),
        (
            "POST",
            "/auth/logout".into(),
            None,
            [204, 204, 204, 204, 401],
        ),
    ];
    let tokens = [
        Some(&admin),
        Some(&supervisor),
        Some(&planner),
        Some(&enumerator),
        None,
    ];
    for (method, path, body, expected) in &table {
        for (token, want) in tokens.iter().zip(expected) {
            let (status, reply) = s.call(method, path, token.map(String::as_str), body.as_ref());
            assert_eq!(
                status,
                *want,
                "{method} {path} as {}: {reply}",
                ["admin", "supervisor", "planner", "enumerator", "anonymous"]
                    [tokens.iter().position(|t| t == token).unwrap_or(0)]
            );
            if status >= 400 {
                assert!(
                    reply["code"].is_string() && reply["message"].is_string(),
                    "{method} {path}: errors are JSON with a code and a message: {reply}"
                );
            }
        }
    }
    // Sync endpoints take a device credential, never a session.
    for path in ["/sync/status", "/sync/pull"] {
        assert_eq!(s.call("GET", path, Some(&admin), None).0, 401, "{path}");
    }
}

#[test]
fn repeated_wrong_passwords_lock_the_account_with_retry_after() {
    let s = Server::start();
    let login = |pw: &str| {
        s.http
            .post(s.url("/auth/login"))
            .json(&json!({"username": "admin", "password": pw}))
            .send()
            .expect("login")
    };
    for _ in 0..5 {
        assert_eq!(login("wrong-password").status(), 401);
    }
    let locked = login(crate::support::ADMIN_PASSWORD);
    assert_eq!(
        locked.status(),
        429,
        "even the right password waits out the lock"
    );
    let retry: u64 = locked
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry > 0 && retry <= 15 * 60);
    assert_eq!(locked.json::<Value>().expect("json")["code"], "throttled");
    // Unknown names fail the same way as wrong passwords.
    let res = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username": "nobody", "password": "whatever-it-is"}))
        .send()
        .expect("login");
    assert_eq!(res.status(), 401);
}

#[test]
fn logout_revokes_the_token_at_once() {
    let s = Server::start();
    let admin = s.admin();
    assert_eq!(
        s.http
            .post(s.url("/auth/logout"))
            .bearer_auth(&admin)
            .send()
            .expect("logout")
            .status(),
        204
    );
    assert_eq!(
        s.http
            .get(s.url("/users"))
            .bearer_auth(&admin)
            .send()
            .expect("req")
            .status(),
        401
    );
}

#[test]
fn supervisors_review_only_their_settlements_and_corrections_reach_the_device() {
    let s = Server::start();
    let admin = s.admin();
    let (sup_id, sup) = s.user(&admin, "sup", "supervisor");
    let res = s
        .http
        .put(s.url(&format!("/users/{sup_id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s01"]}))
        .send()
        .expect("assign");
    assert_eq!(res.status(), 204);
    let (dev_id, dev_token) = s.device(&admin, "ena");
    let mine = refused("s01", 1);
    let batch = json!({"device_id": dev_id, "items": [item(1, "in-s01", None, &mine), item(2, "in-s02", None, &refused("s02", 2))]});
    assert_eq!(
        s.http
            .post(s.url("/sync/push"))
            .bearer_auth(&dev_token)
            .json(&batch)
            .send()
            .expect("push")
            .status(),
        200
    );

    let listed: Value = s
        .http
        .get(s.url("/responses"))
        .bearer_auth(&sup)
        .send()
        .expect("list")
        .json()
        .expect("json");
    let ids: Vec<&str> = listed["responses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["response_id"].as_str())
        .collect();
    assert_eq!(ids, ["in-s01"], "the supervisor sees only s01");

    // Phones: those that sent into s01, and new ones that sent nothing yet; not another
    // team's, which the supervisor can neither list nor revoke.
    let (other_id, other_token) = s.device(&admin, "enb");
    let theirs =
        json!({"device_id": other_id, "items": [item(1, "other-s02", None, &refused("s02", 3))]});
    s.http
        .post(s.url("/sync/push"))
        .bearer_auth(&other_token)
        .json(&theirs)
        .send()
        .expect("push");
    let (new_id, _) = s.device(&admin, "enc");
    let phones: Value = s
        .http
        .get(s.url("/devices"))
        .bearer_auth(&sup)
        .send()
        .expect("devices")
        .json()
        .expect("json");
    let mut seen: Vec<&str> = phones["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["id"].as_str())
        .collect();
    seen.sort_unstable();
    let mut want = vec![dev_id.as_str(), new_id.as_str()];
    want.sort_unstable();
    assert_eq!(seen, want);
    let revoke = |id: &str| {
        s.http
            .post(s.url(&format!("/devices/{id}/revoke")))
            .bearer_auth(&sup)
            .send()
            .expect("revoke")
            .status()
    };
    assert_eq!(revoke(&other_id), 404, "another team's phone");
    assert_eq!(revoke(&new_id), 204);
    assert_eq!(
        s.http
            .get(s.url("/responses/in-s02"))
            .bearer_auth(&sup)
            .send()
            .expect("get")
            .status(),
        404
    );

    let review = |state: &str| {
        s.http
            .post(s.url("/responses/in-s01/review"))
            .bearer_auth(&sup)
            .json(&json!({"state": state, "comment": "checked"}))
            .send()
            .expect("review")
    };
    assert_eq!(review("approved").status(), 200);
    let lost = review("lost");
    assert_eq!(lost.status(), 400, "not a review state: malformed");
    let said = lost.text().unwrap_or_default();
    assert!(
        said.contains("`lost`") && said.contains("`approved`"),
        "{said}"
    );

    // A correction on a stale base is refused; on the head it becomes a new revision.
    let head = wire::rev(None, F1.0, F1.1, mine.as_bytes());
    let corrected = json!({"settlement": "s01", "hh_id": "S01-0009", "interview_date": "2026-11-01", "start": "2026-11-01T09:00:00Z", "end": "2026-11-01T09:25:00Z", "today": "2026-11-01", "deviceid": "dev-1", "enumerator_id": "E01", "consent": "no"});
    let correct = |base: &str, answers: &Value| {
        s.http
            .post(s.url("/responses/in-s01/corrections"))
            .bearer_auth(&sup)
            .json(&json!({"base_rev": base, "answers": answers}))
            .send()
            .expect("correct")
    };
    assert_eq!(
        correct("1-00000000000000000000000000000000", &corrected).status(),
        409
    );
    let bad = correct(
        &head,
        &json!({"settlement": "s01", "hh_id": "nope", "interview_date": "2026-11-01", "start": "2026-11-01T09:00:00Z", "end": "2026-11-01T09:25:00Z", "today": "2026-11-01", "deviceid": "dev-1", "enumerator_id": "E01", "consent": "no"}),
    );
    assert_eq!(bad.status(), 422);
    assert_eq!(
        bad.json::<Value>().expect("json")["details"]["issues"][0]["path"],
        "hh_id"
    );
    // Moving the interview to a settlement that is not the supervisor's is refused.
    let mut elsewhere = corrected.clone();
    elsewhere["settlement"] = json!("s02");
    let moved = correct(&head, &elsewhere);
    assert_eq!(moved.status(), 422);
    assert_eq!(
        moved.json::<Value>().expect("json")["message"],
        "settlement s02 is not one of yours; an admin can move the interview there"
    );
    let ok = correct(&head, &corrected);
    assert_eq!(ok.status(), 200);
    let summary: Value = ok.json().expect("json");
    assert_eq!(
        summary["review_state"], "approved",
        "the supervisor's own edit keeps the review state"
    );
    assert!(
        summary["head_rev"]
            .as_str()
            .is_some_and(|r| r.starts_with("2-"))
    );

    let pulled: Value = s
        .http
        .get(s.url("/sync/pull?cursor=0"))
        .bearer_auth(&dev_token)
        .send()
        .expect("pull")
        .json()
        .expect("json");
    let corrections = pulled["corrections"].as_array().expect("corrections");
    assert_eq!(corrections.len(), 1);
    assert_eq!(corrections[0]["response_id"], "in-s01");
    assert_eq!(corrections[0]["parent_rev"], head.as_str());
    assert_eq!(
        serde_json::from_str::<Value>(corrections[0]["payload"].as_str().unwrap_or("")).ok(),
        Some(corrected)
    );
    assert_eq!(pulled["forms"].as_array().map(Vec::len), Some(4));
    assert_eq!(pulled["settlements"].as_array().map(Vec::len), Some(20));
    let cursor = pulled["cursor"].as_i64().expect("cursor");
    let again: Value = s
        .http
        .get(s.url(&format!("/sync/pull?cursor={cursor}")))
        .bearer_auth(&dev_token)
        .send()
        .expect("pull")
        .json()
        .expect("json");
    assert_eq!(again["corrections"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_review_that_sends_an_interview_back_reaches_the_phone_that_sent_it_with_its_comment() {
    let s = Server::start();
    let admin = s.admin();
    let (a_id, a_tok) = s.device(&admin, "ena");
    let (b_id, b_tok) = s.device(&admin, "enb");
    push(
        &s,
        &a_id,
        &a_tok,
        vec![
            item(1, "ra", None, &refused("s01", 1)),
            item(2, "rb", None, &refused("s01", 2)),
        ],
    );
    push(
        &s,
        &b_id,
        &b_tok,
        vec![item(1, "rc", None, &refused("s01", 3))],
    );
    let review = |id: &str, state: &str, comment: &str| {
        let res = s
            .http
            .post(s.url(&format!("/responses/{id}/review")))
            .bearer_auth(&admin)
            .json(&json!({"state": state, "comment": comment}))
            .send()
            .expect("review");
        assert_eq!(res.status(), 200, "{id} {state}");
    };
    let reviews = |tok: &str| get_json(&s, tok, "/sync/pull?cursor=0")["reviews"].clone();
    assert_eq!(reviews(&a_tok), json!([]), "nothing reviewed yet");
    review(
        "ra",
        "has_issues",
        "The household id is not on the listing.",
    );
    review("rb", "approved", "");
    review("rc", "rejected", "Interviewed twice.");
    let a = reviews(&a_tok);
    assert_eq!(a.as_array().map(Vec::len), Some(1), "{a}");
    assert_eq!(a[0]["response_id"], "ra");
    assert_eq!(a[0]["state"], "has_issues");
    assert_eq!(a[0]["comment"], "The household id is not on the listing.");
    let b = reviews(&b_tok);
    assert_eq!(
        (
            b[0]["response_id"].clone(),
            b[0]["state"].clone(),
            b[0]["comment"].clone()
        ),
        (json!("rc"), json!("rejected"), json!("Interviewed twice.")),
        "each phone hears of its own interviews only: {b}"
    );
    // The newest review stands: approved after all, nothing is asked of the phone any more.
    review("ra", "has_issues", "And the date, please.");
    assert_eq!(reviews(&a_tok)[0]["comment"], "And the date, please.");
    review("ra", "approved", "Fixed on the phone.");
    assert_eq!(reviews(&a_tok), json!([]));
}

/// Response `cf` in conflict: device A's edit won, device B's is the other leaf. Returns
/// the losing leaf's rev and both edits' payloads.
fn conflicted(s: &Server, admin: &str) -> (String, String, String) {
    let base = refused("s01", 1);
    let rev1 = wire::rev(None, F1.0, F1.1, base.as_bytes());
    let (a_id, a_tok) = s.device(admin, "ena");
    let (b_id, b_tok) = s.device(admin, "enb");
    let (ea, eb) = (refused("s01", 2), refused("s01", 3));
    let push = |id: &str, tok: &str, items: Value| {
        s.http
            .post(s.url("/sync/push"))
            .bearer_auth(tok)
            .json(&json!({"device_id": id, "items": items}))
            .send()
            .expect("push")
            .json::<Value>()
            .expect("json")
    };
    push(
        &a_id,
        &a_tok,
        json!([item(1, "cf", None, &base), item(2, "cf", Some(&rev1), &ea)]),
    );
    assert_eq!(
        push(&b_id, &b_tok, json!([item(1, "cf", Some(&rev1), &eb)]))["results"][0]["status"],
        "conflict"
    );
    (wire::rev(Some(&rev1), F1.0, F1.1, eb.as_bytes()), ea, eb)
}

/// The head revision's answers of response `cf`, and how many revisions it has.
fn head_of_cf(s: &Server, admin: &str) -> (Option<Value>, usize) {
    let detail: Value = s
        .http
        .get(s.url("/responses/cf"))
        .bearer_auth(admin)
        .send()
        .expect("get")
        .json()
        .expect("json");
    let head = detail["summary"]["head_rev"].clone();
    let revisions = detail["revisions"].as_array().cloned().unwrap_or_default();
    let payload = revisions
        .iter()
        .find(|r| r["rev"] == head)
        .and_then(|r| serde_json::from_str(r["payload"].as_str()?).ok());
    (payload, revisions.len())
}

#[test]
fn a_supervisor_merges_a_conflict_answer_by_answer_and_a_merge_that_breaks_the_rules_is_refused() {
    let s = Server::start();
    let admin = s.admin();
    let (loser, ea, eb) = conflicted(&s, &admin);
    let (ea, eb): (Value, Value) = (
        serde_json::from_str(&ea).expect("a"),
        serde_json::from_str(&eb).expect("b"),
    );
    let resolve = |answers: &Value| {
        s.http
            .post(s.url("/responses/cf/resolve"))
            .bearer_auth(&admin)
            .json(&json!({"rev": loser, "answers": answers}))
            .send()
            .expect("resolve")
    };
    // A response in conflict can be reviewed like any other; the state is what was set.
    let reviewed: Value = s
        .http
        .post(s.url("/responses/cf/review"))
        .bearer_auth(&admin)
        .json(&json!({"state": "rejected", "comment": "two phones disagree"}))
        .send()
        .expect("review")
        .json()
        .expect("json");
    assert_eq!(reviewed["review_state"], "rejected", "{reviewed}");
    let read: Value = s
        .http
        .get(s.url("/responses/cf"))
        .bearer_auth(&admin)
        .send()
        .expect("get")
        .json()
        .expect("json");
    assert_eq!(read["summary"]["review_state"], "rejected", "{read}");
    let mut broken = ea.clone();
    broken["consent"] = json!("perhaps");
    let res = resolve(&broken);
    assert_eq!(res.status(), 422);
    let body: Value = res.json().expect("json");
    assert_eq!(body["code"], "invalid_answers");
    assert!(
        body["details"]["issues"]
            .as_array()
            .is_some_and(|i| !i.is_empty()),
        "{body}"
    );
    // A's answers, B's household id.
    let mut merged = ea.clone();
    merged["hh_id"] = eb["hh_id"].clone();
    let res = resolve(&merged);
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().expect("json")["conflict"], false);
    assert_eq!(
        head_of_cf(&s, &admin),
        (Some(merged), 4),
        "the merge is the head; nothing is deleted"
    );
}

#[test]
fn a_supervisor_resolves_a_conflict_and_the_response_has_one_head_again() {
    let s = Server::start();
    let admin = s.admin();
    let (loser, _, eb) = conflicted(&s, &admin);
    let res = s
        .http
        .post(s.url("/responses/cf/resolve"))
        .bearer_auth(&admin)
        .json(&json!({"rev": loser}))
        .send()
        .expect("resolve");
    assert_eq!(res.status(), 200);
    let summary: Value = res.json().expect("json");
    assert_eq!(summary["conflict"], false);
    assert_eq!(
        head_of_cf(&s, &admin),
        (serde_json::from_str(&eb).ok(), 4),
        "the chosen content is the head; nothing is deleted"
    );
    assert_eq!(
        s.http
            .post(s.url("/responses/cf/resolve"))
            .bearer_auth(&admin)
            .json(&json!({"rev": loser}))
            .send()
            .expect("again")
            .status(),
        409
    );
}

#[test]
fn every_mutation_is_in_the_audit_log_with_its_actor() {
    let s = Server::start();
    let admin = s.admin();
    let (dev_id, dev_tok) = s.device(&admin, "ena");
    let batch = json!({"device_id": dev_id, "items": [item(1, "au", None, &refused("s01", 1))]});
    s.http
        .post(s.url("/sync/push"))
        .bearer_auth(&dev_tok)
        .json(&batch)
        .send()
        .expect("push");
    s.http
        .post(s.url(&format!("/devices/{dev_id}/revoke")))
        .bearer_auth(&admin)
        .send()
        .expect("revoke");
    // The revoked device's file is imported by the admin: one entry, by the admin.
    let file = json!({"device_id": dev_id, "items": [item(2, "au2", None, &refused("s01", 2))]});
    s.http
        .post(s.url("/sync/import"))
        .bearer_auth(&admin)
        .json(&file)
        .send()
        .expect("import");
    let wrong = s
        .http
        .post(s.url("/auth/login"))
        .json(&json!({"username": "nobody-here", "password": "wrong password"}))
        .send()
        .expect("login");
    assert_eq!(wrong.status(), 401);
    let log: Value = s
        .http
        .get(s.url("/audit?limit=50"))
        .bearer_auth(&admin)
        .send()
        .expect("audit")
        .json()
        .expect("json");
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for expected in [
        "form.publish",
        "user.create",
        "auth.login",
        "device.enroll",
        "device.revoke",
        "settlement.import",
        "sync.push",
        "sync.import",
        "auth.login_failed",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
    let entry = |action: &str| {
        log["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["action"] == action)
            .cloned()
            .unwrap_or_default()
    };
    let import = entry("sync.import");
    assert_eq!(
        (import["user_id"].as_i64(), import["device_id"].as_str()),
        (Some(1), Some(dev_id.as_str()))
    );
    assert!(
        import["detail"]
            .as_str()
            .is_some_and(|d| d.contains("1 stored")),
        "{import}"
    );
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("sync.")).count(),
        2,
        "the import is one entry, not a push and an import: {actions:?}"
    );
    let failed = entry("auth.login_failed");
    assert_eq!(failed["target"], "username:nobody-here");
    assert_eq!(failed["user_id"], Value::Null, "no such account");
    let revoke = log["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "device.revoke")
        .expect("revoke entry");
    assert_eq!(revoke["device_id"], dev_id.as_str());
    assert_eq!(revoke["user_id"], 1);
}

#[test]
fn forms_are_published_by_upload_immutable_per_version_and_cached_by_etag() {
    let s = Server::start();
    let admin = s.admin();
    let upload = |path: std::path::PathBuf| {
        let bytes = std::fs::read(&path).expect("workbook");
        s.http
            .post(s.url("/forms"))
            .bearer_auth(&admin)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .expect("upload")
    };
    let created = upload(shared().join("xlsforms/pyxform_tutorial.xls"));
    assert_eq!(created.status(), 201);
    let entry: Value = created.json().expect("json");
    assert_eq!(entry["form_id"], "form");
    assert_eq!(
        entry["version"].as_str().map(str::len),
        Some(12),
        "a versionless form gets its hash prefix"
    );
    assert_eq!(
        upload(shared().join("xlsforms/pyxform_tutorial.xls")).status(),
        200,
        "the same workbook again is a no-op"
    );
    let rejected = upload(shared().join("xlsforms/pyxform_calculate_without_calculation.xls"));
    assert_eq!(rejected.status(), 422);
    let body: Value = rejected.json().expect("json");
    assert_eq!(body["code"], "invalid_form");
    assert!(
        body["details"]["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l.as_str().is_some_and(|l| l.contains("has no calculation")))
    );
    let garbage = s
        .http
        .post(s.url("/forms"))
        .bearer_auth(&admin)
        .body(vec![0u8; 1000])
        .send()
        .expect("upload");
    assert_eq!(garbage.status(), 422);

    let path = format!("/forms/{}/{}", F1.0, F1.1);
    let first = s
        .http
        .get(s.url(&path))
        .bearer_auth(&admin)
        .send()
        .expect("get");
    assert_eq!(first.status(), 200);
    let etag = first
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let form: baraza_schema::Form = first.json().expect("the definition is a form");
    assert_eq!(
        format!("\"{}\"", form.sha256()),
        etag,
        "the ETag is the definition's sha256"
    );
    let cached = s
        .http
        .get(s.url(&path))
        .bearer_auth(&admin)
        .header("if-none-match", &etag)
        .send()
        .expect("get");
    assert_eq!(cached.status(), 304);
    assert_eq!(
        s.http
            .get(s.url("/forms/nope/1"))
            .bearer_auth(&admin)
            .send()
            .expect("get")
            .status(),
        404
    );
}

#[test]
fn the_openapi_document_describes_every_operation_with_its_responses_and_security() {
    let s = Server::start();
    let doc: Value = s
        .http
        .get(format!("{}/api/v1/openapi.json", s.base))
        .send()
        .expect("get")
        .json()
        .expect("json");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, methods) in paths {
        for (method, op) in methods.as_object().expect("methods") {
            operations += 1;
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents no response"
            );
            let public = ["/healthz", "/api/v1/auth/login", "/api/v1/devices/enroll"]
                .contains(&path.as_str());
            assert_eq!(
                op["security"].is_array(),
                !public,
                "{method} {path} security"
            );
        }
    }
    assert_eq!(operations, 55, "every route of the API");
    for schema in [
        "PushRequest",
        "PushResponse",
        "ErrorBody",
        "PublishedForm",
        "SyncStatus",
        "PullResponse",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["securitySchemes"]["device"].is_object());
}

#[test]
fn the_readme_curl_session_works_against_a_fresh_server() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let block = readme
        .split("<!-- curl-session -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /curl-session -->").next())
        .expect("README has the curl session between markers");
    let script = block
        .trim()
        .trim_start_matches("```sh")
        .trim_end_matches("```");
    let s = Server::start();
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env("BASE", &s.base)
        .env("ADMIN_PASSWORD", crate::support::ADMIN_PASSWORD)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines().filter(|l| !l.trim().is_empty());
    let pushed: Value = serde_json::from_str(lines.next().unwrap_or("")).expect("push answer");
    assert_eq!(pushed["results"][0]["status"], "stored", "{stdout}");
    let listed: Value = serde_json::from_str(lines.next().unwrap_or("")).expect("review list");
    assert_eq!(listed["responses"][0]["review_state"], "received");
}

#[test]
fn the_web_client_is_served_at_the_root_gzipped_to_browsers_that_accept_it() {
    let client = crate::support::repo().join("target/client/pkg/app_bg.wasm.gz");
    assert!(
        client.is_file(),
        "{} is missing: `./dev test` builds the web client first",
        client.display()
    );
    let s = Server::start();
    let index = s.http.get(format!("{}/", s.base)).send().expect("get /");
    assert_eq!(index.status(), 200);
    assert!(index.text().unwrap_or_default().contains("/boot.js"));
    let boot = s
        .http
        .get(format!("{}/boot.js", s.base))
        .send()
        .expect("get boot.js");
    assert!(boot.text().unwrap_or_default().contains("/pkg/app.js"));
    let wasm = s
        .http
        .get(format!("{}/pkg/app_bg.wasm", s.base))
        .header("accept-encoding", "gzip")
        .send()
        .expect("get wasm");
    assert_eq!(wasm.status(), 200);
    assert_eq!(
        wasm.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    let served = wasm.bytes().map(|b| b.len()).unwrap_or_default();
    assert_eq!(
        served as u64,
        std::fs::metadata(&client)
            .map(|m| m.len())
            .unwrap_or_default(),
        "the precompressed file is what goes over the wire"
    );
    let missing = s
        .http
        .get(format!("{}/api/v1/no-such-route", s.base))
        .send()
        .expect("get");
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().expect("API 404s stay JSON");
    assert_eq!(body["code"], "not_found");
}

#[test]
fn every_response_carries_the_security_headers_and_no_page_runs_inline_script() {
    let s = Server::start();
    for path in ["/", "/dashboard/", "/healthz", "/api/v1/no-such-route"] {
        let r = s.http.get(format!("{}{path}", s.base)).send().expect("get");
        let h = |name: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let csp = h("content-security-policy");
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap_or_default();
        assert!(scripts.contains("'self'"), "{path}: {csp}");
        assert!(
            !scripts.contains("unsafe-inline") && !scripts.contains("'unsafe-eval'"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("x-frame-options"), "DENY", "{path}");
        if path.ends_with('/') {
            let page = r.text().unwrap_or_default();
            let tags = page.matches("<script").count();
            assert!(tags > 0, "{path} starts a script");
            assert_eq!(
                page.matches("<script src=").count()
                    + page.matches("<script type=\"module\" src=").count(),
                tags,
                "{path}: every script comes from a file:\n{page}"
            );
        }
    }
}

#[test]
fn after_a_device_edits_on_top_of_a_correction_server_client_and_device_figures_agree_on_the_newest()
 {
    let s = Server::start();
    let admin = s.admin();
    let (dev_id, dev_token) = s.device(&admin, "ena");
    let push = |items: Vec<Value>| {
        let res = s
            .http
            .post(s.url("/sync/push"))
            .bearer_auth(&dev_token)
            .json(&json!({"device_id": dev_id, "items": items}))
            .send()
            .expect("push");
        assert_eq!(res.status(), 200);
    };
    let first = refused("s01", 1);
    let one = item(1, "r1", None, &first);
    push(vec![one.clone()]);
    let rev1 = one["rev"].as_str().expect("rev").to_owned();
    let corrected = refused("s01", 2);
    let res = s
        .http
        .post(s.url("/responses/r1/corrections"))
        .bearer_auth(&admin)
        .json(&json!({"base_rev": rev1, "answers": serde_json::from_str::<Value>(&corrected).expect("json")}))
        .send()
        .expect("correct");
    assert_eq!(res.status(), 200);
    let correction = get_json(&s, &dev_token, "/sync/pull?cursor=0")["corrections"][0].clone();
    let rev2 = correction["rev"].as_str().expect("rev").to_owned();
    // The enumerator reopens the interview from the correction and finalizes again.
    let again = refused("s01", 3);
    let three = item(2, "r1", Some(&rev2), &again);
    push(vec![three.clone()]);
    let rev3 = three["rev"].as_str().expect("rev").to_owned();

    assert_eq!(
        get_json(&s, &admin, "/responses/r1")["summary"]["head_rev"],
        rev3.as_str(),
        "the server's head"
    );
    assert!(
        !wire::is_newer(&rev2, &rev3),
        "the client shows the device's revision, not the correction it was built on"
    );
    let outbox = [&one, &three]
        .into_iter()
        .map(|i| baraza_community::OutboxRecord {
            item: serde_json::from_value(i.clone()).expect("a push item"),
            acked_epoch: Some("e".into()),
            outcome: Some("sent".into()),
        })
        .collect();
    let correction = serde_json::from_value(correction).expect("a correction");
    let counted = baraza_community::newest(outbox, vec![correction]);
    assert_eq!(
        counted
            .iter()
            .map(|h| h.payload.as_str())
            .collect::<Vec<_>>(),
        [again.as_str()],
        "this phone's figures count the device's newest revision"
    );
}

/// In process: every account operation takes effect at once and is audited with its actor.
#[test]
fn an_admin_resets_disables_re_roles_and_signs_out_a_user_and_each_takes_effect_at_once() {
    let s = InProcess::start();
    let admin = s.admin();
    let (id, token) = s.user(&admin, "ena", "enumerator");
    let get = |path: &str, token: &str| s.call("GET", path, Some(token), None);
    let login = |password: &str| {
        let body = json!({"username": "ena", "password": password});
        s.call("POST", "/auth/login", None, Some(&body))
    };

    // A reset ends the user's sessions; the old password stops working; the new one signs in
    // to a session that can only choose a password.
    let reset = json!({"password": "temporary-pass"});
    let short = json!({"password": "short"});
    assert_eq!(
        s.call(
            "POST",
            &format!("/users/{id}/password"),
            Some(&admin),
            Some(&short)
        )
        .0,
        422
    );
    assert_eq!(
        s.call(
            "POST",
            &format!("/users/{id}/password"),
            Some(&admin),
            Some(&reset)
        )
        .0,
        204
    );
    assert_eq!(get("/settlements", &token).0, 401, "the old session ended");
    assert_eq!(login("ena-password").0, 401, "the old password is gone");
    let (status, reply) = login("temporary-pass");
    assert_eq!(
        (status, reply["must_change_password"].as_bool()),
        (200, Some(true))
    );
    let limited = reply["token"].as_str().expect("token").to_owned();
    let (status, refused) = get("/settlements", &limited);
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let change = |current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new});
        s.call("PUT", "/auth/password", Some(&limited), Some(&body))
            .0
    };
    assert_eq!(change("wrong-password", "my-own-password"), 403);
    assert_eq!(change("temporary-pass", "short"), 422);
    assert_eq!(change("temporary-pass", "my-own-password"), 204);
    assert_eq!(
        get("/settlements", &limited).0,
        200,
        "the same session works now"
    );
    let (status, reply) = login("my-own-password");
    assert_eq!(
        (status, reply["must_change_password"].as_bool()),
        (200, Some(false))
    );
    let token = reply["token"].as_str().expect("token").to_owned();

    // A role change is in force for open sessions at once.
    assert_eq!(
        get("/reports", &token).0,
        403,
        "enumerators read no reports"
    );
    let role = json!({"role": "planner"});
    let (status, user) = s.call(
        "PUT",
        &format!("/users/{id}/role"),
        Some(&admin),
        Some(&role),
    );
    assert_eq!((status, user["role"].as_str()), (200, Some("planner")));
    assert_eq!(get("/reports", &token).0, 200, "a planner does");

    // Disabling ends the sessions at once and refuses sign-in; enabling allows it again.
    let (status, user) = s.call("POST", &format!("/users/{id}/disable"), Some(&admin), None);
    assert_eq!((status, user["disabled"].as_bool()), (200, Some(true)));
    assert_eq!(get("/reports", &token).0, 401);
    assert_eq!(login("my-own-password").0, 401);
    assert_eq!(
        s.call("POST", &format!("/users/{id}/enable"), Some(&admin), None)
            .0,
        200
    );
    let token = login("my-own-password").1["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Ending sessions says how many ended, and they did.
    let (status, ended) = s.call(
        "POST",
        &format!("/users/{id}/sessions/end"),
        Some(&admin),
        None,
    );
    assert_eq!((status, ended["ended"].as_u64()), (200, Some(1)));
    assert_eq!(get("/reports", &token).0, 401);

    // Nobody can lock the accounts out: the last enabled admin keeps role and access.
    let me = json!({"role": "supervisor"});
    assert_eq!(
        s.call("PUT", "/users/1/role", Some(&admin), Some(&me)).0,
        409
    );
    let (status, reply) = s.call("POST", "/users/1/disable", Some(&admin), None);
    assert_eq!(status, 409, "{reply}");
    assert!(
        reply["message"]
            .as_str()
            .is_some_and(|m| m.contains("last enabled admin"))
    );

    let (_, log) = s.call("GET", "/audit?limit=100", Some(&admin), None);
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    for action in [
        "user.password_reset",
        "user.password_change",
        "user.role",
        "user.disable",
        "user.enable",
        "user.sessions_end",
    ] {
        let entry = entries.iter().find(|e| e["action"] == action);
        let actor = if action == "user.password_change" {
            id
        } else {
            1
        };
        assert_eq!(
            entry.map(|e| (e["target"].clone(), e["user_id"].clone())),
            Some((json!(format!("user:{id}")), json!(actor))),
            "{action} audited with its actor"
        );
    }
}

/// In process: progress counts what the caller may see and flags what a supervisor acts on.
#[test]
fn progress_counts_interviews_against_targets_and_flags_short_and_duplicate_ones_per_scope() {
    let s = InProcess::start();
    let admin = s.admin();
    let (sup_id, sup) = s.user(&admin, "sup", "supervisor");
    let only_s03 = json!({"settlements": ["s03"]});
    let path = format!("/users/{sup_id}/settlements");
    assert_eq!(s.call("PUT", &path, Some(&admin), Some(&only_s03)).0, 204);
    let (_, ena) = s.user(&admin, "ena", "enumerator");
    let (status, device) = s.call("POST", "/devices", Some(&ena), None);
    assert_eq!(status, 201);
    let (dev_id, dev_token) = (
        device["device_id"].as_str().expect("id"),
        device["device_token"].as_str().expect("token"),
    );
    let long = crate::builtin_forms::f1_household();
    let short = crate::builtin_forms::with(&long, &[("/end", json!("2026-11-20T09:15:00+03:00"))]);
    let batch = json!({"device_id": dev_id, "items": [
        item(1, "r1", None, &long.to_string()),
        item(2, "r2", None, &short.to_string()),
        item(3, "r3", None, &refused("s01", 1)),
    ]});
    let (status, reply) = s.call("POST", "/sync/push", Some(dev_token), Some(&batch));
    assert_eq!(status, 200, "{reply}");
    let statuses: Vec<&str> = reply["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(statuses, ["stored", "stored", "stored"], "{reply}");
    let approve = json!({"state": "approved"});
    assert_eq!(
        s.call("POST", "/responses/r1/review", Some(&sup), Some(&approve))
            .0,
        200
    );

    let settlement = |p: &Value, code: &str| {
        p["settlements"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x["code"] == code)
            .cloned()
    };
    let flagged = |p: &Value, kind: &str| {
        let mut ids: Vec<String> = p["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["kind"] == kind)
            .filter_map(|f| f["response_id"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    let (status, all) = s.call("GET", "/progress", Some(&admin), None);
    assert_eq!(status, 200, "{all}");
    let s03 = settlement(&all, "s03").expect("s03");
    assert_eq!(
        (&s03["target"], &s03["received"], &s03["approved"]),
        (&json!(120), &json!(1), &json!(1)),
        "{s03}"
    );
    assert_eq!(settlement(&all, "s01").expect("s01")["received"], 1);
    assert_eq!(flagged(&all, "short_interview"), ["r2"]);
    assert_eq!(flagged(&all, "duplicate_household"), ["r1", "r2"]);
    let days = all["enumerators"].as_array().cloned().unwrap_or_default();
    let day = days
        .iter()
        .find(|d| d["day"] == "2026-11-20")
        .expect("the day of the two household interviews");
    assert_eq!(
        (&day["enumerator"], &day["interviews"]),
        (&json!("ena"), &json!(2))
    );
    assert_eq!(day["median_minutes"], 28.0, "of 53 and 3 minutes");
    assert_eq!(days.len(), 2, "and the day of the refused one: {days:?}");
    assert_eq!(all["devices"][0]["device_id"], dev_id);
    assert!(all["devices"][0]["last_upload"].is_string());

    // The supervisor of s03 sees s03 only, in every part of the screen.
    let (status, mine) = s.call("GET", "/progress", Some(&sup), None);
    assert_eq!(status, 200);
    let codes: Vec<&str> = mine["settlements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x["code"].as_str())
        .collect();
    assert_eq!(codes, ["s03"]);
    assert_eq!(flagged(&mine, "duplicate_household"), ["r1", "r2"]);
    assert_eq!(
        mine["enumerators"][0]["interviews"], 2,
        "not the s01 interview"
    );
}

/// In process: a one-time code enrolls one phone for one enumerator, once.
#[test]
fn a_one_time_code_enrolls_one_phone_for_an_enabled_enumerator_once() {
    let s = InProcess::start();
    let admin = s.admin();
    let (ena, _) = s.user(&admin, "ena", "enumerator");
    let (planner, _) = s.user(&admin, "plan", "planner");
    let code_for = |user: i64| {
        s.call(
            "POST",
            "/enrollment-codes",
            Some(&admin),
            Some(&json!({"user_id": user})),
        )
    };
    let (status, reply) = code_for(planner);
    assert_eq!(status, 422, "phones are for enumerators: {reply}");
    let (status, code) = code_for(ena);
    assert_eq!(
        (status, code["username"].as_str()),
        (201, Some("ena")),
        "{code}"
    );
    let typed = code["code"]
        .as_str()
        .expect("code")
        .replace('-', " ")
        .to_lowercase();
    assert_eq!(
        typed.len(),
        9,
        "eight characters, shown in two fours: {typed}"
    );
    let enroll = |code: &str| {
        s.call(
            "POST",
            "/devices/enroll",
            None,
            Some(&json!({"code": code})),
        )
    };
    let (status, device) = enroll(&typed);
    assert_eq!(
        (status, device["username"].as_str()),
        (201, Some("ena")),
        "{device}"
    );
    let token = device["device_token"].as_str().expect("token");
    assert_eq!(
        s.call("GET", "/sync/status", Some(token), None).0,
        200,
        "a working credential"
    );
    let (status, again) = enroll(&typed);
    assert_eq!(status, 401, "used up: {again}");
    assert!(
        again["message"]
            .as_str()
            .is_some_and(|m| m.contains("already used or expired"))
    );

    // A code stops working when its enumerator is disabled.
    let (_, code) = code_for(ena);
    assert_eq!(
        s.call("POST", &format!("/users/{ena}/disable"), Some(&admin), None)
            .0,
        200
    );
    assert_eq!(enroll(code["code"].as_str().expect("code")).0, 401);

    let (_, log) = s.call("GET", "/audit?limit=100", Some(&admin), None);
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e["action"] == "device.code")
            .count(),
        2,
        "each code is audited"
    );
    assert!(entries.iter().any(|e| e["action"] == "device.enroll"
        && e["detail"] == "with a one-time code"
        && e["user_id"] == ena));
}

#[test]
fn an_admin_takes_a_backup_from_the_api_and_devices_may_then_release_what_it_holds() {
    let s = Server::start();
    let admin = s.admin();
    let (dev_id, dev_tok) = s.device(&admin, "ena");
    let batch = json!({"device_id": dev_id, "items": [item(1, "bk", None, &refused("s01", 1))]});
    s.http
        .post(s.url("/sync/push"))
        .bearer_auth(&dev_tok)
        .json(&batch)
        .send()
        .expect("push");
    let status = |tok: &str| -> Value {
        s.http
            .get(s.url("/sync/status"))
            .bearer_auth(tok)
            .send()
            .expect("status")
            .json()
            .expect("json")
    };
    assert_eq!(status(&dev_tok)["backed_up_through_seq"], 0);
    let (_, sup) = s.user(&admin, "sup", "supervisor");
    let take = |tok: &str| {
        s.http
            .post(s.url("/backups"))
            .bearer_auth(tok)
            .send()
            .expect("backup")
    };
    assert_eq!(take(&sup).status(), 403, "backups are an admin's");
    let res = take(&admin);
    assert_eq!(res.status(), 201);
    let file: Value = res.json().expect("json");
    let name = file["name"].as_str().expect("name").to_owned();
    let extension = if crate::support::on_postgres() {
        ".pgdump"
    } else {
        ".db"
    };
    assert!(
        name.starts_with("baraza-") && name.ends_with(extension),
        "{name}"
    );
    assert_eq!(
        status(&dev_tok)["backed_up_through_seq"],
        1,
        "the device may release what the verified backup holds"
    );
    let list: Value = s
        .http
        .get(s.url("/backups"))
        .bearer_auth(&admin)
        .send()
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(list["files"][0]["name"], name.as_str());
    assert_eq!(list["last"]["actor"], "admin", "{list}");
    let folder = std::path::PathBuf::from(list["folder"].as_str().expect("folder"));
    assert_eq!(
        crate::support::backup_response_ids(&folder.join(&name)),
        ["bk"],
        "the backup holds the pushed interview"
    );
}

#[test]
fn the_settlement_frame_imports_as_csv_and_a_wrong_row_is_refused_with_its_number_and_nothing_imported()
 {
    let s = InProcess::start();
    let admin = s.admin();
    let (_, sup) = s.user(&admin, "sup", "supervisor");
    let csv = |token: &str, text: &str| {
        s.send(
            "POST",
            "/settlements/import",
            Some(token),
            "text/csv",
            text.as_bytes(),
        )
    };
    let (status, body) = csv(
        &admin,
        "code,name,type,households,target\ns21,New place,A,900,40\ns22,Other,B,x,\n",
    );
    assert_eq!(status, 422);
    assert_eq!(body["code"], "invalid_csv");
    assert_eq!(
        body["message"],
        "row 3: households \"x\" is not a whole number"
    );
    let (_, list) = s.call("GET", "/settlements", Some(&admin), None);
    assert_eq!(
        list["settlements"].as_array().map(Vec::len),
        Some(20),
        "nothing imported"
    );
    assert_eq!(csv(&sup, "code,name,type,households\n").0, 403);
    // A count no city has, which the reports' sums would overflow on: refused, the frame kept.
    let (status, body) = csv(
        &admin,
        "code,name,type,households\ns01,Huge,A,4611686018427387904\n",
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 1000000000")),
        "{body}"
    );
    let (status, body) = csv(
        &admin,
        "code,name,type,households,target\ns21,New place,A,900,40\n",
    );
    assert_eq!((status, &body["imported"]), (200, &json!(1)), "{body}");
    let (_, list) = s.call("GET", "/settlements", Some(&admin), None);
    let new = list["settlements"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["code"] == "s21")
        .cloned();
    assert_eq!(new.map(|s| s["target"].clone()), Some(json!(40)));
}

#[test]
fn a_workbook_is_checked_for_a_preview_without_being_published() {
    let s = InProcess::start();
    let admin = s.admin();
    let (_, sup) = s.user(&admin, "sup", "supervisor");
    let check = |token: &str, name: &str| {
        let bytes = std::fs::read(shared().join("xlsforms").join(name)).expect("workbook");
        s.send(
            "POST",
            "/forms/check",
            Some(token),
            "application/octet-stream",
            &bytes,
        )
    };
    let (_, before) = s.call("GET", "/forms", Some(&admin), None);
    let (status, body) = check(&admin, "pyxform_tutorial.xls");
    assert_eq!(status, 200, "{body}");
    let form: baraza_schema::Form =
        serde_json::from_value(body["form"].clone()).expect("the preview is a form definition");
    assert_eq!(form.settings.form_id, "form");
    assert!(body["diagnostics"].is_array());
    let (_, after) = s.call("GET", "/forms", Some(&admin), None);
    assert_eq!(before, after, "nothing is published by a check");
    let (status, body) = check(&admin, "pyxform_calculate_without_calculation.xls");
    assert_eq!((status, &body["code"]), (422, &json!("invalid_form")));
    assert!(
        body["details"]["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
    );
    assert_eq!(
        check(&sup, "pyxform_tutorial.xls").0,
        403,
        "checking forms is an admin's"
    );
}

#[test]
fn enrollment_codes_cannot_be_guessed_at_speed_from_one_address() {
    let s = InProcess::start();
    let admin = s.admin();
    let (ena, _) = s.user(&admin, "ena", "enumerator");
    let (_, code) = s.call(
        "POST",
        "/enrollment-codes",
        Some(&admin),
        Some(&json!({"user_id": ena})),
    );
    let enroll = |code: &str| {
        s.call(
            "POST",
            "/devices/enroll",
            None,
            Some(&json!({"code": code})),
        )
    };
    // Ten free, then a second's wait after the eleventh, doubling (as for passwords).
    for guess in 0..11 {
        let (status, reply) = enroll(&format!("AAAA-{guess:04}"));
        assert_eq!(status, 401, "guess {guess}: {reply}");
    }
    let (status, reply) = enroll("AAAA-0011");
    assert_eq!(status, 429, "the next guess at once waits: {reply}");
    let (status, _) = enroll(code["code"].as_str().expect("code"));
    assert_eq!(status, 429, "until the wait is over, even the right code");
}

/// In process: the submissions list sorted by a column across pages, and the fieldwork dates
/// against which the progress screen flags interviews.
#[test]
fn the_submissions_list_sorts_across_pages_and_interviews_outside_the_fieldwork_dates_are_flagged()
{
    let s = InProcess::start();
    let admin = s.admin();
    let (_, sup) = s.user(&admin, "sup", "supervisor");
    let (_, ena) = s.user(&admin, "ena", "enumerator");
    let (_, device) = s.call("POST", "/devices", Some(&ena), None);
    let (dev_id, dev_token) = (
        device["device_id"].as_str().expect("id"),
        device["device_token"].as_str().expect("token"),
    );
    let places = ["s03", "s01", "s05", "s01", "s02", "s05", "s04"];
    let items: Vec<Value> = places
        .iter()
        .enumerate()
        .map(|(i, p)| {
            item(
                i as u64 + 1,
                &format!("r{}", i + 1),
                None,
                &refused(p, i as u32),
            )
        })
        .collect();
    let batch = json!({"device_id": dev_id, "items": items});
    let (status, reply) = s.call("POST", "/sync/push", Some(dev_token), Some(&batch));
    assert_eq!(status, 200, "{reply}");

    let ids = |reply: &Value| -> Vec<String> {
        reply["responses"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                format!(
                    "{}:{}",
                    r["settlement"].as_str().unwrap_or(""),
                    r["response_id"].as_str().unwrap_or("")
                )
            })
            .collect()
    };
    let mut pages = Vec::new();
    for offset in [0, 3, 6] {
        let (status, page) = s.call(
            "GET",
            &format!("/responses?sort=settlement&desc=true&limit=3&offset={offset}"),
            Some(&admin),
            None,
        );
        assert_eq!(status, 200, "{page}");
        pages.extend(ids(&page));
    }
    assert_eq!(
        pages,
        [
            "s05:r6", "s05:r3", "s04:r7", "s03:r1", "s02:r5", "s01:r4", "s01:r2"
        ],
        "the whole list in the column's order (then by id), page after page"
    );
    let (status, body) = s.call("GET", "/responses?sort=password", Some(&admin), None);
    assert_eq!(status, 400, "{body}");
    let (status, body) = s.call("GET", "/responses?offset=10000001", Some(&admin), None);
    assert_eq!(status, 400, "{body}");
    // Answers as columns: the head's answers to the questions asked for, those answered.
    let (status, listed) = s.call(
        "GET",
        "/responses?answers=hh_id,consent,w_source&limit=2",
        Some(&admin),
        None,
    );
    assert_eq!(status, 200, "{listed}");
    assert_eq!(
        listed["responses"][0]["answers"],
        json!({"hh_id": "S01-0000", "consent": "no"}),
        "{listed}"
    );
    let eleven = (0..11)
        .map(|i| format!("q{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let (status, body) = s.call(
        "GET",
        &format!("/responses?answers={eleven}"),
        Some(&admin),
        None,
    );
    assert_eq!(status, 422, "{body}");

    // Fieldwork dates: every interview here was held on 2026-11-01.
    let flagged = |token: &str| {
        let (_, p) = s.call("GET", "/progress", Some(token), None);
        p["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["kind"] == "outside_fieldwork")
            .count()
    };
    assert_eq!(flagged(&admin), 0, "no dates, no flag");
    let set = |body: Value| s.call("PUT", "/settings/fieldwork", Some(&admin), Some(&body));
    let (status, body) = set(json!({"from": "2026-11-20", "to": "2026-11-02"}));
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("before it begins"))
    );
    assert_eq!(set(json!({"from": "1 Nov"})).0, 422);
    assert_eq!(set(json!([null, null])).0, 400, "a list is not the object");
    let (status, saved) = set(json!({"from": "2026-11-02"}));
    assert_eq!(
        (status, saved),
        (200, json!({"from": "2026-11-02", "to": null}))
    );
    assert_eq!(
        flagged(&admin),
        7,
        "held the day before the fieldwork began"
    );
    let (status, seen) = s.call("GET", "/settings/fieldwork", Some(&sup), None);
    assert_eq!((status, seen["from"].as_str()), (200, Some("2026-11-02")));
    assert_eq!(
        s.call("PUT", "/settings/fieldwork", Some(&sup), Some(&json!({})))
            .0,
        403,
        "supervisors read the dates; admins set them"
    );
    assert_eq!(
        set(json!({"from": "2026-11-01", "to": "2026-11-01"})).0,
        200
    );
    assert_eq!(flagged(&admin), 0, "both ends are included");
}
