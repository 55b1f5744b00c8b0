//! Rate limits kept in Postgres, so they hold across function instances:
//! a fixed-window counter per key (`action:subject`), counted and decided in one statement.

use super::DbError;
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// At most `max` actions per `period` (`max` 0: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max: u32,
    pub period: Duration,
}

impl Quota {
    pub fn is_unlimited(&self) -> bool {
        self.max == 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Over the quota until the window ends, this many whole seconds from now (at least 1).
    Limited {
        retry_after_secs: u64,
    },
}

/// Counts one action for `key` and says whether it is within `quota`. Refused
/// attempts are not counted, so hammering a limited route does not push the
/// window's end further away. One round trip when allowed, two when refused;
/// concurrent calls for one key serialise on its row.
pub async fn take(c: &impl GenericClient, key: &str, quota: Quota) -> Result<Decision, DbError> {
    if quota.is_unlimited() {
        return Ok(Decision::Allowed);
    }
    let period = quota.period.as_secs_f64();
    let max = i32::try_from(quota.max).unwrap_or(i32::MAX);
    let counted = c
        .query_typed_opt(
            "INSERT INTO rate_limits AS r (key, window_start, count)
             VALUES ($1, now(), 1)
             ON CONFLICT (key) DO UPDATE SET
                 window_start = CASE WHEN r.window_start <= now() - $2 * interval '1 second'
                                     THEN now() ELSE r.window_start END,
                 count = CASE WHEN r.window_start <= now() - $2 * interval '1 second'
                              THEN 1 ELSE r.count + 1 END
             WHERE r.window_start <= now() - $2 * interval '1 second' OR r.count < $3
             RETURNING count",
            &[
                (&key, Type::TEXT),
                (&period, Type::FLOAT8),
                (&max, Type::INT4),
            ],
        )
        .await?;
    if counted.is_some() {
        return Ok(Decision::Allowed);
    }
    let row = c
        .query_typed_one(
            "SELECT extract(epoch FROM window_start + $2 * interval '1 second' - now())::float8
             FROM rate_limits WHERE key = $1",
            &[(&key, Type::TEXT), (&period, Type::FLOAT8)],
        )
        .await?;
    let remaining: f64 = row.try_get(0)?;
    Ok(Decision::Limited {
        retry_after_secs: remaining.ceil().max(1.0) as u64,
    })
}

/// Gives back one action counted by [`take`] that did not happen after all
/// (e.g. the conversation turned out to exist already).
pub async fn give_back(c: &impl GenericClient, key: &str) -> Result<(), DbError> {
    c.execute_typed(
        "UPDATE rate_limits SET count = count - 1 WHERE key = $1 AND count > 0",
        &[(&key, Type::TEXT)],
    )
    .await?;
    Ok(())
}
