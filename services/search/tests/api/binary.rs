//! The `estospaces-search` binary as an operator runs it.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-search");

#[test]
fn without_the_identity_url_the_binary_exits_with_status_64_and_says_why() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_AUTH__IDENTITY_URL")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("identity_url"), "{stderr}");
}

#[test]
fn rebuild_asks_for_yes_then_deletes_the_index_so_the_next_start_replays_the_topics() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let dir = estospaces_search::index::index_dir(data_dir.path());
    let generation = estospaces_search::index::SearchIndex::open_or_create(&dir)
        .expect("an index")
        .positions()
        .expect("positions")
        .generation;

    let rebuild = |yes: bool| {
        let mut command = Command::new(BINARY);
        command.arg("rebuild");
        if yes {
            command.arg("--yes");
        }
        command
            .env("ESTOSPACES_DATA_DIR", data_dir.path())
            .env_remove("ESTOSPACES_DATABASE_URL")
            .output()
            .expect("the binary runs")
    };

    let refused = rebuild(false);
    assert!(!refused.status.success(), "rebuild asks for --yes");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--yes"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(dir.exists(), "without --yes the index stays");

    let output = rebuild(true);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!dir.exists(), "the index is gone");
    let rebuilt = estospaces_search::index::SearchIndex::open_or_create(&dir)
        .expect("a new index")
        .positions()
        .expect("positions")
        .generation;
    assert_ne!(rebuilt, generation);
}
