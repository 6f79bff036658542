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
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("baraza");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --bins` first (the README's test command does)",
        bin.display()
    );
    bin
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("baraza-test-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `files` (name, contents) into the directory.
    pub fn with_files(tag: &str, files: &[(&str, &[u8])]) -> TempDir {
        let t = TempDir::new(tag);
        for (name, contents) in files {
            std::fs::write(t.0.join(name), contents).expect("write test file");
        }
        t
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
