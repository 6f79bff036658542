//! All end-to-end tests, compiled and linked once.

mod support;

mod builtin_forms;
mod form_check_cli;
mod xlsform_corpus;
