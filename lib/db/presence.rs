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
const RECOMPUTE: &str = "UPDATE users SET
     online = EXISTS (SELECT 1 FROM presence_memberships p
                      WHERE p.user_id = users.id AND p.present),
     last_seen_at = (SELECT 'epoch'::timestamptz + max(p.updated_ms) * interval '1 millisecond'
                     FROM presence_memberships p WHERE p.user_id = users.id)";

/// What Pusher said at `taken_ms` (our clock, read before the first request):
/// every occupied presence channel, and the members of those it was asked about.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub taken_ms: i64,
    pub occupied: Vec<String>,
    /// (channel, its member ids) for the channels examined; each pair once.
    pub examined: Vec<(String, Vec<UserId>)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Rows found absent although Pusher lists the member (a missed member_added).
    pub joined: u64,
    /// Rows found present although Pusher does not list the member (a missed member_removed).
    pub left: u64,
    /// Rows Pusher confirmed present: their "online" does not expire.
    pub confirmed: u64,
}

/// Applies a snapshot. An event newer than the snapshot (`updated_ms >= taken_ms`)
/// wins over it, as webhook events win over older ones. Rows of occupied channels that
/// were not examined are left alone (they expire unless confirmed later).
/// Three statements, each on its own (no transaction holds the rows while the next runs).
pub async fn reconcile(c: &impl GenericClient, snap: &Snapshot) -> Result<Reconciled, DbError> {
    let examined: Vec<&str> = snap.examined.iter().map(|(ch, _)| ch.as_str()).collect();
    let (mut pair_channels, mut pair_users) = (Vec::new(), Vec::new());
    for (channel, users) in &snap.examined {
        for user in users {
            pair_channels.push(channel.as_str());
            pair_users.push(user.as_str());
        }
    }
    let gone = c
        .query_typed(
            "UPDATE presence_memberships p SET present = false, updated_ms = $1, confirmed_at = now()
             WHERE p.present AND p.updated_ms < $1 AND p.channel LIKE 'presence-conversation-%'
               AND (NOT p.channel = ANY($2)
                    OR (p.channel = ANY($3) AND NOT EXISTS (
                        SELECT 1 FROM unnest($4::text[], $5::text[]) AS s (channel, user_id)
                        WHERE s.channel = p.channel AND s.user_id = p.user_id)))
             RETURNING p.user_id",
            &[
                (&snap.taken_ms, Type::INT8),
                (&snap.occupied, Type::TEXT_ARRAY),
                (&examined, Type::TEXT_ARRAY),
                (&pair_channels, Type::TEXT_ARRAY),
                (&pair_users, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let here = c
        .query_typed(
            "WITH snap AS (
                 SELECT s.channel, s.user_id FROM unnest($2::text[], $3::text[]) AS s (channel, user_id)
                 WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = s.user_id)),
             flipped AS (
                 SELECT snap.user_id FROM snap LEFT JOIN presence_memberships p
                     ON p.user_id = snap.user_id AND p.channel = snap.channel
                 WHERE p.user_id IS NULL OR (NOT p.present AND p.updated_ms < $1)),
             up AS (
                 INSERT INTO presence_memberships AS p (user_id, channel, present, updated_ms)
                 SELECT user_id, channel, true, $1 FROM snap
                 ON CONFLICT (user_id, channel) DO UPDATE
                 SET present = true, confirmed_at = now(),
                     updated_ms = CASE WHEN p.present THEN p.updated_ms ELSE EXCLUDED.updated_ms END
                 WHERE p.present OR p.updated_ms < EXCLUDED.updated_ms
                 RETURNING 1)
             SELECT user_id, (SELECT count(*) FROM up) AS confirmed FROM flipped
             UNION ALL SELECT NULL, (SELECT count(*) FROM up)",
            &[
                (&snap.taken_ms, Type::INT8),
                (&pair_channels, Type::TEXT_ARRAY),
                (&pair_users, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    let mut changed: Vec<String> = Vec::new();
    for row in &gone {
        changed.push(row.try_get(0)?);
    }
    let mut confirmed = 0;
    for row in &here {
        confirmed = row.try_get::<_, i64>("confirmed")?;
        changed.extend(row.try_get::<_, Option<String>>("user_id")?);
    }
    let left = gone.len() as u64;
    let joined = (here.len() as u64).saturating_sub(1);
    changed.sort();
    changed.dedup();
    if !changed.is_empty() {
        c.execute_typed(
            &format!(
                "{RECOMPUTE} WHERE id IN (SELECT id FROM users WHERE id = ANY($1)
                                          ORDER BY id FOR NO KEY UPDATE)"
            ),
            &[(&changed, Type::TEXT_ARRAY)],
        )
        .await?;
    }
    Ok(Reconciled {
        joined,
        left,
        confirmed: u64::try_from(confirmed).unwrap_or(0),
    })
}

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
