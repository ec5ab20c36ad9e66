//! What one SQLite statement costs through the product's pool, against the same statement run
//! on the calling thread: how much of a booking's CPU a SQLite path without sqlx's hand-offs
//! could give back.
//!
//! ```text
//! cargo bench -p estospaces-storage --bench sqlite_statement
//! BENCH_STATEMENTS=100000 cargo bench -p estospaces-storage --bench sqlite_statement
//! ```
//!
//! Three paths, each on a database file of its own with the product's pragmas (WAL,
//! `synchronous = NORMAL`) and the same 1,000 rows:
//! - **pool**: [`Database`]'s pool, as every service uses it: sqlx's `Any` driver, a connection
//!   acquired per statement (reads) or per transaction (writes), each statement handed to the
//!   connection's worker thread and its rows handed back;
//! - **connection**: one sqlx `SqliteConnection`, no pool and no `Any` layer, still handing each
//!   statement to its worker thread;
//! - **same thread**: rusqlite on the bench's thread, with cached prepared statements: what
//!   SQLite itself costs.
//!
//! Two workloads: point reads by primary key (each its own autocommit statement), and writes in
//! transactions of ten `UPDATE`s (`BEGIN IMMEDIATE` … `COMMIT`, counted as twelve statements, as
//! a service's step writes). One after another, every statement waits for the last, so each
//! hand-off wakes a sleeping thread; the pool's reads are run by eight callers at once too, as
//! under load, where a worker thread is more often awake already. The rounds alternate the
//! paths; each prints CPU (user + system, the whole process) and wall time per statement, and
//! context switches per statement (of the threads alive at the end). Prints a Markdown table.

use std::path::Path;
use std::str::FromStr as _;
use std::time::{Duration, Instant};

use estospaces_storage::Database;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection as _, Row as _};

const ROWS: i64 = 1_000;
const UPDATES_PER_TRANSACTION: usize = 10;
const ROUNDS: usize = 3;
/// Callers at once in the concurrent workload.
const CALLERS: usize = 8;

fn main() -> anyhow::Result<()> {
    let statements: usize = std::env::var("BENCH_STATEMENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(30_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let dir = tempfile::tempdir()?;
    let (pool, connection) = runtime.block_on(async {
        let pool = Database::open_sqlite_file(&dir.path().join("pool.db")).await?;
        let connection = SqliteConnection::connect_with(
            &SqliteConnectOptions::from_str(&format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("connection.db").display()
            ))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5)),
        )
        .await?;
        anyhow::Ok((pool, connection))
    })?;
    let mut connection = connection;
    let mut same_thread = rusqlite::Connection::open(dir.path().join("same-thread.db"))?;
    same_thread.execute_batch(
        "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
         PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
    )?;
    same_thread.execute_batch(&schema())?;
    runtime.block_on(async {
        sqlx::raw_sql(&schema()).execute(pool.pool()).await?;
        sqlx::raw_sql(&schema()).execute(&mut connection).await?;
        anyhow::Ok(())
    })?;

    let mut results: Vec<Measured> = Vec::new();
    for _ in 0..ROUNDS {
        for workload in [Workload::Read, Workload::Write] {
            results.push(measure("pool", workload, statements, || {
                runtime.block_on(run_pool(&pool, workload, statements))
            })?);
            results.push(measure("connection", workload, statements, || {
                runtime.block_on(run_connection(&mut connection, workload, statements))
            })?);
            results.push(measure("same thread", workload, statements, || {
                run_same_thread(&mut same_thread, workload, statements)
            })?);
        }
        let workload = Workload::ConcurrentRead;
        results.push(measure("pool", workload, statements, || {
            runtime.block_on(run_pool_concurrently(&pool, statements))
        })?);
    }
    println!(
        "| path | workload | CPU µs / statement | wall µs / statement | context switches / statement |"
    );
    println!("|---|---|---|---|---|");
    for workload in [Workload::Read, Workload::ConcurrentRead, Workload::Write] {
        for path in ["pool", "connection", "same thread"] {
            let runs: Vec<&Measured> = results
                .iter()
                .filter(|m| m.path == path && m.workload == workload)
                .collect();
            if runs.is_empty() {
                continue;
            }
            println!(
                "| {path} | {} | {} | {} | {} |",
                workload.name(),
                spread(runs.iter().map(|m| m.cpu_per_statement)),
                spread(runs.iter().map(|m| m.wall_per_statement)),
                spread(runs.iter().map(|m| m.switches_per_statement)),
            );
        }
    }
    runtime.block_on(async {
        pool.close().await;
        connection.close().await
    })?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Workload {
    Read,
    ConcurrentRead,
    Write,
}

impl Workload {
    fn name(self) -> &'static str {
        match self {
            Self::Read => "point read",
            Self::ConcurrentRead => "point read, 8 callers",
            Self::Write => "write, 10 per transaction",
        }
    }
}

fn schema() -> String {
    format!(
        "CREATE TABLE items (id TEXT PRIMARY KEY, value INTEGER NOT NULL); \
         WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {ROWS}) \
         INSERT INTO items (id, value) SELECT 'item-' || i, i FROM n;"
    )
}

fn key(i: usize) -> String {
    format!("item-{}", (i as i64 * 7_919) % ROWS)
}

/// Statements run per unit of work: a read is one; a write transaction is its updates plus
/// `BEGIN` and `COMMIT`.
fn statements_per_unit(workload: Workload) -> usize {
    match workload {
        Workload::Read | Workload::ConcurrentRead => 1,
        Workload::Write => UPDATES_PER_TRANSACTION + 2,
    }
}

fn units(workload: Workload, statements: usize) -> usize {
    statements / statements_per_unit(workload)
}

/// Point reads split over [`CALLERS`] tasks sharing the pool.
async fn run_pool_concurrently(db: &Database, statements: usize) -> anyhow::Result<i64> {
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let db = db.clone();
            tokio::spawn(async move { run_pool(&db, Workload::Read, statements / CALLERS).await })
        })
        .collect();
    let mut sum = 0;
    for caller in callers {
        sum += caller.await??;
    }
    Ok(sum)
}

async fn run_pool(db: &Database, workload: Workload, statements: usize) -> anyhow::Result<i64> {
    let mut sum = 0;
    for unit in 0..units(workload, statements) {
        match workload {
            Workload::Read | Workload::ConcurrentRead => {
                let row = sqlx::query("SELECT value FROM items WHERE id = $1")
                    .bind(key(unit))
                    .fetch_one(db.pool())
                    .await?;
                sum += row.try_get::<i64, _>("value")?;
            }
            Workload::Write => {
                let mut tx = db.begin().await?;
                for update in 0..UPDATES_PER_TRANSACTION {
                    sqlx::query("UPDATE items SET value = value + 1 WHERE id = $1")
                        .bind(key(unit * UPDATES_PER_TRANSACTION + update))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
            }
        }
    }
    Ok(sum)
}

async fn run_connection(
    conn: &mut SqliteConnection,
    workload: Workload,
    statements: usize,
) -> anyhow::Result<i64> {
    let mut sum = 0;
    for unit in 0..units(workload, statements) {
        match workload {
            Workload::Read | Workload::ConcurrentRead => {
                let row = sqlx::query("SELECT value FROM items WHERE id = $1")
                    .bind(key(unit))
                    .fetch_one(&mut *conn)
                    .await?;
                sum += row.try_get::<i64, _>("value")?;
            }
            Workload::Write => {
                sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                for update in 0..UPDATES_PER_TRANSACTION {
                    sqlx::query("UPDATE items SET value = value + 1 WHERE id = $1")
                        .bind(key(unit * UPDATES_PER_TRANSACTION + update))
                        .execute(&mut *conn)
                        .await?;
                }
                sqlx::query("COMMIT").execute(&mut *conn).await?;
            }
        }
    }
    Ok(sum)
}

fn run_same_thread(
    conn: &mut rusqlite::Connection,
    workload: Workload,
    statements: usize,
) -> anyhow::Result<i64> {
    let mut sum = 0;
    for unit in 0..units(workload, statements) {
        match workload {
            Workload::Read | Workload::ConcurrentRead => {
                let mut select = conn.prepare_cached("SELECT value FROM items WHERE id = ?1")?;
                sum += select.query_row([key(unit)], |row| row.get::<_, i64>(0))?;
            }
            Workload::Write => {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                for update in 0..UPDATES_PER_TRANSACTION {
                    let mut write =
                        tx.prepare_cached("UPDATE items SET value = value + 1 WHERE id = ?1")?;
                    write.execute([key(unit * UPDATES_PER_TRANSACTION + update)])?;
                }
                tx.commit()?;
            }
        }
    }
    Ok(sum)
}

#[derive(Debug)]
struct Measured {
    path: &'static str,
    workload: Workload,
    cpu_per_statement: f64,
    wall_per_statement: f64,
    switches_per_statement: f64,
}

/// Runs `work` once, reading the process's CPU time and context switches around it.
fn measure(
    path: &'static str,
    workload: Workload,
    statements: usize,
    work: impl FnOnce() -> anyhow::Result<i64>,
) -> anyhow::Result<Measured> {
    let ran = (units(workload, statements) * statements_per_unit(workload)) as f64;
    let (cpu, switches, started) = (cpu_seconds()?, context_switches()?, Instant::now());
    std::hint::black_box(work()?);
    let wall = started.elapsed().as_secs_f64();
    // Threads that ended during the run take their switches with them.
    let (cpu, switches) = (
        cpu_seconds()? - cpu,
        context_switches()?.saturating_sub(switches),
    );
    Ok(Measured {
        path,
        workload,
        cpu_per_statement: cpu * 1e6 / ran,
        wall_per_statement: wall * 1e6 / ran,
        switches_per_statement: switches as f64 / ran,
    })
}

/// User + system CPU time of the whole process (every thread, live or gone), in seconds.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command (which may hold spaces), from field 3 on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |index: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(index)
            .ok_or_else(|| anyhow::anyhow!("/proc/self/stat is short"))?
            .parse()?)
    };
    // USER_HZ is 100 on Linux.
    Ok((field(11)? + field(12)?) / 100.0)
}

/// Voluntary and involuntary context switches of the process's live threads.
fn context_switches() -> anyhow::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task")? {
        total += task_switches(&task?.path().join("status")).unwrap_or(0);
    }
    Ok(total)
}

fn task_switches(status: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(status).ok()?;
    Some(
        status
            .lines()
            .filter(|line| line.contains("ctxt_switches:"))
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum(),
    )
}

/// `low–high` of the rounds' figures.
fn spread(values: impl Iterator<Item = f64>) -> String {
    let values: Vec<f64> = values.collect();
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.is_empty() {
        "—".to_owned()
    } else if high - low < 0.05 {
        format!("{low:.1}")
    } else {
        format!("{low:.1}–{high:.1}")
    }
}
