//! Schema migrations: the files in migrations/, embedded, applied once each, in order.
//!
//! Function cold starts never migrate; the dev server, the tests and
//! `tools/migrate.rs` call [`run`]. Runs take a session advisory lock on a
//! connection of their own, so concurrent runs apply each file exactly once;
//! that lock needs a real session, hence the unpooled URL when there is one.

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
];

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
    let settings = ConnectSettings::from_url(url, Duration::from_secs(10))?;
    let (mut client, connection) = settings.connect().await?;
    let lock = "SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))";
    let result = match client.execute(lock, &[&LOCK_CLASS]).await {
        Ok(_) => {
            let applied = apply_pending(&mut client, MIGRATIONS).await;
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
        let tx = client.transaction().await?;
        if let Err(e) = tx.batch_execute(m.sql).await {
            return Err(DbError::Migration(format!(
                "{} failed: {:#}",
                m.name,
                anyhow::Error::new(e)
            )));
        }
        tx.execute(
            "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
            &[&m.name, &checksum(m.sql)],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(migration = m.name, "applied");
        done.push(m.name);
    }
    Ok(done)
}
