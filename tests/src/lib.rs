//! Platform-wide tests live in `tests/`; this library holds what several of them share.

#![forbid(unsafe_code)]

pub mod crash;
pub mod tour;

use std::path::PathBuf;

/// The workspace binary `name`, where cargo put it: beside the running test's `deps` directory.
/// A workspace test run (`cargo nextest run --workspace`, as `build-support/dev/test.sh` does)
/// builds every binary.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run the whole workspace's tests, which build every binary",
        path.display()
    );
    path
}
