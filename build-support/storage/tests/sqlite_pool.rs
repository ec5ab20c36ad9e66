//! The SQLite pool's size over time: it grows for a burst, gives the extra connections back, and
//! keeps its last one open.

use std::time::{Duration, Instant};

use estospaces_storage::{Database, SQLITE_CONNECTION_LIFETIME};
use sqlx::Executor;

#[tokio::test]
async fn after_a_burst_a_polled_sqlite_pool_shrinks_to_one_connection_it_keeps() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Database::open_sqlite_file(&dir.path().join("pool.db"))
        .await
        .expect("the database opens");

    let mut burst = hold_connections(&db, 4).await;
    assert_eq!(
        db.pool().size(),
        4,
        "a burst of four opens four connections"
    );
    // A temporary table lives as long as the connection that made it: it tells whether the
    // connection left at the end is one of these or a new one.
    for conn in &mut burst {
        conn.execute("CREATE TEMP TABLE burst (id INTEGER)")
            .await
            .expect("a temporary table");
    }
    drop(burst);

    // A poller takes the idle connections in turn, so none of them ever sits idle for long:
    // only their age closes them.
    let deadline = Instant::now() + 2 * SQLITE_CONNECTION_LIFETIME + Duration::from_secs(3);
    while Instant::now() < deadline {
        db.ping().await.expect("the poller's query");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(db.pool().size(), 1, "one connection stays open");
    let burst_tables: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM temp.sqlite_master WHERE name = 'burst'")
            .fetch_one(db.pool())
            .await
            .expect("the connection's temporary tables");
    assert_eq!(
        burst_tables, 1,
        "the connection left is one the burst opened, not a new one"
    );
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
