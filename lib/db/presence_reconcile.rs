//! Presence reconciliation: what Pusher's member lists say (a snapshot taken by
//! the cron) applied over what the webhooks left in `presence_memberships`.

use super::DbError;
use super::presence::RECOMPUTE;
use crate::domain::UserId;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

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
