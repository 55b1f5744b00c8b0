//! Presence from Pusher webhooks, corrected by the cron's reconciliation with
//! Pusher's member lists: one row per (user, presence channel).
//!
//! Each (user, channel) keeps the time of the newest event applied to it;
//! an event is applied when it is at least as new (`<=`), so events of one
//! delivery applied in their order leave the last one standing, a repeated
//! delivery ends in the same state, and an older one arriving late changes
//! nothing. `online` and `last_seen_at` are then recomputed from those rows,
//! never incremented, so the result depends only on the set of events seen.

use super::DbError;
use super::pool::Client;
use crate::domain::{Timestamp, UserId};
use time::OffsetDateTime;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceState {
    pub online: bool,
    pub last_seen_at: Option<Timestamp>,
}

/// Applies one member_added (`present`) or member_removed event stamped `time_ms` (the delivery's
/// time) on `channel` (a `presence-conversation-*` name), in one transaction.
pub async fn apply(
    c: &mut Client,
    user: &UserId,
    channel: &str,
    present: bool,
    time_ms: i64,
) -> Result<PresenceState, DbError> {
    let tx = super::pool::pg(c).transaction().await?;
    let id = user.as_str();
    // A webhook can name a user this database has not seen yet (e.g. after a reset).
    tx.execute_typed(
        "INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING",
        &[(&id, Type::TEXT)],
    )
    .await?;
    // Serialises deliveries for one user, so the recomputation below sees every committed channel row.
    tx.execute_typed(
        "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE",
        &[(&id, Type::TEXT)],
    )
    .await?;
    tx.execute_typed(
        "INSERT INTO presence_memberships (user_id, channel, present, updated_ms)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, channel) DO UPDATE
         SET present = EXCLUDED.present, updated_ms = EXCLUDED.updated_ms, confirmed_at = now()
         WHERE presence_memberships.updated_ms <= EXCLUDED.updated_ms",
        &[
            (&id, Type::TEXT),
            (&channel, Type::TEXT),
            (&present, Type::BOOL),
            (&time_ms, Type::INT8),
        ],
    )
    .await?;
    let row = tx
        .query_typed_one(
            &format!("{RECOMPUTE} WHERE id = $1 RETURNING online, last_seen_at"),
            &[(&id, Type::TEXT)],
        )
        .await?;
    let state = state(&row)?;
    tx.commit().await?;
    Ok(state)
}

/// `users.online` / `last_seen_at` from the user's channel rows: a summary across
/// conversations, kept for operators; the API shows presence per conversation only.
pub(super) const RECOMPUTE: &str = "UPDATE users SET
     online = EXISTS (SELECT 1 FROM presence_memberships p
                      WHERE p.user_id = users.id AND p.present),
     last_seen_at = (SELECT 'epoch'::timestamptz + max(p.updated_ms) * interval '1 millisecond'
                     FROM presence_memberships p WHERE p.user_id = users.id)";

/// A user's current presence; `None` for an unknown user.
pub async fn get(c: &impl GenericClient, user: &UserId) -> Result<Option<PresenceState>, DbError> {
    c.query_typed_opt(
        "SELECT online, last_seen_at FROM users WHERE id = $1",
        &[(&user.as_str(), Type::TEXT)],
    )
    .await?
    .as_ref()
    .map(state)
    .transpose()
}

fn state(row: &Row) -> Result<PresenceState, DbError> {
    Ok(PresenceState {
        online: row.try_get("online")?,
        last_seen_at: row
            .try_get::<_, Option<OffsetDateTime>>("last_seen_at")?
            .map(Timestamp),
    })
}
