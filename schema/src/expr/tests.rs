use std::collections::HashMap;

use super::*;
use crate::date::Date;

struct Env {
    fields: HashMap<&'static str, Value>,
    dot: Value,
}

impl Resolver for Env {
    fn field(&self, name: &str) -> Value {
        self.fields.get(name).cloned().unwrap_or_else(Value::empty)
    }
    fn dot(&self) -> Value {
        self.dot.clone()
    }
    fn name(&self, name: &str) -> Value {
        Value::Str(format!("column:{name}"))
    }
    fn today(&self) -> Date {
        Date::from_ymd(2026, 11, 28).unwrap_or(Date::from_days(0))
    }
    fn item(&self, list: &str, column: &str, fits: &mut dyn FnMut(&dyn Resolver) -> bool) -> Value {
        let rows: &[&[(&str, &str)]] = match list {
            "fruits" => &[
                &[("name", "mango"), ("label", "Mango"), ("color", "yellow")],
                &[
                    ("name", "avocado"),
                    ("label", "Avocado"),
                    ("color", "green"),
                ],
            ],
            _ => &[],
        };
        rows.iter()
            .map(|row| Item(self, row))
            .find(|item| fits(item))
            .map_or_else(Value::empty, |item| item.name(column))
    }
}

/// A row of a list in `Env`: bare names are its columns.
struct Item<'a>(&'a Env, &'a [(&'a str, &'a str)]);

impl Resolver for Item<'_> {
    fn field(&self, name: &str) -> Value {
        self.0.field(name)
    }
    fn dot(&self) -> Value {
        self.0.dot()
    }
    fn name(&self, name: &str) -> Value {
        let cell = self.1.iter().find(|(k, _)| *k == name);
        Value::Str(cell.map_or("", |(_, v)| v).to_owned())
    }
    fn today(&self) -> Date {
        self.0.today()
    }
}

fn env() -> Env {
    let s = |x: &str| Value::Str(x.to_owned());
    let fields = HashMap::from([
        ("n", Value::Num(20.0)),
        ("text_n", s("20")),
        ("empty", s("")),
        ("multi", s("water sanitation transport")),
        ("rows", Value::Nodes(vec![s(""), s(""), s("")])),
        (
            "ages",
            Value::Nodes(vec![Value::Num(10.0), Value::Num(20.0), s("5")]),
        ),
        (
            "ages_with_blank",
            Value::Nodes(vec![Value::Num(10.0), s("")]),
        ),
        ("no_rows", Value::Nodes(vec![])),
        ("born", s("2000-02-29")),
    ]);
    Env {
        fields,
        dot: Value::Num(20.0),
    }
}

fn run(src: &str) -> Value {
    let parsed = parse(src);
    assert!(parsed.errors.is_empty(), "{src}: {:?}", parsed.errors);
    eval(&parsed.expr, &env())
}

#[test]
fn expressions_print_back_canonically_with_only_needed_parentheses() {
    let cases = [
        ("1 + 2 * 3", "1 + 2 * 3"),
        ("(1 + 2) * 3", "(1 + 2) * 3"),
        ("1 - (2 - 3)", "1 - (2 - 3)"),
        ("1 - 2 - 3", "1 - 2 - 3"),
        ("(1 - 2) - 3", "1 - 2 - 3"),
        ("${a} or ${b} and ${c}", "${a} or ${b} and ${c}"),
        ("(${a} or ${b}) and ${c}", "(${a} or ${b}) and ${c}"),
        ("not(selected(${x},'y'))", "not(selected(${x}, 'y'))"),
        ("-(1 + 2)", "-(1 + 2)"),
        ("--3", "--3"),
        ("\"it's\"", "\"it's\""),
        ("position(..)", "position(..)"),
        ("count-selected(.)>1", "count-selected(.) > 1"),
        ("10 div 4 mod 3", "10 div 4 mod 3"),
        ("1.50", "1.5"),
        ("service = ${sv_code}", "service = ${sv_code}"),
        ("   .>=18 and .<=110  ", ". >= 18 and . <= 110"),
    ];
    for (src, printed) in cases {
        let p = parse(src);
        assert!(p.errors.is_empty(), "{src}: {:?}", p.errors);
        assert_eq!(p.expr.to_string(), printed, "{src}");
        assert_eq!(
            parse(printed).expr,
            p.expr,
            "{src} reparses to the same tree"
        );
    }
}

#[test]
fn operators_follow_xpath_precedence_and_associativity() {
    let n = |x: f64| Value::Num(x);
    let b = Value::Bool;
    let cases = [
        ("1 + 2 * 3", n(7.0)),
        ("(1 + 2) * 3", n(9.0)),
        ("10 div 4", n(2.5)),
        ("10 mod 4", n(2.0)),
        ("7 - 2 - 1", n(4.0)),
        ("-2 * 3", n(-6.0)),
        ("1 div 0", n(f64::INFINITY)),
        ("1 = 1 and 2 > 3 or 1 < 2", b(true)),
        ("1 = 1 and (2 > 3 or 1 > 2)", b(false)),
        ("1 < 2 = 1", b(true)),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
}

#[test]
fn empty_values_and_type_coercions_behave_as_in_xpath() {
    let b = Value::Bool;
    let cases = [
        ("${empty} = ''", b(true)),
        ("${empty} > 3", b(false)),
        ("${empty} < 3", b(false)),
        ("${empty} = 3", b(false)),
        ("${empty} != 3", b(true)),
        ("${missing} = ''", b(true)),
        ("'a' = 'a'", b(true)),
        ("'1' = 1", b(true)),
        ("'01' = 1", b(true)),
        ("'01' = '1'", b(false)),
        ("${text_n} >= 18", b(true)),
        ("${n} = '20'", b(true)),
        ("'20' = ${n}", b(true)),
        ("'20' != ${n}", b(false)),
        ("${empty} != ''", b(false)),
        ("'' = ${ages}", b(false)),
        ("true() = 'false'", b(true)),
        ("false() = ''", b(true)),
        ("not(0)", b(true)),
        ("boolean('')", b(false)),
        ("boolean('0')", b(true)),
        (". >= 18 and . <= 110", b(true)),
        ("${ages} > 15", b(true)),
        ("${ages} > 100", b(false)),
        ("${ages} = 5", b(true)),
        ("${no_rows} = ''", b(false)),
        ("${no_rows} != ''", b(false)),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
    assert!(run("${empty} + 1").to_num().is_nan());
    assert!(run("number('abc')").to_num().is_nan());
    // JavaScript's pow (the phone's) and ODK's Java give NaN where C's pow gives 1.
    assert!(run("pow(1, number('x'))").to_num().is_nan());
    assert!(
        run("number('1e3')").to_num().is_nan(),
        "exponents are not XPath numbers"
    );
    assert!(run("sum(${ages_with_blank})").to_num().is_nan());
}

#[test]
fn the_trigonometric_and_logarithmic_functions_are_known_to_the_parser_and_computed_natively() {
    for name in crate::expr::TRANSCENDENTAL {
        let src = if name == "atan2" || name == "pow" {
            format!("{name}(1, 2)")
        } else {
            format!("{name}(0.5)")
        };
        assert!(parse(&src).errors.is_empty(), "{src}");
        assert!(run(&src).to_num().is_finite(), "{src} has a value");
    }
}

#[test]
fn every_function_computes_its_documented_result() {
    let n = |x: f64| Value::Num(x);
    let s = |x: &str| Value::Str(x.to_owned());
    let b = Value::Bool;
    let cases = [
        ("abs(-3)", n(3.0)),
        ("boolean(1)", b(true)),
        ("boolean-from-string('true')", b(true)),
        ("boolean-from-string('1')", b(true)),
        ("boolean-from-string('yes')", b(false)),
        ("date('2026-11-28') = today()", b(true)),
        ("format-date(date(20000), '%Y-%m-%d')", s("2024-10-04")),
        ("date('not a date')", s("")),
        ("exp10(2)", n(100.0)),
        ("indexed-repeat(${ages}, ${rows}, 2)", n(20.0)),
        ("indexed-repeat(${ages}, ${rows}, 1) + 1", n(11.0)),
        ("indexed-repeat(${ages}, ${rows}, 9)", s("")),
        ("indexed-repeat(${ages}, ${rows}, 0)", s("")),
        ("join(', ', ${multi})", s("water sanitation transport")),
        ("join('-', ${ages})", s("10-20-5")),
        ("join('-', 'a', 2, ${no_rows}, 'c')", s("a-2-c")),
        ("normalize-space('  two   words ')", s("two words")),
        ("round(pi() * 100)", n(314.0)),
        ("sqrt(16)", n(4.0)),
        // The UCL biomass form's slope correction: 15 / sqrt(cos(atan(slope / 100))).
        ("round(15 div (sqrt(cos(atan(20 div 100)))),2)", n(15.15)),
        ("round(acos(0) * 2, 4) = round(pi(), 4)", b(true)),
        ("round(asin(1) * 2, 4) = round(pi(), 4)", b(true)),
        ("round(atan2(1, 1) * 4, 4) = round(pi(), 4)", b(true)),
        ("round(sin(pi() div 2), 6)", n(1.0)),
        ("round(tan(atan(2)), 6)", n(2.0)),
        ("round(exp(2), 4)", n(7.3891)),
        ("round(log(exp(2)), 6)", n(2.0)),
        ("log10(1000)", n(3.0)),
        ("substring-after('2026-11', '-')", s("11")),
        ("substring-after('2026', '-')", s("")),
        ("substring-before('2026-11', '-')", s("2026")),
        ("translate('a-b-c', '-', '')", s("abc")),
        ("translate('abc', 'abc', 'AB')", s("AB")),
        ("ceiling(2.1)", n(3.0)),
        ("coalesce('', 'x')", s("x")),
        ("coalesce('y', 'x')", s("y")),
        ("concat('a', 1, 'b')", s("a1b")),
        ("contains('abc', 'bc')", b(true)),
        ("count(${rows})", n(3.0)),
        ("count(${no_rows})", n(0.0)),
        ("count-selected(${multi})", n(3.0)),
        ("count-selected('')", n(0.0)),
        ("ends-with('piped_yard', 'yard')", b(true)),
        ("false()", b(false)),
        ("floor(-2.5)", n(-3.0)),
        ("format-date(today(), '%Y')", s("2026")),
        ("format-date(${born}, '%d/%m/%Y')", s("29/02/2000")),
        ("format-date('', '%Y')", s("")),
        ("if(${n} > 10, 'big', 'small')", s("big")),
        ("if(${empty}, 'yes', 'no')", s("no")),
        ("int(3.7)", n(3.0)),
        ("int(-3.7)", n(-3.0)),
        ("max(${ages})", n(20.0)),
        ("min(3, 1, 2)", n(1.0)),
        ("not(true())", b(false)),
        ("number('4.5')", n(4.5)),
        ("number(' -2 ')", n(-2.0)),
        ("pow(2, 10)", n(1024.0)),
        ("regex('S01-0001', '^S[0-9]{2}-[0-9]{4}$')", b(true)),
        ("regex('S1-1', '^S[0-9]{2}')", b(false)),
        ("round(2.5)", n(3.0)),
        ("round(-2.5)", n(-2.0)),
        ("round(2.71828, 2)", n(2.72)),
        ("selected(${multi}, 'sanitation')", b(true)),
        ("selected(${multi}, 'sani')", b(false)),
        ("selected(${multi}, ' sanitation ')", b(true)),
        ("selected(12, 12)", b(true)),
        ("count-selected(12)", n(1.0)),
        ("count-selected(${no_rows})", n(0.0)),
        ("selected-at(${multi}, 1)", s("sanitation")),
        ("selected-at(${multi}, 9)", s("")),
        ("starts-with('piped_yard', 'piped')", b(true)),
        ("string(1.50)", s("1.5")),
        ("string(2)", s("2")),
        ("string-length('héllo')", n(5.0)),
        ("substr('hello', 1, 3)", s("el")),
        ("substr('hello', 3)", s("lo")),
        ("sum(${ages})", n(35.0)),
        ("today() >= '2026-11-28'", b(true)),
        ("'2026-11-29' <= today()", b(false)),
        ("'2026-11-28' = today()", b(true)),
        ("true()", b(true)),
        ("uuid()", Value::empty()),
        // The NIST example ("abc"), in ODK's default base64 and in hex.
        (
            "digest('abc', 'SHA-256')",
            s("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="),
        ),
        (
            "digest(concat('a', 'bc'), 'sha-256', 'hex')",
            s("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ),
        (
            "digest('', 'SHA-256', 'hex')",
            s("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ),
        ("digest('abc', 'MD5')", Value::empty()),
        // Filled by the device (`Field::device_call`); the engine makes none.
        ("now()", Value::empty()),
        ("random()", Value::empty()),
        ("once(concat('a', ${n}))", s("a20")),
        ("lookup('fruits', 'color', name = 'mango')", s("yellow")),
        (
            "lookup('fruits', 'label', color = 'green' and ${n} > 10)",
            s("Avocado"),
        ),
        ("lookup('fruits', 'color', name = ${empty})", s("")),
        ("lookup('vegetables', 'color', true())", s("")),
    ];
    for (src, want) in &cases {
        assert_eq!(&run(src), want, "{src}");
    }
    assert_eq!(run("today()").to_str(), "2026-11-28");
    let listed: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
    for f in &listed {
        if *f != "position" {
            assert!(
                cases.iter().any(|(src, _)| src.contains(&format!("{f}("))),
                "{f}() has no case"
            );
        }
    }
}

#[test]
fn a_call_with_too_few_arguments_is_refused_and_still_evaluates_without_panicking() {
    for (name, min, _) in FUNCTIONS.iter().filter(|f| f.1 > 0) {
        for given in 0..*min {
            let src = format!("{name}({})", vec!["1"; given].join(", "));
            let parsed = parse(&src);
            assert!(
                parsed.errors.iter().any(|e| e.message.contains("argument")),
                "{src} is not refused: {:?}",
                parsed.errors
            );
            // An editor evaluates what it can while the author is still typing.
            let _ = eval(&parsed.expr, &env());
        }
    }
}

#[test]
fn bare_names_read_choice_columns_and_position_reads_the_row() {
    assert_eq!(run("name"), Value::Str("column:name".into()));
    // Outside a repeat there is no row.
    assert!(run("position(..)").to_num().is_nan());
}

#[test]
fn parse_reports_every_error_with_its_position() {
    let cases: &[(&str, &[(usize, &str)])] = &[
        ("", &[(0, "expression is empty")]),
        ("1 +", &[(3, "ends where a value was expected")]),
        ("${a", &[(0, "never closed")]),
        ("'abc", &[(0, "never closed")]),
        ("foo(1)", &[(0, "unknown or unsupported function foo()")]),
        ("foo(1) + bar(2)", &[(0, "foo()"), (9, "bar()")]),
        ("if(1, 2)", &[(0, "if() takes 3 argument(s), given 2")]),
        ("/data/x = 1", &[(0, "paths are not supported")]),
        (
            "${a}[1] = /data/b[@id = 2]/c",
            &[(4, "predicates"), (10, "paths are not supported")],
        ),
        (
            "instance('x')/root/item",
            &[
                (0, "unknown or unsupported function instance()"),
                (13, "paths are not supported"),
            ],
        ),
        (
            "1 +* 2 and (3",
            &[(3, "expected a value, found '*'"), (13, "expected ')'")],
        ),
        ("regex(., '[')", &[(0, "invalid regular expression")]),
        (
            "1 # 2",
            &[(2, "unexpected character '#'"), (4, "unexpected number 2")],
        ),
        (
            "${bad name}",
            &[(0, "\"bad name\" is not a valid field name")],
        ),
        ("${open + 1", &[(0, "never closed")]),
        ("$x", &[(0, "'$' must start a field reference")]),
        ("1..2", &[(0, "\"1..2\" is not a number")]),
        ("count(..)", &[(6, "'..' (parent steps) is not supported")]),
    ];
    for (src, want) in cases {
        let got = parse(src).errors;
        assert_eq!(got.len(), want.len(), "{src}: {got:?}");
        for (e, (start, text)) in got.iter().zip(want.iter()) {
            assert_eq!(e.span.start, *start, "{src}: {got:?}");
            assert!(
                e.message.contains(text),
                "{src}: {:?} lacks {text:?}",
                e.message
            );
        }
    }
}

#[test]
fn deep_nesting_is_reported_instead_of_overflowing_the_stack() {
    let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let p = parse(&deep);
    assert!(
        p.errors
            .iter()
            .any(|e| e.message.contains("nested more than"))
    );
    let negs = format!("{}1", "-".repeat(10_000));
    assert!(
        parse(&negs)
            .errors
            .iter()
            .any(|e| e.message.contains("nested more than")),
        "a long chain of minus signs is too deep, not an expression that prints as garbage"
    );
}

#[test]
fn references_are_listed_with_their_spans() {
    let p = parse("${a} + ${bb}");
    let refs: Vec<(&str, usize)> = p.refs.iter().map(|(n, s)| (n.as_str(), s.start)).collect();
    assert_eq!(refs, [("a", 0), ("bb", 7)]);
    assert_eq!(p.expr.refs(), ["a", "bb"]);
}

#[test]
fn an_expression_travels_as_its_source_text() {
    let e = Expression::parse("${a}  >  1").unwrap_or_else(|errors| panic!("{errors:?}"));
    assert_eq!(
        serde_json::to_string(&e).ok().as_deref(),
        Some("\"${a}  >  1\"")
    );
    let back: Expression =
        serde_json::from_str("\"${a}  >  1\"").unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(back, e);
    let bad = serde_json::from_str::<Expression>("\"1 +\"")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(bad.contains("ends where a value was expected"), "{bad}");
}

#[test]
fn dates_from_huge_numbers_are_empty_instead_of_overflowing() {
    // Found by the evaluation property test: a day number near i64::MAX overflowed.
    assert_eq!(
        run("format-date(99999999999999999999, '%Y')"),
        Value::Str(String::new())
    );
    assert_eq!(
        run("format-date(-1 div 0, '%Y')"),
        Value::Str(String::new())
    );
    assert_eq!(
        run("format-date(0, '%Y-%m-%d')"),
        Value::Str("1970-01-01".into())
    );
}
