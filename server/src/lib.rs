#![doc = include_str!("../README.md")]

pub mod admin;
pub mod backups;
pub mod builtin;
pub mod demo;
pub mod export;
pub mod http;
pub mod openrosa;
#[cfg(feature = "test-hooks")]
pub mod pg_cluster;
pub mod projector;
pub mod sheet;
pub mod storage;
pub mod workbook;
