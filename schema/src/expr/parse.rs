//! Lexer and recovering Pratt parser.

use super::{BinOp, Expr, FUNCTIONS};

/// Character offsets (not bytes) into the source, `start..end`, zero-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One problem in an expression, located by character span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub span: Span,
    pub message: String,
}

/// What [`parse`] returns: always a tree (with [`Expr::Error`] holes where it had to give up)
/// and every problem found, plus each `${ref}` with its span so that callers can check the
/// names against a form and point at the exact place.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub expr: Expr,
    pub errors: Vec<ExprError>,
    pub refs: Vec<(String, Span)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Name(String),
    Dot,
    DotDot,
    LParen,
    RParen,
    Comma,
    Op(&'static str),
    /// Path and predicate syntax that the subset does not support: `/ // [ ] @ |`.
    Unsupported(&'static str),
    Eof,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')
}

/// The tokens of an expression with their spans; errors are collected, never fatal. One
/// `match` over the next character, as lexers are: its arms are short and independent.
fn lex(src: &[char], errors: &mut Vec<ExprError>) -> Vec<(Tok, Span)> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < src.len() {
        let c = src[i];
        let start = i;
        let tok = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '0'..='9' => {
                while i < src.len() && (src[i].is_ascii_digit() || src[i] == '.') {
                    i += 1;
                }
                number(src, start, i, errors)
            }
            '.' if src.get(i + 1).is_some_and(char::is_ascii_digit) => {
                i += 1;
                while i < src.len() && (src[i].is_ascii_digit() || src[i] == '.') {
                    i += 1;
                }
                number(src, start, i, errors)
            }
            '.' if src.get(i + 1) == Some(&'.') => {
                i += 2;
                Tok::DotDot
            }
            '.' => {
                i += 1;
                Tok::Dot
            }
            '\'' | '"' => {
                i += 1;
                while i < src.len() && src[i] != c {
                    i += 1;
                }
                if i == src.len() {
                    errors.push(ExprError {
                        span: Span { start, end: i },
                        message: format!("string starting here is never closed with {c}"),
                    });
                    Tok::Str(src[start + 1..].iter().collect())
                } else {
                    i += 1;
                    Tok::Str(src[start + 1..i - 1].iter().collect())
                }
            }
            '$' => {
                if src.get(i + 1) != Some(&'{') {
                    i += 1;
                    errors.push(ExprError {
                        span: Span { start, end: i },
                        message: "'$' must start a field reference like ${name}".into(),
                    });
                    continue;
                }
                i += 2;
                // `${bad name}` is one invalid name, not a reference that never closes.
                let close = src[i..].iter().position(|c| *c == '}');
                let inner_ok = close.is_some_and(|n| {
                    !src[i..i + n]
                        .iter()
                        .any(|c| matches!(c, '$' | '{' | '\'' | '"' | '(' | ')'))
                });
                if let (true, Some(n)) = (inner_ok, close) {
                    i += n;
                } else {
                    while i < src.len() && src[i] != '}' && !src[i].is_whitespace() {
                        i += 1;
                    }
                }
                let name: String = src[start + 2..i].iter().collect();
                if src.get(i) == Some(&'}') {
                    i += 1;
                } else {
                    errors.push(ExprError {
                        span: Span { start, end: i },
                        message: "field reference is never closed with '}'".into(),
                    });
                }
                // A key given to a name that repeats is its path: `${water:other}`.
                let valid = name.chars().next().is_some_and(is_name_start)
                    && name
                        .chars()
                        .all(|c| is_name_char(c) || c == crate::form::PATH_SEPARATOR);
                if !valid {
                    errors.push(ExprError {
                        span: Span { start, end: i },
                        message: format!("{name:?} is not a valid field name"),
                    });
                }
                Tok::Ref(name)
            }
            c if is_name_start(c) => {
                while i < src.len() && is_name_char(src[i]) {
                    i += 1;
                }
                // A trailing '.' or '-' belongs to what follows (`a -1`, `x.`) only in odd
                // input; XPath itself keeps them in the name, and so do we.
                Tok::Name(src[start..i].iter().collect())
            }
            '(' => {
                i += 1;
                Tok::LParen
            }
            ')' => {
                i += 1;
                Tok::RParen
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            '!' if src.get(i + 1) == Some(&'=') => {
                i += 2;
                Tok::Op("!=")
            }
            '<' | '>' if src.get(i + 1) == Some(&'=') => {
                i += 2;
                Tok::Op(if c == '<' { "<=" } else { ">=" })
            }
            '=' | '<' | '>' | '+' | '-' | '*' => {
                i += 1;
                Tok::Op(match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    '+' => "+",
                    '-' => "-",
                    _ => "*",
                })
            }
            '/' | '[' | ']' | '@' | '|' => {
                i += 1;
                Tok::Unsupported(match c {
                    '/' => "/",
                    '[' => "[",
                    ']' => "]",
                    '@' => "@",
                    _ => "|",
                })
            }
            other => {
                i += 1;
                errors.push(ExprError {
                    span: Span { start, end: i },
                    message: format!("unexpected character {other:?}"),
                });
                continue;
            }
        };
        toks.push((tok, Span { start, end: i }));
    }
    toks.push((
        Tok::Eof,
        Span {
            start: src.len(),
            end: src.len(),
        },
    ));
    toks
}

fn number(src: &[char], start: usize, end: usize, errors: &mut Vec<ExprError>) -> Tok {
    let text: String = src[start..end].iter().collect();
    match text.parse::<f64>() {
        Ok(n) if text.matches('.').count() <= 1 => Tok::Num(n),
        _ => {
            errors.push(ExprError {
                span: Span { start, end },
                message: format!("{text:?} is not a number"),
            });
            Tok::Num(0.0)
        }
    }
}

struct Parser<'a> {
    toks: Vec<(Tok, Span)>,
    pos: usize,
    errors: &'a mut Vec<ExprError>,
    refs: Vec<(String, Span)>,
    depth: usize,
}

/// Deeper nesting than this is reported instead of risking the stack.
const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn span(&self) -> Span {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.toks[self.pos].clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(ExprError {
            span,
            message: message.into(),
        });
    }

    fn binop(&self) -> Option<BinOp> {
        Some(match self.peek() {
            Tok::Op("=") => BinOp::Eq,
            Tok::Op("!=") => BinOp::Ne,
            Tok::Op("<") => BinOp::Lt,
            Tok::Op("<=") => BinOp::Le,
            Tok::Op(">") => BinOp::Gt,
            Tok::Op(">=") => BinOp::Ge,
            Tok::Op("+") => BinOp::Add,
            Tok::Op("-") => BinOp::Sub,
            Tok::Op("*") => BinOp::Mul,
            Tok::Name(n) if n == "or" => BinOp::Or,
            Tok::Name(n) if n == "and" => BinOp::And,
            Tok::Name(n) if n == "div" => BinOp::Div,
            Tok::Name(n) if n == "mod" => BinOp::Mod,
            _ => return None,
        })
    }

    /// Reports nesting beyond [`MAX_DEPTH`] and skips the rest, which cannot be parsed safely.
    fn too_deep(&mut self) -> Expr {
        let span = self.span();
        self.error(
            span,
            format!("expression is nested more than {MAX_DEPTH} levels deep"),
        );
        self.pos = self.toks.len() - 1;
        Expr::Error
    }

    fn expr(&mut self, min_prec: u8) -> Expr {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return self.too_deep();
        }
        let mut lhs = self.unary();
        while let Some(op) = self.binop() {
            let p = op.precedence();
            if p < min_prec {
                break;
            }
            self.bump();
            let rhs = self.expr(p + 1);
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth -= 1;
        lhs
    }

    /// Skips an XPath location path or predicate that starts at the current token, so that
    /// `/data/x[1]` is one error rather than a cascade. Returns the span skipped.
    fn skip_path(&mut self, from: Span) -> Span {
        let mut end = from.end;
        let mut expect_step = false;
        loop {
            match self.peek() {
                Tok::Unsupported("/") => expect_step = true,
                Tok::Unsupported("[") => {
                    let mut depth = 0usize;
                    loop {
                        match self.peek() {
                            Tok::Unsupported("[") => depth += 1,
                            Tok::Unsupported("]") => depth = depth.saturating_sub(1),
                            Tok::Eof => break,
                            _ => {}
                        }
                        end = self.span().end;
                        self.bump();
                        if depth == 0 {
                            break;
                        }
                    }
                    expect_step = false;
                    continue;
                }
                Tok::Name(_) | Tok::Dot | Tok::DotDot | Tok::Unsupported("@") if expect_step => {
                    expect_step = matches!(self.peek(), Tok::Unsupported("@"));
                }
                _ => break,
            }
            end = self.span().end;
            self.bump();
        }
        Span {
            start: from.start,
            end,
        }
    }

    fn unary(&mut self) -> Expr {
        if self.peek() == &Tok::Op("-") {
            self.bump();
            self.depth += 1;
            let e = if self.depth > MAX_DEPTH {
                self.too_deep()
            } else {
                self.unary()
            };
            self.depth -= 1;
            return Expr::Neg(Box::new(e));
        }
        let start = self.span();
        let e = self.primary();
        if matches!(self.peek(), Tok::Unsupported("/" | "[")) {
            let what = if self.peek() == &Tok::Unsupported("[") {
                "XPath predicates [...] are not supported"
            } else {
                "XPath paths are not supported; refer to fields as ${name}"
            };
            let at = self.span();
            let span = self.skip_path(at);
            self.error(
                Span {
                    start: if matches!(e, Expr::Name(_)) {
                        start.start
                    } else {
                        span.start
                    },
                    end: span.end,
                },
                what,
            );
            return Expr::Error;
        }
        e
    }

    fn primary(&mut self) -> Expr {
        let (tok, span) = self.bump();
        match tok {
            Tok::Num(n) => Expr::Number(n),
            Tok::Str(s) => Expr::String(s),
            Tok::Ref(name) => {
                self.refs.push((name.clone(), span));
                Expr::Ref(name)
            }
            Tok::Dot => Expr::Dot,
            Tok::Name(name) if self.peek() == &Tok::LParen => self.call(name, span),
            Tok::Name(name) => Expr::Name(name),
            Tok::LParen => {
                let e = self.expr(0);
                if self.peek() == &Tok::RParen {
                    self.bump();
                } else {
                    let at = self.span();
                    self.error(at, "expected ')' to close the '(' opened earlier");
                }
                e
            }
            Tok::DotDot => {
                self.error(span, "'..' (parent steps) is not supported; use ${name}");
                Expr::Error
            }
            Tok::Unsupported(sym @ ("/" | "[")) => {
                self.pos -= 1;
                let span = self.skip_path(span);
                let what = if sym == "/" {
                    "XPath paths are not supported; refer to fields as ${name}"
                } else {
                    "XPath predicates [...] are not supported"
                };
                self.error(span, what);
                Expr::Error
            }
            Tok::Unsupported(sym) => {
                let what = match sym {
                    "/" => "XPath paths are not supported; refer to fields as ${name}",
                    "[" | "]" => "XPath predicates [...] are not supported",
                    "@" => "XPath attributes (@) are not supported",
                    _ => "the union operator '|' is not supported",
                };
                self.error(span, what);
                Expr::Error
            }
            Tok::Eof => {
                self.error(span, "expression ends where a value was expected");
                Expr::Error
            }
            Tok::Op(_) => {
                // A doubled or stray operator (`1 +* 2`): report it, then read the operand.
                self.error(span, format!("expected a value, found {}", describe(&tok)));
                if matches!(self.peek(), Tok::Eof | Tok::RParen | Tok::Comma) {
                    Expr::Error
                } else {
                    self.unary()
                }
            }
            Tok::RParen | Tok::Comma => {
                self.error(span, format!("expected a value, found {}", describe(&tok)));
                // Leave closers for the caller so that the rest still parses.
                self.pos -= 1;
                Expr::Error
            }
        }
    }

    fn call(&mut self, name: String, name_span: Span) -> Expr {
        self.bump(); // '('
        let mut args = Vec::new();
        // `position(..)`: the 1-based row number in the enclosing repeat.
        if name == "position"
            && self.peek() == &Tok::DotDot
            && self
                .toks
                .get(self.pos + 1)
                .is_some_and(|t| t.0 == Tok::RParen)
        {
            self.bump();
            self.bump();
            return Expr::Call(name, args);
        }
        if self.peek() != &Tok::RParen {
            loop {
                args.push(self.expr(0));
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => break,
                    Tok::Eof => break,
                    other => {
                        let msg = format!(
                            "expected ',' or ')' in call to {name}(), found {}",
                            describe(other)
                        );
                        let at = self.span();
                        self.error(at, msg);
                        self.bump();
                        if self.peek() == &Tok::Eof {
                            break;
                        }
                    }
                }
            }
        }
        let end = self.span().end;
        if self.peek() == &Tok::RParen {
            self.bump();
        } else {
            self.error(
                name_span,
                format!("call to {name}() is never closed with ')'"),
            );
        }
        let span = Span {
            start: name_span.start,
            end,
        };
        match FUNCTIONS.iter().find(|(n, ..)| *n == name) {
            None => self.error(span, format!("unknown or unsupported function {name}()")),
            Some((_, min, max)) => {
                let n = args.len();
                if n < *min || max.is_some_and(|m| n > m) {
                    let want = match max {
                        Some(m) if m == min => format!("{min}"),
                        Some(m) => format!("{min} to {m}"),
                        None => format!("at least {min}"),
                    };
                    self.error(
                        span,
                        format!("{name}() takes {want} argument(s), given {n}"),
                    );
                }
            }
        }
        if name == "regex"
            && let Some(Expr::String(pattern)) = args.get(1)
            && let Err(e) = super::regex::check(pattern)
        {
            self.error(span, format!("invalid regular expression {pattern:?}: {e}"));
        }
        Expr::Call(name, args)
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Num(n) => format!("number {n}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::Ref(r) => format!("${{{r}}}"),
        Tok::Name(n) => format!("{n:?}"),
        Tok::Dot => "'.'".into(),
        Tok::DotDot => "'..'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Comma => "','".into(),
        Tok::Op(op) | Tok::Unsupported(op) => format!("'{op}'"),
        Tok::Eof => "the end of the expression".into(),
    }
}

/// Parses an expression. Never fails and never panics: problems come back in
/// [`Parsed::errors`], all of them, each with its span.
pub fn parse(source: &str) -> Parsed {
    let chars: Vec<char> = source.chars().collect();
    let mut errors = Vec::new();
    let toks = lex(&chars, &mut errors);
    let mut p = Parser {
        toks,
        pos: 0,
        errors: &mut errors,
        refs: Vec::new(),
        depth: 0,
    };
    let expr = if p.peek() == &Tok::Eof {
        let span = p.span();
        p.error(span, "expression is empty");
        Expr::Error
    } else {
        p.expr(0)
    };
    // Anything left over is reported piece by piece, then parsed on its own so that errors
    // further right are found too.
    while p.peek() != &Tok::Eof {
        let span = p.span();
        let found = describe(p.peek());
        p.error(
            span,
            format!("unexpected {found} after a complete expression"),
        );
        p.bump();
        if p.peek() != &Tok::Eof {
            let _ = p.expr(0);
        }
    }
    let refs = std::mem::take(&mut p.refs);
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup();
    Parsed { expr, errors, refs }
}
