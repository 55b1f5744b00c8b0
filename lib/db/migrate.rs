//! Schema migrations: the files in migrations/, embedded, applied once each, in order.
//!
//! Function cold starts never migrate; the dev server, the tests and
//! `tools/migrate.rs` call [`run`]. Runs take a session advisory lock on a
//! connection of their own, so concurrent runs apply each file exactly once;
//! that lock needs a real session, hence the unpooled URL when there is one,
//! and a pooled URL (PgBouncer in transaction mode) is refused outright.
//!
//! Each file runs in a transaction, with a `lock_timeout` so that a busy table
//! makes the run fail fast instead of queueing every query behind it. A file
//! whose first line is [`NO_TRANSACTION_MARKER`] runs statement by statement
//! outside a transaction (`CREATE INDEX CONCURRENTLY` needs that); such a file
//! holds plain statements ended by `;` (no dollar quoting) and should be
//! idempotent (`IF NOT EXISTS`), since a failure can leave part of it applied.

use super::DbError;
use super::connect::ConnectSettings;
use crate::config::{ConfigError, Env};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_postgres::Client;

pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
}

macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("../../migrations/", $name)),
        }
    };
}

/// Every migration, in the order applied. Released files are never edited.
pub const MIGRATIONS: &[Migration] = &[
    migration!("0001_users.sql"),
    migration!("0002_conversations.sql"),
    migration!("0003_messages.sql"),
    migration!("0004_outbox.sql"),
    migration!("0005_typing_throttle.sql"),
    migration!("0006_outbox_backlog_and_versions.sql"),
    migration!("0007_membership_presence_limits.sql"),
    migration!("0009_rate_limits_emoji_chars.sql"),
    migration!("0010_drop_rate_limits.sql"),
    migration!("0011_outbox_refusals.sql"),
];

/// The first line that makes a migration run outside a transaction.
pub const NO_TRANSACTION_MARKER: &str = "-- migrate: no-transaction";

/// How long one migration statement may wait for a table lock by default.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// Arbitrary, fixed: the first key of the migration advisory lock (the second is the schema).
const LOCK_CLASS: i32 = 0x6d73_6721;

/// `DATABASE_URL_UNPOOLED` when set (Neon's direct endpoint), else `DATABASE_URL`.
pub fn url_from_env(env: &Env) -> Result<String, ConfigError> {
    match env.get("DATABASE_URL_UNPOOLED") {
        Some(url) => Ok(url),
        None => env.require("DATABASE_URL"),
    }
}

/// The same choice for an already loaded configuration.
pub fn url_for(config: &crate::config::Config) -> &str {
    config
        .database_url_unpooled
        .as_deref()
        .unwrap_or(&config.database_url)
}

pub fn checksum(sql: &str) -> String {
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Applies pending migrations; returns the names applied by this call.
pub async fn run(url: &str) -> Result<Vec<&'static str>, DbError> {
    run_with(url, MIGRATIONS, DEFAULT_LOCK_TIMEOUT).await
}

/// Why `url` goes through a transaction-mode pooler, where a session advisory lock means nothing.
pub fn pooled_url(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    let authority = lower
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(""))
        .unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    for host_port in hosts.split(',') {
        let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
        if host
            .split('.')
            .next()
            .is_some_and(|l| l.ends_with("-pooler"))
        {
            return Some(format!("{host} is Neon's pooled (-pooler) endpoint"));
        }
        if host.ends_with(".pooler.supabase.com") && port != "5432" {
            return Some(format!("{host}:{port} is Supabase's transaction pooler"));
        }
    }
    let query = lower.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .any(|kv| kv == "pgbouncer=true")
        .then(|| "the URL says pgbouncer=true".to_owned())
}

/// [`run`] with a list of migrations and a lock timeout of its own (tests).
pub async fn run_with(
    url: &str,
    migrations: &'static [Migration],
    lock_timeout: Duration,
) -> Result<Vec<&'static str>, DbError> {
    if let Some(why) = pooled_url(url) {
        return Err(DbError::Config(format!(
            "migrations need a direct database connection, not a pooled one ({why}): \
             set DATABASE_URL_UNPOOLED to the direct URL"
        )));
    }
    let settings = ConnectSettings::from_url(url, Duration::from_secs(10))?;
    let (mut client, connection) = settings.connect().await?;
    let lock = "SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))";
    let result = match client.execute(lock, &[&LOCK_CLASS]).await {
        Ok(_) => {
            // Set after the advisory lock: waiting for another run is fine, waiting on a table is not.
            let set = format!("SET lock_timeout = {}", lock_timeout.as_millis().max(1));
            let applied = match client.batch_execute(&set).await {
                Ok(()) => apply_pending(&mut client, migrations).await,
                Err(e) => Err(e.into()),
            };
            let unlock = "SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))";
            // Closing the session releases the lock too; unlocking first is just tidy.
            let _ = client.execute(unlock, &[&LOCK_CLASS]).await;
            applied
        }
        Err(e) => Err(e.into()),
    };
    drop(client);
    let _ = connection.await;
    result
}

/// The locked part of [`run`]: compare what is applied with what this build has, apply the rest.
async fn apply_pending(
    client: &mut Client,
    migrations: &[Migration],
) -> Result<Vec<&'static str>, DbError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                name       text PRIMARY KEY,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )",
        )
        .await?;
    let rows = client
        .query("SELECT name, checksum FROM schema_migrations", &[])
        .await?;
    let mut applied = Vec::with_capacity(rows.len());
    for row in &rows {
        applied.push((row.try_get::<_, String>(0)?, row.try_get::<_, String>(1)?));
    }
    for (name, sum) in &applied {
        match migrations.iter().find(|m| m.name == name) {
            None => {
                return Err(DbError::Migration(format!(
                    "the database has {name} applied, which this build does not know"
                )));
            }
            Some(m) if checksum(m.sql) != *sum => {
                return Err(DbError::Migration(format!(
                    "{name} was changed after it was applied (checksum differs); add a new migration instead"
                )));
            }
            Some(_) => {}
        }
    }
    let mut done = Vec::new();
    for m in migrations {
        if applied.iter().any(|(name, _)| name == m.name) {
            continue;
        }
        let record = "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)";
        if m.sql.starts_with(NO_TRANSACTION_MARKER) {
            for statement in statements(m)? {
                // One statement per simple query: several would form an implicit transaction.
                client
                    .batch_execute(statement)
                    .await
                    .map_err(|e| failed(m, e))?;
            }
            client.execute(record, &[&m.name, &checksum(m.sql)]).await?;
        } else {
            let tx = client.transaction().await?;
            tx.batch_execute(m.sql).await.map_err(|e| failed(m, e))?;
            tx.execute(record, &[&m.name, &checksum(m.sql)]).await?;
            tx.commit().await?;
        }
        tracing::info!(migration = m.name, "applied");
        done.push(m.name);
    }
    Ok(done)
}

fn failed(m: &Migration, e: tokio_postgres::Error) -> DbError {
    let lock_timeout = e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE);
    let hint = if lock_timeout {
        " (lock_timeout: another session holds a lock on a table it changes; retry when that is done)"
    } else {
        ""
    };
    DbError::Migration(format!(
        "{} failed{hint}: {:#}",
        m.name,
        anyhow::Error::new(e)
    ))
}

/// The statements of a no-transaction migration: split at `;`, comments and blanks dropped.
fn statements(m: &Migration) -> Result<Vec<&'static str>, DbError> {
    if m.sql.contains("$$") {
        return Err(DbError::Migration(format!(
            "{}: a no-transaction migration cannot use dollar quoting",
            m.name
        )));
    }
    Ok(m.sql
        .split(';')
        .map(str::trim)
        .filter(|s| {
            s.lines()
                .any(|l| !l.trim().is_empty() && !l.trim().starts_with("--"))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooled_urls_are_recognised() {
        for pooled in [
            "postgres://u:p@ep-cool-sun-123456-pooler.eu-central-1.aws.neon.tech/neondb?sslmode=require",
            "postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
            "postgres://u:p@db.example.com:5432/app?sslmode=require&pgbouncer=true",
        ] {
            assert!(pooled_url(pooled).is_some(), "{pooled}");
        }
        for direct in [
            "postgres://u:p@ep-cool-sun-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require",
            "postgres://u:p@aws-0-eu-central-1.pooler.supabase.com:5432/postgres",
            "postgres://postgres@127.0.0.1:5432/postgres",
        ] {
            assert!(pooled_url(direct).is_none(), "{direct}");
        }
    }

    #[tokio::test]
    async fn a_pooled_url_is_refused_in_one_line_before_connecting() {
        let url = "postgres://u:secret@ep-x-1-pooler.us-east-2.aws.neon.tech/db?sslmode=require";
        match run(url).await {
            Err(DbError::Config(why)) => {
                assert!(
                    why.contains("DATABASE_URL_UNPOOLED") && why.contains("-pooler"),
                    "{why}"
                );
                assert!(!why.contains("secret") && !why.contains('\n'), "{why}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn no_transaction_files_split_into_statements() {
        static M: Migration = Migration {
            name: "x.sql",
            sql: "-- migrate: no-transaction\n-- why\nCREATE INDEX CONCURRENTLY a ON t (x);\n\nCREATE INDEX CONCURRENTLY b ON t (y);\n-- end\n",
        };
        let s = statements(&M).unwrap();
        assert_eq!(s.len(), 2);
        assert!(s[1].starts_with("CREATE INDEX CONCURRENTLY b"));
    }
}
