//! Baraza's planner dashboard: the reports API as tables and charts in the browser.
//! `report` is plain Rust (tested natively); `web` is the Leptos app, built for wasm32 only.

pub mod i18n;
pub mod report;

#[cfg(target_arch = "wasm32")]
mod web;
