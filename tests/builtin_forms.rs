//! The four built-in forms: they import cleanly, serialize canonically, and the shared
//! validator accepts realistic answers and reports exactly what is wrong with broken ones.

use baraza_schema::{Date, Form, IssueKind, Kind, inspect, prune, validate};
use baraza_server::builtin;
use serde_json::{Value, json};

pub(crate) fn form(name: &str) -> Form {
    let import = builtin::load(name)
        .expect("known built-in form")
        .expect("built-in CSV reads");
    assert!(
        import.diagnostics.is_empty(),
        "{name}: {:#?}",
        import.diagnostics
    );
    import.form
}

fn today() -> Date {
    Date::parse("2026-11-28").expect("valid date")
}

/// `(path, kind)` of every issue, for exact comparisons.
fn issues(form: &Form, answers: &Value) -> Vec<(String, IssueKind)> {
    validate(form, answers, today())
        .into_iter()
        .map(|i| (i.path, i.kind))
        .collect()
}

/// A named edit of valid answers and exactly the issues it must produce.
type Case = (
    &'static str,
    Vec<(&'static str, Value)>,
    Vec<(String, IssueKind)>,
);

fn assert_cases(form: &Form, base: &Value, cases: Vec<Case>) {
    for (what, edits, expected) in cases {
        assert_eq!(issues(form, &with(base, &edits)), expected, "{what}");
    }
}

fn path(s: &str) -> String {
    s.to_owned()
}

/// Space-separated items of a string-literal preset, as the client seeds them.
fn preset(form: &Form, field: &str) -> Vec<String> {
    let src = form
        .field(field)
        .and_then(|f| f.preset.as_ref())
        .expect("field has a preset")
        .source()
        .to_owned();
    src.trim_matches('\'')
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Applies `edit` to a copy of `base` (a JSON pointer and the new value; `null` removes).
pub(crate) fn with(base: &Value, edits: &[(&str, Value)]) -> Value {
    let mut v = base.clone();
    for (pointer, new) in edits {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer has a parent");
        let target = v
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent} in the base answers"));
        match (target, new) {
            (Value::Object(o), Value::Null) => {
                o.remove(key);
            }
            (Value::Object(o), _) => {
                o.insert(key.to_owned(), new.clone());
            }
            (Value::Array(a), Value::Null) => {
                a.remove(key.parse::<usize>().expect("index"));
            }
            (Value::Array(a), _) => a[key.parse::<usize>().expect("index")] = new.clone(),
            _ => panic!("{parent} is not a container"),
        }
    }
    v
}

/// A complete, valid household interview (`forms/examples/f1_household.json`, shared with the
/// benchmark and useful as an API example).
pub(crate) fn f1_household() -> Value {
    let path = crate::support::repo().join("forms/examples/f1_household.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("example household"))
        .expect("example is JSON")
}

#[test]
fn built_in_forms_import_with_no_diagnostics_in_three_languages() {
    for (name, _) in builtin::FORMS {
        let f = form(name);
        assert_eq!(
            f.languages,
            ["English (en)", "Français (fr)", "Kiswahili (sw)"],
            "{name}"
        );
        assert_eq!(f.settings.default_language.as_deref(), Some("English (en)"));
        // Every question has a label in each language.
        f.visit(&mut |field, _| {
            if field.kind != baraza_schema::Kind::Calculate && !field.kind.is_metadata() {
                assert_eq!(
                    field.label.len(),
                    3,
                    "{name}/{} lacks a translation",
                    field.name
                );
            }
        });
    }
}

#[test]
fn canonical_json_round_trips_and_its_hash_is_stable() {
    for (name, _) in builtin::FORMS {
        let f = form(name);
        let text = f.canonical_json();
        let back: Form = serde_json::from_str(&text).expect("canonical JSON deserializes");
        assert_eq!(back, f, "{name}");
        assert_eq!(
            back.canonical_json(),
            text,
            "{name}: re-serializing changes the bytes"
        );
        assert_eq!(back.sha256(), form(name).sha256());
        assert!(f.sha256().starts_with("sha256:") && f.sha256().len() == 71);
    }
    assert_ne!(
        form("f1_household").sha256(),
        form("f2_focus_group").sha256()
    );
}

#[test]
fn a_complete_household_interview_has_no_issues() {
    assert_eq!(issues(&form("f1_household"), &f1_household()), []);
}

#[test]
fn a_refused_household_interview_is_complete_with_identification_only() {
    let answers = json!({"settlement": "s01", "hh_id": "S01-0001", "interview_date": "2026-11-01", "start": "2026-11-01T09:00:00Z", "end": "2026-11-01T09:25:00Z", "today": "2026-11-01", "deviceid": "dev-1",
                         "enumerator_id": "E01", "consent": "no"});
    assert_eq!(issues(&form("f1_household"), &answers), []);
}

#[test]
fn each_broken_household_answer_is_reported_exactly() {
    let f = form("f1_household");
    let base = f1_household();
    let cases: Vec<Case> = vec![
        ("household id pattern", vec![("/hh_id", json!("S3-42"))], vec![(path("hh_id"), IssueKind::ConstraintFailed)]),
        ("interview in the future", vec![("/interview_date", json!("2026-12-01"))], vec![(path("interview_date"), IssueKind::ConstraintFailed)]),
        ("impossible date", vec![("/interview_date", json!("2026-02-30"))],
         vec![(path("interview_date"), IssueKind::WrongType { expected: "a date as YYYY-MM-DD".into() })]),
        ("missing settlement", vec![("/settlement", Value::Null)], vec![(path("settlement"), IssueKind::Required)]),
        ("unknown settlement", vec![("/settlement", json!("s99"))], vec![(path("settlement"), IssueKind::NotAChoice { value: "s99".into() })]),
        ("two household heads", vec![("/member/1/m_rel", json!("head"))],
         vec![(path("member[2]/m_age"), IssueKind::ConstraintFailed), (path("member"), IssueKind::FormCheckFailed)]),
        ("no household head", vec![("/member/0/m_rel", json!("spouse"))], vec![(path("member"), IssueKind::FormCheckFailed)]),
        ("roster shorter than household size", vec![("/hh_size", json!(4))],
         vec![(path("member"), IssueKind::RepeatCount { expected: 4, found: 3 })]),
        ("answer to a question that does not apply", vec![("/resp_rel", json!("spouse"))], vec![(path("resp_rel"), IssueKind::NotRelevant)]),
        ("activity asked of a child", vec![("/member/2/m_activity", json!("student"))], vec![(path("member[3]/m_activity"), IssueKind::NotRelevant)]),
        ("age as text", vec![("/member/0/m_age", json!("34"))],
         vec![(path("member[1]/m_age"), IssueKind::WrongType { expected: "a whole number".into() })]),
        ("fractional age", vec![("/member/0/m_age", json!(34.5))],
         vec![(path("member[1]/m_age"), IssueKind::WrongType { expected: "a whole number".into() })]),
        ("main income not among the sources", vec![("/inc_main", json!("wage_salary"))],
         vec![(path("inc_main"), IssueKind::FilteredOut { value: "wage_salary".into() })]),
        ("'none' with other assets", vec![("/assets", json!(["none", "radio"]))], vec![(path("assets"), IssueKind::ConstraintFailed)]),
        ("a concern ranked twice", vec![("/concern_rank", json!(["affordability", "affordability"]))],
         vec![(path("concern_rank"), IssueKind::DuplicateChoice { value: "affordability".into() })]),
        ("unknown water source", vec![("/w_source", json!("river"))], vec![(path("w_source"), IssueKind::NotAChoice { value: "river".into() })]),
        ("secondary source equal to the main one", vec![("/w_secondary", json!(["water_kiosk"]))],
         vec![(path("w_secondary"), IssueKind::FilteredOut { value: "water_kiosk".into() })]),
        ("service rows out of order", vec![("/svc/1/sv_code", json!("water"))],
         // The row now claims to be water, so the toilet distance no longer applies to it.
         vec![(path("svc[2]/sv_code"), IssueKind::PresetMismatch { expected: "sanitation".into() }),
              (path("svc[2]/sv_dist_m"), IssueKind::NotRelevant)]),
        ("a rung from another service's ladder", vec![("/svc/2/sv_level", json!("el_none"))],
         vec![(path("svc[3]/sv_level"), IssueKind::FilteredOut { value: "el_none".into() })]),
        ("distance to a toilet that is in the yard", vec![("/s_location", json!("in_yard"))],
         vec![(path("svc[2]/sv_dist_m"), IssueKind::NotRelevant)]),
        ("service cost above the cap", vec![("/svc/0/sv_cost_month", json!(99999))], vec![(path("svc[1]/sv_cost_month"), IssueKind::ConstraintFailed)]),
        ("tenure longer than the respondent's life", vec![("/tenure_years", json!(40))], vec![(path("tenure_years"), IssueKind::ConstraintFailed)]),
        ("location off the globe", vec![("/gps", json!({"lat": 120, "lon": 10}))],
         vec![(path("gps"), IssueKind::WrongType { expected: "a location {lat, lon, alt?, accuracy?} with lat in [-90, 90] and lon in [-180, 180]".into() })]),
        ("a key that is not a field", vec![("/favourite_colour", json!("blue")), ("/member/0/nickname", json!("x"))],
         vec![(path("favourite_colour"), IssueKind::UnknownField), (path("member[1]/nickname"), IssueKind::UnknownField)]),
        ("a row's field at the top, a top field in a row, a group's name as a key",
         vec![("/m_age", json!(30)), ("/roster", json!("x")), ("/member/0/hh_size", json!(3))],
         vec![(path("m_age"), IssueKind::UnknownField), (path("roster"), IssueKind::UnknownField),
              (path("member[1]/hh_size"), IssueKind::UnknownField)]),
        ("a repeat that is not an array", vec![("/svc", json!({"sv_code": "water"}))],
         vec![(path("svc"), IssueKind::WrongType { expected: "an array of rows".into() })]),
        ("no start time from the device", vec![("/start", Value::Null)], vec![(path("start"), IssueKind::Required)]),
        ("no device id", vec![("/deviceid", Value::Null)], vec![(path("deviceid"), IssueKind::Required)]),
        ("an enumerator the device did not name", vec![("/enumerator_id", Value::Null)], vec![(path("enumerator_id"), IssueKind::Required)]),
        ("an interview that ends before it starts", vec![("/end", json!("2026-11-20T08:59:00+03:00"))],
         vec![(path("end"), IssueKind::Implausible)]),
        ("an end in the future", vec![("/end", json!("2026-12-25T10:00:00Z"))], vec![(path("end"), IssueKind::Implausible)]),
        ("a day in the future", vec![("/today", json!("2026-12-25"))], vec![(path("today"), IssueKind::Implausible)]),
        ("a start that is not a moment", vec![("/start", json!("yesterday"))],
         vec![(path("start"), IssueKind::WrongType { expected: "a moment as YYYY-MM-DDTHH:MM:SS with its offset".into() })]),
    ];
    assert_cases(&f, &base, cases);
}

#[test]
fn constraint_messages_come_from_the_form_in_its_default_language() {
    let f = form("f1_household");
    let answers = with(&f1_household(), &[("/member/1/m_rel", json!("head"))]);
    let found = validate(&f, &answers, today());
    let check = found
        .iter()
        .find(|i| i.path == "member")
        .expect("form-level check");
    assert_eq!(
        check.message,
        "Exactly one member must be the household head."
    );
}

#[test]
fn a_payload_that_is_not_an_object_is_one_clear_issue() {
    let f = form("f1_household");
    for bad in [json!([]), json!("answers"), json!(null), json!(42)] {
        assert_eq!(
            issues(&f, &bad),
            [(String::new(), IssueKind::NotAnObject)],
            "{bad}"
        );
    }
}

fn f2_focus_group(f: &Form) -> Value {
    let (a, b) = (preset(f, "pw_a"), preset(f, "pw_b"));
    let pw: Vec<Value> = a
        .iter()
        .zip(&b)
        .enumerate()
        .map(|(i, (a, b))| {
            let winner = ["a", "b", "tie"][i % 3];
            json!({"pw_a": a, "pw_b": b, "pw_winner": winner, "pw_consensus": "clear_majority"})
        })
        .collect();
    let mx: Vec<Value> = preset(f, "mx_service").iter().enumerate()
        .map(|(i, s)| json!({"mx_service": s, "mx_importance": 5 - (i % 3), "mx_afford": 2, "mx_access": 3, "mx_reliab": 1,
                             "mx_quality": 2, "mx_choice": 1, "mx_fair": 2}))
        .collect();
    json!({
        "settlement": "s07", "fgd_id": "S07-F02", "fg_date": "2026-11-15", "facilitator_id": "F03", "start": "2026-11-15T09:00:00+03:00", "end": "2026-11-15T10:10:00+03:00", "today": "2026-11-15", "deviceid": "dev-1", "group_type": "women",
        "n_female": 9, "n_male": 0, "n_disability": 1, "n_tenants": 6, "fg_consent": "yes",
        "sp": [{"sp_type": "kiosk", "sp_provider": "informal_provider", "sp_status": "working"},
               {"sp_type": "public_toilet", "sp_provider": "ngo_cbo", "sp_status": "intermittent", "sp_users_note": "Closed at night."}],
        "gap_water": "Buy from carts at three times the price.", "left_out": ["tenants", "elderly_alone"],
        "pw": pw, "mx": mx, "mx_priority": ["water", "sanitation"],
        "ac": [{"ac_name": "Water kiosk operators", "ac_type": "informal_provider", "ac_services": ["water"], "ac_importance": 5, "ac_closeness": 4, "ac_valence": "mixed"},
               {"ac_name": "Municipal water utility", "ac_type": "public_utility", "ac_services": ["water", "sanitation"], "ac_importance": 4, "ac_closeness": 1, "ac_valence": "negative"},
               {"ac_name": "Women's savings group", "ac_type": "cbo_community_group", "ac_services": ["sanitation"], "ac_importance": 3, "ac_closeness": 5, "ac_valence": "positive"}],
        "wb": [{"wb_label": "Wenye nacho", "wb_share_pct": 20}, {"wb_label": "Wa kati", "wb_share_pct": 50}, {"wb_label": "Maskini", "wb_share_pct": 30}],
        "go_obj1": "Affordable water close to home", "go_obj1_cat": "social", "fg_consulted": "no",
        "land_owner": "municipality", "land_status": "regularisation_in_progress", "land_evictions": "no", "land_process": "yes"
    })
}

#[test]
fn focus_group_answers_are_checked_across_repeats() {
    let f = form("f2_focus_group");
    let base = f2_focus_group(&f);
    assert_eq!(issues(&f, &base), []);
    let cases: Vec<Case> = vec![
        (
            "well-being shares add up to 80",
            vec![("/wb/1/wb_share_pct", json!(30))],
            vec![(path("wb"), IssueKind::FormCheckFailed)],
        ),
        (
            "only two actors",
            vec![("/ac/2", Value::Null)],
            vec![(path("ac"), IssueKind::FormCheckFailed)],
        ),
        (
            "too few participants",
            vec![("/n_female", json!(3)), ("/n_tenants", json!(2))],
            vec![(path("n_male"), IssueKind::ConstraintFailed)],
        ),
        (
            "more tenants than participants",
            vec![("/n_tenants", json!(10))],
            vec![(path("n_tenants"), IssueKind::ConstraintFailed)],
        ),
        (
            "a pair in the wrong order",
            vec![
                ("/pw/0/pw_a", json!("affordability")),
                ("/pw/0/pw_b", json!("lack_of_choice")),
            ],
            vec![
                (
                    path("pw[1]/pw_a"),
                    IssueKind::PresetMismatch {
                        expected: "lack_of_choice".into(),
                    },
                ),
                (
                    path("pw[1]/pw_b"),
                    IssueKind::PresetMismatch {
                        expected: "affordability".into(),
                    },
                ),
            ],
        ),
        (
            "a pair missing",
            vec![("/pw/14", Value::Null)],
            vec![(
                path("pw"),
                IssueKind::RepeatCount {
                    expected: 15,
                    found: 14,
                },
            )],
        ),
        (
            "a score above five",
            vec![("/mx/3/mx_fair", json!(6))],
            vec![(path("mx[4]/mx_fair"), IssueKind::ConstraintFailed)],
        ),
        (
            "no service point",
            vec![("/sp", json!([]))],
            vec![(path("sp"), IssueKind::FormCheckFailed)],
        ),
    ];
    assert_cases(&f, &base, cases);
}

fn f3_actor() -> Value {
    json!({
        "actor_id": "A0107", "a_date": "2026-10-02", "a_enum": "E02", "start": "2026-10-02T09:00:00+03:00", "end": "2026-10-02T10:10:00+03:00", "today": "2026-10-02", "deviceid": "dev-1", "a_consent": "yes",
        "a_settlements": ["s06", "outside_city"],
        "ac_type": "informal_provider", "ac_services": ["water", "sanitation"], "ac_role": ["direct_provision"],
        "ac_formal": "unregistered", "ac_contract": "no", "ac_years": 6, "ac_owner_sex": "male",
        "ac_staff": 3, "ac_staff_f": 1, "ac_staff_local": 3,
        "op": [{"op_service": "water", "op_customers": 240, "op_unit_price": 0.1, "op_price_unit": "per_20l", "op_input_cost": 0.03, "op_propoor": ["credit", "small_quantities"]},
               {"op_service": "sanitation", "op_customers": 80, "op_unit_price": 0.05, "op_price_unit": "per_use", "op_propoor": ["none"]}],
        "ac_problems": ["harassment_by_officials", "bribe_demands"], "ac_bribe_12m": "yes", "ac_willing": "yes",
        "ac_conditions": ["legal_recognition", "bulk_tariff"], "ac_prices_posted": "no", "ac_complaints": "no",
        "rel": [{"rel_actor": "A0003", "rel_type": "buys_from", "rel_strength": 3}]
    })
}

#[test]
fn actor_operations_follow_the_services_the_actor_provides() {
    let f = form("f3_service_actors");
    let base = f3_actor();
    assert_eq!(issues(&f, &base), []);
    let cases: Vec<Case> = vec![
        (
            "operations in the wrong order",
            vec![
                ("/op/0/op_service", json!("sanitation")),
                ("/op/1/op_service", json!("water")),
            ],
            vec![
                (
                    path("op[1]/op_service"),
                    IssueKind::PresetMismatch {
                        expected: "water".into(),
                    },
                ),
                (
                    path("op[2]/op_service"),
                    IssueKind::PresetMismatch {
                        expected: "sanitation".into(),
                    },
                ),
            ],
        ),
        (
            "a third service without its operations row",
            vec![(
                "/ac_services",
                json!(["water", "sanitation", "electricity"]),
            )],
            vec![(
                path("op"),
                IssueKind::RepeatCount {
                    expected: 3,
                    found: 2,
                },
            )],
        ),
        (
            "more women than workers",
            vec![("/ac_staff_f", json!(4))],
            vec![(path("ac_staff_f"), IssueKind::ConstraintFailed)],
        ),
        (
            "a name given for an informal operator",
            vec![("/ac_name", json!("Juma"))],
            vec![(path("ac_name"), IssueKind::NotRelevant)],
        ),
        (
            "actor id pattern",
            vec![("/actor_id", json!("A107"))],
            vec![(path("actor_id"), IssueKind::ConstraintFailed)],
        ),
    ];
    assert_cases(&f, &base, cases);
}

fn f4_stakeholder() -> Value {
    json!({
        "sh_id": "M012", "sh_date": "2026-09-30", "sh_enum": "E05", "start": "2026-09-30T09:00:00+03:00", "end": "2026-09-30T10:10:00+03:00", "today": "2026-09-30", "deviceid": "dev-1", "sh_consent": "yes", "sh_role": "utility_manager", "sh_dept": "water",
        "sh_sex": "female", "sh_years": 4,
        "obj_rank": ["financial", "physical", "social", "institutional", "economic", "political"],
        "obj_targets": "no", "gov_participation": 2, "gov_planning": 3, "gov_finance": 3, "gov_accountability": 2, "gov_collaborative": 3,
        "cons_held_dk": "no", "cons_held_12m": 6, "cons_informal": 1, "tariffs_published": "yes", "audit_published": "no",
        "complaints_system": "phone_line", "propoor_budget_pct": 12.5, "pov_links": ["service_gradation"],
        "pov_assessment": "no", "marginal_settl": ["s09", "s13"], "marginal_why": ["no_legal_status", "land_disputed"],
        "tenure_policy": "yes_with_conditions", "priorities_consulted": "partly", "reform_sequence": "no", "lessons_documented": "dk",
        "perceived_poor_rank": ["employment", "affordability"], "capacity_gaps": ["contract_management", "poverty_data"],
        "pp": [{"pp_service": "water", "pp_partner_type": "private_operator_formal", "pp_contract": "lease_affermage", "pp_start": 2014,
                "pp_informal_cov": "some", "pp_clauses": ["standpipe_kiosk_obligation", "social_or_lifeline_tariff"], "pp_perf": 3}]
    })
}

#[test]
fn stakeholder_answers_use_today_and_cross_field_limits() {
    let f = form("f4_municipal_stakeholders");
    let base = f4_stakeholder();
    assert_eq!(issues(&f, &base), []);
    let cases: Vec<Case> = vec![
        (
            "a partnership starting next year",
            vec![("/pp/0/pp_start", json!(2027))],
            vec![(path("pp[1]/pp_start"), IssueKind::ConstraintFailed)],
        ),
        (
            "more informal consultations than consultations",
            vec![("/cons_informal", json!(7))],
            vec![(path("cons_informal"), IssueKind::ConstraintFailed)],
        ),
        (
            "a department for a councillor",
            vec![("/sh_role", json!("elected_councillor"))],
            vec![(path("sh_dept"), IssueKind::NotRelevant)],
        ),
        (
            "an objective that is not on the list",
            vec![("/obj_rank", json!(["financial", "cultural"]))],
            vec![(
                path("obj_rank"),
                IssueKind::NotAChoice {
                    value: "cultural".into(),
                },
            )],
        ),
    ];
    assert_cases(&f, &base, cases);
}

#[test]
fn inspection_gives_a_screen_the_rows_presets_and_filtered_choices_the_validator_applies() {
    let f = form("f1_household");
    let answers = f1_household();
    let states = inspect(&f, &answers, today());
    assert_eq!(
        states["member"].rows,
        Some(3),
        "one row per household member"
    );
    assert_eq!(states["svc"].rows, Some(6));
    assert_eq!(
        states["svc[2]/sv_code"].preset.as_deref(),
        Some("sanitation")
    );
    assert_eq!(
        states["inc_main"].choices,
        Some(vec!["own_business".into(), "remittances".into()]),
        "only the sources given earlier are offered"
    );
    assert!(states["meta"].relevant && states["member[1]/m_age"].relevant);
    let refused = with(&answers, &[("/consent", json!("no"))]);
    let states = inspect(&f, &refused, today());
    assert!(!states["member"].relevant && !states["member[1]/m_age"].relevant);
    assert_eq!(states["cap_income"].value.as_deref(), Some("15000"));
}

#[test]
fn pruning_removes_answers_that_no_longer_apply_so_the_draft_can_be_finalized() {
    let f = form("f1_household");
    let complete = f1_household();
    assert_eq!(prune(&f, &complete, today()), complete, "nothing to remove");
    // The respondent withdraws consent after the interview started: everything past the
    // identification no longer applies and would be refused by the server.
    let withdrawn = with(
        &complete,
        &[("/consent", json!("no")), ("/hh_objective", json!(""))],
    );
    assert!(
        issues(&f, &withdrawn)
            .iter()
            .any(|(_, k)| *k == IssueKind::NotRelevant)
    );
    let pruned = prune(&f, &withdrawn, today());
    assert_eq!(issues(&f, &pruned), []);
    assert_eq!(
        pruned
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(
            [
                "consent",
                "deviceid",
                "end",
                "enumerator_id",
                "gps",
                "hh_id",
                "interview_date",
                "settlement",
                "start",
                "today"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    let unknown = with(&complete, &[("/not_a_field", json!(1))]);
    assert_eq!(
        prune(&f, &unknown, today()).get("not_a_field"),
        Some(&json!(1)),
        "a key the form does not know is left for validation to report, never dropped"
    );
}

#[test]
fn the_willingness_to_pay_scenario_states_the_prices_of_each_bid_set_in_every_language() {
    let f = form("f1_household");
    let label = |name: &str, lang: &str| {
        f.field(name)
            .and_then(|q| q.label.get(lang))
            .cloned()
            .unwrap_or_default()
    };
    // The example household paid 12 for water last month; bid sets are 0.5, 0.75, 1, 1.5
    // and 2 times that; the fee is 180 in twelve instalments of 15.
    for (bid, bill, after_no) in [(1, 6, 3), (2, 9, 6), (3, 12, 9), (4, 18, 12), (5, 24, 18)] {
        let a = with(&f1_household(), &[("/wtp_bid_id", json!(bid))]);
        for lang in &f.languages {
            let note = baraza_schema::render(&f, &a, "wtp_note", &label("wtp_note", lang), today());
            assert!(!note.contains("${"), "{lang}: {note}");
            for amount in ["180", "15", &bill.to_string()] {
                assert!(
                    note.contains(amount),
                    "bid {bid}, {lang}: {amount} missing in {note:?}"
                );
            }
            let follow = baraza_schema::render(
                &f,
                &a,
                "wtp_followup",
                &label("wtp_followup", lang),
                today(),
            );
            assert!(
                follow.contains(&after_no.to_string()),
                "bid {bid}, {lang}: {follow:?}"
            );
        }
    }
    let a = with(&f1_household(), &[("/wtp_bid_id", json!(3))]);
    assert_eq!(
        baraza_schema::render(
            &f,
            &a,
            "wtp_note",
            &label("wtp_note", "English (en)"),
            today()
        ),
        "Scenario: a reliable private tap in your yard. Connection fee 180, payable in 12 \
         monthly instalments of 15; monthly water bill about 12."
    );
    // Before the bid set is known, the amounts are blank, never "NaN".
    let unknown = with(&f1_household(), &[("/wtp_bid_id", Value::Null)]);
    let note = baraza_schema::render(
        &f,
        &unknown,
        "wtp_note",
        &label("wtp_note", "English (en)"),
        today(),
    );
    assert!(note.ends_with("monthly water bill about ."), "{note}");
}

#[test]
fn a_label_that_refers_to_no_field_is_an_import_error_at_its_row() {
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let survey = baraza_schema::Sheet {
        name: "survey".into(),
        rows: vec![
            row(&["type", "name", "label"]),
            row(&["integer", "n", "How many?"]),
            row(&["note", "say", "You said ${n} and ${nothing}."]),
        ],
    };
    let result = baraza_schema::import(
        &baraza_schema::Workbook {
            sheets: vec![survey],
        },
        "t",
    );
    let errors: Vec<String> = result.errors().map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("${nothing} does not name a field") && errors[0].contains("label"),
        "{errors:?}"
    );
}

#[test]
fn questions_marked_identifying_in_the_workbook_are_hidden_from_supervisors_in_the_export() {
    use baraza_schema::export::{Access, tables};
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let workbook = |mark: &str| baraza_schema::Workbook {
        sheets: vec![baraza_schema::Sheet {
            name: "survey".into(),
            rows: vec![
                row(&["type", "name", "label", "baraza::identifying"]),
                // An unremarkable name: only the mark says it identifies someone.
                row(&["text", "contact", "How do we reach you?", mark]),
                // A name that looks identifying but is not marked: the name decides nothing.
                row(&["text", "owner_name", "Kind of owner", ""]),
                row(&["integer", "rooms", "Rooms", "no"]),
            ],
        }],
    };
    let import = baraza_schema::import(&workbook("yes"), "t");
    assert_eq!(import.errors().count(), 0, "{:?}", import.diagnostics);
    let form = import.form;
    assert!(form.field("contact").is_some_and(|f| f.identifying));
    let columns = |access| tables(&form, access).remove(0).columns;
    assert_eq!(columns(Access::Full), ["contact", "owner_name", "rooms"]);
    assert_eq!(columns(Access::Reviewer), ["owner_name", "rooms"]);
    // The mark survives publishing (the stored definition) and reading it back.
    let again: baraza_schema::Form =
        serde_json::from_str(&form.canonical_json()).expect("the definition reads back");
    assert!(again.field("contact").is_some_and(|f| f.identifying));
    // Anything but yes or no is an error at its row and column, not a silent "no".
    let errors: Vec<String> = baraza_schema::import(&workbook("maybe"), "t")
        .errors()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("\"maybe\" is not yes or no")
            && errors[0].contains("baraza::identifying"),
        "{errors:?}"
    );
}

#[test]
fn the_built_in_forms_mark_the_names_they_ask_for_as_identifying() {
    for (name, marked) in [
        ("f1_household", &["m_label", "sv_provider_name"][..]),
        ("f2_focus_group", &["ac_name"][..]),
        ("f3_service_actors", &["ac_name"][..]),
        ("f4_municipal_stakeholders", &[][..]),
    ] {
        let mut found = Vec::new();
        form(name).visit(&mut |f, _| {
            if f.identifying {
                found.push(f.name.clone());
            }
        });
        assert_eq!(found, marked, "{name}");
    }
}

#[test]
fn each_built_in_form_names_a_response_by_its_instance_name() {
    assert_eq!(
        baraza_schema::instance_name(&form("f1_household"), &f1_household(), today()).as_deref(),
        Some("S03-0042 · s03")
    );
    assert_eq!(
        baraza_schema::instance_name(&form("f1_household"), &json!({}), today()),
        None,
        "nothing answered yet: no name (the list shows the form's title)"
    );
    for (name, _) in builtin::FORMS {
        assert!(
            form(name).settings.instance_name.is_some(),
            "{name} sets instance_name"
        );
    }
}

#[test]
fn a_uuid_calculation_is_filled_once_by_the_device_kept_at_finalize_and_checked_by_the_server() {
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let survey = |extra: &[&str]| baraza_schema::Sheet {
        name: "survey".into(),
        rows: vec![
            row(&["type", "name", "label", "calculation"]),
            row(&["integer", "n", "How many?", ""]),
            row(&["calculate", "key", "", " once( uuid() ) "]),
            row(&["begin_repeat", "r", "Rows", ""]),
            row(&["calculate", "row_key", "", "uuid()"]),
            row(&["end_repeat", "", "", ""]),
            row(extra),
        ],
    };
    let import = |extra: &[&str]| {
        baraza_schema::import(
            &baraza_schema::Workbook {
                sheets: vec![survey(extra)],
            },
            "t",
        )
    };
    let ok = import(&["note", "say", "Done", ""]);
    let errors: Vec<String> = ok.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let f = ok.form;
    assert!(
        f.field("key")
            .is_some_and(|k| k.device_call() == Some("uuid")),
        "ODK's once(uuid()) imports as uuid()"
    );
    assert!(
        f.field("row_key")
            .is_some_and(|k| k.device_call() == Some("uuid"))
    );

    let whole = json!({"n": 1, "key": "0190f1a2-0000-7000-8000-000000000001",
                       "r": [{"row_key": "0190f1a2-0000-7000-8000-000000000002"}]});
    assert_eq!(validate(&f, &whole, today()), vec![]);
    assert_eq!(
        prune(&f, &whole, today()),
        whole,
        "finalizing keeps the device's uuids"
    );
    let missing = json!({"n": 1, "r": [{}]});
    let got: Vec<(String, IssueKind)> = validate(&f, &missing, today())
        .into_iter()
        .map(|i| (i.path, i.kind))
        .collect();
    assert_eq!(
        got,
        vec![
            ("key".to_owned(), IssueKind::Required),
            ("r[1]/row_key".to_owned(), IssueKind::Required)
        ],
        "the server quarantines a response whose uuid() the device did not fill"
    );

    let part = import(&["calculate", "label", "", "concat('hh-', uuid())"]);
    let errors: Vec<String> = part.errors().map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("uuid() is filled by the device") && errors[0].contains("calculation"),
        "{errors:?}"
    );
}

#[test]
fn the_push_verdict_checks_the_wire_rules_then_the_form_then_the_payload_then_the_answers() {
    use baraza_schema::wire::{self, PushItem, PushRequest, QuarantineCode, Verdict};
    let f1 = form("f1_household");
    let item = |payload: &str| {
        let (id, version) = (&f1.settings.form_id, &f1.settings.version);
        PushItem {
            device_seq: 1,
            response_id: "0190a4b2-7c1d-7e3f-8a9b-0c1d2e3f4a5b".into(),
            rev: wire::rev(None, id, version, payload.as_bytes()),
            parent_rev: None,
            form_id: id.clone(),
            form_version: version.clone(),
            content_hash: wire::content_hash(payload.as_bytes()),
            payload: payload.into(),
            saved_at: None,
        }
    };
    let code =
        |item: &PushItem, published: Option<bool>| match wire::verdict(item, today(), |_, _| {
            Ok::<_, ()>(published.map(|closed| (&f1, closed)))
        }) {
            Ok(Verdict::Accept { .. }) => None,
            Ok(Verdict::Quarantine { code, .. }) => Some(code),
            Err(()) => unreachable!("the lookup never fails here"),
        };
    let good = item(&f1_household().to_string());
    assert_eq!(code(&good, Some(false)), None);
    assert_eq!(code(&good, None), Some(QuarantineCode::UnknownForm));
    assert_eq!(code(&good, Some(true)), Some(QuarantineCode::FormClosed));
    let mut tampered = good.clone();
    tampered.content_hash = wire::content_hash(b"other");
    assert_eq!(
        code(&tampered, None),
        Some(QuarantineCode::HashMismatch),
        "wire rules come first"
    );
    assert_eq!(
        code(&item("[1]"), Some(false)),
        Some(QuarantineCode::InvalidJson)
    );
    assert_eq!(
        code(&item(r#"{"consent": "yes"}"#), Some(false)),
        Some(QuarantineCode::InvalidAnswers)
    );
    // The lookup's own failure is an error, not a verdict: the push is answered as failed and
    // the device sends the item again.
    assert!(
        wire::verdict(&good, today(), |_, _| Err::<Option<(&Form, bool)>, _>(
            "disk"
        ))
        .is_err()
    );

    let batch = |seqs: &[u64]| PushRequest {
        device_id: "d".into(),
        items: seqs
            .iter()
            .map(|s| PushItem {
                device_seq: *s,
                ..good.clone()
            })
            .collect(),
        username: None,
        held_from: None,
    };
    assert!(wire::check_batch(&batch(&[1, 2, 3])).is_ok());
    for bad in [&[0u64][..], &[2, 5, 2]] {
        let said = wire::check_batch(&batch(bad)).expect_err("refused");
        assert!(said.contains("zero or repeated"), "{said}");
    }
    // The lowest number the device holds: at least 1, at most the lowest sent.
    let held = |from: u64| PushRequest {
        held_from: Some(from),
        ..batch(&[3, 4])
    };
    assert!(wire::check_batch(&held(3)).is_ok());
    assert!(wire::check_batch(&held(1)).is_ok());
    for bad in [0, 4, u64::MAX] {
        let said = wire::check_batch(&held(bad)).expect_err("refused");
        assert!(said.contains("held_from"), "{said}");
    }
}

#[test]
fn pyxforms_older_spellings_of_question_types_import_as_the_types_they_name() {
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let import = |types: &[&str]| {
        let mut rows = vec![row(&["type", "name", "label"])];
        for (i, t) in types.iter().enumerate() {
            rows.push(row(&[t, &format!("q{i}"), "Q"]));
        }
        let choices = baraza_schema::Sheet {
            name: "choices".into(),
            rows: vec![
                row(&["list_name", "name", "label"]),
                row(&["yn", "yes", "Yes"]),
            ],
        };
        baraza_schema::import(
            &baraza_schema::Workbook {
                sheets: vec![
                    baraza_schema::Sheet {
                        name: "survey".into(),
                        rows,
                    },
                    choices,
                ],
            },
            "t",
        )
    };
    let spellings = [
        ("gps", Kind::Geopoint),
        ("location", Kind::Geopoint),
        ("add location prompt", Kind::Geopoint),
        ("add integer prompt", Kind::Integer),
        ("add text prompt", Kind::Text),
        ("add decimal prompt", Kind::Decimal),
        ("add date prompt", Kind::Date),
        ("add note prompt", Kind::Note),
        ("add select one prompt using yn", Kind::SelectOne),
        ("add select multiple prompt using yn", Kind::SelectMultiple),
        ("select multiple yn", Kind::SelectMultiple),
        ("select_many yn", Kind::SelectMultiple),
        ("select1 yn", Kind::SelectOne),
    ];
    let types: Vec<&str> = spellings.iter().map(|(t, _)| *t).collect();
    let done = import(&types);
    let errors: Vec<String> = done.errors().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    for (i, (spelling, kind)) in spellings.iter().enumerate() {
        let f = done.form.field(&format!("q{i}")).expect("imported");
        assert_eq!(f.kind, *kind, "{spelling}");
        if kind.has_choices() {
            assert_eq!(f.list.as_deref(), Some("yn"), "{spelling}");
        }
    }
    // Words that are not such a spelling stay an error that names the type.
    let wrong = import(&["add integer"]);
    assert!(
        wrong.errors().any(|d| d.message.contains("add integer")),
        "{:?}",
        wrong.errors().map(|d| d.to_string()).collect::<Vec<_>>()
    );
}
