//! `regex(text, pattern)`. Natively (the server, the tools) regex-lite matches, behind the
//! default `regex` feature. The browser apps leave that feature out and lend the browser's
//! own `RegExp` through [`set_regex`]: 17 KB gzipped off the enumerator client.
//!
//! Both engines must agree on every published form, so a pattern may use only what both
//! read alike: the constructs regex-lite accepts, less inline flags (`(?i)`), `\A`, `\z`
//! and POSIX classes (`[[:alpha:]]`), which JavaScript reads differently or not at all.
//! [`check`] refuses those when a form is parsed, with its reason.

use std::sync::OnceLock;

/// Matches `text` against `pattern` (anywhere in it, as XLSForm's `regex()` does), or says
/// why the pattern is not a regular expression.
pub type Matcher = fn(pattern: &str, text: &str) -> Result<bool, String>;

static MATCHER: OnceLock<Matcher> = OnceLock::new();

/// Lends the engine `regex()` uses where the `regex` feature is off (the browser's). The
/// first call wins.
pub fn set_regex(matcher: Matcher) {
    let _ = MATCHER.set(matcher);
}

/// Whether `text` matches `pattern`; a pattern that is not valid matches nothing.
pub(crate) fn is_match(pattern: &str, text: &str) -> bool {
    match MATCHER.get() {
        Some(m) => m(pattern, text).unwrap_or(false),
        None => native(pattern, text).unwrap_or(false),
    }
}

#[cfg(feature = "regex")]
fn native(pattern: &str, text: &str) -> Result<bool, String> {
    regex_lite::Regex::new(pattern)
        .map(|re| re.is_match(text))
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "regex"))]
fn native(_: &str, _: &str) -> Result<bool, String> {
    Err("no regular expression engine was lent (schema::expr::set_regex)".into())
}

/// Why `pattern` cannot be used in a form, if it cannot: not a regular expression, or a
/// construct the two engines read differently.
pub(crate) fn check(pattern: &str) -> Result<(), String> {
    let b = pattern.as_bytes();
    for (i, w) in b.windows(2).enumerate() {
        let escaped = b[..i].iter().rev().take_while(|c| **c == b'\\').count() % 2 == 1;
        if escaped {
            continue;
        }
        match w {
            [b'(', b'?']
                if b.get(i + 2)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'-') =>
            {
                return Err(
                    "inline flags such as (?i) are not read alike by every ODK client; \
                            write the cases out, e.g. [Aa]"
                        .into(),
                );
            }
            [b'\\', b'A' | b'z'] => {
                return Err(
                    "\\A and \\z are not read alike by every ODK client; use ^ and $".into(),
                );
            }
            [b'[', b'['] if b.get(i + 2) == Some(&b':') => {
                return Err(
                    "POSIX classes such as [[:alpha:]] are not read alike by every \
                            ODK client; use ranges such as [A-Za-z]"
                        .into(),
                );
            }
            _ => {}
        }
    }
    #[cfg(feature = "regex")]
    regex_lite::Regex::new(pattern).map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_both_engines_read_alike_pass_the_check() {
        for p in [
            "^S[0-9]{2}-[0-9]{4}$",
            r"^\d+(\.\d+)?$",
            "^[A-Za-z ]*$",
            r"a\(?i\)",
            "(?:ab)+",
        ] {
            assert_eq!(check(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn constructs_the_engines_read_differently_are_refused_with_a_reason() {
        for p in ["(?i)abc", r"\Aabc\z", "[[:alpha:]]+", "(?-u)x"] {
            let e = check(p).expect_err(p);
            assert!(e.contains("not read alike"), "{p}: {e}");
        }
        assert!(check("[").is_err(), "not a regular expression at all");
    }
}
