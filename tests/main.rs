//! All end-to-end tests, compiled and linked once.

// The household fixture is one large `json!` literal.
#![recursion_limit = "512"]

mod support;

mod admin_cli;
mod api_schemathesis;
mod attachments;
mod attacks;
mod bench_cli;
mod browser;
mod builtin_forms;
mod client_sync;
mod crash;
mod demo_city;
mod deploy;
mod derived;
mod differencing;
mod export_api;
mod form_check_cli;
mod form_files;
mod load;
mod openrosa;
mod postgres;
mod reports_api;
mod reports_recompute;
mod server_api;
mod sync_api;
mod xlsform_corpus;
mod xlsform_language;
