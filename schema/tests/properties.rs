//! Property tests: the expression printer round-trips, and neither parsing, evaluation,
//! import nor validation panics on arbitrary input.

use baraza_schema::expr::{BinOp, Expr, FUNCTIONS, Resolver, Value, eval, parse};
use baraza_schema::{Date, Sheet, Workbook, import, validate};
use proptest::prelude::*;

fn ops() -> impl Strategy<Value = BinOp> {
    prop::sample::select(vec![
        BinOp::Or,
        BinOp::And,
        BinOp::Eq,
        BinOp::Ne,
        BinOp::Lt,
        BinOp::Le,
        BinOp::Gt,
        BinOp::Ge,
        BinOp::Add,
        BinOp::Sub,
        BinOp::Mul,
        BinOp::Div,
        BinOp::Mod,
    ])
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        (0u32..100_000).prop_map(|n| Expr::Number(f64::from(n))),
        (0u32..10_000).prop_map(|n| Expr::Number(f64::from(n) / 100.0)),
        "[a-z _'.-]{0,8}".prop_map(Expr::String),
        "[a-z \"]{0,8}".prop_map(Expr::String),
        "[a-z_][a-z0-9_]{0,6}".prop_map(Expr::Ref),
        Just(Expr::Dot),
        prop::sample::select(vec!["name", "label", "service", "x-y", "a.b"])
            .prop_map(|n| Expr::Name(n.into())),
    ]
}

fn tree() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Neg(Box::new(e))),
            (ops(), inner.clone(), inner.clone()).prop_map(|(op, a, b)| Expr::Binary(
                op,
                Box::new(a),
                Box::new(b)
            )),
            (
                prop::sample::select(FUNCTIONS.to_vec()),
                prop::collection::vec(inner, 0..4)
            )
                .prop_map(|((name, min, max), mut args)| {
                    let max = max.unwrap_or(min + 3);
                    while args.len() < min {
                        args.push(Expr::Dot);
                    }
                    args.truncate(max);
                    if name == "regex" && args.len() == 2 {
                        args[1] = Expr::String("^[a-z]+$".into());
                    }
                    Expr::Call(name.into(), args)
                }),
        ]
    })
}

struct Anything(Vec<Value>);

impl Resolver for Anything {
    fn field(&self, name: &str) -> Value {
        self.0[name.len() % self.0.len()].clone()
    }
    fn dot(&self) -> Value {
        self.0[0].clone()
    }
    fn name(&self, _: &str) -> Value {
        self.0[self.0.len() - 1].clone()
    }
    fn today(&self) -> Date {
        Date::from_days(20_000)
    }
}

fn values() -> impl Strategy<Value = Vec<Value>> {
    let scalar = prop_oneof![
        any::<f64>().prop_map(Value::Num),
        ".{0,12}".prop_map(Value::Str),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..3_000_000).prop_map(|d| Value::Date(Date::from_days(d))),
    ];
    let nodes = prop::collection::vec(scalar.clone(), 0..4).prop_map(Value::Nodes);
    prop::collection::vec(prop_oneof![scalar, nodes], 1..5)
}

proptest! {
    #[test]
    fn printing_a_tree_then_parsing_it_gives_the_same_tree(e in tree()) {
        let printed = e.to_string();
        let parsed = parse(&printed);
        prop_assert!(parsed.errors.is_empty(), "{printed}: {:?}", parsed.errors);
        prop_assert_eq!(&parsed.expr, &e, "{}", printed);
        prop_assert_eq!(parsed.expr.to_string(), printed);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics_and_printing_is_stable(src in ".{0,80}") {
        let p = parse(&src);
        if p.errors.is_empty() {
            let printed = p.expr.to_string();
            let again = parse(&printed);
            prop_assert!(again.errors.is_empty(), "{src:?} printed as {printed:?}: {:?}", again.errors);
            prop_assert_eq!(again.expr.to_string(), printed);
        }
    }

    #[test]
    fn parsing_expression_like_text_never_panics(src in r"[${}()\[\]./@|'\x22a-z0-9 =!<>+*,-]{0,60}") {
        let _ = parse(&src);
    }

    #[test]
    fn evaluation_never_panics_on_any_tree_and_values(e in tree(), vs in values()) {
        let _ = eval(&e, &Anything(vs));
    }
}

fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "text",
            "integer",
            "select_one yes_no",
            "select_multiple yes_no",
            "rank yes_no",
            "begin group",
            "end group",
            "begin repeat",
            "end repeat",
            "calculate",
            "note",
            "date",
            "geopoint",
            "photo",
            "begin loop over yes_no",
            "end loop",
            "select_one missing",
            "yes",
            "no",
            "a",
            "b",
            "c",
            "${a}",
            "${b} + 1",
            ". > 0",
            "selected(${a}, 'yes')",
            "((",
            "$",
            "list_name",
            "name",
            "label",
            "type",
            "relevant",
            "constraint",
            "calculation",
            "repeat_count",
            "choice_filter",
            "preset",
            "required",
            "label::English (en)",
            "bind:relevant",
            "relevance",
        ])
        .prop_map(str::to_owned),
        ".{0,10}",
    ]
}

fn sheet(name: &'static str) -> impl Strategy<Value = Sheet> {
    prop::collection::vec(prop::collection::vec(cell(), 0..7), 0..12).prop_map(move |rows| Sheet {
        name: name.into(),
        rows,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn importing_an_arbitrary_workbook_never_panics(survey in sheet("survey"), choices in sheet("choices"), settings in sheet("settings")) {
        let result = import(&Workbook { sheets: vec![survey, choices, settings] }, "fuzz");
        // Whatever was built can be validated and serialized without panicking.
        let _ = validate(&result.form, &serde_json::json!({"a": "yes", "b": [1, {"c": null}]}), Date::from_days(0));
        let _ = result.form.canonical_json();
        for d in &result.diagnostics {
            prop_assert!(!d.message.is_empty());
        }
    }
}
