//! Drafts: editing answers in place by path, keeping a draft's structure in step with the
//! form (rows a `repeat_count` asks for, preset values), and turning a draft into an
//! immutable revision. Pure, so the browser and native tests share it.

use std::collections::BTreeMap;

use baraza_schema::wire::{self, PushItem};
use baraza_schema::{Date, Field, FieldState, Form, Issue, Kind, inspect, prune, validate};
use serde_json::{Map, Value as Json};

/// One step into the answers: a field name, or a repeat row (from 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Row(usize),
}

/// Parses an engine path such as `member[2]/m_age` (rows from 1) into steps.
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        match part.split_once('[') {
            Some((name, rest)) => {
                out.push(Seg::Key(name.to_owned()));
                if let Ok(n) = rest.trim_end_matches(']').parse::<usize>() {
                    out.push(Seg::Row(n.saturating_sub(1)));
                }
            }
            None => out.push(Seg::Key(part.to_owned())),
        }
    }
    out
}

/// The value at `path`, if any.
pub fn get<'a>(answers: &'a Json, path: &[Seg]) -> Option<&'a Json> {
    path.iter().try_fold(answers, |v, s| match s {
        Seg::Key(k) => v.get(k),
        Seg::Row(i) => v.get(i),
    })
}

/// Sets (or with `None` removes) the value at `path`, creating objects and rows on the way.
pub fn set(answers: &mut Json, path: &[Seg], value: Option<Json>) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut v = answers;
    for (i, s) in parents.iter().enumerate() {
        let next_is_row = matches!(path.get(i + 1), Some(Seg::Row(_)));
        v = match s {
            Seg::Key(k) => {
                if !v.is_object() {
                    *v = Json::Object(Map::new());
                }
                let Some(obj) = v.as_object_mut() else { return };
                obj.entry(k.clone()).or_insert_with(|| {
                    if next_is_row {
                        Json::Array(Vec::new())
                    } else {
                        Json::Object(Map::new())
                    }
                })
            }
            Seg::Row(n) => {
                if !v.is_array() {
                    *v = Json::Array(Vec::new());
                }
                let Some(rows) = v.as_array_mut() else { return };
                while rows.len() <= *n {
                    rows.push(Json::Object(Map::new()));
                }
                &mut rows[*n]
            }
        };
    }
    match (last, v) {
        (Seg::Key(k), Json::Object(obj)) => match value {
            Some(x) => {
                obj.insert(k.clone(), x);
            }
            None => {
                obj.remove(k);
            }
        },
        (Seg::Row(n), Json::Array(rows)) => match value {
            Some(x) => {
                while rows.len() <= *n {
                    rows.push(Json::Object(Map::new()));
                }
                rows[*n] = x;
            }
            None if *n < rows.len() => {
                rows.remove(*n);
            }
            None => {}
        },
        _ => {}
    }
}

/// Brings a draft's structure in line with the form: repeats get the rows their
/// `repeat_count` asks for, and preset questions get their fixed values. Surplus trailing
/// rows go only while nothing in them was answered (an answered row is removed by the
/// enumerator, never by the engine). Returns the engine's view of the completed draft
/// (`schema::inspect`), which a screen can show as is: one pass of the engine when nothing
/// changed, the most common case while typing.
pub fn complete_structure(form: &Form, answers: &mut Json, today: Date) -> States {
    let mut states = inspect(form, answers, today);
    for _ in 0..8 {
        let mut pass = false;
        for (path, state) in &states {
            if state.rows.is_none() && state.preset.is_none() {
                continue;
            }
            let segs = parse_path(path);
            if let Some(n) = state.rows {
                let have = get(answers, &segs)
                    .and_then(Json::as_array)
                    .map_or(0, Vec::len);
                if have < n {
                    let mut rows_path = segs.clone();
                    rows_path.push(Seg::Row(n - 1));
                    // Fills the gap with empty rows up to row n.
                    set(answers, &rows_path, Some(Json::Object(Map::new())));
                    pass = true;
                } else if have > n {
                    let mut left = have;
                    while left > n
                        && get(answers, &segs)
                            .and_then(|rows| rows.get(left - 1))
                            .is_some_and(|row| !answered(form, row))
                    {
                        let mut last = segs.clone();
                        last.push(Seg::Row(left - 1));
                        set(answers, &last, None);
                        left -= 1;
                    }
                    if left < have {
                        // The states of the removed rows are stale: inspect again.
                        pass = true;
                        break;
                    }
                }
            }
            if let Some(p) = &state.preset
                && get(answers, &segs).and_then(Json::as_str) != Some(p.as_str())
            {
                set(answers, &segs, Some(Json::String(p.clone())));
                pass = true;
            }
        }
        if !pass {
            break;
        }
        states = inspect(form, answers, today);
    }
    states
}

/// What the engine knows about each question of a draft, keyed by path (`schema::inspect`).
pub type States = BTreeMap<String, FieldState>;

/// What the device knows about itself and the moment, for the metadata it fills.
#[derive(Clone, Copy)]
pub struct Device<'a> {
    pub device_id: &'a str,
    pub username: &'a str,
    /// Now, as an ISO 8601 moment with its offset (`2026-12-02T09:14:03.120Z`).
    pub now: &'a str,
    /// A new UUID at each call, for `uuid()` calculations (and `random()`'s bits).
    pub uuid: &'a dyn Fn() -> String,
}

/// Fills what the device knows, outside repeats: `start`, `today`, `deviceid` and `username`
/// where absent, `end` when `finishing`, and, when the draft is new, each question's
/// `default` (`today()` is today's date); and every `uuid()`, `now()` and `random()`
/// calculation without a value, repeat rows included (`fill_device_calls`). The phone number, e-mail and SIM of a web browser are unknown
/// and stay empty.
pub fn stamp(form: &Form, answers: &mut Json, device: &Device, today: Date, finishing: bool) {
    let fresh = answers.as_object().is_none_or(Map::is_empty);
    for f in form.outside_repeats() {
        let value = match f.kind {
            Kind::Start => Some(Json::from(device.now)),
            Kind::End if finishing => Some(Json::from(device.now)),
            Kind::Today => Some(Json::from(today.to_string())),
            Kind::DeviceId => Some(Json::from(device.device_id)),
            Kind::Username => Some(Json::from(device.username)),
            _ if fresh => f
                .default
                .as_deref()
                .and_then(|d| default_value(f.kind, d, today)),
            _ => None,
        };
        let key = [Seg::Key(f.name.clone())];
        // Only `end` moves on; everything else is filled once.
        if let Some(v) = value
            && (f.kind == Kind::End || get(answers, &key).is_none())
        {
            set(answers, &key, Some(v));
        }
    }
    fill_device_calls(&form.fields, answers, device, finishing);
}

/// Fills each `uuid()`, `now()` and `random()` calculation without a value; `now()` outside
/// `once()` moves on when `finishing`, as ODK's is the time of the last recalculation.
fn fill_device_calls(fields: &[Field], obj: &mut Json, device: &Device, finishing: bool) {
    for f in fields {
        match (f.kind, f.device_call()) {
            (Kind::Group, _) => fill_device_calls(&f.children, obj, device, finishing),
            (Kind::Repeat, _) => {
                let rows = obj.get_mut(&f.name).and_then(Json::as_array_mut);
                for row in rows.into_iter().flatten() {
                    fill_device_calls(&f.children, row, device, finishing);
                }
            }
            (_, Some(call)) => {
                let Some(o) = obj.as_object_mut() else {
                    continue;
                };
                let moves = finishing
                    && call == "now"
                    && f.calculation
                        .as_ref()
                        .is_some_and(|c| c.source() == "now()");
                if moves || !o.contains_key(&f.name) {
                    let value = match call {
                        "now" => Json::from(device.now),
                        // Uniform in [0, 1): 53 of the random bits that end a new UUID
                        // (the two above them are its variant).
                        "random" => Json::from(
                            u64::from_str_radix(&(device.uuid)().replace('-', "")[16..], 16)
                                .map_or(0.0, |r| ((r << 2) >> 11) as f64 / (1u64 << 53) as f64),
                        ),
                        _ => Json::from((device.uuid)()),
                    };
                    o.insert(f.name.clone(), value);
                }
            }
            _ => {}
        }
    }
}

/// A question's `default` as an answer of its kind: numbers as numbers, several choices as a
/// list, `today()` as today's date; a default that does not fit its kind is not used.
fn default_value(kind: Kind, text: &str, today: Date) -> Option<Json> {
    let text = text.trim();
    match kind {
        Kind::Integer | Kind::Decimal | Kind::Range => {
            crate::input::number(kind, text, false).ok().flatten()
        }
        Kind::SelectMultiple => Some(Json::Array(
            text.split_whitespace()
                .map(|c| Json::String(c.to_owned()))
                .collect(),
        )),
        Kind::Date if text == "today()" => Some(Json::String(today.to_string())),
        Kind::Date => Date::parse(text).ok().map(|d| Json::String(d.to_string())),
        Kind::Text
        | Kind::SelectOne
        | Kind::Hidden
        | Kind::Barcode
        | Kind::Time
        | Kind::DateTime
            if !text.is_empty() =>
        {
            Some(Json::String(text.to_owned()))
        }
        _ => None,
    }
}

/// Whether a repeat row holds anything the enumerator gave: a key other than a preset
/// question's fixed value.
pub fn answered(form: &Form, row: &Json) -> bool {
    row.as_object().is_some_and(|o| {
        o.keys()
            .any(|k| form.field(k).is_none_or(|f| f.preset.is_none()))
    })
}

/// A draft made ready to finalize: structure completed, answers that no longer apply
/// removed, then checked with the server's own rules.
pub fn prepare(form: &Form, answers: &Json, today: Date) -> (Json, Vec<Issue>) {
    let mut a = answers.clone();
    complete_structure(form, &mut a, today);
    let pruned = prune(form, &a, today);
    let issues = validate(form, &pruned, today);
    (pruned, issues)
}

/// The immutable revision for a finalized draft. The payload bytes are serialized once here;
/// the hash and rev cover exactly these bytes.
pub fn revision(
    form: &Form,
    response_id: &str,
    parent_rev: Option<&str>,
    payload: &Json,
    device_seq: u64,
    saved_at: Option<String>,
) -> PushItem {
    let bytes = payload.to_string();
    let s = &form.settings;
    PushItem {
        device_seq,
        response_id: response_id.to_owned(),
        rev: wire::rev(parent_rev, &s.form_id, &s.version, bytes.as_bytes()),
        parent_rev: parent_rev.map(str::to_owned),
        form_id: s.form_id.clone(),
        form_version: s.version.clone(),
        content_hash: wire::content_hash(bytes.as_bytes()),
        payload: bytes,
        saved_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FORM: &str = r#"{"settings":{"form_id":"t","version":"1","title":"T"},"languages":[],
        "fields":[{"name":"n","kind":"integer"},
                  {"name":"p","kind":"repeat","repeat_count":"${n}","children":[
                      {"name":"code","kind":"text","preset":"'a b c'"},
                      {"name":"age","kind":"integer","required":"true()"}]},
                  {"name":"why","kind":"text","relevant":"${n} > 2"}],"choices":{}}"#;

    fn form() -> Form {
        serde_json::from_str(FORM).expect("test form")
    }

    fn today() -> Date {
        Date::parse("2026-11-28").expect("date")
    }

    #[test]
    fn paths_from_the_engine_address_answers_in_rows() {
        let mut a = json!({});
        let path = parse_path("p[2]/age");
        assert_eq!(
            path,
            [Seg::Key("p".into()), Seg::Row(1), Seg::Key("age".into())]
        );
        set(&mut a, &path, Some(json!(40)));
        assert_eq!(a, json!({"p": [{}, {"age": 40}]}));
        assert_eq!(get(&a, &path), Some(&json!(40)));
        set(&mut a, &path, None);
        assert_eq!(a, json!({"p": [{}, {}]}));
        set(&mut a, &parse_path("p[1]"), None);
        assert_eq!(
            a,
            json!({"p": [{}]}),
            "removing a row removes only that row"
        );
    }

    #[test]
    fn a_draft_gets_the_rows_and_presets_the_form_asks_for_but_never_loses_rows() {
        let f = form();
        let mut a = json!({"n": 2});
        let states = complete_structure(&f, &mut a, today());
        assert_eq!(a, json!({"n": 2, "p": [{"code": "a"}, {"code": "b"}]}));
        assert_eq!(
            states,
            inspect(&f, &a, today()),
            "the states returned are those of the completed draft"
        );
        let before = a.clone();
        complete_structure(&f, &mut a, today());
        assert_eq!(a, before, "a second pass changes nothing");
        set(&mut a, &parse_path("p[2]/age"), Some(json!(7)));
        set(&mut a, &parse_path("n"), Some(json!(1)));
        complete_structure(&f, &mut a, today());
        assert_eq!(
            get(&a, &parse_path("p"))
                .and_then(Json::as_array)
                .map(Vec::len),
            Some(2),
            "an answered row is removed by the enumerator, not the engine"
        );
        set(&mut a, &parse_path("n"), Some(json!(3)));
        complete_structure(&f, &mut a, today());
        set(&mut a, &parse_path("n"), Some(json!(1)));
        complete_structure(&f, &mut a, today());
        assert_eq!(
            a,
            json!({"n": 1, "p": [{"code": "a"}, {"code": "b", "age": 7}]}),
            "the unanswered third row goes; the answered second stays"
        );
    }

    #[test]
    fn finalizing_prunes_what_does_not_apply_and_reports_what_is_missing() {
        let f = form();
        let (payload, issues) = prepare(&f, &json!({"n": 1, "why": "left over"}), today());
        assert_eq!(payload, json!({"n": 1, "p": [{"code": "a"}]}));
        assert_eq!(
            issues.iter().map(|i| i.path.as_str()).collect::<Vec<_>>(),
            ["p[1]/age"]
        );
    }

    const META: &str = r#"{"settings":{"form_id":"m","version":"1","title":"M"},"languages":[],
        "fields":[{"name":"start","kind":"start"},{"name":"end","kind":"end"},
                  {"name":"today","kind":"today"},{"name":"device","kind":"deviceid"},
                  {"name":"enumerator","kind":"username"},{"name":"phone","kind":"phonenumber"},
                  {"name":"g","kind":"group","children":[
                      {"name":"day","kind":"date","default":"today()"},
                      {"name":"n","kind":"integer","default":"3"}]},
                  {"name":"id","kind":"calculate","calculation":"uuid()"},
                  {"name":"r","kind":"repeat","children":[{"name":"x","kind":"start"},
                      {"name":"row_id","kind":"calculate","calculation":"uuid()"}]}],
        "choices":{}}"#;

    #[test]
    fn now_and_random_are_the_devices_once_in_once_and_now_alone_moves_on_when_finishing() {
        let f: Form = serde_json::from_str(
            r#"{"settings":{"form_id":"t","version":"1","title":"T"},"languages":[],
            "fields":[{"name":"began","kind":"calculate","calculation":"once(now())"},
                      {"name":"last","kind":"calculate","calculation":"now()"},
                      {"name":"draw","kind":"calculate","calculation":"once(random())"},
                      {"name":"r","kind":"repeat","children":[
                          {"name":"roll","kind":"calculate","calculation":"random()"}]}],
            "choices":{}}"#,
        )
        .expect("form");
        let uuids = [
            "0190a1b2-c3d4-7e5f-bfff-ffffffffffff",
            "0190a1b2-c3d4-7e5f-8000-000000000000",
            "0190a1b2-c3d4-7e5f-9234-56789abcdef0",
        ];
        let made = std::cell::Cell::new(0);
        let uuid = || {
            made.set(made.get() + 1);
            uuids[made.get() - 1].to_owned()
        };
        let device = |now| Device {
            device_id: "d1",
            username: "amina",
            now,
            uuid: &uuid,
        };
        let mut a = json!({"r": [{}]});
        stamp(&f, &mut a, &device("2026-12-04T09:00:00Z"), today(), false);
        assert_eq!(a["began"], "2026-12-04T09:00:00Z");
        assert_eq!(a["last"], "2026-12-04T09:00:00Z");
        // The 62 random bits that end a UUID, all ones and all zeros: just under 1, and 0.
        assert_eq!(a["draw"], 1.0 - 1.0 / (1u64 << 53) as f64);
        assert_eq!(a["r"][0]["roll"], 0.0);
        stamp(&f, &mut a, &device("2026-12-04T09:30:00Z"), today(), false);
        assert_eq!(a["last"], "2026-12-04T09:00:00Z", "kept while filling");
        stamp(&f, &mut a, &device("2026-12-04T09:45:00Z"), today(), true);
        assert_eq!(
            a["began"], "2026-12-04T09:00:00Z",
            "once(now()) is the first"
        );
        assert_eq!(
            a["last"], "2026-12-04T09:45:00Z",
            "now() is the last, at finalizing"
        );
        assert_eq!(made.get(), 2, "random() is drawn once: {a}");
        let r = a["draw"].as_f64().expect("a number");
        assert!((0.0..1.0).contains(&r));
    }

    #[test]
    fn the_device_fills_its_metadata_and_defaults_and_end_only_when_finishing() {
        let f: Form = serde_json::from_str(META).expect("form");
        let made = std::cell::Cell::new(0);
        let uuid = || {
            made.set(made.get() + 1);
            format!("u{}", made.get())
        };
        let device = |now| Device {
            device_id: "d1",
            username: "amina",
            now,
            uuid: &uuid,
        };
        let mut a = json!({});
        stamp(&f, &mut a, &device("2026-11-28T09:00:00Z"), today(), false);
        assert_eq!(
            a,
            json!({"start": "2026-11-28T09:00:00Z", "today": "2026-11-28", "device": "d1",
                   "enumerator": "amina", "day": "2026-11-28", "n": 3, "id": "u1"}),
            "no end, no phone number, nothing inside repeats"
        );
        set(
            &mut a,
            &parse_path("r[2]/x"),
            Some(json!("2026-11-28T09:10:00Z")),
        );
        set(&mut a, &parse_path("n"), None);
        stamp(&f, &mut a, &device("2026-11-28T09:40:00Z"), today(), true);
        assert_eq!(
            a["start"], "2026-11-28T09:00:00Z",
            "start is the first opening"
        );
        assert_eq!(a["end"], "2026-11-28T09:40:00Z");
        assert_eq!(a.get("n"), None, "defaults fill a new draft only");
        assert_eq!(a["id"], "u1", "a uuid() is made once");
        assert_eq!(
            (&a["r"][0]["row_id"], &a["r"][1]["row_id"]),
            (&json!("u2"), &json!("u3")),
            "each repeat row gets its own uuid() once it exists"
        );
        stamp(&f, &mut a, &device("2026-11-29T08:00:00Z"), today(), true);
        assert_eq!(a["end"], "2026-11-29T08:00:00Z", "end is the last finalize");
        assert_eq!((&a["id"], made.get()), (&json!("u1"), 3), "and never again");
    }

    #[test]
    fn a_revision_hashes_exactly_the_payload_bytes_it_carries() {
        let f = form();
        let first = revision(&f, "r1", None, &json!({"n": 0}), 1, None);
        assert_eq!(first.payload, r#"{"n":0}"#);
        assert_eq!(first.content_hash, wire::content_hash(b"{\"n\":0}"));
        assert!(first.rev.starts_with("1-"));
        let second = revision(&f, "r1", Some(&first.rev), &json!({"n": 1}), 2, None);
        assert!(second.rev.starts_with("2-"));
        assert_eq!(second.parent_rev.as_deref(), Some(first.rev.as_str()));
    }
}
