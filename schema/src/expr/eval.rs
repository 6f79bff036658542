//! The evaluator, with XPath 1.0 semantics for the cases forms rely on: an unanswered field is
//! the empty string; `number('')` is NaN so that every comparison with it is false except
//! `!=`; `=` compares as booleans, then numbers, then strings; a reference that reaches into a
//! repeat from outside it yields every row's value (a node-set), and comparisons with a
//! node-set are true when any member satisfies them. Dates compare as day numbers.

use super::{BinOp, Expr};
use crate::date::Date;

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    Bool(bool),
    Date(Date),
    /// The values of one field across the rows of a repeat (or the rows themselves).
    Nodes(Vec<Value>),
}

/// Where names in an expression get their values. Implemented over a response by the
/// validator, over a choice by the choice filter, and over a plain map in tests.
pub trait Resolver {
    /// `${name}`.
    fn field(&self, name: &str) -> Value;
    /// `.`.
    fn dot(&self) -> Value;
    /// A bare name: a choices-sheet column inside a `choice_filter`, empty elsewhere.
    fn name(&self, name: &str) -> Value;
    /// The date `today()` returns; time comes in from outside, never from a clock.
    fn today(&self) -> Date;
    /// `position(..)`: the 1-based row number in the innermost enclosing repeat.
    fn position(&self) -> Value {
        Value::Num(f64::NAN)
    }
    /// `column` of the first item of choice list `list` (a file the form carries is the list
    /// named by the file, `households.csv`) that `fits`, called with a resolver whose bare
    /// names are the item's columns; empty when none does.
    fn item(&self, list: &str, column: &str, fits: &mut dyn FnMut(&dyn Resolver) -> bool) -> Value {
        let _ = (list, column, fits);
        Value::empty()
    }
}

impl Value {
    pub fn empty() -> Value {
        Value::Str(String::new())
    }

    fn first(&self) -> Option<&Value> {
        match self {
            Value::Nodes(items) => items.first(),
            v => Some(v),
        }
    }

    pub fn to_bool(&self) -> bool {
        match self {
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) => true,
            Value::Nodes(items) => !items.is_empty(),
        }
    }

    pub fn to_num(&self) -> f64 {
        match self {
            Value::Str(s) => parse_number(s),
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => d.days() as f64,
            Value::Nodes(_) => self.first().map_or(f64::NAN, Value::to_num),
        }
    }

    pub fn to_str(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Num(n) => format_number(*n),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Nodes(_) => self.first().map_or_else(String::new, Value::to_str),
        }
    }

    fn to_date(&self) -> Option<Date> {
        match self {
            Value::Date(d) => Some(*d),
            Value::Str(s) => Date::parse(s.trim()).ok(),
            Value::Num(n) if n.is_finite() && n.abs() <= Date::MAX_DAYS as f64 => {
                Some(Date::from_days(n.floor() as i64))
            }
            Value::Nodes(_) => self.first().and_then(Value::to_date),
            _ => None,
        }
    }

    /// A date compares as its day number; anything else as its number.
    fn to_date_num(&self) -> f64 {
        match self.to_date() {
            Some(d) => d.days() as f64,
            None => self.to_num(),
        }
    }
}

/// XPath's `number()` of a string: optional minus, digits, optional fraction. Anything else
/// (including the empty string, exponents and `inf`) is NaN.
fn parse_number(s: &str) -> f64 {
    let t = s.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let ok = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && body != ".";
    if ok {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// Numbers print without a trailing `.0` when whole, as forms and exports expect.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn compare(op: BinOp, a: &Value, b: &Value) -> bool {
    if let Value::Nodes(items) = a {
        return items.iter().any(|x| compare(op, x, b));
    }
    if let Value::Nodes(items) = b {
        return items.iter().any(|y| compare(op, a, y));
    }
    let is_date = matches!(a, Value::Date(_)) || matches!(b, Value::Date(_));
    match op {
        BinOp::Eq | BinOp::Ne => {
            let equal = if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
                a.to_bool() == b.to_bool()
            } else if is_date {
                a.to_date_num() == b.to_date_num()
            } else if matches!(a, Value::Num(_)) || matches!(b, Value::Num(_)) {
                a.to_num() == b.to_num()
            } else {
                match (a, b) {
                    // Most comparisons: an answer against a code, with nothing to copy.
                    (Value::Str(x), Value::Str(y)) => x == y,
                    _ => a.to_str() == b.to_str(),
                }
            };
            // NaN: `x = NaN` is false and `x != NaN` is true, as in XPath.
            if op == BinOp::Eq { equal } else { !equal }
        }
        _ => {
            let (x, y) = if is_date {
                (a.to_date_num(), b.to_date_num())
            } else {
                (a.to_num(), b.to_num())
            };
            match op {
                BinOp::Lt => x < y,
                BinOp::Le => x <= y,
                BinOp::Gt => x > y,
                _ => x >= y,
            }
        }
    }
}

fn tokens(v: &Value) -> Vec<String> {
    v.to_str().split_whitespace().map(str::to_owned).collect()
}

fn flatten(args: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for a in args {
        match a {
            Value::Nodes(items) => out.extend(items),
            v => out.push(v),
        }
    }
    out
}

/// The trigonometric, logarithmic and power functions, named as JavaScript's `Math` names them
/// (`atan2` and `pow` take two arguments, the rest one).
pub const TRANSCENDENTAL: [&str; 11] = [
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "exp", "log", "log10", "pow",
];

static HOST_MATH: std::sync::OnceLock<fn(&str, f64, f64) -> f64> = std::sync::OnceLock::new();

/// Gives the engine the host's transcendental functions (`TRANSCENDENTAL`). A browser app
/// installs JavaScript's `Math` (V8's are fdlibm's algorithms, as Rust's are), so that its
/// WebAssembly does not carry libm's 5.7 KB; natively the engine uses Rust's own, and in
/// WebAssembly without a host they are NaN. The first call wins.
pub fn set_transcendental(f: fn(&str, f64, f64) -> f64) {
    let _ = HOST_MATH.set(f);
}

fn transcendental(name: &str, x: f64, y: f64) -> f64 {
    if let Some(host) = HOST_MATH.get() {
        return host(name, x, y);
    }
    #[cfg(not(target_arch = "wasm32"))]
    return match name {
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "asin" => x.asin(),
        "acos" => x.acos(),
        "atan" => x.atan(),
        "atan2" => x.atan2(y),
        "exp" => x.exp(),
        "log" => x.ln(),
        "log10" => x.log10(),
        // As JavaScript's (and ODK's Java) `pow`: NaN where C's gives 1.
        "pow" if y.is_nan() || (x.abs() == 1.0 && y.is_infinite()) => f64::NAN,
        "pow" => x.powf(y),
        _ => f64::NAN,
    };
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (name, x, y);
        f64::NAN
    }
}

/// Evaluates `expr`. Total: never panics, whatever the tree and the values.
pub fn eval(expr: &Expr, r: &dyn Resolver) -> Value {
    match expr {
        Expr::Number(n) => Value::Num(*n),
        Expr::String(s) => Value::Str(s.clone()),
        Expr::Ref(name) => r.field(name),
        Expr::Dot => r.dot(),
        Expr::Name(name) => r.name(name),
        Expr::Neg(e) => Value::Num(-eval(e, r).to_num()),
        Expr::Error => Value::empty(),
        Expr::Binary(op, a, b) => match op {
            BinOp::Or => Value::Bool(eval(a, r).to_bool() || eval(b, r).to_bool()),
            BinOp::And => Value::Bool(eval(a, r).to_bool() && eval(b, r).to_bool()),
            BinOp::Eq | BinOp::Ne => match (&**a, &**b) {
                // Most comparisons in forms: an answer against a code (`${x} = 'yes'`).
                (x, Expr::String(code)) | (Expr::String(code), x) => {
                    Value::Bool(match eval(x, r) {
                        Value::Str(answer) => (answer == *code) == (*op == BinOp::Eq),
                        other => compare(*op, &other, &Value::Str(code.clone())),
                    })
                }
                _ => Value::Bool(compare(*op, &eval(a, r), &eval(b, r))),
            },
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                Value::Bool(compare(*op, &eval(a, r), &eval(b, r)))
            }
            _ => {
                let (x, y) = (eval(a, r).to_num(), eval(b, r).to_num());
                Value::Num(match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => x / y,
                    _ => x % y,
                })
            }
        },
        Expr::Call(name, args) => call(name, args, r),
    }
}

/// Standard base64, padded.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(match i <= chunk.len() {
                true => ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char,
                false => '=',
            });
        }
    }
    out
}

fn call(name: &str, args: &[Expr], r: &dyn Resolver) -> Value {
    // `if` is lazy; everything else takes evaluated arguments.
    if name == "lookup" {
        return match args {
            [list, column, filter] => r.item(
                &eval(list, r).to_str(),
                &eval(column, r).to_str(),
                &mut |item| eval(filter, item).to_bool(),
            ),
            _ => Value::empty(),
        };
    }
    if name == "if" {
        return match args {
            [c, a, b] => {
                if eval(c, r).to_bool() {
                    eval(a, r)
                } else {
                    eval(b, r)
                }
            }
            _ => Value::empty(),
        };
    }
    let v: Vec<Value> = args.iter().map(|a| eval(a, r)).collect();
    let arg = |i: usize| v.get(i).cloned().unwrap_or_else(Value::empty);
    // A missing argument is the empty string: NaN as a number, "" as text.
    let num = |i: usize| v.get(i).map_or(f64::NAN, Value::to_num);
    let s = |i: usize| v.get(i).map_or_else(String::new, Value::to_str);
    // The space-separated codes of a multiple choice, read in place when it is text.
    let codes = |i: usize| -> std::borrow::Cow<'_, str> {
        match v.get(i) {
            Some(Value::Str(x)) => std::borrow::Cow::Borrowed(x),
            other => std::borrow::Cow::Owned(other.map_or_else(String::new, Value::to_str)),
        }
    };
    match name {
        "abs" => Value::Num(num(0).abs()),
        "boolean" => Value::Bool(arg(0).to_bool()),
        "boolean-from-string" => Value::Bool(matches!(s(0).as_str(), "true" | "1")),
        "date" => arg(0).to_date().map_or_else(Value::empty, Value::Date),
        // ODK's `digest(text, algorithm, encoding)`, for SHA-256 (the import refuses the
        // others): base64 unless `hex` is asked.
        "digest" if s(1).eq_ignore_ascii_case("SHA-256") => {
            use sha2::Digest as _;
            let sum = sha2::Sha256::digest(s(0).as_bytes());
            Value::Str(if s(2) == "hex" {
                crate::hex(&sum)
            } else {
                base64(&sum)
            })
        }
        "exp10" => Value::Num(transcendental("pow", 10.0, num(0))),
        // A field in another repeat is every row's value: the row asked for, from 1.
        "indexed-repeat" => {
            let i = num(2);
            let rows = match arg(0) {
                Value::Nodes(items) => items,
                one => vec![one],
            };
            match i.is_finite() && i >= 1.0 {
                true => rows
                    .get(i as usize - 1)
                    .cloned()
                    .unwrap_or_else(Value::empty),
                false => Value::empty(),
            }
        }
        "join" => Value::Str(
            flatten(v.iter().skip(1).cloned().collect())
                .iter()
                .map(Value::to_str)
                .collect::<Vec<_>>()
                .join(&s(0)),
        ),
        "normalize-space" => Value::Str(s(0).split_whitespace().collect::<Vec<_>>().join(" ")),
        "pi" => Value::Num(std::f64::consts::PI),
        "sqrt" => Value::Num(num(0).sqrt()),
        "substring-after" => Value::Str(
            s(0).split_once(&s(1))
                .map_or_else(String::new, |(_, after)| after.to_owned()),
        ),
        "substring-before" => Value::Str(
            s(0).split_once(&s(1))
                .map_or_else(String::new, |(before, _)| before.to_owned()),
        ),
        // XPath's translate: each character of the second string becomes the one at the
        // same place in the third, or is removed when the third is shorter.
        "translate" => {
            let (from, to): (Vec<char>, Vec<char>) =
                (s(1).chars().collect(), s(2).chars().collect());
            Value::Str(
                s(0).chars()
                    .filter_map(|c| match from.iter().position(|f| *f == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect(),
            )
        }
        "ceiling" => Value::Num(num(0).ceil()),
        "coalesce" => {
            if s(0).is_empty() {
                arg(1)
            } else {
                arg(0)
            }
        }
        "concat" => Value::Str(flatten(v.clone()).iter().map(Value::to_str).collect()),
        "contains" => Value::Bool(s(0).contains(&s(1))),
        "count" => Value::Num(match arg(0) {
            Value::Nodes(items) => items.len() as f64,
            Value::Str(x) if x.is_empty() => 0.0,
            _ => 1.0,
        }),
        "count-selected" => Value::Num(codes(0).split_whitespace().count() as f64),
        "ends-with" => Value::Bool(s(0).ends_with(&s(1))),
        "false" => Value::Bool(false),
        "floor" => Value::Num(num(0).floor()),
        "format-date" => match arg(0).to_date() {
            Some(d) if !s(0).is_empty() || matches!(arg(0), Value::Date(_)) => {
                Value::Str(d.format(&s(1)))
            }
            _ => Value::empty(),
        },
        "int" => Value::Num(num(0).trunc()),
        "max" | "min" => {
            let items = flatten(v.clone());
            if items.is_empty() {
                return Value::Num(f64::NAN);
            }
            let mut acc = if name == "max" {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
            for x in items.iter().map(Value::to_num) {
                if x.is_nan() {
                    return Value::Num(f64::NAN);
                }
                acc = if name == "max" {
                    acc.max(x)
                } else {
                    acc.min(x)
                };
            }
            Value::Num(acc)
        }
        "not" => Value::Bool(!arg(0).to_bool()),
        "once" => arg(0),
        "number" => Value::Num(num(0)),
        "position" => r.position(),
        "pow" => Value::Num(transcendental("pow", num(0), num(1))),
        "regex" => Value::Bool(super::regex::is_match(&s(1), &s(0))),
        "round" => {
            let digits = if v.len() > 1 { num(1) } else { 0.0 };
            if !digits.is_finite() || digits.abs() > 15.0 {
                return Value::Num(f64::NAN);
            }
            let f = 10f64.powi(digits.trunc() as i32);
            Value::Num((num(0) * f + 0.5).floor() / f)
        }
        "selected" => {
            let (all, one) = (codes(0), codes(1));
            let one = one.trim();
            Value::Bool(all.split_whitespace().any(|c| c == one))
        }
        "selected-at" => {
            let i = num(1);
            let t = tokens(&arg(0));
            if i.is_finite() && i >= 0.0 && (i as usize) < t.len() {
                Value::Str(t[i as usize].clone())
            } else {
                Value::empty()
            }
        }
        "starts-with" => Value::Bool(s(0).starts_with(&s(1))),
        "string" => Value::Str(s(0)),
        "string-length" => Value::Num(s(0).chars().count() as f64),
        "substr" => {
            // ODK's substr: zero-based start, exclusive end.
            let chars: Vec<char> = s(0).chars().collect();
            let clamp = |x: f64| {
                if x.is_nan() {
                    0
                } else {
                    x.max(0.0).min(chars.len() as f64) as usize
                }
            };
            let start = clamp(num(1));
            let end = if v.len() > 2 {
                clamp(num(2))
            } else {
                chars.len()
            };
            Value::Str(if start < end {
                chars[start..end].iter().collect()
            } else {
                String::new()
            })
        }
        "sum" => Value::Num(match arg(0) {
            Value::Nodes(items) => items.iter().map(Value::to_num).sum(),
            x => x.to_num(),
        }),
        "today" => Value::Date(r.today()),
        "true" => Value::Bool(true),
        // The device stores a calculation's uuid(), now() or random() (`Field::device_call`);
        // that answer is its value, and the engine, being pure, never makes one.
        "uuid" | "now" | "random" => Value::empty(),
        "sin" | "cos" | "tan" | "asin" | "acos" | "atan" | "atan2" | "exp" | "log" | "log10" => {
            Value::Num(transcendental(name, num(0), num(1)))
        }
        // Unknown names are rejected when a form is imported; a tree built by hand still
        // evaluates without panicking.
        _ => Value::empty(),
    }
}
