//! The sync protocol against a real server process: the failure matrix of issue 3.

use baraza_schema::wire;
use serde_json::{Value, json};

use crate::support::{InProcess, Server, TempDir, open_database};

const F1: (&str, &str) = ("baraza_f1_household", "2026120301");

/// A refused F1 interview: the smallest valid household payload.
pub(crate) fn payload(hh: u32) -> String {
    format!(
        r#"{{"settlement":"s01","hh_id":"S01-{hh:04}","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E01","consent":"no"}}"#
    )
}

/// A push item for `payload` saved on top of `parent`.
pub(crate) fn item(seq: u64, response_id: &str, parent: Option<&str>, payload: &str) -> Value {
    json!({
        "device_seq": seq,
        "response_id": response_id,
        "rev": wire::rev(parent, F1.0, F1.1, payload.as_bytes()),
        "parent_rev": parent,
        "form_id": F1.0,
        "form_version": F1.1,
        "content_hash": wire::content_hash(payload.as_bytes()),
        "payload": payload,
        "saved_at": "2026-11-01T10:00:00Z",
    })
}

pub(crate) fn push(s: &Server, device: &(String, String), items: Vec<Value>) -> (u16, Value) {
    let res = s
        .http
        .post(s.url("/sync/push"))
        .bearer_auth(&device.1)
        .json(&json!({"device_id": device.0, "items": items}))
        .send()
        .expect("push");
    let status = res.status().as_u16();
    (status, res.json().unwrap_or(Value::Null))
}

fn statuses(v: &Value) -> Vec<&str> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["status"].as_str().unwrap_or("?"))
        .collect()
}

fn seqs(v: &Value) -> Vec<i64> {
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["server_seq"].as_i64().unwrap_or(-1))
        .collect()
}

fn revoke(s: &Server, admin: &str, device_id: &str) {
    let res = s
        .http
        .post(s.url(&format!("/devices/{device_id}/revoke")))
        .bearer_auth(admin)
        .send()
        .expect("revoke");
    assert_eq!(res.status(), 204);
}

fn response(s: &Server, admin: &str, id: &str) -> Value {
    let res = s
        .http
        .get(s.url(&format!("/responses/{id}")))
        .bearer_auth(admin)
        .send()
        .expect("get response");
    assert_eq!(res.status(), 200, "response {id}");
    res.json().expect("response JSON")
}

#[test]
fn push_stores_new_revisions_and_a_replayed_batch_is_all_duplicates_with_the_same_sequence_numbers()
{
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let batch = vec![
        item(1, "r-1", None, &payload(1)),
        item(2, "r-2", None, &payload(2)),
    ];
    let (status, first) = push(&s, &dev, batch.clone());
    assert_eq!(status, 200, "{first}");
    assert_eq!(statuses(&first), ["stored", "stored"]);
    assert_eq!(first["acked_through_seq"], 2);
    assert!(
        first["server_epoch"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    for _ in 0..3 {
        let (status, again) = push(&s, &dev, batch.clone());
        assert_eq!(status, 200);
        assert_eq!(statuses(&again), ["duplicate", "duplicate"]);
        assert_eq!(seqs(&again), seqs(&first));
        assert_eq!(again["acked_through_seq"], 2);
    }
    let st: Value = s
        .http
        .get(s.url("/sync/status"))
        .bearer_auth(&dev.1)
        .send()
        .expect("status")
        .json()
        .expect("json");
    assert_eq!(
        (
            st["acked_through_seq"].as_i64(),
            st["stored"].as_i64(),
            st["quarantined"].as_i64()
        ),
        (Some(2), Some(2), Some(0))
    );
    let listed: Value = s
        .http
        .get(s.url("/responses"))
        .bearer_auth(&admin)
        .send()
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(listed["responses"].as_array().map(Vec::len), Some(2));
}

#[test]
fn the_same_response_and_rev_with_other_bytes_is_quarantined_and_the_original_is_untouched() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let original = payload(7);
    push(&s, &dev, vec![item(1, "r-7", None, &original)]);
    let mut forged = item(2, "r-7", None, &payload(8));
    forged["rev"] = item(1, "r-7", None, &original)["rev"].clone();
    let (_, res) = push(&s, &dev, vec![forged]);
    assert_eq!(statuses(&res), ["quarantined"]);
    assert_eq!(res["results"][0]["code"], "rev_mismatch");
    let r = response(&s, &admin, "r-7");
    assert_eq!(r["revisions"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["revisions"][0]["payload"], original.as_str());
    // The quarantined item is acknowledged too: it is durably kept, not lost.
    assert_eq!(res["acked_through_seq"], 2);
}

#[test]
fn two_devices_editing_the_same_head_both_keep_their_revision_and_the_winner_does_not_depend_on_arrival_order()
 {
    let s = Server::start();
    let admin = s.admin();
    let base = payload(10);
    let (edit_a, edit_b) = (payload(11), payload(12));
    let rev1 = item(1, "any", None, &base)["rev"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut winners = Vec::new();
    // Response x: A's edit arrives first; response y: B's edit arrives first.
    for (id, first_edit, second_edit) in [("x", &edit_a, &edit_b), ("y", &edit_b, &edit_a)] {
        let first = s.device(&admin, &format!("{id}-first"));
        let second = s.device(&admin, &format!("{id}-second"));
        let (_, r1) = push(
            &s,
            &first,
            vec![
                item(1, id, None, &base),
                item(2, id, Some(&rev1), first_edit),
            ],
        );
        assert_eq!(statuses(&r1), ["stored", "stored"], "{id}");
        let (_, r2) = push(&s, &second, vec![item(1, id, Some(&rev1), second_edit)]);
        assert_eq!(statuses(&r2), ["conflict"], "{id}");
        let resp = response(&s, &admin, id);
        assert_eq!(resp["summary"]["conflict"], true);
        assert_eq!(
            resp["revisions"].as_array().map(Vec::len),
            Some(3),
            "both edits are kept"
        );
        let head = resp["summary"]["head_rev"].clone();
        winners.push(
            resp["revisions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["rev"] == head)
                .map(|r| r["payload"].clone()),
        );
    }
    assert!(winners[0].is_some());
    assert_eq!(
        winners[0], winners[1],
        "the same edit wins whichever arrives first"
    );
}

/// On PostgreSQL a batch of new interviews is stored by one statement (`store_new`), any
/// other batch item by item: both must answer as one item at a time would.
#[test]
fn a_batch_of_new_interviews_is_numbered_in_the_order_sent_and_mixed_batches_are_answered_item_by_item()
 {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let rev = |v: Value| v["rev"].as_str().unwrap_or_default().to_owned();
    let first: Vec<Value> = (1..=5)
        .map(|n| item(n, &format!("r-{n}"), None, &payload(30 + n as u32)))
        .collect();
    let (status, res) = push(&s, &dev, first.clone());
    assert_eq!(status, 200, "{res}");
    assert_eq!(statuses(&res), ["stored"; 5]);
    let numbered = seqs(&res);
    assert!(
        numbered.windows(2).all(|w| w[0] < w[1]),
        "server sequence numbers follow the items' order: {numbered:?}"
    );
    assert_eq!(res["acked_through_seq"], 5);
    let r3 = response(&s, &admin, "r-3");
    assert_eq!(r3["summary"]["head_rev"], first[2]["rev"]);
    assert_eq!(r3["summary"]["missing_parent"], false);
    assert_eq!(r3["summary"]["conflict"], false);

    // A replay, a new interview and an edit of a known one, in one batch.
    let edit = item(7, "r-1", Some(&rev(first[0].clone())), &payload(40));
    let (_, res) = push(
        &s,
        &dev,
        vec![
            first[2].clone(),
            item(6, "r-6", None, &payload(41)),
            edit.clone(),
        ],
    );
    assert_eq!(statuses(&res), ["duplicate", "stored", "stored"]);
    let again = seqs(&res);
    assert_eq!(again[0], numbered[2], "a replay keeps its number");
    assert!(numbered[4] < again[1] && again[1] < again[2], "{again:?}");
    assert_eq!(res["acked_through_seq"], 7);
    assert_eq!(
        response(&s, &admin, "r-1")["summary"]["head_rev"],
        edit["rev"]
    );

    // A new interview and its edit in one batch: one response, two revisions, the edit ahead.
    let start = item(8, "r-8", None, &payload(42));
    let next = item(9, "r-8", Some(&rev(start.clone())), &payload(43));
    let (_, res) = push(&s, &dev, vec![start, next.clone()]);
    assert_eq!(statuses(&res), ["stored", "stored"]);
    let r8 = response(&s, &admin, "r-8");
    assert_eq!(r8["summary"]["head_rev"], next["rev"]);
    assert_eq!(r8["summary"]["conflict"], false);
    assert_eq!(r8["revisions"].as_array().map(Vec::len), Some(2));

    // A new interview beside one whose sequence number was already used: the first stored,
    // the second quarantined, nothing of the first batch touched.
    let (_, res) = push(
        &s,
        &dev,
        vec![
            item(10, "r-10", None, &payload(44)),
            item(2, "r-2b", None, &payload(45)),
        ],
    );
    assert_eq!(statuses(&res), ["stored", "quarantined"]);
    assert_eq!(res["results"][1]["code"], "seq_reused");
    assert_eq!(res["acked_through_seq"], 10);
}

#[test]
fn a_child_revision_before_its_parent_is_stored_and_flagged_until_the_parent_arrives() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let (p1, p2) = (payload(20), payload(21));
    let rev1 = item(1, "c", None, &p1)["rev"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (_, res) = push(&s, &dev, vec![item(2, "c", Some(&rev1), &p2)]);
    assert_eq!(statuses(&res), ["stored"]);
    assert_eq!(res["acked_through_seq"], 0, "seq 1 has not arrived yet");
    assert_eq!(response(&s, &admin, "c")["summary"]["missing_parent"], true);
    let (_, res) = push(&s, &dev, vec![item(1, "c", None, &p1)]);
    assert_eq!(statuses(&res), ["stored"]);
    assert_eq!(res["acked_through_seq"], 2);
    let r = response(&s, &admin, "c");
    assert_eq!(r["summary"]["missing_parent"], false);
    assert_eq!(r["summary"]["conflict"], false);
    assert_eq!(
        r["summary"]["head_rev"],
        item(2, "c", Some(&rev1), &p2)["rev"]
    );
}

#[test]
fn what_cannot_be_accepted_is_quarantined_with_a_reason_code() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let mut bad_hash = item(1, "q1", None, &payload(30));
    bad_hash["content_hash"] = json!("sha256:0000");
    let mut unknown_version = item(2, "q2", None, &payload(31));
    let p = payload(31);
    unknown_version["form_version"] = json!("1999");
    unknown_version["rev"] = json!(wire::rev(None, F1.0, "1999", p.as_bytes()));
    let invalid = r#"{"settlement":"s01","hh_id":"bad","interview_date":"2026-11-01","start":"2026-11-01T09:00:00Z","end":"2026-11-01T09:25:00Z","today":"2026-11-01","deviceid":"dev-1","enumerator_id":"E01","consent":"no"}"#;
    let not_json = "{not json";
    let (status, res) = push(
        &s,
        &dev,
        vec![
            bad_hash,
            unknown_version,
            item(3, "q3", None, invalid),
            item(4, "q4", None, not_json),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(statuses(&res), ["quarantined"; 4]);
    let codes: Vec<&str> = res["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        [
            "hash_mismatch",
            "unknown_form",
            "invalid_answers",
            "invalid_json"
        ]
    );
    assert_eq!(res["results"][2]["issues"][0]["path"], "hh_id");
    assert_eq!(res["results"][2]["issues"][0]["kind"], "constraint_failed");
    assert_eq!(
        res["acked_through_seq"], 4,
        "quarantined items are durably kept, so they are acknowledged"
    );
    // Replaying quarantined items gives the same answers and adds nothing.
    let again = push(&s, &dev, vec![item(3, "q3", None, invalid)]).1;
    assert_eq!(again["results"][0]["code"], "invalid_answers");
    let st: Value = s
        .http
        .get(s.url("/sync/status"))
        .bearer_auth(&dev.1)
        .send()
        .expect("status")
        .json()
        .expect("json");
    assert_eq!(st["quarantined"], 4);
    // Supervisors see what names their settlement; the rest is for admins.
    let q: Value = s
        .http
        .get(s.url("/quarantine"))
        .bearer_auth(&admin)
        .send()
        .expect("quarantine")
        .json()
        .expect("json");
    let items = q["items"].as_array().expect("items");
    assert_eq!(
        items
            .iter()
            .map(|i| i["code"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        codes
    );
    assert_eq!(items[2]["settlement"], "s01");
    let kept: Value = serde_json::from_str(items[2]["item"].as_str().unwrap_or(""))
        .expect("the whole item is kept");
    assert_eq!(kept["payload"], invalid);
    let (sup_id, sup) = s.user(&admin, "sup", "supervisor");
    s.http
        .put(s.url(&format!("/users/{sup_id}/settlements")))
        .bearer_auth(&admin)
        .json(&json!({"settlements": ["s01"]}))
        .send()
        .expect("assign");
    let q: Value = s
        .http
        .get(s.url("/quarantine"))
        .bearer_auth(&sup)
        .send()
        .expect("quarantine")
        .json()
        .expect("json");
    assert_eq!(
        q["items"].as_array().map(Vec::len),
        Some(3),
        "the invalid-JSON item names no settlement"
    );

    // Dismissing: a reason is required; the item stays, with the reason; twice is a conflict;
    // another settlement's item is not found; the audit log says who did it.
    let dismiss = |token: &str, id: &Value, reason: &str| {
        let r = s
            .http
            .post(s.url(&format!("/quarantine/{id}/dismiss")))
            .bearer_auth(token)
            .json(&json!({ "reason": reason }))
            .send()
            .expect("dismiss");
        (r.status().as_u16(), r.json::<Value>().expect("json"))
    };
    let (status, body) = dismiss(&sup, &items[2]["id"], "  ");
    assert_eq!(
        (status, body["message"].as_str()),
        (422, Some("say why the item is dismissed"))
    );
    let (status, body) = dismiss(&sup, &items[2]["id"], "a test interview");
    assert_eq!(
        (status, &body["dismissed"]),
        (200, &json!("a test interview")),
        "{body}"
    );
    assert_eq!(dismiss(&sup, &items[2]["id"], "again").0, 409);
    assert_eq!(
        dismiss(&sup, &items[3]["id"], "not mine").0,
        404,
        "an item naming no settlement is the admin's"
    );
    let q: Value = s
        .http
        .get(s.url("/quarantine"))
        .bearer_auth(&admin)
        .send()
        .expect("quarantine")
        .json()
        .expect("json");
    assert_eq!(
        q["items"].as_array().map(Vec::len),
        Some(4),
        "nothing is deleted"
    );
    assert_eq!(q["items"][2]["dismissed"], "a test interview");
    let log: Value = s
        .http
        .get(s.url("/audit?actor=sup&action=quarantine."))
        .bearer_auth(&admin)
        .send()
        .expect("audit")
        .json()
        .expect("json");
    let entries = log["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["actor"], "sup");
    assert_eq!(entries[0]["action"], "quarantine.dismiss");
    assert_eq!(entries[0]["detail"], "a test interview");

    // Releasing: the fixed answers must pass the form's rules; they become the response's
    // revision, by the supervisor, and the item (kept) names it; an item whose form version
    // is not published cannot be released.
    let release = |id: &Value, answers: &Value| {
        let r = s
            .http
            .post(s.url(&format!("/quarantine/{id}/release")))
            .bearer_auth(&admin)
            .json(&json!({ "answers": answers }))
            .send()
            .expect("release");
        (r.status().as_u16(), r.json::<Value>().expect("json"))
    };
    let mut fixed: Value = serde_json::from_str(invalid).expect("json");
    let (status, body) = release(&items[0]["id"], &fixed);
    assert_eq!(
        (status, &body["code"]),
        (422, &json!("invalid_answers")),
        "{body}"
    );
    fixed["hh_id"] = json!("S01-0031");
    let (status, body) = release(&items[0]["id"], &fixed);
    assert_eq!(status, 200, "{body}");
    let rev = body["released_rev"]
        .as_str()
        .expect("the item names its revision")
        .to_owned();
    let q1: Value = s
        .http
        .get(s.url("/responses/q1"))
        .bearer_auth(&admin)
        .send()
        .expect("response")
        .json()
        .expect("json");
    assert_eq!(q1["summary"]["head_rev"], rev.as_str());
    let head: Value = serde_json::from_str(q1["revisions"][0]["payload"].as_str().unwrap_or(""))
        .expect("payload");
    assert_eq!(head, fixed, "the released answers are the response");
    // The phone that sent it learns it was released: the new revision comes with its next
    // pull, naming the quarantined revision it releases (the phone holds no kept revision of
    // this response, only the quarantined one).
    let pulled: Value = s
        .http
        .get(s.url("/sync/pull?cursor=0"))
        .bearer_auth(&dev.1)
        .send()
        .expect("pull")
        .json()
        .expect("json");
    let quarantined: Value =
        serde_json::from_str(items[0]["item"].as_str().unwrap_or("")).expect("item");
    let corrections = pulled["corrections"].as_array().expect("corrections");
    assert_eq!(corrections.len(), 1, "{pulled}");
    assert_eq!(corrections[0]["rev"], rev.as_str());
    assert_eq!(corrections[0]["releases"], quarantined["rev"], "{pulled}");
    assert_eq!(release(&items[0]["id"], &fixed).0, 409, "released once");
    let (status, body) = release(&items[1]["id"], &fixed);
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not published here")),
        "{body}"
    );
}

#[test]
fn responses_to_a_closed_form_are_quarantined_closing_forms_still_accept_them_and_a_reopened_one_accepts_again()
 {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let set_state = |state: &str| {
        s.http
            .post(s.url(&format!("/forms/{}/{}/state", F1.0, F1.1)))
            .bearer_auth(&admin)
            .json(&json!({"state": state}))
            .send()
            .expect("state")
            .status()
    };
    assert_eq!(set_state("closing"), 200);
    assert_eq!(
        statuses(&push(&s, &dev, vec![item(1, "k1", None, &payload(40))]).1),
        ["stored"]
    );
    assert_eq!(set_state("closed"), 200);
    let (_, res) = push(&s, &dev, vec![item(2, "k2", None, &payload(41))]);
    assert_eq!(res["results"][0]["code"], "form_closed");
    // Reopened, it takes interviews again; what arrived while it was closed stays in
    // quarantine for a supervisor.
    assert_eq!(set_state("open"), 200, "an admin reopens a version");
    assert_eq!(
        statuses(&push(&s, &dev, vec![item(3, "k3", None, &payload(42))]).1),
        ["stored"]
    );
    let quarantine: Value = s
        .http
        .get(s.url("/quarantine"))
        .bearer_auth(&admin)
        .send()
        .expect("quarantine")
        .json()
        .expect("json");
    assert_eq!(quarantine["items"][0]["response_id"], "k2", "{quarantine}");
}

#[test]
fn bad_requests_get_clear_errors_in_the_json_error_shape() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let other = s.device(&admin, "enb");
    let post = |body: String, token: &str| {
        let res = s
            .http
            .post(s.url("/sync/push"))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .expect("push");
        (
            res.status().as_u16(),
            res.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (status, body) = post("{\"device_id\": ".into(), &dev.1);
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed")));
    // A 9 MB body is refused from its declared length, before the server reads any of it.
    let (status, body) = raw_post_headers_only(&s, "/api/v1/sync/push", &dev.1, 9 << 20);
    assert_eq!(status, 413);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("JSON error body")["code"],
        "payload_too_large"
    );
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    assert_eq!(post(deep, &dev.1).0, 400);
    let (status, body) = post(
        json!({"device_id": other.0, "items": []}).to_string(),
        &dev.1,
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("device_mismatch"))
    );
    let (status, _) = post(
        json!({"device_id": dev.0, "items": [item(0, "z", None, &payload(1))]}).to_string(),
        &dev.1,
    );
    assert_eq!(status, 400, "device_seq starts at 1");
    let (status, body) = post(
        json!({"device_id": dev.0, "items": []}).to_string(),
        "not-a-device",
    );
    assert_eq!((status, body["code"].as_str()), (401, Some("unauthorized")));
    for (key, value) in [
        ("code", body["code"].clone()),
        ("message", body["message"].clone()),
    ] {
        assert!(value.as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
}

/// In process (`InProcess`): the extractors' rejections are the router's, not the socket's.
#[test]
fn query_strings_and_path_parameters_that_do_not_parse_get_the_json_error_shape() {
    let s = InProcess::start();
    let admin = s.admin();
    // Query strings and path parameters that do not parse, and list limits out of range, get
    // the same JSON shape, not a plain-text rejection.
    for path in [
        "/responses?limit=5000",
        "/responses?limit=0",
        "/responses?conflict=maybe",
        "/responses?review_state=lost",
        "/quarantine?limit=99999999999",
        "/audit?before=x",
        "/users/not-a-number/settlements",
    ] {
        let method = if path.starts_with("/users") {
            "PUT"
        } else {
            "GET"
        };
        let body = json!({"settlements": []});
        let (status, reply) = s.call(method, path, Some(&admin), Some(&body));
        assert!(
            status == 400 && reply["code"] == "malformed" && reply["message"].is_string(),
            "{path}: {status} {reply}"
        );
    }
}

/// Sends only the head of a POST declaring `length` bytes, and reads the answer.
fn raw_post_headers_only(s: &Server, path: &str, token: &str, length: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = s.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("write head");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn a_revoked_device_is_refused_at_once() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    assert_eq!(
        push(&s, &dev, vec![item(1, "v1", None, &payload(50))]).0,
        200
    );
    revoke(&s, &admin, &dev.0);
    let (status, body) = push(&s, &dev, vec![item(2, "v2", None, &payload(51))]);
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("device_revoked"))
    );
    // What it had sent stays.
    assert_eq!(
        response(&s, &admin, "v1")["revisions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn an_expired_session_token_gets_401_token_expired() {
    let s = Server::start();
    let admin = s.admin();
    let db = open_database(&s.data);
    db.expire_session(&admin).expect("expire");
    let res = s
        .http
        .get(s.url("/users"))
        .bearer_auth(&admin)
        .send()
        .expect("request");
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().expect("json")["code"], "token_expired");
}

#[test]
fn device_clocks_years_off_are_accepted_and_order_nothing() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let mut past = item(1, "t1", None, &payload(60));
    past["saved_at"] = json!("1999-01-01T00:00:00Z");
    let mut future = item(2, "t2", None, &payload(61));
    future["saved_at"] = json!("2099-12-31T23:59:59Z");
    let (_, res) = push(&s, &dev, vec![future, past]);
    assert_eq!(statuses(&res), ["stored", "stored"]);
    let (a, b) = (seqs(&res)[0], seqs(&res)[1]);
    assert!(a < b, "server order follows arrival, not device clocks");
}

#[test]
fn acknowledged_revisions_survive_a_restart_and_the_epoch_is_stable() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let (_, res) = push(&s, &dev, vec![item(1, "p1", None, &payload(70))]);
    let epoch = res["server_epoch"].clone();
    let data: TempDir = s.kill();
    let s = Server::start_in(data, &[]);
    let (_, again) = push(&s, &dev, vec![item(1, "p1", None, &payload(70))]);
    assert_eq!(statuses(&again), ["duplicate"]);
    assert_eq!(again["server_epoch"], epoch);
}

#[test]
fn a_sequence_number_reused_for_another_revision_is_quarantined_and_the_first_kept() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let (_, first) = push(&s, &dev, vec![item(1, "u1", None, &payload(80))]);
    assert_eq!(statuses(&first), ["stored"]);
    let (_, second) = push(&s, &dev, vec![item(1, "u2", None, &payload(81))]);
    assert_eq!(statuses(&second), ["quarantined"]);
    assert_eq!(second["results"][0]["code"], "seq_reused");
    assert_eq!(
        response(&s, &admin, "u1")["revisions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let listed: Value = s
        .http
        .get(s.url("/responses"))
        .bearer_auth(&admin)
        .send()
        .expect("list")
        .json()
        .expect("json");
    assert_eq!(
        listed["responses"].as_array().map(Vec::len),
        Some(1),
        "u2 is in quarantine, not among responses"
    );
}

#[test]
fn an_exported_file_with_more_interviews_than_one_push_takes_is_imported_whole() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "many");
    revoke(&s, &admin, &dev.0);
    // Two and a half pushes' worth: a phone that could not sync for weeks.
    let n = 1_250u64;
    let items: Vec<Value> = (1..=n)
        .map(|k| item(k, &format!("m{k}"), None, &payload(k as u32)))
        .collect();
    let file = json!({"device_id": dev.0, "items": items});
    let import = || {
        let res = s
            .http
            .post(s.url("/sync/import"))
            .bearer_auth(&admin)
            .json(&file)
            .send()
            .expect("import");
        assert_eq!(res.status(), 200);
        res.json::<Value>().expect("the import's answer")
    };
    let first = import();
    let got = statuses(&first);
    assert_eq!(got.len(), n as usize);
    assert!(got.iter().all(|s| *s == "stored"), "{:?}", &got[495..505]);
    assert_eq!(first["acked_through_seq"], n);
    let again = import();
    assert!(statuses(&again).iter().all(|s| *s == "duplicate"));
}

#[test]
fn an_exported_file_from_a_revoked_device_is_imported_once_however_often_it_is_imported() {
    let s = Server::start();
    let admin = s.admin();
    let (_, supervisor) = s.user(&admin, "sup", "supervisor");
    let (_, enumerator) = s.user(&admin, "enu", "enumerator");
    let dev = s.device(&admin, "exp");
    assert_eq!(
        push(&s, &dev, vec![item(1, "x1", None, &payload(70))]).0,
        200
    );
    revoke(&s, &admin, &dev.0);
    // What "Export the responses on this phone" saves: the device's push request, the first item
    // already acknowledged, the second never sent.
    let file = json!({"device_id": dev.0, "items": [item(1, "x1", None, &payload(70)), item(2, "x2", None, &payload(71))]});
    let import = |token: &str, body: &Value| {
        let res = s
            .http
            .post(s.url("/sync/import"))
            .bearer_auth(token)
            .json(body)
            .send()
            .expect("import");
        let status = res.status().as_u16();
        (status, res.json::<Value>().unwrap_or(Value::Null))
    };
    let (status, first) = import(&supervisor, &file);
    assert_eq!(status, 200, "{first}");
    assert_eq!(statuses(&first), ["duplicate", "stored"]);
    let (status, again) = import(&admin, &file);
    assert_eq!(status, 200);
    assert_eq!(statuses(&again), ["duplicate", "duplicate"]);
    assert_eq!(seqs(&again), seqs(&first), "the same answer every time");
    assert_eq!(
        response(&s, &admin, "x2")["revisions"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        import(&enumerator, &file).0,
        403,
        "enumerators do not import"
    );
    let (status, body) = import(&admin, &json!({"device_id": "no-such-device", "items": []}));
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, body) = import(
        &admin,
        &json!({"device_id": dev.0, "items": [item(0, "x3", None, &payload(72))]}),
    );
    assert_eq!((status, body["code"].as_str()), (400, Some("malformed")));
    let (status, _) = import(&admin, &json!({"not": "an export"}));
    assert_eq!(status, 400, "a file that is not an export is a clear error");
}

#[test]
fn a_device_downloads_new_form_versions_with_its_own_credential_until_it_is_revoked() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "dl");
    let get = |token: &str| {
        s.http
            .get(s.url(&format!("/forms/{}/{}", F1.0, F1.1)))
            .bearer_auth(token)
            .send()
            .expect("get form")
            .status()
            .as_u16()
    };
    assert_eq!(get(&dev.1), 200);
    revoke(&s, &admin, &dev.0);
    assert_eq!(get(&dev.1), 403, "a revoked device downloads nothing");
    assert_eq!(get("not-a-token"), 401);
}

#[test]
fn metadata_the_device_could_not_have_filled_is_quarantined_with_its_reason() {
    let s = Server::start();
    let admin = s.admin();
    let dev = s.device(&admin, "ena");
    let swap = |from: &str, to: &str| payload(40).replace(from, to);
    let backwards = swap(
        r#""end":"2026-11-01T09:25:00Z""#,
        r#""end":"2026-11-01T08:59:00Z""#,
    );
    let future = swap(
        r#""end":"2026-11-01T09:25:00Z""#,
        r#""end":"2099-01-01T09:25:00Z""#,
    );
    let missing = swap(r#""start":"2026-11-01T09:00:00Z","#, "");
    let (status, res) = push(
        &s,
        &dev,
        vec![
            item(1, "m1", None, &backwards),
            item(2, "m2", None, &future),
            item(3, "m3", None, &missing),
            item(4, "m4", None, &payload(41)),
        ],
    );
    assert_eq!(status, 200);
    assert_eq!(
        statuses(&res),
        ["quarantined", "quarantined", "quarantined", "stored"]
    );
    let issue = |i: usize| &res["results"][i]["issues"][0];
    let says = |i: usize, text: &str| {
        assert!(
            issue(i)["message"]
                .as_str()
                .is_some_and(|m| m.contains(text)),
            "{}",
            issue(i)
        );
    };
    assert_eq!(res["results"][0]["code"], "invalid_answers");
    assert_eq!(issue(0)["path"], "end");
    assert_eq!(issue(0)["kind"], "implausible");
    says(0, "ends (2026-11-01T08:59:00Z) before it starts");
    assert_eq!(issue(1)["kind"], "implausible");
    says(1, "after the server's day");
    assert_eq!(issue(2)["path"], "start");
    assert_eq!(issue(2)["kind"], "required");
    assert_eq!(
        issue(2)["message"],
        "start is filled by the device, but it is missing"
    );
}
