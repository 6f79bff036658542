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

/// Keeps this process's memory in small (4 KiB) pages: call it first thing in `main`. mimalloc
/// asks Linux for transparent huge pages (2 MiB) for the segments it carves allocations from;
/// a huge page counts whole in the resident set however little of it is in use, is not given
/// back when mimalloc returns the pages it freed, and is zeroed whole on first touch. Turning
/// them off for the process (a flag its children inherit) took the server's peak during the
/// push load from 88–109 MB to 71–75 MB, and the acknowledged ingest from 3,900–4,900 to
/// 5,400–5,900 interviews/s (`baraza-bench --ingest`, 2026-12-04). Where the kernel refuses,
/// the server runs as before.
pub fn small_pages() {
    #[cfg(target_os = "linux")]
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        eprintln!("baraza: transparent huge pages stay on ({e}); memory use may be higher");
    }
}
