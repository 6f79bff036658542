#![doc = include_str!("../README.md")]

pub mod builtin;
pub mod workbook;
