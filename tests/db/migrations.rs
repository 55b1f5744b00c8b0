//! The migration runner: each file once, even with concurrent runs; applied files never change.

use crate::common_db::TestDb;
use messaging::config::Env;
use messaging::db::DbError;
use messaging::db::migrate::{self, MIGRATIONS, Migration};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runs_apply_each_migration_exactly_once() {
    let t = TestDb::empty(2).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = t.url.clone();
        tasks.push(tokio::spawn(async move { migrate::run(&url).await }));
    }
    let mut applied = Vec::new();
    for task in tasks {
        applied.extend(task.await.expect("task").expect("migrate"));
    }
    let names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
    applied.sort_unstable();
    assert_eq!(applied, names, "every migration applied by exactly one run");

    let raw = t.raw().await;
    let rows = raw
        .query(
            "SELECT name, checksum FROM schema_migrations ORDER BY name",
            &[],
        )
        .await
        .expect("schema_migrations");
    assert_eq!(rows.len(), MIGRATIONS.len());
    for (row, m) in rows.iter().zip(MIGRATIONS) {
        assert_eq!(row.get::<_, String>(0), m.name);
        assert_eq!(row.get::<_, String>(1), migrate::checksum(m.sql));
    }
    assert!(migrate::run(&t.url).await.expect("rerun").is_empty());
}

#[tokio::test]
async fn a_changed_migration_is_refused() {
    let t = TestDb::new().await;
    let raw = t.raw().await;
    raw.execute(
        "UPDATE schema_migrations SET checksum = 'edited' WHERE name = $1",
        &[&MIGRATIONS[0].name],
    )
    .await
    .expect("tamper");
    match migrate::run(&t.url).await {
        Err(DbError::Migration(why)) => assert!(why.contains(MIGRATIONS[0].name), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_database_ahead_of_this_build_is_refused() {
    let t = TestDb::new().await;
    let raw = t.raw().await;
    raw.execute(
        "INSERT INTO schema_migrations (name, checksum) VALUES ('9999_future.sql', 'x')",
        &[],
    )
    .await
    .expect("insert");
    match migrate::run(&t.url).await {
        Err(DbError::Migration(why)) => assert!(why.contains("9999_future.sql"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn migrations_use_the_unpooled_url_when_set() {
    let both = Env::from_pairs([
        ("DATABASE_URL", "postgres://pooled/db"),
        ("DATABASE_URL_UNPOOLED", "postgres://direct/db"),
    ]);
    assert_eq!(
        migrate::url_from_env(&both).expect("url"),
        "postgres://direct/db"
    );
    let pooled = Env::from_pairs([("DATABASE_URL", "postgres://pooled/db")]);
    assert_eq!(
        migrate::url_from_env(&pooled).expect("url"),
        "postgres://pooled/db"
    );
    assert!(migrate::url_from_env(&Env::from_pairs([])).is_err());
    let names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "applied in file-name order");
}

static FIRST: [Migration; 1] = [FIRST_T];

static ALTER: [Migration; 2] = [
    FIRST_T,
    Migration {
        name: "0002_alter.sql",
        sql: "ALTER TABLE t ADD COLUMN z int;",
    },
];

const FIRST_T: Migration = Migration {
    name: "0001_t.sql",
    sql: "CREATE TABLE t (x int, y int);",
};

static CONCURRENT: [Migration; 2] = [
    FIRST_T,
    Migration {
        name: "0002_index.sql",
        sql: "-- migrate: no-transaction\n-- Builds without blocking writes.\n\
              CREATE INDEX CONCURRENTLY IF NOT EXISTS t_x ON t (x);\n\
              CREATE INDEX CONCURRENTLY IF NOT EXISTS t_y ON t (y);\n",
    },
];

#[tokio::test]
async fn a_migration_waiting_on_a_busy_table_fails_after_the_lock_timeout() {
    let t = TestDb::empty(2).await;
    let short = Duration::from_millis(300);
    migrate::run_with(&t.url, &FIRST, short)
        .await
        .expect("first");
    let holder = t.raw().await;
    holder
        .batch_execute("BEGIN; LOCK TABLE t IN ACCESS SHARE MODE")
        .await
        .expect("hold a lock on t");
    let started = Instant::now();
    let result = migrate::run_with(&t.url, &ALTER, short).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up in time"
    );
    match result {
        Err(DbError::Migration(why)) => {
            assert!(
                why.contains("0002_alter.sql") && why.contains("lock_timeout"),
                "{why}"
            )
        }
        other => panic!("expected a lock timeout, got {other:?}"),
    }
    holder.batch_execute("ROLLBACK").await.expect("release");
    let applied = migrate::run_with(&t.url, &ALTER, short)
        .await
        .expect("applies once the table is free");
    assert_eq!(applied, ["0002_alter.sql"]);
}

#[tokio::test]
async fn a_no_transaction_migration_can_create_an_index_concurrently() {
    let t = TestDb::empty(2).await;
    let applied = migrate::run_with(&t.url, &CONCURRENT, migrate::DEFAULT_LOCK_TIMEOUT)
        .await
        .expect("CREATE INDEX CONCURRENTLY outside a transaction");
    assert_eq!(applied, ["0001_t.sql", "0002_index.sql"]);
    let raw = t.raw().await;
    let valid: i64 = raw
        .query_one(
            "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname IN ('t_x', 't_y') AND i.indisvalid \
             AND c.relnamespace = current_schema()::regnamespace",
            &[],
        )
        .await
        .expect("indexes")
        .get(0);
    assert_eq!(valid, 2);
    let recorded: i64 = raw
        .query_one(
            "SELECT count(*) FROM schema_migrations WHERE name = '0002_index.sql'",
            &[],
        )
        .await
        .expect("recorded")
        .get(0);
    assert_eq!(recorded, 1);
}
