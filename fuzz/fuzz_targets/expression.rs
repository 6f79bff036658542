//! The expression parser and evaluator: any text parses without panicking, an expression that
//! parses prints to text that parses to the same print, and evaluating it over values of every
//! kind never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| baraza_fuzz::expression(data));
