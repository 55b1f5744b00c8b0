//! A fresh Postgres schema per test, migrations applied, on the server in TEST_DATABASE_URL.
//!
//! Each test gets `dbtest_<unix secs>_<pid>_<n>` through `options=-csearch_path=...`
//! in its URL, so every statement, the migration table included, lands in it.
//! The schema is dropped when the `TestDb` is dropped; schemas left by a
//! crashed run are dropped by a later run once they are an hour old.

#![allow(dead_code)]

use messaging::db::{Db, DbOptions, migrate};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_postgres::NoTls;

const PREFIX: &str = "dbtest_";

/// The test server (database `postgres` unless TEST_DATABASE_URL says otherwise).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A plain connection to the test server, outside any pool (for admin work).
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test Postgres ({url}): {e}"));
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

pub struct TestDb {
    /// The server URL with this schema as search_path.
    pub url: String,
    pub db: Db,
    pub schema: String,
}

impl TestDb {
    /// A fresh schema with every migration applied and a pool of 8.
    pub async fn new() -> Self {
        Self::with_pool(8).await
    }

    pub async fn with_pool(pool_size: usize) -> Self {
        let t = Self::empty(pool_size).await;
        migrate::run(&t.url).await.expect("migrations apply");
        t
    }

    /// A fresh, empty schema (for the migration tests).
    pub async fn empty(pool_size: usize) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let schema = format!(
            "{PREFIX}{now}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = connect(&server_url()).await;
        drop_stale(&admin, now).await;
        admin
            .batch_execute(&format!("CREATE SCHEMA {schema}"))
            .await
            .expect("create the test schema");
        let base = server_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        // application_name lets the cleanup find this test's connections.
        let url = format!("{base}{sep}options=-csearch_path%3D{schema}&application_name={schema}");
        let options = DbOptions {
            pool_size,
            ..DbOptions::default()
        };
        let db = Db::with_options(&url, &options).expect("a valid test URL");
        Self { url, db, schema }
    }

    /// A plain connection inside this schema, for checks in raw SQL.
    pub async fn raw(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }

    pub async fn pooled(&self) -> messaging::db::Client {
        self.db.client().await.expect("a pooled connection")
    }
}

async fn drop_stale(admin: &tokio_postgres::Client, now: u64) {
    let Ok(rows) = admin
        .query(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
            &[&PREFIX],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let created = name
            .trim_start_matches(PREFIX)
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(now);
        if now.saturating_sub(created) > 3600 {
            let _ = admin
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let schema = self.schema.clone();
        // Drop runs outside async code, so the cleanup gets a runtime of its
        // own on another thread. This test's runtime is blocked meanwhile, so
        // its connections cannot finish anything they still hold open: they
        // are terminated first, and the drop never waits long.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok((client, conn)) = tokio_postgres::connect(&server_url(), NoTls).await else {
                    return;
                };
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                let sql = format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                     WHERE application_name = '{schema}';
                     SET lock_timeout = '5s';
                     DROP SCHEMA IF EXISTS {schema} CASCADE"
                );
                let _ =
                    tokio::time::timeout(Duration::from_secs(10), client.batch_execute(&sql)).await;
            });
        });
        let _ = cleanup.join();
    }
}
