//! The expression language: the XLSForm/XPath subset that forms use in `relevant`, `constraint`,
//! `calculation`, `choice_filter`, `repeat_count` and `required`.
//!
//! Expressions travel as source text (see [`Expression`]); the AST never crosses a process or
//! storage boundary. Parsing never stops at the first error: [`parse`] returns a best-effort
//! tree with [`Expr::Error`] holes plus every diagnostic, so a form designer can fix a whole
//! workbook in one pass.

mod eval;
mod parse;
mod regex;

use std::fmt;

pub use eval::{Resolver, TRANSCENDENTAL, Value, eval, set_transcendental};
pub use parse::{ExprError, Parsed, Span, parse};
pub use regex::{Matcher, set_regex};

/// A parsed expression tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    String(String),
    /// `${name}`: another field of the form.
    Ref(String),
    /// `.`: the value being checked (in a constraint) or the current choice (in a filter).
    Dot,
    /// A bare relative step such as `name`; only meaningful in a `choice_filter`, where it
    /// names a column of the choices sheet.
    Name(String),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
    /// Where parsing failed; evaluates to the empty string.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl BinOp {
    /// Binding strength, XPath 1.0 order: or < and < equality < relational < additive <
    /// multiplicative. All are left-associative.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne => 3,
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Mod => 6,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "div",
            BinOp::Mod => "mod",
        }
    }
}

/// The functions the language knows, with their arity (`None` = any number from the minimum).
pub const FUNCTIONS: &[(&str, usize, Option<usize>)] = &[
    ("abs", 1, Some(1)),
    ("acos", 1, Some(1)),
    ("asin", 1, Some(1)),
    ("atan", 1, Some(1)),
    ("atan2", 2, Some(2)),
    ("boolean", 1, Some(1)),
    ("boolean-from-string", 1, Some(1)),
    ("ceiling", 1, Some(1)),
    ("coalesce", 2, Some(2)),
    ("concat", 1, None),
    ("contains", 2, Some(2)),
    ("cos", 1, Some(1)),
    ("count", 1, Some(1)),
    ("count-selected", 1, Some(1)),
    ("date", 1, Some(1)),
    // SHA-256 only (`digest(text, 'SHA-256', 'hex')`; base64 by default).
    ("digest", 2, Some(3)),
    ("ends-with", 2, Some(2)),
    ("exp", 1, Some(1)),
    ("exp10", 1, Some(1)),
    ("false", 0, Some(0)),
    ("floor", 1, Some(1)),
    ("format-date", 2, Some(2)),
    ("if", 3, Some(3)),
    // The one-level form: the field's value in row `index` (from 1) of the repeat.
    ("indexed-repeat", 3, Some(3)),
    ("int", 1, Some(1)),
    ("join", 2, None),
    // `lookup('list', column, filter)`: a column of the first item of a choice list (or of a
    // file the form carries, `list.csv`) for which `filter` holds; inside `filter` bare names
    // are the item's columns, as in a choice filter. XLSForm's
    // `instance('list')/root/item[filter]/column` imports as this call, and so does
    // `pulldata('file', 'column', 'key_column', key)` (`lookup('file.csv', 'column',
    // key_column = key)`).
    ("lookup", 3, Some(3)),
    ("log", 1, Some(1)),
    ("log10", 1, Some(1)),
    ("max", 1, None),
    ("min", 1, None),
    ("normalize-space", 1, Some(1)),
    ("not", 1, Some(1)),
    // Filled by the device, never by the engine (`Field::device_call`).
    ("now", 0, Some(0)),
    // ODK's "compute only while empty": a calculation is kept as computed when the interview
    // is finalized (and again at each edit), so `once(x)` is `x`.
    ("once", 1, Some(1)),
    ("number", 1, Some(1)),
    ("pi", 0, Some(0)),
    ("position", 0, Some(0)),
    ("pow", 2, Some(2)),
    // Filled by the device, never by the engine (`Field::device_call`).
    ("random", 0, Some(0)),
    ("regex", 2, Some(2)),
    ("round", 1, Some(2)),
    ("selected", 2, Some(2)),
    ("selected-at", 2, Some(2)),
    ("sin", 1, Some(1)),
    ("sqrt", 1, Some(1)),
    ("starts-with", 2, Some(2)),
    ("string", 1, Some(1)),
    ("string-length", 1, Some(1)),
    ("substr", 2, Some(3)),
    ("substring-after", 2, Some(2)),
    ("substring-before", 2, Some(2)),
    ("sum", 1, Some(1)),
    ("tan", 1, Some(1)),
    ("today", 0, Some(0)),
    ("translate", 3, Some(3)),
    ("true", 0, Some(0)),
    // Filled once by the device, never by the engine (`Field::device_call`).
    ("uuid", 0, Some(0)),
];

/// The functions only a device computes: each stands alone as a calculation (in `once()` or
/// not), whose value the device stores (`Field::device_call`).
pub const DEVICE_CALLS: [&str; 3] = ["uuid", "now", "random"];

impl Expr {
    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Neg(e) => e.walk(f),
            Expr::Binary(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            _ => {}
        }
    }

    /// The field names referenced with `${…}`, in order of appearance, with repeats.
    pub fn refs(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Ref(name) = e {
                out.push(name.as_str());
            }
        });
        out
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary(op, ..) => op.precedence(),
            Expr::Neg(_) => 7,
            _ => 8,
        }
    }
}

impl fmt::Display for Expr {
    /// Prints canonical source that parses back to the same tree, with only the parentheses
    /// that precedence and left-associativity need.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => f.write_str(&eval::format_number(*n)),
            Expr::String(s) if s.contains('\'') => write!(f, "\"{s}\""),
            Expr::String(s) => write!(f, "'{s}'"),
            Expr::Ref(name) => write!(f, "${{{name}}}"),
            Expr::Dot => f.write_str("."),
            Expr::Name(name) => f.write_str(name),
            Expr::Neg(e) if e.precedence() < 7 => write!(f, "-({e})"),
            Expr::Neg(e) => write!(f, "-{e}"),
            Expr::Binary(op, a, b) => {
                let p = op.precedence();
                if a.precedence() < p {
                    write!(f, "({a})")?;
                } else {
                    write!(f, "{a}")?;
                }
                write!(f, " {} ", op.symbol())?;
                if b.precedence() <= p {
                    write!(f, "({b})")
                } else {
                    write!(f, "{b}")
                }
            }
            // `position(..)` is the only place `..` is accepted; it is stored without arguments.
            Expr::Call(name, args) if name == "position" && args.is_empty() => {
                f.write_str("position(..)")
            }
            Expr::Call(name, args) => {
                write!(f, "{name}(")?;
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Error => f.write_str("''"),
        }
    }
}

/// An expression as it travels: its source text (serialized as a plain JSON string) and the
/// tree parsed from it. Only expressions that parsed without diagnostics are constructed.
#[derive(Debug, Clone)]
pub struct Expression {
    source: String,
    expr: Expr,
}

impl Expression {
    /// Parses `source`; every problem is returned, none is skipped.
    pub fn parse(source: &str) -> Result<Expression, Vec<ExprError>> {
        let parsed = parse(source);
        if parsed.errors.is_empty() {
            Ok(Expression {
                source: source.to_owned(),
                expr: parsed.expr,
            })
        } else {
            Err(parsed.errors)
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn expr(&self) -> &Expr {
        &self.expr
    }
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl serde::Serialize for Expression {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

impl<'de> serde::Deserialize<'de> for Expression {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Expression::parse(&source).map_err(|errors| {
            let first = &errors[0];
            serde::de::Error::custom(format!(
                "expression {source:?}: {} (at character {})",
                first.message,
                first.span.start + 1
            ))
        })
    }
}

#[cfg(test)]
mod tests;
