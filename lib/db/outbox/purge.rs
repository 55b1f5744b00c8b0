//! Housekeeping: deleting delivered rows, and dead letters, once old enough.

use super::{DbError, micros};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

/// One step of a purge: how many rows it deleted, where the next step starts,
/// and whether the rest of the table is too young to purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeStep {
    pub deleted: u64,
    /// Pass as `after_id` to the next step.
    pub next_after_id: i64,
    pub done: bool,
}

/// Looks at the `batch` rows after `after_id` (an index range read on the
/// primary key, never a scan of the whole outbox) and deletes the delivered
/// ones older than `keep_delivered` and the dead letters older than
/// `keep_dead`. Rows still waiting are stepped over, so a backlog at the
/// front of the table cannot stop the purge. Done when the step reached the
/// end, or rows younger than both windows (ids grow with time).
pub async fn purge_step(
    c: &impl GenericClient,
    keep_delivered: Duration,
    keep_dead: Duration,
    after_id: i64,
    batch: i64,
) -> Result<PurgeStep, DbError> {
    let row = c
        .query_typed_one(
            "WITH scanned AS (
                 SELECT id, created_at, delivered_at, dead_at FROM outbox
                 WHERE id > $3 ORDER BY id LIMIT $4
             ), gone AS (
                 DELETE FROM outbox o USING scanned s
                 WHERE o.id = s.id
                   AND (s.delivered_at < now() - make_interval(secs => $1 / 1e6)
                        OR s.dead_at < now() - make_interval(secs => $2 / 1e6))
                 RETURNING o.id
             )
             SELECT (SELECT count(*) FROM gone) AS deleted,
                    (SELECT count(*) FROM scanned) AS scanned,
                    coalesce((SELECT max(id) FROM scanned), $3) AS last_id,
                    coalesce((SELECT max(created_at) FROM scanned)
                             >= now() - make_interval(secs => least($1, $2) / 1e6), false) AS young",
            &[
                (&micros(keep_delivered), Type::INT8),
                (&micros(keep_dead), Type::INT8),
                (&after_id, Type::INT8),
                (&batch.max(1), Type::INT8),
            ],
        )
        .await?;
    let deleted: i64 = row.try_get("deleted")?;
    let scanned: i64 = row.try_get("scanned")?;
    let young: bool = row.try_get("young")?;
    Ok(PurgeStep {
        deleted: u64::try_from(deleted).unwrap_or(0),
        next_after_id: row.try_get("last_id")?,
        done: scanned < batch.max(1) || young,
    })
}
