#![doc = include_str!("../README.md")]

pub mod api;
pub mod attachment;
pub mod date;
pub mod derive;
pub mod disclosure;
pub mod export;
pub mod expr;
pub mod form;
pub mod progress;
pub mod reports;
pub mod stats;
pub mod validate;
pub mod wire;
pub mod xlsform;

pub use date::Date;
pub use expr::Expression;
pub use form::{Choice, Field, Form, Kind, Settings};
pub use validate::{FieldState, Issue, IssueKind, inspect, instance_name, prune, render, validate};
pub use xlsform::{
    Attached, Diagnostic, Import, Severity, Sheet, Workbook, import, import_with_files,
};

/// Lower-case hex of bytes (for sha256 digests).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}
