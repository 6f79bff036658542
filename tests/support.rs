//! Helpers shared by the end-to-end tests.

use std::path::PathBuf;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `../shared/` beside the repository: the real XLSForm corpus lives there.
pub fn shared() -> PathBuf {
    repo().join("../shared")
}

/// The `baraza` binary built from this workspace (`.ci/run` builds it before the tests).
pub fn baraza_bin() -> PathBuf {
    // current_exe = target/<profile>/deps/e2e-<hash>
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("baraza");
    assert!(bin.exists(), "{} is missing: run `cargo build --bins` first (the README's test command does)", bin.display());
    bin
}
