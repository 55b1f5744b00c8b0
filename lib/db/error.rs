//! The storage error type: what a caller can act on (retry, a 4xx) versus everything else.

use crate::error::AppError;
use std::error::Error as StdError;
use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached, a connection broke, or a timeout expired: safe to retry (503).
    #[error("database unavailable")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// A write refers to a row that does not exist (a foreign key), e.g. a member id nobody has seen.
    #[error("refers to something that does not exist ({constraint})")]
    MissingReference {
        constraint: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// A CHECK constraint refused a value that bypassed the domain parsers.
    #[error("value refused by the database ({constraint})")]
    InvalidValue {
        constraint: String,
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database URL or its TLS settings cannot be used (never contains the password).
    #[error("database configuration: {0}")]
    Config(String),
    /// A migration failed, an applied one changed, or the database is ahead of this build.
    #[error("migrations: {0}")]
    Migration(String),
    /// A row that the schema's constraints should have made impossible.
    #[error("unexpected data in the database: {0}")]
    Corrupt(String),
    /// Anything else: a bug or an unexpected server error.
    #[error("database error")]
    Query(#[source] tokio_postgres::Error),
}

impl DbError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Connection-level SQLSTATEs: the server went away, is restarting or is full.
fn is_connection_state(code: &SqlState) -> bool {
    let code = code.code();
    code.starts_with("08")
        || matches!(
            code,
            // admin_shutdown (pg_terminate_backend), crash_shutdown, cannot_connect_now,
            // query_canceled, too_many_connections
            "57P01" | "57P02" | "57P03" | "57014" | "53300"
        )
}

/// An I/O error anywhere in the chain means the socket, TLS or DNS failed.
fn has_io_cause(err: &(dyn StdError + 'static)) -> bool {
    let mut cause = err.source();
    while let Some(e) = cause {
        if e.is::<std::io::Error>() {
            return true;
        }
        cause = e.source();
    }
    false
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        let classified = classify(e);
        if classified.is_unavailable() {
            super::pool::note_broken_connection();
        }
        classified
    }
}

fn classify(e: tokio_postgres::Error) -> DbError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().clone();
        let constraint = db.constraint().unwrap_or_default().to_owned();
        return if is_connection_state(&code) {
            DbError::Unavailable(Box::new(e))
        } else if code == SqlState::FOREIGN_KEY_VIOLATION {
            DbError::MissingReference {
                constraint,
                source: e,
            }
        } else if code == SqlState::CHECK_VIOLATION {
            DbError::InvalidValue {
                constraint,
                source: e,
            }
        } else {
            DbError::Query(e)
        };
    }
    if e.is_closed() || has_io_cause(&e) || e.to_string() == "timeout waiting for server" {
        DbError::Unavailable(Box::new(e))
    } else {
        DbError::Query(e)
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::PoolError;
        match e {
            PoolError::Backend(e) => e.into(),
            PoolError::Timeout(_) => Self::Unavailable(Box::new(e)),
            other => Self::Config(other.to_string()),
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => AppError::Unavailable(e.into()),
            DbError::MissingReference { .. } => {
                AppError::Validation("refers to something that does not exist".into())
            }
            DbError::InvalidValue { .. } => AppError::Validation("a value is out of range".into()),
            other => AppError::Internal(other.into()),
        }
    }
}
