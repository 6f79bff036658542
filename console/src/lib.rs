//! Baraza's console for supervisors and admins: fieldwork progress, the submissions table and
//! review, the quarantine, devices and enrollment codes, people, forms, settlements and the
//! audit log, over the `/api/v1` API. `i18n` and `show` are plain Rust (tested natively);
//! `web` is the Leptos app, built for wasm32 only.

pub mod i18n;
pub mod show;

#[cfg(target_arch = "wasm32")]
mod web;
