//! The SQLite pool's size over time: it grows for a burst and gives the extra connections back.

use std::time::{Duration, Instant};

use estospaces_storage::{Database, SQLITE_CONNECTION_LIFETIME};

#[tokio::test]
async fn a_sqlite_pool_shrinks_back_after_a_burst_even_while_something_polls_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Database::open_sqlite_file(&dir.path().join("pool.db"))
        .await
        .expect("the database opens");

    let burst = hold_connections(&db, 4).await;
    assert_eq!(
        db.pool().size(),
        4,
        "a burst of four opens four connections"
    );
    drop(burst);

    // A poller takes the idle connections in turn, so none of them ever sits idle for long:
    // only their lifetime closes them.
    let deadline = Instant::now() + 2 * SQLITE_CONNECTION_LIFETIME + Duration::from_secs(3);
    while db.pool().size() > 1 && Instant::now() < deadline {
        db.ping().await.expect("the poller's query");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        db.pool().size() <= 1,
        "{} connections still open",
        db.pool().size()
    );
    db.ping().await.expect("the database still answers");
    db.close().await;
}

/// `count` connections held at once.
async fn hold_connections(
    db: &Database,
    count: usize,
) -> Vec<sqlx::pool::PoolConnection<sqlx::Any>> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        held.push(db.pool().acquire().await.expect("a connection"));
    }
    held
}
