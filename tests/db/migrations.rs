//! The migration runner: each file once, even with concurrent runs; applied files never change.

use crate::common_db::TestDb;
use messaging::config::Env;
use messaging::db::DbError;
use messaging::db::migrate::{self, MIGRATIONS};

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
