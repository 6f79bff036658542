//! All end-to-end tests, compiled and linked once.

// The household fixture is one large `json!` literal.
#![recursion_limit = "512"]

mod support;

mod builtin_forms;
mod form_check_cli;
mod sync_api;
mod xlsform_corpus;
