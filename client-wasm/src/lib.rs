#![doc = include_str!("../README.md")]

pub mod draft;
pub mod i18n;
pub mod input;
pub mod sync;
#[cfg(target_arch = "wasm32")]
pub mod web;
