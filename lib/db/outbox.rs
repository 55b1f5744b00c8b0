//! The outbox: `new-message` events stored with their message, delivered after commit,
//! and redelivered by the cron route when Pusher failed (at least once; clients dedupe by id).

use super::DbError;
use super::messages::with_reactions;
use super::rows::{self, message_columns};
use crate::domain::{Message, MessageId};
use std::time::Duration;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub message: Message,
    pub socket_id: Option<String>,
    /// Attempts so far (the send route's own try counts once it is marked).
    pub attempts: i32,
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Undelivered events: never attempted ones once older than `in_flight` (their send may still be
/// triggering), failed ones once their last attempt is older than `retry_after`. The oldest
/// `limit` are taken, then ordered by conversation and seq, the order to deliver them in.
pub async fn pending(
    c: &impl GenericClient,
    in_flight: Duration,
    retry_after: Duration,
    limit: i64,
) -> Result<Vec<OutboxItem>, DbError> {
    let rows = c
        .query_typed(
            concat!(
                "SELECT o.id AS outbox_id, o.socket_id, o.attempts, ",
                message_columns!(),
                " FROM (
                 SELECT id, message_id, socket_id, attempts FROM outbox
                 WHERE delivered_at IS NULL
                   AND CASE WHEN last_attempt_at IS NULL
                            THEN created_at < now() - make_interval(secs => $1 / 1e6)
                            ELSE last_attempt_at <= now() - make_interval(secs => $3 / 1e6) END
                 ORDER BY id
                 LIMIT $2
             ) o
             JOIN messages m ON m.id = o.message_id
             JOIN users u ON u.id = m.sender_id
             ORDER BY m.conversation_id, m.seq"
            ),
            &[
                (&micros(in_flight), Type::INT8),
                (&limit.max(0), Type::INT8),
                (&micros(retry_after), Type::INT8),
            ],
        )
        .await?;
    let messages = rows
        .iter()
        .map(rows::message)
        .collect::<Result<Vec<_>, _>>()?;
    let messages = with_reactions(c, messages).await?;
    rows.iter()
        .zip(messages)
        .map(|(row, message)| {
            Ok(OutboxItem {
                id: row.try_get("outbox_id")?,
                message,
                socket_id: row.try_get("socket_id")?,
                attempts: row.try_get("attempts")?,
            })
        })
        .collect()
}

/// Pusher accepted these events.
pub async fn mark_delivered(c: &impl GenericClient, ids: &[i64]) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    c.execute_typed(
        "UPDATE outbox
         SET delivered_at = now(), attempts = attempts + 1, last_attempt_at = now()
         WHERE id = ANY($1) AND delivered_at IS NULL",
        &[(&ids, Type::INT8_ARRAY)],
    )
    .await?;
    Ok(())
}

/// A delivery attempt failed; the item waits `older_than` (see [`pending`]) before the next.
pub async fn mark_failed(c: &impl GenericClient, id: i64, error: &str) -> Result<(), DbError> {
    c.execute_typed(
        "UPDATE outbox
         SET attempts = attempts + 1, last_attempt_at = now(), last_error = left($2, 1000)
         WHERE id = $1 AND delivered_at IS NULL",
        &[(&id, Type::INT8), (&error, Type::TEXT)],
    )
    .await?;
    Ok(())
}

/// Rows one purge looks at: the oldest by id, so each run is an index range
/// read, never a scan of the whole outbox (and no index on `delivered_at`,
/// which would make every `mark_delivered` a non-HOT update).
const PURGE_BATCH: i64 = 5_000;

/// Deletes delivered items older than `older_than` among the oldest rows; returns how many.
pub async fn purge_delivered(c: &impl GenericClient, older_than: Duration) -> Result<u64, DbError> {
    Ok(c.execute_typed(
        "DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox ORDER BY id LIMIT $2
         )
         AND delivered_at IS NOT NULL
         AND delivered_at < now() - make_interval(secs => $1 / 1e6)",
        &[
            (&micros(older_than), Type::INT8),
            (&PURGE_BATCH, Type::INT8),
        ],
    )
    .await?)
}

/// Whether the message's event was delivered (for a replayed send's `delivery` field).
/// No undelivered row means delivered: delivered rows are purged after a while.
pub async fn is_delivered(c: &impl GenericClient, message: MessageId) -> Result<bool, DbError> {
    let row = c
        .query_typed_one(
            "SELECT NOT EXISTS (SELECT 1 FROM outbox
                                WHERE message_id = $1 AND delivered_at IS NULL)",
            &[(&message.get(), Type::INT8)],
        )
        .await?;
    Ok(row.try_get(0)?)
}
